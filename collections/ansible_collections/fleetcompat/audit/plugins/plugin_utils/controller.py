# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Shared by the collection's controller-side action plugins (image_specs, image_compat, fleet_report, fleet_gate):
their base class `ControllerAction`, the fleetcompat import with its install hint, and the task options they share.

These plugins run in the Python that runs ansible-playbook and import the `fleetcompat` package from it, so that
Ansible and the `fleetcompat` command evaluate with one and the same code. Managed hosts need nothing of this.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase

# Imported once in the controller's main process, where Ansible loads action plugin classes, so that the worker
# processes it forks per host and task inherit them instead of importing them again for every host.
_PRELOADED = ("errors", "features.load", "fleet.images", "fleet.resolve", "fleet.rundir", "fleet.evaluate",
              "fleet.report", "fleet.isolate", "results.fleet", "results.gate")
for _name in _PRELOADED:
    try:
        importlib.import_module(f"fleetcompat.{_name}")
    except ImportError:  # reported with the install hint when a task needs it
        break

INSTALL_HINT = (
    "the fleetcompat.audit action plugins need the fleetcompat Python package in the controller's Python "
    "(the one running ansible-playbook): run scripts/setup.sh and use .venv/bin/ansible-playbook, "
    "or `pip install` the repository into that Python"
)


def fleetcompat_module(name: str) -> Any:
    """Import `fleetcompat.<name>`, failing the task with an install hint if the package is missing."""
    try:
        return importlib.import_module(f"fleetcompat.{name}")
    except ImportError as exc:
        raise AnsibleActionFail(f"{INSTALL_HINT} ({exc})") from None


class ControllerAction(ActionBase):
    """The common part of the collection's action plugins. They run on the controller only (no connection to the
    managed host), support check mode (they change no managed host), validate `ARGUMENT_SPEC` (plus
    `ARGUMENT_RULES`: validate_argument_spec's mutually_exclusive, required_one_of, ...) and turn a fleetcompat
    error into a one-line task failure. Any other exception (a bug, an input nobody foresaw) fails only this task,
    also in one line naming the plugin and host (`fleetcompat: internal error: <Type>: <message> (...);
    FLEETCOMPAT_DEBUG=1 shows the traceback`), never the play with a traceback. A plugin implements
    `act(args, task_vars)`, whose dict goes into the task result."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False
    ARGUMENT_SPEC: ClassVar[dict] = {}
    ARGUMENT_RULES: ClassVar[dict] = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC, **self.ARGUMENT_RULES)
        errors = fleetcompat_module("errors")
        try:
            result.update(self.act(args, task_vars or {}))
        except errors.FleetcompatError as exc:
            result.update(failed=True, msg=fail_message(exc))
        except AnsibleError:  # Ansible's own one-line failures (install hint, connection, templating)
            raise
        except Exception as exc:  # the one place that turns a bug into a one-line task failure
            host = (task_vars or {}).get("inventory_hostname")
            where = f"{self._task.resolved_action or self._task.action} on {host}"
            isolate = fleetcompat_module("fleet.isolate")
            result.update(failed=True, msg=f"fleetcompat: {isolate.internal_error(exc, where)}")
        return result

    def act(self, args: dict, task_vars: dict) -> dict:
        raise NotImplementedError


def plain(value: Any) -> Any:
    """Task arguments and host variables as plain JSON types (no Ansible tagged or lazy containers)."""
    return json.loads(json.dumps(value))


def apply_waivers_option(result: Any, waivers: Any) -> Any:
    """The `waivers` option of fleet_report/fleet_gate (role variable `fleetcompat_waivers`): a waivers file, or
    its entries as a list; YAML dates in the entries become ISO strings on the way through JSON."""
    if not waivers:
        return result
    entries = waivers if isinstance(waivers, str) else json.loads(json.dumps(
        waivers, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))
    return fleetcompat_module("waivers.apply").apply_waivers_file(result, entries)


# Options of the plugins that publish a fleet result (fleet_report, cached_fleet_report): doc fragment `publish`.
PUBLISH_OPTIONS = {
    "waivers": {"type": "raw"},
    "history": {"type": "bool", "default": True},
    "history_url": {"type": "str"},
}


def publish(result: Any, args: dict) -> tuple[Any, dict, Any, dict]:
    """Waivers applied, unreachable hosts' last known status added, the reports written, then the run recorded
    in the history store (as `fleetcompat audit` does): (result, report paths, gate decision, what to return).
    A history failure fails the task after the reports exist: the run must not pass quietly."""
    result = apply_waivers_option(result, args["waivers"])
    history = fleetcompat_module("history.recorder").AuditHistory(args["history_url"] or None) \
        if args["history"] else None
    if history is not None:
        result = history.annotate(result)
    paths = fleetcompat_module("fleet.report").write_reports(result, args["output_dir"], args["formats"])
    if history is not None:
        history.record(result)
        history.close()
    decision = fleetcompat_module("results.gate").decide(result)
    returned: dict = {"history_run": history.run_id if history is not None else None}
    if history is not None and history.error is not None:
        returned.update(failed=True, msg=f"history: {fail_message(history.error)}; the reports were written")
    return result, paths, decision, returned


def fail_message(exc: Exception) -> str:
    """One line, as the fleetcompat command prints it."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# Task options shared by image_specs and image_compat.
