# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.image_specs: resolve every image once and write the run directory."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    IMAGE_OPTIONS,
    REGISTRY_OPTIONS,
    fail_message,
    fleetcompat_module,
    gathered_platforms,
    image_entries,
    registry_options,
)

ARGUMENT_SPEC = {
    "images": {"type": "list", "elements": "dict", "required": True, "options": IMAGE_OPTIONS},
    "registry": {"type": "dict", "default": {}, "options": REGISTRY_OPTIONS},
    "run_dir_base": {"type": "path"},
    "hosts": {"type": "list", "elements": "str"},
    "features_fact": {"type": "str", "default": "node_features"},
}


def _image_summary(image) -> dict:
    """One `images` entry of the result: the image's status, and per platform where its spec came from."""
    return {
        "alias": image.alias, "reference": image.entry.reference, "required": image.entry.required,
        "status": image.status, "error": image.reason, "digest": image.digest, "spec_digest": image.spec_digest,
        "spec_source": image.spec_source, "sets": len(image.spec.compatibilities) if image.spec is not None else 0,
        "platforms": [{"platform": r.platform, "status": r.status, "subject": r.subject,
                       "spec_digest": r.spec_digest, "reason": r.reason}
                      for r in image.resolutions] if image.entry.image is not None else [],
    }


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        resolve = fleetcompat_module("fleet.resolve")
        rundir = fleetcompat_module("fleet.rundir")
        errors = fleetcompat_module("errors")
        task_vars = task_vars or {}
        hosts = args["hosts"] if args["hosts"] is not None else task_vars.get("ansible_play_hosts_all", [])
        try:
            entries = image_entries(args["images"])
            platforms = gathered_platforms(task_vars.get("hostvars", {}), hosts, args["features_fact"])
            resolved = resolve.resolve(entries, registry_options(args["registry"], entries), platforms)
            run_dir = rundir.create(args["run_dir_base"], resolved)
        except errors.FleetcompatError as exc:
            result.update(failed=True, msg=fail_message(exc))
            return result
        result.update(changed=False, run_dir=str(run_dir), platforms=sorted(p or "unknown" for p in platforms),
                      images=[_image_summary(r) for r in resolved])
        warnings = [f"{r.alias}: {w}" for r in resolved for w in r.warnings]
        warnings += [f"{r.alias}: spec unavailable, every host will be '{r.status}' for it: {r.reason}"
                     for r in resolved if r.reason]
        if warnings:
            result["warnings"] = warnings
        return result
