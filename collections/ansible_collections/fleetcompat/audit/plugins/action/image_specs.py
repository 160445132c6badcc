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
    image_entries,
    registry_options,
)

ARGUMENT_SPEC = {
    "images": {"type": "list", "elements": "dict", "required": True, "options": IMAGE_OPTIONS},
    "registry": {"type": "dict", "default": {}, "options": REGISTRY_OPTIONS},
    "run_dir_base": {"type": "path"},
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
        try:
            entries = image_entries(args["images"])
            resolved = resolve.resolve(entries, registry_options(args["registry"], entries))
            run_dir = rundir.create(args["run_dir_base"], resolved)
        except errors.FleetcompatError as exc:
            result.update(failed=True, msg=fail_message(exc))
            return result
        result.update(changed=False, run_dir=str(run_dir), images=[
            {"alias": r.alias, "reference": r.entry.reference, "required": r.entry.required,
             "status": "ok" if r.spec is not None else "error", "error": r.error, "digest": r.digest,
             "spec_digest": r.spec_digest, "spec_source": r.spec_source,
             "sets": len(r.spec.compatibilities) if r.spec is not None else 0}
            for r in resolved])
        warnings = [f"{r.alias}: {w}" for r in resolved for w in r.warnings]
        warnings += [f"{r.alias}: spec unavailable, every host will be 'error' for it: {r.error}"
                     for r in resolved if r.error]
        if warnings:
            result["warnings"] = warnings
        return result