IMAGE_OPTIONS = {
    "alias": {"type": "str"},
    "image": {"type": "str"},
    "spec": {"type": "path"},
    "tags": {"type": "list", "elements": "str", "default": []},
    "platform": {"type": "str"},
    "required": {"type": "bool", "default": False},
}
REGISTRY_OPTIONS = {
    "plain_http": {"type": "bool", "default": False},
    "plain_http_registries": {"type": "list", "elements": "str", "default": []},
    "ca_file": {"type": "path"},
    "timeout": {"type": "float", "default": 8.0},
    "cache_dir": {"type": "path"},
    "offline": {"type": "bool", "default": False},
}


def registry_options(settings: dict, entries: list):
    """fleetcompat RegistryOptions from the `registry` task option; None when no image is a registry reference
    (the registry client, with its HTTP stack, is then not even imported)."""
    if not any(entry.image is not None for entry in entries):
        return None
    options = fleetcompat_module("registry.options")
    kwargs = {
        "plain_http": settings["plain_http"],
        "plain_http_registries": frozenset(settings["plain_http_registries"]),
        "ca_file": settings["ca_file"],
        "timeout": settings["timeout"],
        "connect_timeout": min(options.RegistryOptions.connect_timeout, settings["timeout"]),
        "read_timeout": min(options.RegistryOptions.read_timeout, settings["timeout"]),
        "offline": settings["offline"],
    }
    if settings["cache_dir"]:
        kwargs["cache_dir"] = Path(settings["cache_dir"])
    return options.RegistryOptions(**kwargs)


def gathered_platforms(hostvars: Any, hosts: list, features_fact: str) -> set:
    """The platforms (`linux/arm64`; None: not known) of the hosts whose features were gathered, from each host's
    features fact as stored (templating 50-100 KB of features per host would cost more than the audit)."""
    nfd_platform = fleetcompat_module("fleet.resolve").nfd_platform
    platforms = set()
    for name in dict.fromkeys(hosts):
        variables = hostvars.raw_get(name) if name in hostvars else None
        facts = variables.get("ansible_facts") if isinstance(variables, Mapping) else None
        features = facts.get(features_fact) if isinstance(facts, Mapping) else None
        if isinstance(features, Mapping):
            platforms.add(nfd_platform(features))
    return platforms


def image_entries(images: list) -> list:
    """The `images` task option as checked fleetcompat image entries (unset sub-options left out)."""
    parse = fleetcompat_module("fleet.images").parse_images
    return parse([{k: v for k, v in e.items() if v not in (None, [])} for e in plain(images)], "images")
