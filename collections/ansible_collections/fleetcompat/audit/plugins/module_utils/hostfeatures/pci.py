"""NFD source `pci` (source/pci/): one pci.device instance per PCI function, in address order."""

from __future__ import annotations

from .core import FeatureSink, trimmed

NAME = "pci"

MANDATORY_ATTRS = ("class", "vendor", "device", "subsystem_vendor", "subsystem_device")
OPTIONAL_ATTRS = ("sriov_totalvfs", "iommu_group/type", "iommu/intel-iommu/version")


def pci_attribute(fs, address: str, attr: str) -> str | None:
    """NFD's reading of one attribute: leading "0x" removed, then trimmed; class cut to 4 hex digits."""
    text = fs.read(f"sys/bus/pci/devices/{address}/{attr}")
    if text is None:
        return None
    value = trimmed(text[2:] if text.startswith("0x") else text)
    return value[:4] if attr == "class" else value


def device_attributes(fs, address: str) -> dict[str, str] | None:
    """The instance NFD reports for `address` (keys are the relative file paths), None if NFD skips it."""
    attrs = {}
    for attr in MANDATORY_ATTRS:
        value = pci_attribute(fs, address, attr)
        if value is None:
            return None
        attrs[attr] = value
    for attr in OPTIONAL_ATTRS:
        value = pci_attribute(fs, address, attr)
        if value is not None:
            attrs[attr] = value
    return attrs


def discover(ctx, out: FeatureSink) -> None:
    addresses = ctx.devices.pci()
    if addresses is None:
        return  # NFD fails the source: pci.device stays absent
    instances = [device_attributes(ctx.fs, address) for address in addresses]
    out.instance("pci.device", [attrs for attrs in instances if attrs is not None])
