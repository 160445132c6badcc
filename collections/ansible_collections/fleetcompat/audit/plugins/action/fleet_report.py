# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.fleet_report: hosts' gather and compat results -> fleet result + reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ansible.utils.display import Display
from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    PUBLISH_OPTIONS,
    ControllerAction,
    fail_message,
    fleetcompat_module,
    plain,
    publish,
)


def _message(result: dict, default: str) -> str:
    text = str(result.get("msg") or result.get("reason") or default)
    return text.strip().splitlines()[0] if text.strip() else default


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

    def _host_record(self, name: str, hostvars, args: dict):
        """The host's status and features from its variables: unreachable / error / ok, never dropped."""
        report = fleetcompat_module("fleet.report")
        load = fleetcompat_module("features.load")
        errors = fleetcompat_module("errors")
        status = fleetcompat_module("results.fleet").HostStatus
        # The host's variables as stored, not templated: facts and registered results are data, and templating
        # them (hundreds of KB per host) would cost more than the whole evaluation.
        variables = hostvars.raw_get(name) if name in hostvars else None
        if not isinstance(variables, Mapping):
            return report.HostRecord(name, status.ERROR, "not in the inventory"), None
        gathered = plain(variables.get(args["gather_result_var"]) or {})
        if not gathered:
            return report.HostRecord(name, status.ERROR, "not gathered (the host failed or was left out "
                                                         "before fleetcompat's gather step)"), None
        if gathered.get("unreachable"):
            return report.HostRecord(name, status.UNREACHABLE, _message(gathered, "unreachable")), None
        timedout = gathered.get("timedout")  # node_features' deadline on the host, or the task's timeout
        if isinstance(timedout, Mapping):
            return report.HostRecord(name, status.ERROR, f"gather timed out after {timedout.get('period')} s"), None
        if gathered.get("failed"):
            return report.HostRecord(name, status.ERROR, "gathering failed: " + _message(gathered, "failed")), None
        facts = variables.get("ansible_facts") or {}
        features = facts.get(args["features_fact"])
        if features is None:
            return report.HostRecord(name, status.ERROR, f"no {args['features_fact']} fact after gathering"), None
        summary = facts.get(args["summary_fact"], gathered.get(args["summary_fact"]))
        try:
            parsed = load.parse_features_document(plain(features), f"{name}: {args['features_fact']}")
        except errors.FleetcompatError as exc:
            return report.HostRecord(name, status.ERROR, fail_message(exc)), None
        compat = plain(variables.get(args["compat_result_var"]) or {})
        if compat.get("failed"):
            return report.HostRecord(name, status.ERROR, "evaluation failed: " + _message(compat, "failed")), None
        record = report.HostRecord(name, status.OK, None, parsed, plain(summary) if summary else None,
                                   tuple(variables.get("group_names") or ()))
        return record, compat.get("images")

    def act(self, args: dict, task_vars: dict) -> dict:
        fleet = fleetcompat_module("results.fleet")
        report = fleetcompat_module("fleet.report")
        rundir = fleetcompat_module("fleet.rundir")
        evaluate = fleetcompat_module("fleet.evaluate")
        isolate = fleetcompat_module("fleet.isolate")
        hostvars = task_vars.get("hostvars", {})
        resolved = rundir.read_images(args["run_dir"])
        records, outcomes = [], {}
        for name in dict.fromkeys(args["hosts"]):
            try:
                record, images = self._host_record(name, hostvars, args)
                if images:
                    outcomes[name] = {alias: evaluate.entry_outcome(entry) for alias, entry in images.items()}
            except Exception as exc:  # what one host left behind must not end the report for the others
                record = report.HostRecord(name, fleet.HostStatus.ERROR, isolate.internal_error(exc, f"host {name}"))
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
