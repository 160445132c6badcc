"""Planned changes to a host's features, applied the way the gatherer would see the changed host.

Every attribute the gatherer derives from a changed value is derived again with the gatherer's own code: a kernel
release gives kernel.version full/major/minor/revision (`hostfeatures.kernel.version_attributes`), an OS release
VERSION_ID its .major/.minor (`hostfeatures.system.parse_os_release`), hugepage counts the `enabled` attribute
(`hostfeatures.memory.hugepages_enabled`), and a loaded module shows in kernel.enabledmodule too when the host
reports that feature. Changes never modify the features they are given: touched maps are copied.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.hostfeatures.kernel import version_attributes
from fleetcompat.hostfeatures.memory import hugepages_enabled
from fleetcompat.hostfeatures.system import parse_os_release

LOADED, ENABLED = "kernel.loadedmodule", "kernel.enabledmodule"
# What "a new SKU's hardware" replaces: features of the machine, not of its software or configuration.
HARDWARE_SOURCES = ("cpu.", "pci.", "usb.", "storage.", "network.")
HARDWARE_FEATURES = frozenset({"memory.numa", "memory.nv", "system.dmiid"})


class ChangeError(FleetcompatError):
    """A planned change cannot be applied as written (bad FEATURE.ELEMENT, a selector that matches nothing, ...)."""


def is_hardware(feature: str) -> bool:
    return feature.startswith(HARDWARE_SOURCES) or feature in HARDWARE_FEATURES


def module_name(name: str) -> str:
    """A module as /proc/modules shows it: modprobe accepts vfio-pci, the kernel lists vfio_pci."""
    return name.replace("-", "_")


def split_target(text: str) -> tuple[str, str]:
    """`kernel.config.NO_HZ_FULL` -> ("kernel.config", "NO_HZ_FULL"); features are `<source>.<feature>`, the
    element is the rest (it may hold dots itself: system.osrelease.VERSION_ID.major)."""
    parts = text.split(".", 2)
    if len(parts) < 3 or not all(parts):
        raise ChangeError(f"{text!r}: expected FEATURE.ELEMENT, e.g. kernel.config.NO_HZ_FULL or cpu.cpuid.AVX512F")
    return f"{parts[0]}.{parts[1]}", parts[2]


class _Edit:
    """Copy-on-write view of one host's features while a change is applied."""

    def __init__(self, features: Features) -> None:
        self.features = Features(dict(features.flags), dict(features.attributes), dict(features.instances))
        self._copied: set[tuple[str, str]] = set()

    def flags(self, name: str, create: bool = True) -> dict[str, Any] | None:
        return self._map(self.features.flags, "f", name, create)

    def attributes(self, name: str, create: bool = True) -> dict[str, str] | None:
        return self._map(self.features.attributes, "a", name, create)

    def _map(self, section: dict, tag: str, name: str, create: bool) -> dict | None:
        if (tag, name) not in self._copied:
            if name not in section and not create:
                return None
            section[name] = dict(section.get(name) or {})
            self._copied.add((tag, name))
        return section[name]


def _set_attribute(edit: _Edit, feature: str, element: str, value: str) -> None:
    if feature == "kernel.version" and element == "full":
        edit.features.attributes["kernel.version"] = version_attributes(value)
        return
    attrs = edit.attributes(feature)
    assert attrs is not None
    attrs[element] = value
    _derive(attrs, feature, element)


def _unset_attribute(edit: _Edit, feature: str, element: str) -> None:
    attrs = edit.attributes(feature, create=False)
    if attrs is not None:
        attrs.pop(element, None)
        _derive(attrs, feature, element)


def _derive(attrs: dict[str, str], feature: str, element: str) -> None:
    """Attributes the gatherer computes from the one that changed."""
    if feature == "system.osrelease" and element == "VERSION_ID":
        attrs.pop("VERSION_ID.major", None)
        attrs.pop("VERSION_ID.minor", None)
        if "VERSION_ID" in attrs:
            derived = parse_os_release(f"VERSION_ID={attrs['VERSION_ID']}\n")
            attrs.update({k: v for k, v in derived.items() if k != "VERSION_ID"})
    elif feature == "memory.hugepages" and element.startswith("hugepages-"):
        attrs["enabled"] = hugepages_enabled(v for k, v in attrs.items() if k.startswith("hugepages-"))


