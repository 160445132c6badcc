# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.fleet_report: hosts' gather and compat results -> fleet result + reports."""

from __future__ import annotations

from typing import ClassVar

from ansible.utils.display import Display
from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    PUBLISH_OPTIONS,
    ControllerAction,
    fleetcompat_module,
    plain,
    publish,
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC: ClassVar[dict] = {
        "run_dir": {"type": "path", "required": True},
        "hosts": {"type": "list", "elements": "str", "required": True},
        "gather_result_var": {"type": "str", "default": "fleetcompat_gather_result"},
        "compat_result_var": {"type": "str", "default": "fleetcompat_compat_result"},
        "features_fact": {"type": "str", "default": "node_features"},
        "summary_fact": {"type": "str", "default": "node_features_summary"},
        "output_dir": {"type": "path", "default": "reports"},
        "formats": {"type": "list", "elements": "str", "choices": ["json", "html", "junit", "markdown"],
                    "default": ["json", "html", "junit"]},
        "inventory": {"type": "str"},
        "limit": {"type": "str"},
        "keep_run_dir": {"type": "bool", "default": False},
        **PUBLISH_OPTIONS,
    }

    def act(self, args: dict, task_vars: dict) -> dict:
        fleet = fleetcompat_module("results.fleet")
        report = fleetcompat_module("fleet.report")
        hosts = fleetcompat_module("fleet.hosts")
        rundir = fleetcompat_module("fleet.rundir")
        evaluate = fleetcompat_module("fleet.evaluate")
        isolate = fleetcompat_module("fleet.isolate")
        hostvars = task_vars.get("hostvars", {})
        names = hosts.PlayVariables(args["gather_result_var"], args["compat_result_var"], args["features_fact"],
                                    args["summary_fact"])
        resolved = rundir.read_images(args["run_dir"])
        records, outcomes = [], {}
        for name in dict.fromkeys(args["hosts"]):
            try:
                # The host's variables as stored, not templated: facts and registered results are data, and
                # templating them (hundreds of KB per host) would cost more than the whole evaluation.
                variables = hostvars.raw_get(name) if name in hostvars else None
                record, images = hosts.record_from_play(name, variables, names, plain)
                if images:
                    outcomes[name] = {alias: evaluate.entry_outcome(entry) for alias, entry in images.items()}
            except Exception as exc:  # what one host left behind must not end the report for the others
                record = hosts.HostRecord(name, fleet.HostStatus.ERROR, isolate.internal_error(exc, f"host {name}"))
            records.append(record)
        started_at, elapsed = rundir.started(args["run_dir"])
        fleet_result = report.build_result(
            resolved, records, outcomes,
            fleet.RunMeta(started_at=started_at, inventory=args["inventory"], limit=args["limit"]), elapsed)
        fleet_result, paths, decision, published = publish(fleet_result, args)
        if not args["keep_run_dir"]:
            rundir.remove(args["run_dir"])
        # One line under the task, without a separate debug task (every task costs a fork per host).
        Display().display(f"fleetcompat: {', '.join(str(p) for p in paths.values())} "
                          f"({decision.word}: {decision.reason})")
        returned = {
            "changed": False,  # managed hosts are only read; reports on the controller are output, not state
            "result_file": str(paths.get("json", "")),
            "reports": {fmt: str(path) for fmt, path in paths.items()},
            "verdict": {"code": decision.code, "decision": decision.word, "reason": decision.reason},
            "hosts": {str(k): v for k, v in fleet_result.host_status_counts().items()},
            "images": {alias: {str(k): v for k, v in fleet_result.status_counts(alias).items()}
                       for alias in fleet_result.aliases()},
            "compatible_hosts": {alias: [h.name for h in fleet_result.hosts
                                         if h.outcomes[alias].status is fleet.Status.COMPATIBLE]
                                 for alias in fleet_result.aliases()},
            **published,
        }
        return returned
