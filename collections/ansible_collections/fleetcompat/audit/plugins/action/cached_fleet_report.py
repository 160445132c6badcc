# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.cached_fleet_report: the whole fleet from cached facts -> fleet result +
reports, in one step (no task per host, no host contacted)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from typing import ClassVar

from ansible.errors import AnsibleActionFail
from ansible.utils.display import Display
from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    IMAGE_OPTIONS,
    PUBLISH_OPTIONS,
    REGISTRY_OPTIONS,
    ControllerAction,
    fleetcompat_module,
    image_entries,
    publish,
    registry_options,
)


def group_names(groups: Mapping) -> dict[str, tuple[str, ...]]:
    """Each host's `group_names` (its groups but `all`, sorted, as Ansible sets it) from the `groups` variable."""
    names: dict[str, list[str]] = {}
    for group, members in groups.items():
        if group != "all":
            for host in members:
                names.setdefault(host, []).append(str(group))
    return {host: tuple(sorted(found)) for host, found in names.items()}


def ansible_facts(facts: Mapping | None) -> dict | None:
    """The `ansible_facts` variable of a host with these cached facts: Ansible's namespace_facts (an `ansible_`
    prefix dropped, except on ansible_local) without its deep copy (nothing here changes them)."""
    if not isinstance(facts, Mapping):
        return None
    return {key[8:] if key.startswith("ansible_") and key != "ansible_local" else key: value
            for key, value in facts.items()}


class ActionModule(ControllerAction):
    ARGUMENT_SPEC: ClassVar[dict] = {
        "hosts": {"type": "list", "elements": "str", "required": True},
        "images": {"type": "list", "elements": "dict", "required": True, "options": IMAGE_OPTIONS},
        "registry": {"type": "dict", "default": {}, "options": REGISTRY_OPTIONS},
        "output_dir": {"type": "path", "default": "reports"},
        "formats": {"type": "list", "elements": "str",
                    "choices": ["json", "html", "junit", "junit-compact", "markdown"],
                    "default": ["json", "html", "junit"]},
        "inventory": {"type": "str"},
        "limit": {"type": "str"},
        **PUBLISH_OPTIONS,
    }

    def act(self, args: dict, task_vars: dict) -> dict:
        started = time.monotonic()
        hosts = fleetcompat_module("fleet.hosts")
        factcache = fleetcompat_module("fleet.factcache")
        errors = fleetcompat_module("errors")
        audit = fleetcompat_module("fleet.audit")
        fleet = fleetcompat_module("results.fleet")
        run = fleet.RunMeta.now(inventory=args["inventory"], limit=args["limit"])
        now = datetime.datetime.now(datetime.UTC)
        hostvars = task_vars.get("hostvars", {})
        # Each host's facts straight from Ansible's fact cache, as stored, and its groups from the inventory's
        # `groups`: asking hostvars for a host's variables resolves every variable source and cleans and copies its
        # facts, which for 10,000 hosts cost more than evaluating the fleet.
        cache = getattr(getattr(hostvars, "_variable_manager", None), "_fact_cache", None)
        if cache is None:
            raise AnsibleActionFail("fleetcompat: this ansible-core keeps no fact cache where cached_fleet_report "
                                    "reads it (hostvars' variable manager)")
        groups = group_names(task_vars.get("groups", {}))
        records = []
        seen: dict = {}  # packed features already unpacked: identical hosts are unpacked and checked once
        for name in dict.fromkeys(args["hosts"]):
            if name not in hostvars:
                records.append(hosts.HostRecord(name, fleet.HostStatus.ERROR, "not in the inventory"))
                continue
            try:  # as Ansible's VariableManager reads it: no entry (or an expired one) is no facts
                factcache.check_entry(cache, name)
                facts = cache.get(name)
            except KeyError:
                facts = None
            except errors.FeaturesError as exc:  # a FIFO or device entry: that host's error, not a hung report
                records.append(hosts.HostRecord(name, fleet.HostStatus.ERROR, str(exc), groups=groups.get(name, ())))
                continue
            records.append(hosts.record_from_facts(name, ansible_facts(facts), "fact cache", now,
                                                   groups.get(name, ()), seen))
        entries = image_entries(args["images"])
        result, _ = audit.audit_hosts(entries, registry_options(args["registry"], entries), records, run, started)
        result, paths, decision, published = publish(result, args)
        Display().display(f"fleetcompat: {len(records)} hosts from cached facts: "
                          f"{', '.join(str(p) for p in paths.values())} ({decision.word}: {decision.reason})")
        return {
            "changed": False,
            "result_file": str(paths.get("json", "")),
            "reports": {fmt: str(path) for fmt, path in paths.items()},
            "verdict": {"code": decision.code, "decision": decision.word, "reason": decision.reason},
            "hosts": {str(k): v for k, v in result.host_status_counts().items()},
            **published,
        }
