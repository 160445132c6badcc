# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Controller side of fleetcompat.audit.image_specs: resolve every image once and write the run directory."""

from __future__ import annotations

from pathlib import Path

from ansible.plugins.action import ActionBase
from ansible_collections.fleetcompat.audit.plugins.plugin_utils.controller import (
    fail_message,
    fleetcompat_module,
    plain,
)

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
ARGUMENT_SPEC = {
    "images": {"type": "list", "elements": "dict", "required": True, "options": IMAGE_OPTIONS},
    "registry": {"type": "dict", "default": {}, "options": REGISTRY_OPTIONS},
    "run_dir_base": {"type": "path"},
}


def registry_options(settings: dict):
    """fleetcompat RegistryOptions from the `registry` task option."""
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


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        images = fleetcompat_module("fleet.images")
        resolve = fleetcompat_module("fleet.resolve")
        rundir = fleetcompat_module("fleet.rundir")
        errors = fleetcompat_module("errors")
        try:
            entries = images.parse_images(
                [{k: v for k, v in e.items() if v not in (None, [])} for e in plain(args["images"])], "images")
            resolved = resolve.resolve(entries, registry_options(args["registry"]))
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
