"""NFD source `memory` (source/memory/memory.go): numa, swap, nv, hugepages."""

from __future__ import annotations

import errno
import re

from .core import FeatureSink, is_node_dir

NAME = "memory"

_BINARY_SUFFIXES = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DIGITS = re.compile(r"^[0-9]+$")


def kibibytes_quantity(kib: int) -> str:
    """Canonical Kubernetes quantity of `kib` KiB (resource.Quantity String() of "<kib>Ki")."""
    if kib == 0:
        return "0"
    exponent = 0
    while kib % 1024 == 0 and exponent < len(_BINARY_SUFFIXES) - 1:
        kib //= 1024
        exponent += 1
    return f"{kib}{_BINARY_SUFFIXES[exponent]}"


def _numa(ctx) -> dict[str, str] | None:
    """NFD counts sys/bus/node/devices; captures often lack it, so fall back to sys/devices/system/node/node*."""
    nodes = ctx.fs.listdir("sys/bus/node/devices")
    if nodes is None:
        system_nodes = ctx.fs.listdir("sys/devices/system/node")
        if system_nodes is None:
            return None
        nodes = [n for n in system_nodes if is_node_dir(n)]
        if not nodes:
            return None  # no node directories: a kernel without NUMA, like NFD's missing sys/bus/node
    return {"is_numa": "true" if len(nodes) > 1 else "false", "node_count": str(len(nodes))}


def _swap(ctx) -> dict[str, str] | None:
    text = ctx.fs.read("proc/swaps")
    if text is None:
        return None
    lines = sum(1 for line in text.split("\n") if line.strip())
    return {"enabled": "true" if lines > 1 else "false"}  # a header plus at least one entry


def _nv(ctx) -> list[dict[str, str]] | None:
    devices, error = ctx.fs.listdir_error("sys/bus/nd/devices")
    if devices is None:
        return [] if error is not None and error.errno == errno.ENOENT else None
    instances = []
    for name in devices:
        attrs = {"name": name}
        for attr in ("devtype", "mode"):
            value = ctx.fs.value(f"sys/bus/nd/devices/{name}/{attr}")
            if value is not None:
                attrs[attr] = value
        instances.append(attrs)
    return instances


def hugepages_enabled(totals) -> str:
    """`enabled` of memory.hugepages: some size has pages reserved (`totals`: the nr_hugepages texts)."""
    return "true" if any(_DIGITS.match(total) and int(total) > 0 for total in totals) else "false"


def _hugepages(ctx) -> dict[str, str] | None:
    base = "sys/kernel/mm/hugepages"
    hugepages = {"enabled": "false"}
    entries, error = ctx.fs.listdir_error(base)
    if entries is None:
        return hugepages if error is not None and error.errno == errno.ENOENT else None
    for entry in entries:
        if not ctx.fs.isdir(f"{base}/{entry}"):
            continue
        # NFD: TrimRight(TrimPrefix(name, "hugepages-"), "kB") then parse "<size>Ki" as a quantity.
        size = entry[len("hugepages-"):] if entry.startswith("hugepages-") else entry
        size = size.rstrip("kB")
        if not _DIGITS.match(size):
            continue
        total = ctx.fs.value(f"{base}/{entry}/nr_hugepages")
        hugepages["hugepages-" + kibibytes_quantity(int(size))] = total if total is not None else ""
    hugepages["enabled"] = hugepages_enabled(v for k, v in hugepages.items() if k != "enabled")
    return hugepages


def discover(ctx, out: FeatureSink) -> None:
    out.attribute("memory.numa", _numa(ctx))
    out.attribute("memory.swap", _swap(ctx))
    out.instance("memory.nv", _nv(ctx))
    out.attribute("memory.hugepages", _hugepages(ctx))
