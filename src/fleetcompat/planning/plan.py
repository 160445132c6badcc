"""An upgrade plan: named steps of changes, from the command line (one step) or a YAML file (`--plan FILE`).

    - name: kernel 6.8 on the GPU nodes
      hosts: [gpu, "node-1*"]       # host names, globs or groups (--on); default: every host
      kernel: 6.8.0-45-generic
      load-module: [vfio_pci]       # a name or a list, as are unload-module, set, unset
      unload-module: nouveau
      set: [kernel.config.PREEMPT_RT=y, cpu.cpuid.AVX512F]   # FEATURE.ELEMENT=VALUE, or a flag element
      unset: [system.osrelease.VERSION_ID]
      hardware: skus/sapphire-rapids.json                     # a features file (relative to the plan)

Steps apply in order, each on top of the previous ones. Errors name the file, line and step.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleetcompat.errors import FleetcompatError
from fleetcompat.features.load import load_features_file
from fleetcompat.features.model import Features
from fleetcompat.files import read_input
from fleetcompat.limits import LIST_BYTES
from fleetcompat.planning.changes import Change, parse_change
from fleetcompat.yamlsrc import LocatedDocument, load_located, type_name

# Keys of a step, in the order their changes apply (hardware first, then software, then configuration).
CHANGE_KEYS = ("hardware", "kernel", "set", "unset", "load-module", "unload-module")
STEP_KEYS = ("name", "hosts", *CHANGE_KEYS)
_SINGLE = ("hardware", "kernel")
MAX_STEPS = 1000


class PlanError(FleetcompatError):
    """The plan file is malformed (unknown key, a step without changes, a bad FEATURE.ELEMENT, ...)."""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    changes: tuple[Change, ...]
    where: str  # file:line of the step, or "command line"


def _strings(value: Any, where: str, key: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str) or not item:
            raise PlanError(f"{key}: expected a non-empty string or a list of them, got {type_name(item)}", where=where)
    return items


def _step(entry: Any, index: int, doc: LocatedDocument, base: str,
          load_hardware: Callable[[str, str], Features]) -> Step:
    where = doc.where((index,))
    if not isinstance(entry, dict):
        raise PlanError(f"expected a step (a mapping with name and changes), got {type_name(entry)}", where=where)
    if "True" in entry:  # YAML 1.1 reads a bare `on:` as the boolean true (and the loader keys by its text)
        raise PlanError("'on' is YAML's true; a step names its hosts with 'hosts:'", where=doc.where((index, "True")))
    unknown = sorted(set(entry) - set(STEP_KEYS))
    if unknown:
        at = doc.where((index, unknown[0]))
        raise PlanError(f"unknown key {unknown[0]!r} (allowed: {', '.join(STEP_KEYS)})", where=at)
    name = entry.get("name", f"step {index + 1}")
    if not isinstance(name, str) or not name.strip():
        raise PlanError(f"name: expected a non-empty string, got {type_name(name)}", where=doc.where((index, "name")))
    on = _strings(entry["hosts"], doc.where((index, "hosts")), "hosts") if "hosts" in entry else []
    changes = []
    for key in CHANGE_KEYS:
        if key not in entry:
            continue
        at = doc.where((index, key))
        values = _strings(entry[key], at, key)
        if key in _SINGLE and len(values) > 1:
            raise PlanError(f"{key}: one per step", where=at)
        for value in values:
            hardware = load_hardware(os.path.join(base, value), at) if key == "hardware" else None
            try:
                changes.append(parse_change(key, value, on, hardware))
            except FleetcompatError as exc:
                raise PlanError(exc.message, where=at) from None
    if not changes:
        raise PlanError(f"step {name!r} changes nothing (give one of {', '.join(CHANGE_KEYS)})", where=where)
    return Step(name.strip(), tuple(changes), where)


def hardware_features(path: str, where: str) -> Features:
    """A new SKU's features file (NFD JSON/YAML or NodeFeature), read like any features file."""
    try:
        return load_features_file(path)
    except FleetcompatError as exc:
        raise PlanError(f"hardware: {exc}", where=where) from None


def load_plan(path: str) -> list[Step]:
    doc = load_located(read_input(path, "plan file", PlanError, LIST_BYTES), path, PlanError)
    if not isinstance(doc.data, list) or not doc.data:
        raise PlanError(f"expected a non-empty list of steps, got {type_name(doc.data)}", where=doc.where(()))
    if len(doc.data) > MAX_STEPS:
        raise PlanError(f"{len(doc.data)} steps; at most {MAX_STEPS}", where=path)
    base = os.path.dirname(path)
    steps = [_step(entry, i, doc, base, hardware_features) for i, entry in enumerate(doc.data)]
    names = [s.name for s in steps]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise PlanError(f"step name {name!r} is used twice", where=steps[i].where)
    return steps
