# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.fleet_gate: the `fleetcompat gate` decision plus per-image host groups."""

from __future__ import annotations

from typing import ClassVar

from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    ControllerAction,
    apply_waivers_option,
    fleetcompat_module,
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC: ClassVar[dict] = {
        "result": {"type": "path", "required": True},
        "require": {"type": "list", "elements": "str", "default": []},
        "min_compatible": {"type": "str"},
        "allow_unreachable": {"type": "bool", "default": False},
        "enforce": {"type": "bool", "default": True},
        "group_prefix": {"type": "str", "default": "fleetcompat_compatible_"},
        "waivers": {"type": "raw"},
    }

    def act(self, args: dict, task_vars: dict) -> dict:
        errors = fleetcompat_module("errors")
        fleet = fleetcompat_module("results.fleet")
        gate = fleetcompat_module("results.gate")
        images = fleetcompat_module("fleet.images")
        fleet_result = apply_waivers_option(fleet.FleetResult.load(args["result"]), args["waivers"])
        unknown = [a for a in args["require"] if a not in fleet_result.aliases()]
        if unknown:
            raise errors.FleetcompatError(f"require: no image {unknown[0]!r} in the result "
                                          f"(images: {', '.join(fleet_result.aliases())})", where=args["result"])
        try:
            threshold = gate.Threshold.parse(args["min_compatible"]) if args["min_compatible"] else None
        except ValueError as exc:
            raise errors.FleetcompatError(f"min_compatible: {exc}") from None
        decision = gate.decide(fleet_result, args["require"], threshold, args["allow_unreachable"])
        # Waived cells pass the gate, so their hosts are in the image's group (the waiver accepted them).
        passing = (fleet.Status.COMPATIBLE, fleet.Status.WAIVED)
        compatible = {alias: [h.name for h in fleet_result.hosts if h.outcomes[alias].status in passing]
                      for alias in fleet_result.aliases()}
        groups = {args["group_prefix"] + images.group_suffix(alias): hosts for alias, hosts in compatible.items()}
        line = f"fleetcompat {decision.verdict}"
        return {
            "changed": False, "code": decision.code, "decision": decision.word, "reason": decision.reason,
            "required": list(args["require"]) or fleet_result.aliases(), "compatible_hosts": compatible,
            "groups": groups,
            "memberships": [{"host": host, "group": group} for group, hosts in groups.items() for host in hosts],
            "msg": line, **({"failed": True} if args["enforce"] and decision.code != 0 else {}),
        }