def _load(edit: _Edit, name: str) -> None:
    loaded = edit.flags(LOADED)
    assert loaded is not None
    loaded[name] = {}
    enabled = edit.flags(ENABLED, create=False)  # only where the host reports it (modules.builtin readable)
    if enabled is not None:
        enabled[name] = {}


def _unload(edit: _Edit, name: str) -> None:
    for feature in (LOADED, ENABLED):
        flags = edit.flags(feature, create=False)
        if flags is not None:
            flags.pop(name, None)


@dataclass(frozen=True, slots=True)
class Change:
    """One planned change. `kind`: kernel, load-module, unload-module, set, unset or hardware."""

    kind: str
    target: str  # the release, module, FEATURE.ELEMENT[=VALUE] or hardware file as written
    on: tuple[str, ...] = ()  # host names, globs or groups; empty: every host
    hardware: Features | None = field(default=None, compare=False)  # kind hardware: the new SKU's features

    def describe(self) -> str:
        where = f" on {', '.join(self.on)}" if self.on else ""
        return f"--{self.kind} {self.target}{where}"

    def applies_to(self, host: str, groups: Iterable[str]) -> bool:
        if not self.on:
            return True
        return any(p in groups or fnmatch.fnmatchcase(host, p) for p in self.on)

    def apply(self, features: Features) -> Features:
        edit = _Edit(features)
        if self.kind == "kernel":
            edit.features.attributes["kernel.version"] = version_attributes(self.target)
        elif self.kind == "load-module":
            _load(edit, module_name(self.target))
        elif self.kind == "unload-module":
            _unload(edit, module_name(self.target))
        elif self.kind == "set":
            self._set(edit)
        elif self.kind == "unset":
            self._unset(edit)
        elif self.kind == "hardware":
            self._hardware(edit)
        else:
            raise ChangeError(f"unknown change {self.kind!r}")
        return edit.features

    def _set(self, edit: _Edit) -> None:
        target, has_value, value = self.target.partition("=")
        feature, element = split_target(target)
        if feature in edit.features.instances:
            raise ChangeError(f"--set {self.target}: {feature} is an instance feature (devices); use --hardware")
        if not has_value:  # a flag element: CPU flags, loaded modules
            if feature == LOADED:
                _load(edit, module_name(element))
            else:
                flags = edit.flags(feature)
                assert flags is not None
                flags[element] = {}
        else:
            _set_attribute(edit, feature, element, value)

    def _unset(self, edit: _Edit) -> None:
        feature, element = split_target(self.target)
        if feature == LOADED:
            _unload(edit, module_name(element))
            return
        flags = edit.flags(feature, create=False)
        if flags is not None:
            flags.pop(element, None)
        _unset_attribute(edit, feature, element)

    def _hardware(self, edit: _Edit) -> None:
        assert self.hardware is not None
        new = self.hardware
        for section, replacement in ((edit.features.flags, new.flags), (edit.features.attributes, new.attributes),
                                     (edit.features.instances, new.instances)):
            for name in [n for n in section if is_hardware(n)]:
                del section[name]
            section.update({n: v for n, v in replacement.items() if is_hardware(n)})


def parse_change(kind: str, target: str, on: Sequence[str] = (), hardware: Features | None = None) -> Change:
    """Check a change as written on the command line or in a plan step."""
    if not target or target != target.strip():
        raise ChangeError(f"--{kind}: expected a value without surrounding spaces, got {target!r}")
    if kind in ("set", "unset"):
        split_target(target.partition("=")[0])
        if kind == "unset" and "=" in target:
            raise ChangeError(f"--unset {target}: takes FEATURE.ELEMENT without a value")
    if kind == "kernel" and not version_attributes(target).get("major"):
        raise ChangeError(f"--kernel {target}: not a kernel release (expected e.g. 6.8.0-45-generic)")
    if kind == "hardware" and hardware is None:
        raise ChangeError(f"--hardware {target}: no features loaded")
    return Change(kind, target, tuple(on), hardware)
