"""Which features exist: NFD's feature sources (reference §4) and fleetcompat's extensions.

Used by `spec lint` to warn about features no source produces, elements a fixed-key feature never has, ops
that cannot match a flag, and specs that use fleetcompat extensions (not portable to NFD). The extension list
here is the one place that names them; docs/extensions.md explains each.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetcompat.hostfeatures.extensions import EXTENSION_FEATURES as GATHERED_EXTENSIONS

FLAG, ATTRIBUTE, INSTANCE = "flag", "attribute", "instance"


@dataclass(frozen=True, slots=True)
class FeatureInfo:
    name: str
    kinds: frozenset[str]
    # Known element keys (attributes) or instance attribute names; None = open-ended (module names, kconfig, ...).
    elements: frozenset[str] | None = None
    extension: bool = False  # produced by fleetcompat only; NFD never has it


def _f(name: str, kinds: str, elements: str | None = None, *, extension: bool = False) -> FeatureInfo:
    return FeatureInfo(
        name, frozenset(kinds.split()), frozenset(elements.split()) if elements is not None else None, extension
    )


NFD_FEATURES: tuple[FeatureInfo, ...] = (
    _f("cpu.cpuid", "flag attribute"),
    _f("cpu.model", "attribute", "vendor_id family id hypervisor"),
    _f("cpu.cstate", "attribute", "enabled"),
    _f("cpu.pstate", "attribute", "status turbo scaling_governor"),
    _f("cpu.rdt", "attribute", "RDTMON RDTCMT RDTMBM RDTL3CA RDTL3CA_NUM_CLOSID RDTL2CA RDTMBA"),
    _f("cpu.security", "attribute", "sgx.enabled sgx.epc tdx.enabled tdx.total_keys tdx.protected sev.enabled "
       "sev.asids sev.es.enabled sev.encrypted_state_ids sev.snp.enabled se.enabled"),
    _f("cpu.sst", "attribute", "bf.enabled"),
    _f("cpu.topology", "attribute", "hardware_multithreading socket_count"),
    _f("cpu.coprocessor", "attribute", "nx_gzip"),
    _f("kernel.config", "attribute"),
    _f("kernel.version", "attribute", "full major minor revision"),
    _f("kernel.loadedmodule", "flag"),
    _f("kernel.enabledmodule", "flag"),
    _f("kernel.selinux", "attribute", "enabled"),
    _f("kernel.kvm", "attribute", "enabled"),
    _f("memory.numa", "attribute", "is_numa node_count"),
    _f("memory.swap", "attribute", "enabled"),
    _f("memory.nv", "instance", "name devtype mode"),
    _f("memory.hugepages", "attribute"),
    _f("network.device", "instance", "name operstate speed sriov_numvfs sriov_totalvfs mtu"),
    _f("network.virtual", "instance", "name operstate speed mtu"),
    _f("pci.device", "instance", "class vendor device subsystem_vendor subsystem_device sriov_totalvfs "
       "iommu_group/type iommu/intel-iommu/version"),
    _f("usb.device", "instance", "class vendor device serial"),
    _f("storage.block", "instance", "name dax rotational nr_zones zoned"),
    _f("system.osrelease", "attribute"),
    _f("system.name", "attribute", "nodename"),
    _f("system.dmiid", "attribute", "bios_date bios_vendor bios_version board_asset_tag board_name board_vendor "
       "board_version chassis_asset_tag chassis_type chassis_vendor chassis_version product_family product_name "
       "product_sku product_version sys_vendor"),
    _f("local.label", "attribute"),
    _f("local.feature", "attribute"),
    _f("rule.matched", "attribute"),
)

# fleetcompat extensions: extra features and extra attributes on NFD's own instances. Registered by the
# gatherer (`register_extension`) so this list and what the gatherer produces cannot drift apart.
EXTENSION_FEATURES: dict[str, FeatureInfo] = {}
EXTENSION_ATTRIBUTES: dict[str, frozenset[str]] = {}


def register_extension(info: FeatureInfo) -> None:
    EXTENSION_FEATURES[info.name] = info


def register_extension_attributes(feature: str, names: str) -> None:
    EXTENSION_ATTRIBUTES[feature] = EXTENSION_ATTRIBUTES.get(feature, frozenset()) | frozenset(names.split())


def lookup(name: str) -> FeatureInfo | None:
    name = name.lower()
    for info in NFD_FEATURES:
        if info.name == name:
            return info
    return EXTENSION_FEATURES.get(name)


# The gatherer's own list, registered whenever the catalog is imported.
for _name, _kinds, _elements in GATHERED_EXTENSIONS:
    register_extension(_f(_name, _kinds, _elements, extension=True))
