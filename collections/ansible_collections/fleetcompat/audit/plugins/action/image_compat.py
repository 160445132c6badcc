# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.image_compat: one host's features against the run's images."""

from __future__ import annotations

from typing import ClassVar

from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    IMAGE_OPTIONS,
    REGISTRY_OPTIONS,
    ControllerAction,
    fleetcompat_module,
    image_entries,
    plain,
    registry_options,
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC: ClassVar[dict] = {
        "features": {"type": "dict"},
        "features_fact": {"type": "str", "default": "node_features"},
        "run_dir": {"type": "path"},
        "images": {"type": "list", "elements": "dict", "options": IMAGE_OPTIONS},
        "registry": {"type": "dict", "default": {}, "options": REGISTRY_OPTIONS},
    }
    ARGUMENT_RULES: ClassVar[dict] = {"mutually_exclusive": [("run_dir", "images")],
                                      "required_one_of": [("run_dir", "images")]}

    @staticmethod
    def _features(args: dict, task_vars: dict):
        """The `features` option, else the host's fact read as stored (templating 50-100 KB of features for
        every host would cost more than evaluating them)."""
        if args["features"] is not None:
            return plain(args["features"])
        facts = task_vars.get("ansible_facts") or {}
        if args["features_fact"] not in facts:
            errors = fleetcompat_module("errors")
            raise errors.FeaturesError(f"no {args['features_fact']} fact: gather with fleetcompat.audit.node_features "
                                       "first, or pass features")
        return plain(facts[args["features_fact"]])

    def act(self, args: dict, task_vars: dict) -> dict:
        load = fleetcompat_module("features.load")
        evaluate = fleetcompat_module("fleet.evaluate")
        host = task_vars.get("inventory_hostname", "host")
        features = load.parse_features_document(self._features(args, task_vars), f"{host}: features")
        if args["run_dir"]:
            rundir = fleetcompat_module("fleet.rundir")
            resolved = rundir.read_images(args["run_dir"])
            memo = rundir.evaluations_dir(args["run_dir"])
        else:  # resolved for this host alone, with its own platform
            resolve = fleetcompat_module("fleet.resolve")
            entries = image_entries(args["images"])
            resolved = resolve.resolve(entries, registry_options(args["registry"], entries),
                                       {resolve.host_platform(features)})
            memo = None
        outcomes = evaluate.evaluate_host(resolved, features, memo)
        out = {"changed": False, "images": outcomes}
        cell = fleetcompat_module("results.fleet").Status
        for status, key in ((cell.COMPATIBLE, "compatible"), (cell.INCOMPATIBLE, "incompatible"),
                            (cell.ERROR, "errors"), (cell.NO_SPEC, "no_spec")):
            out[key] = [alias for alias, outcome in outcomes.items() if outcome["status"] == status]
        return out
