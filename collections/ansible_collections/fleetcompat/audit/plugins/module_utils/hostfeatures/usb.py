"""NFD source `usb` (source/usb/): usb.device instances from sys/bus/usb/devices/*/idProduct."""

from __future__ import annotations

from .core import FeatureSink

NAME = "usb"

_FILES = (("class", "bDeviceClass"), ("vendor", "idVendor"), ("device", "idProduct"), ("serial", "serial"))


def _device_instances(fs, name: str) -> list[dict[str, str]] | None:
    rel = "sys/bus/usb/devices/" + name
    attrs = {}
    for attr, file in _FILES:
        value = fs.value(rel + "/" + file)
        if value:
            attrs[attr] = value
    if attrs.get("class") != "00":
        return [attrs]
    # Class 00: the class is defined per interface; one instance per interface (NFD does not de-duplicate).
    instances = []
    for entry in fs.listdir(rel) or ():
        if not fs.lexists(f"{rel}/{entry}/bInterfaceClass"):
            continue
        interface_class = fs.value(f"{rel}/{entry}/bInterfaceClass")
        if interface_class is None:
            return None  # NFD drops the whole device
        instances.append(dict(attrs, **{"class": interface_class}))
    return instances


def discover(ctx, out: FeatureSink) -> None:
    instances = []
    for name in ctx.devices.usb():
        instances.extend(_device_instances(ctx.fs, name) or ())
    out.instance("usb.device", instances)
