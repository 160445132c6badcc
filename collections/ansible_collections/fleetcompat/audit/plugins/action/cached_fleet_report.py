# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.cached_fleet_report: the whole fleet from cached facts -> fleet result +
reports, in one step (no task per host, no host contacted)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from typing import ClassVar

from ansible.utils.display import Display
from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    IMAGE_OPTIONS,
    PUBLISH_OPTIONS,
    REGISTRY_OPTIONS,
    ControllerAction,
    fleetcompat_module,
    image_entries,
    plain,
    publish,
    registry_options,
)


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
        audit = fleetcompat_module("fleet.audit")
        fleet = fleetcompat_module("results.fleet")
        run = fleet.RunMeta.now(inventory=args["inventory"], limit=args["limit"])
        now = datetime.datetime.now(datetime.UTC)
        hostvars = task_vars.get("hostvars", {})
        records = []
        seen: dict = {}  # packed features already unpacked: identical hosts are unpacked and checked once
        for name in dict.fromkeys(args["hosts"]):
            # As stored, not templated: each host's cached facts are data, and templating 50-100 KB per host
            # would cost more than evaluating the fleet.
            variables = hostvars.raw_get(name) if name in hostvars else None
            if not isinstance(variables, Mapping):
                records.append(hosts.HostRecord(name, fleet.HostStatus.ERROR, "not in the inventory"))
                continue
            facts = variables.get("ansible_facts")
            records.append(hosts.record_from_facts(name, facts if isinstance(facts, Mapping) else None,
                                                   "fact cache", now, plain(variables.get("group_names") or []),
                                                   seen))
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
