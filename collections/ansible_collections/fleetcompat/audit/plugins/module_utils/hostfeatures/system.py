"""NFD source `system` (source/system/system.go): osrelease, name, dmiid."""

from __future__ import annotations

import re

from .core import FeatureSink, trimmed

NAME = "system"

_OS_RELEASE_LINE = re.compile(r"^(\w+)=(.+)", re.ASCII)
_VERSION_ID = re.compile(r"^(\d+)(\.(\d+))?(\..*)?$", re.ASCII)
DMI_ATTRS = (
    "bios_date", "bios_vendor", "bios_version", "board_asset_tag", "board_name", "board_vendor", "board_version",
    "chassis_asset_tag", "chassis_type", "chassis_vendor", "chassis_version", "product_family", "product_name",
    "product_sku", "product_version", "sys_vendor",
)


def parse_os_release(text: str) -> dict[str, str]:
    release = {}
    for line in text.split("\n"):
        match = _OS_RELEASE_LINE.match(line[:-1] if line.endswith("\r") else line)  # bufio.ScanLines drops \r
        if match:
            release[match.group(1)] = match.group(2).strip("\"'")
    version = _VERSION_ID.match(release.get("VERSION_ID", ""))
    if version:
        for key, value in (("VERSION_ID.major", version.group(1)), ("VERSION_ID.minor", version.group(3))):
            if value:
                release[key] = value
    return release


def nodename(ctx) -> str:
    """NFD takes $NODE_NAME (set by Kubernetes); a fleet host without it is named by its hostname."""
    return ctx.environ.get("NODE_NAME") or ctx.fs.value("proc/sys/kernel/hostname") or ""


def discover(ctx, out: FeatureSink) -> None:
    fs = ctx.fs
    text = fs.read("etc/os-release")  # often an absolute symlink: resolved inside the root
    if text is not None:
        out.attribute("system.osrelease", parse_os_release(text))
    out.attribute("system.name", {"nodename": nodename(ctx)})
    dmi = {}
    for attr in DMI_ATTRS:
        value = fs.read_cached("sys/devices/virtual/dmi/id/" + attr)
        if value is not None:
            dmi[attr] = trimmed(value)
    if dmi:
        out.attribute("system.dmiid", dmi)
