"""`gather()`: run the selected feature sources against one root and return NFD's `Features` JSON form.

The Ansible module `fleetcompat.audit.node_features` and the CLI `fleetcompat gather` both call this.
"""

from __future__ import annotations

import json
import os

from . import cloud, cpu, drivers, kernel, local, memory, network, pci, storage, system, usb
from .context import Context
from .core import FeatureSink, HostFS
from .devices import device_backend
from .limits import bounded_features, bounded_warnings

# NFD's sources in NFD's order, then the fleetcompat extension sources.
SOURCES = (cpu, kernel, memory, network, pci, usb, storage, system, local, drivers, cloud)
SOURCE_NAMES = tuple(source.NAME for source in SOURCES)


class SourceSelectionError(ValueError):
    """A `sources` list names something that is not a source."""


def parse_sources(items) -> list[str]:
    """Source names from items like ["all", "-usb"] or ["cpu,kernel"]; exclusions alone start from all."""
    tokens = [t.strip() for item in items for t in str(item).split(",") if t.strip()]
    if not tokens:
        return list(SOURCE_NAMES)
    selected = set() if any(not t.startswith("-") for t in tokens) else set(SOURCE_NAMES)
    for token in tokens:
        exclude = token.startswith("-")
        name = token[1:] if exclude else token
        if name != "all" and name not in SOURCE_NAMES:
            raise SourceSelectionError(
                "unknown source {!r} (valid: all, {}; prefix '-' to exclude)".format(name, ", ".join(SOURCE_NAMES))
            )
        names = SOURCE_NAMES if name == "all" else (name,)
        if exclude:
            selected.difference_update(names)
        else:
            selected.update(names)
    return [name for name in SOURCE_NAMES if name in selected]


def gather(root: str = "/", sources=None, use_udev: bool | None = None, environ=None) -> tuple[dict, list[str]]:
    """(features in NFD JSON form, warnings). One failing source only costs its own features and a warning.

    Element names and values over the limits in `limits` are left out with a warning; warnings are bounded too.

    `sources`: names or selection items as `parse_sources` takes them (None = all).
    `use_udev`: None = use pyudev when importable and `root` is "/", False = sysfs only, True = require udev.
    """
    selected = SOURCE_NAMES if sources is None else parse_sources(sources)
    fs = HostFS(root)
    if not os.path.isdir(fs.root):
        raise NotADirectoryError(f"root {fs.root} is not a directory")
    devices = device_backend(fs, use_udev)
    ctx = Context(fs, devices, environ)
    out = FeatureSink()
    try:
        for source in SOURCES:
            if source.NAME not in selected:
                continue
            part = FeatureSink()
            try:
                source.discover(ctx, part)
            except Exception as exc:  # one broken source must not fail the whole gather
                ctx.warn(f"source {source.NAME} failed, its features are left out: {type(exc).__name__}: {exc}")
                continue
            out.merge(part)
    finally:
        devices.close()
    features, problems = bounded_features(out.to_nfd())  # what the host says about itself, within limits
    return features, bounded_warnings(fs.warnings + problems)


def dumps(features: dict) -> str:
    """JSON text as `nfd export features` prints it: 4-space indent, UTF-8, Go's HTML-safe escapes."""
    text = json.dumps(features, indent=4, ensure_ascii=False)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text + "\n"
