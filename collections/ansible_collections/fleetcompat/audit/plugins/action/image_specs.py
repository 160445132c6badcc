# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.image_specs: resolve every image once and write the run directory."""

from __future__ import annotations

from typing import ClassVar

from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    IMAGE_OPTIONS,
    REGISTRY_OPTIONS,
    ControllerAction,
    fleetcompat_module,
    gathered_platforms,
    image_entries,
    registry_options,
)


def _image_summary(image) -> dict:
    """One `images` entry of the result: the image's status, and per platform where its spec came from."""
    return {
        "alias": image.alias, "reference": image.entry.reference, "required": image.entry.required,
        "status": str(image.status), "error": image.reason, "digest": image.digest, "spec_digest": image.spec_digest,
        "spec_source": image.spec_source, "sets": len(image.spec.compatibilities) if image.spec is not None else 0,
        "platforms": [{"platform": r.platform, "status": str(r.status), "subject": r.subject,
                       "spec_digest": r.spec_digest, "reason": r.reason}
                      for r in image.resolutions] if image.entry.image is not None else [],
    }


class ActionModule(ControllerAction):
    ARGUMENT_SPEC: ClassVar[dict] = {
        "images": {"type": "list", "elements": "dict", "required": True, "options": IMAGE_OPTIONS},
        "registry": {"type": "dict", "default": {}, "options": REGISTRY_OPTIONS},
        "run_dir_base": {"type": "path"},
        "hosts": {"type": "list", "elements": "str"},
        "features_fact": {"type": "str", "default": "node_features"},
    }

    def act(self, args: dict, task_vars: dict) -> dict:
        resolve = fleetcompat_module("fleet.resolve")
        rundir = fleetcompat_module("fleet.rundir")
        hosts = args["hosts"] if args["hosts"] is not None else task_vars.get("ansible_play_hosts_all", [])
        entries = image_entries(args["images"])
        platforms = gathered_platforms(task_vars.get("hostvars", {}), hosts, args["features_fact"])
        resolved = resolve.resolve(entries, registry_options(args["registry"], entries), platforms)
        run_dir = rundir.create(args["run_dir_base"], resolved)
        out = {"changed": False, "run_dir": str(run_dir), "platforms": sorted(p or "unknown" for p in platforms),
               "images": [_image_summary(r) for r in resolved]}
        warnings = [f"{r.alias}: {w}" for r in resolved for w in r.warnings]
        warnings += [f"{r.alias}: spec unavailable, its hosts will be '{r.status}' (or incompatible where the image "
                     f"has no manifest for their platform): {r.reason}" for r in resolved if r.reason]
        if warnings:
            out["warnings"] = warnings
        return out
