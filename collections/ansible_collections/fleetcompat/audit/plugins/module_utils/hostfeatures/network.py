"""NFD source `network` (source/network/network.go): network.device and network.virtual instances."""

from __future__ import annotations

from .core import FeatureSink

NAME = "network"

_DEVICE_ATTRS = ("operstate", "speed", "device/sriov_numvfs", "device/sriov_totalvfs", "mtu")
_VIRTUAL_ATTRS = ("operstate", "speed", "mtu")


def _read_attrs(ctx, rel: str, name: str, files) -> dict[str, str]:
    attrs = {"name": name}
    for file in files:
        value = ctx.fs.value(rel + "/" + file)
        if value is not None:  # unreadable attributes (e.g. speed of a down link) are left out
            attrs[file.rsplit("/", 1)[-1]] = value
    return attrs


def discover(ctx, out: FeatureSink) -> None:
    interfaces = ctx.devices.net()
    if interfaces is None:
        return  # NFD fails the source; the listing error (if not "missing") is already a warning
    devices, virtual = [], []
    for name in interfaces:
        rel = "sys/class/net/" + name
        # os.Stat follows the `device` link: a dangling one makes the interface virtual, as in NFD.
        if ctx.fs.exists(rel + "/device"):
            devices.append(_read_attrs(ctx, rel, name, _DEVICE_ATTRS))
        else:
            virtual.append(_read_attrs(ctx, rel, name, _VIRTUAL_ATTRS))
    out.instance("network.device", devices)
    out.instance("network.virtual", virtual)
