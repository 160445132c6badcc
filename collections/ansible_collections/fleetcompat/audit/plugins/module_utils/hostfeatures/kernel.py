"""NFD source `kernel` (source/kernel/): version, config, loadedmodule, enabledmodule, selinux, kvm.

Unlike NFD, /proc/modules, /proc/config.gz and /lib/modules/<ver>/build/.config are read under the root too.
"""

from __future__ import annotations

import re
import zlib

from .core import FeatureSink
from .limits import KCONFIG_LIMIT, MODULE_LIST_LIMIT

NAME = "kernel"

_UNSAFE_VERSION_CHARS = re.compile(r"[^-A-Za-z0-9_.]")
_VERSION = re.compile(r"^(\d+)(\.(\d+))?(\.(\d+))?(-.*)?$", re.ASCII)


def version_attributes(release: str) -> dict[str, str]:
    full = _UNSAFE_VERSION_CHARS.sub("_", release).strip("-_.")
    version = {"full": full}
    match = _VERSION.match(full)
    if match:
        version.update(major=match.group(1), minor=match.group(3) or "", revision=match.group(5) or "")
    return version


def kconfig_paths(release: str | None) -> list[str]:
    """NFD's search order (every path under the root here)."""
    if release is None:
        return ["proc/config.gz", "usr/src/linux/.config"]
    return [
        "proc/config.gz",
        f"usr/src/linux-{release}/.config",
        f"usr/src/linux-rt-{release}/.config",
        "usr/src/linux/.config",
        f"usr/lib/modules/{release}/config",
        f"usr/lib/ostree-boot/config-{release}",
        f"usr/lib/kernel/config-{release}",
        f"usr/src/linux-headers-{release}/.config",
        f"lib/modules/{release}/build/.config",
        f"usr/src/linux-rt-headers-{release}/.config",
        f"boot/config-{release}",
    ]


def _gunzip(ctx, rel: str, raw: bytes) -> bytes | None:
    """Decompressed `raw`, at most KCONFIG_LIMIT bytes of it (a gzip bomb stops there); None if not gzip."""
    inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
    try:
        text = inflater.decompress(raw, KCONFIG_LIMIT + 1)
    except zlib.error:
        return None
    if len(text) > KCONFIG_LIMIT:
        ctx.warn(f"{ctx.fs.path(rel)}: decompresses to more than {KCONFIG_LIMIT} bytes, not read")
        return None
    return text if inflater.eof else None


def read_kconfig(ctx) -> dict[str, str] | None:
    for rel in kconfig_paths(ctx.kernel_release):
        raw = ctx.fs.read_bytes(rel, KCONFIG_LIMIT)
        if raw is not None and rel.endswith(".gz"):
            raw = _gunzip(ctx, rel, raw)
        if raw is None:
            continue  # NFD moves on to the next candidate when a file is missing or gunzip fails
        config = {}
        for line in raw.decode("utf-8", "replace").split("\n"):
            if line.startswith("CONFIG_"):
                name, sep, value = line.partition("=")
                if sep:
                    config[name[7:]] = value.strip('"')
        return config
    return None


def _loaded_modules(ctx) -> list[str] | None:
    text = ctx.fs.read("proc/modules", MODULE_LIST_LIMIT)
    if text is None:
        return None
    return [line.split()[0] for line in text.split("\n") if line.strip()]


def _builtin_modules(ctx) -> list[str] | None:
    if ctx.kernel_release is None:
        return None
    text = ctx.fs.read(f"lib/modules/{ctx.kernel_release}/modules.builtin", MODULE_LIST_LIMIT)
    if text is None:
        return None
    builtins = []
    for line in text.split("\n"):
        line = line.strip()
        if line.endswith(".ko"):
            builtins.append(line.rsplit("/", 1)[-1][:-3])
    return builtins


def _selinux(ctx) -> dict[str, str] | None:
    fs = ctx.fs
    if not fs.exists("sys/fs"):
        return None
    if not fs.lexists("sys/fs/selinux"):
        return {"enabled": "false"}
    status = fs.read("sys/fs/selinux/enforce")
    if not status:
        return None
    return {"enabled": "true" if status[0] == "1" else "false"}


def discover(ctx, out: FeatureSink) -> None:
    if ctx.kernel_release is not None:
        out.attribute("kernel.version", version_attributes(ctx.kernel_release))
    out.attribute("kernel.config", read_kconfig(ctx))
    loaded = _loaded_modules(ctx)
    out.flag("kernel.loadedmodule", loaded)
    builtins = _builtin_modules(ctx)
    if builtins is not None:  # NFD leaves enabledmodule out entirely without modules.builtin
        out.flag("kernel.enabledmodule", (loaded or []) + builtins)
    out.attribute("kernel.selinux", _selinux(ctx))
    out.attribute("kernel.kvm", {"enabled": "true" if ctx.fs.exists("sys/devices/virtual/misc/kvm") else "false"})
