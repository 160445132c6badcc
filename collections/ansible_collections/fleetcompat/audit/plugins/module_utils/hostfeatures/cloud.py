"""Extension source `cloud` (`system.cloud`): cloud provider and instance type from DMI alone, plus the
hypervisor-vendor hints `cpu.model.hypervisor` needs because we cannot read CPUID leaf 0x40000000.

No metadata service is contacted: only what the platform writes into DMI tables and sysfs.
"""

from __future__ import annotations

import re

from .core import FeatureSink

NAME = "cloud"

# (provider, DMI attribute, full-match pattern); first match wins.
_PROVIDER_RULES = (
    ("aws", "sys_vendor", r"Amazon EC2"),
    ("aws", "bios_vendor", r"Amazon EC2"),
    ("aws", "bios_version", r".*\bamazon\b.*"),  # Xen-based EC2 generations
    ("azure", "chassis_asset_tag", r"7783-7084-3265-9085-8269-3286-77"),
    ("gcp", "sys_vendor", r"Google"),
    ("gcp", "product_name", r"Google Compute Engine"),
    ("openstack", "product_name", r"OpenStack (Nova|Compute)"),
    ("openstack", "sys_vendor", r"OpenStack Foundation"),
    ("oracle", "chassis_asset_tag", r"OracleCloud\.com"),
    ("alibaba", "sys_vendor", r"Alibaba Cloud"),
    ("alibaba", "product_name", r"Alibaba Cloud ECS"),
    ("tencent", "sys_vendor", r"Tencent Cloud"),
    ("digitalocean", "sys_vendor", r"DigitalOcean"),
    ("hetzner", "sys_vendor", r"Hetzner"),
    ("scaleway", "sys_vendor", r"Scaleway"),
    ("vultr", "sys_vendor", r"Vultr"),
    ("linode", "sys_vendor", r"Linode|Akamai"),
    ("exoscale", "product_name", r"Exoscale.*"),
    ("cloudstack", "product_name", r"CloudStack KVM Hypervisor"),
)
# EC2 (Nitro) writes the instance type into product_name: m5.large, c7gn.16xlarge, u-6tb1.metal.
_EC2_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")

_DMI_HINT_FIELDS = ("sys_vendor", "product_name", "bios_vendor", "bios_version", "board_vendor")


def detect_cloud(ctx) -> dict[str, str]:
    for provider, field, pattern in _PROVIDER_RULES:
        value = ctx.dmi(field)
        if value and re.fullmatch(pattern, value, re.IGNORECASE):
            cloud = {"provider": provider}
            product = ctx.dmi("product_name") or ""
            if provider == "aws" and ctx.dmi("sys_vendor") == "Amazon EC2" and _EC2_INSTANCE_TYPE.fullmatch(product):
                cloud["instance_type"] = product
            return cloud
    return {}


def hypervisor_from_hints(ctx) -> str:
    """klauspost's lower-cased hypervisor vendor, guessed from what the guest kernel and firmware expose.

    NFD reads the CPUID 0x40000000 signature. We use, in order: paravirtual clocksources and buses (they name
    the hypervisor interface the kernel actually uses), /sys/hypervisor, then DMI strings. "unknown" when
    nothing identifies it (NFD says "unknown" for an empty signature).
    """
    fs = ctx.fs
    clocks = (fs.value("sys/devices/system/clocksource/clocksource0/available_clocksource") or "").split()
    if "kvm-clock" in clocks:
        return "kvm"
    if any(c.startswith("hyperv_clocksource") for c in clocks) or fs.isdir("sys/bus/vmbus"):
        return "msvm"
    if "xen" in clocks or fs.value("sys/hypervisor/type") == "xen":
        return "xenhvm"
    dmi = " ".join(ctx.dmi(field) or "" for field in _DMI_HINT_FIELDS).lower()
    for needle, vendor in (("vmware", "vmware"), ("bhyve", "bhyve"), ("microsoft", "msvm"), ("xen", "xenhvm"),
                           ("kvm", "kvm"), ("amazon ec2", "kvm"), ("google", "kvm"), ("openstack", "kvm"),
                           ("qemu", "qemu"), ("virtualbox", "VBoxVBoxVBox"), ("innotek", "VBoxVBoxVBox"),
                           ("parallels", "prl_hyperv_"), ("acrn", "acrn"), ("qnx", "qnx")):
        if needle in dmi:
            return vendor
    return "unknown"


def discover(ctx, out: FeatureSink) -> None:
    out.attribute("system.cloud", detect_cloud(ctx))
