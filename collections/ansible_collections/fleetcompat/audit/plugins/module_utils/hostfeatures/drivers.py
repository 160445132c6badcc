"""Extension source `drivers`: which driver runs each PCI device and NIC, and loaded module/driver versions.

NFD has no such data. The features are new names (driver.pci, driver.network, driver.nvidia,
kernel.moduleversion, kernel.modulesrcversion) rather than extra attributes on NFD's pci.device and
network.device instances, so every NFD spec, including matchName over instance attribute names and
templates that print whole instances, evaluates exactly as in NFD. docs/extensions.md has the details.
"""

from __future__ import annotations

import re

from .core import FeatureSink
from .pci import MANDATORY_ATTRS, pci_attribute

NAME = "drivers"

_NVIDIA_VERSION = re.compile(r"NVRM version:.*?\s(\d+\.\d+(?:\.\d+)*)\s")


def _module_version(fs, module: str | None, driver: str | None) -> tuple[str | None, str | None]:
    """(module, version): the driver's module, else a module named like the (built-in) driver."""
    candidates = [module] if module else []
    if driver:
        candidates.append(driver.replace("-", "_"))
    for name in candidates:
        version = fs.value(f"sys/module/{name}/version")
        if version is not None:
            return name, version
    return module, None


def _driver_attrs(fs, bus: str | None, driver: str | None, module: str | None) -> dict[str, str]:
    attrs = {}
    if driver:
        attrs["driver"] = driver
        if not module and bus:
            module = fs.link_name(f"sys/bus/{bus}/drivers/{driver}/module")
    module, version = _module_version(fs, module, driver)
    if module:
        attrs["module"] = module
    if version:
        attrs["version"] = version
    return attrs


def pci_drivers(ctx) -> list[dict[str, str]] | None:
    fs = ctx.fs
    addresses = ctx.devices.pci()
    if addresses is None:
        return None
    instances = []
    for address in addresses:
        attrs = {"address": address}
        for attr in MANDATORY_ATTRS:
            value = pci_attribute(fs, address, attr)
            if value is not None:
                attrs[attr] = value
        driver = ctx.devices.driver("pci", "sys/bus/pci/devices/" + address, address)
        attrs.update(_driver_attrs(fs, "pci", driver, None))
        vendor_name, device_name = ctx.devices.names("pci", address)
        if vendor_name:
            attrs["vendor_name"] = vendor_name
        if device_name:
            attrs["device_name"] = device_name
        instances.append(attrs)
    return instances


def network_drivers(ctx) -> list[dict[str, str]] | None:
    fs = ctx.fs
    interfaces = ctx.devices.net()
    if interfaces is None:
        return None
    instances = []
    for name in interfaces:
        device = f"sys/class/net/{name}/device"
        if not fs.lexists(device):
            continue  # virtual interface: no device, no driver
        attrs = {"name": name}
        address, bus = fs.link_name(device), fs.link_name(device + "/subsystem")
        if address:
            attrs["address"] = address
        if bus:
            attrs["bus"] = bus
        attrs.update(_driver_attrs(fs, bus, fs.link_name(device + "/driver"), fs.link_name(device + "/driver/module")))
        instances.append(attrs)
    return instances


def module_attributes(ctx, file: str) -> dict[str, str] | None:
    """{module: content of sys/module/<module>/<file>} for every module that has the file."""
    modules = ctx.fs.listdir("sys/module")
    if modules is None:
        return None
    values = {}
    for module in modules:
        value = ctx.fs.value(f"sys/module/{module}/{file}")
        if value:
            values[module] = value
    return values


def nvidia_driver(ctx) -> dict[str, str] | None:
    text = ctx.fs.read("proc/driver/nvidia/version") or ""
    match = _NVIDIA_VERSION.search(text + " ")
    version = match.group(1) if match else ctx.fs.value("sys/module/nvidia/version")
    if not version:
        return None
    return {"version": version, "major": version.split(".", 1)[0]}


def discover(ctx, out: FeatureSink) -> None:
    out.instance("driver.pci", pci_drivers(ctx))
    out.instance("driver.network", network_drivers(ctx))
    for feature, file in (("kernel.moduleversion", "version"), ("kernel.modulesrcversion", "srcversion")):
        out.attribute(feature, module_attributes(ctx, file))
    out.attribute("driver.nvidia", nvidia_driver(ctx))
