"""Every hwloc capture gathers without error, and its features agree with facts read independently:
the fixture README's tables and hwloc's own expected lstopo outputs for the same tree."""

from __future__ import annotations

import re

import pytest

from fleetcompat.hostfeatures import gather
from tests.support.trees import hwloc_expected_outputs, hwloc_tree_names

# From /work/shared/fixtures/hwloc/README.md, tables 1 and 2:
# NUMA node count (None: no node directory, a non-NUMA kernel, so memory.numa is absent), packages
# (None: NFD's topology reader gives up, see the comment), memory.hugepages, and sys/bus/pci/devices entries.
NO_HUGEPAGES = {"enabled": "false"}
TREES = {
    "16amd64-4n4c-cgroup-distance-merge": (4, 4, {"enabled": "true", "hugepages-2Mi": "2048"}, None),
    "16amd64-8n2c": (8, 8, NO_HUGEPAGES, None),
    # Kernels before thread_siblings_list existed: NFD cannot read the topology, so cpu.topology is empty.
    "16em64t-4s2c2t": (1, None, NO_HUGEPAGES, None),
    "20em64t-hybrid-1p6c2t+2ca4co1t": (1, 1, {"enabled": "false", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}, None),
    "20s390-2g6s4c": (None, 1, {"enabled": "false", "hugepages-1Mi": "0"}, None),  # one package id: -1
    "2arm-2c": (None, 1, NO_HUGEPAGES, None),
    "2i386-2c-nohugepage": (None, None, NO_HUGEPAGES, None),
    "2i386-2t-hugepagesizecount": (None, 1, {"enabled": "true", "hugepages-2Mi": "1", "hugepages-16Gi": "1"}, None),
    "2pa-pcidomain32bits": (1, 2, {"enabled": "false", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}, 9),
    "2ps3-2t": (None, None, NO_HUGEPAGES, None),  # no physical_package_id at all
    "32em64t-2n8c+dax+nvme+mic+dimms": (2, 2, {"enabled": "false", "hugepages-2Mi": "0"}, 137),
    "32intel64-2p8co2t+8ve": (2, 2, {"enabled": "true", "hugepages-1Gi": "0", "hugepages-2Mi": "4096"}, 28),
    "40intel64-4n10c+pci-conflicts": (4, 4, NO_HUGEPAGES, 3),
    "48amd64-4pa2n6c-sparse": (8, 4, NO_HUGEPAGES, None),
    "4fake-4gr1nu1pu": (4, None, NO_HUGEPAGES, None),
    "8em64t-2s2ca2c-buggynuma": (8, 2, {"enabled": "false", "hugepages-2Mi": "0"}, None),
    "8ia64-2s2c2t": (1, 2, NO_HUGEPAGES, None),
    "fakeheteromemtiers": (7, 1, {"enabled": "false", "hugepages-2Mi": "0"}, None),
    "fakepcilocalities": (4, 4, NO_HUGEPAGES, 30),
    "nvidia-dgx-gb10": (1, 1, NO_HUGEPAGES, None),
    "nvidiagpunumanodes": (8, 2, {"enabled": "false", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}, 6),
    # sys/bus/node/devices lists the offline node0 (a dangling link) and node1: NFD counts 2.
    # CPUs 0-4 and 21-23 are offline and have no topology/: NFD's reader gives up.
    "offline-cpu0-node0": (2, None, {"enabled": "false", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}, None),
}
ARCHES = {"20s390-2g6s4c": "s390x", "2arm-2c": "arm", "2i386-2c-nohugepage": "386", "2i386-2t-hugepagesizecount": "386",
          "2ps3-2t": "ppc64", "8ia64-2s2c2t": "ia64", "nvidia-dgx-gb10": "arm64", "nvidiagpunumanodes": "ppc64le",
          "4fake-4gr1nu1pu": "unknown"}
X86_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}
# lstopo console:  PCI L#1 (busid=0000:1b:00.0 id=1bcf:001c class=0b40(Co-Processor) ...)
CONSOLE_PCI = re.compile(r"PCI(?:Bridge)? L#\d+ \(busid=(\S+) id=([0-9a-f]{4}):([0-9a-f]{4}) class=([0-9a-f]{4})")
# lstopo XML:  pci_busid="0000:02:00.0" pci_type="0200 [8086:1521] [1028:0000] 01 00"
XML_PCI = re.compile(r'pci_busid="([^"]+)" pci_type="([0-9a-f]{4}) \[([0-9a-f]{4}):([0-9a-f]{4})\] '
                     r'\[([0-9a-f]{4}):([0-9a-f]{4})\]')


@pytest.fixture(scope="module")
def gathered(hwloc_trees):
    return {name: gather(str(root), use_udev=False) for name, root in hwloc_trees.items()}


def attributes(features: dict, name: str) -> dict | None:
    feature = features["attributes"].get(name)
    return None if feature is None else feature["elements"]


def instances(features: dict, name: str) -> list[dict] | None:
    feature = features["instances"].get(name)
    return None if feature is None else [i["attributes"] for i in feature["elements"]]


def test_every_fixture_tree_is_covered():
    assert sorted(TREES) == hwloc_tree_names()


@pytest.mark.parametrize("name", sorted(TREES))
def test_tree_gathers_cleanly(gathered, name):
    features, warnings = gathered[name]
    assert warnings == []
    # Sources that always report something did: nothing was dropped by a failing source.
    for feature in ("cpu.model", "cpu.topology", "kernel.kvm", "memory.hugepages", "system.name", "local.feature"):
        assert feature in features["attributes"], feature
    assert "usb.device" in features["instances"]  # no sys/bus/usb in any capture: present, empty
    assert instances(features, "usb.device") == []
    # No capture has these files: absent, not empty (NFD's distinction).
    for absent in ("kernel.version", "kernel.config", "system.osrelease", "memory.swap"):
        assert absent not in features["attributes"], absent
    assert "kernel.loadedmodule" not in features["flags"]


@pytest.mark.parametrize("name", sorted(TREES))
def test_numa_sockets_hugepages_match_readme(gathered, name):
    features, _ = gathered[name]
    numa, sockets, hugepages, _ = TREES[name]
    if numa is None:
        assert attributes(features, "memory.numa") is None
    else:
        assert attributes(features, "memory.numa") == {"node_count": str(numa), "is_numa": str(numa > 1).lower()}
    topology = attributes(features, "cpu.topology")
    if sockets is None:
        assert topology == {}
    else:
        assert topology["socket_count"] == str(sockets)
    assert attributes(features, "memory.hugepages") == hugepages


@pytest.mark.parametrize("name", sorted(TREES))
def test_arch_and_cpu_identity_match_hwloc(gathered, name):
    features, _ = gathered[name]
    info = attributes(features, "cpu.info")
    assert info["arch"] == ARCHES.get(name, "amd64")
    model = attributes(features, "cpu.model")
    for text in hwloc_expected_outputs(name):
        cpu_models = re.findall(r'CPUModel="([^"]*)"', text)
        if cpu_models:
            assert info["model_name"] == " ".join(cpu_models[0].split())
        vendor = re.search(r'CPUVendor(?:=|" value=")"?(\w+)', text)
        family = re.search(r'CPUFamilyNumber(?:=|" value=")"?(\d+)', text)
        model_number = re.search(r'CPUModelNumber(?:=|" value=")"?(\d+)', text)
        if vendor and vendor.group(1) in X86_VENDORS:
            assert model["vendor_id"] == X86_VENDORS[vendor.group(1)]
        if family and info["arch"] in ("amd64", "386"):
            assert (model["family"], model["id"]) == (family.group(1), model_number.group(1))


@pytest.mark.parametrize("name", [n for n, facts in sorted(TREES.items()) if facts[3]])
def test_pci_devices_match_hwloc(gathered, name):
    features, _ = gathered[name]
    drivers = {d["address"]: d for d in instances(features, "driver.pci")}
    nfd = instances(features, "pci.device")
    assert len(drivers) == TREES[name][3]
    if name == "nvidiagpunumanodes":  # trimmed entries with only `class`: NFD skips all of them
        assert nfd == []
        assert {d["class"] for d in drivers.values()} == {"0300"}
        return
    assert len(nfd) == len(drivers)
    nfd_ids = {(d["class"], d["vendor"], d["device"], d["subsystem_vendor"], d["subsystem_device"]) for d in nfd}
    seen = 0
    for text in hwloc_expected_outputs(name):
        for busid, vendor, device, klass in CONSOLE_PCI.findall(text):
            listed = drivers[busid]
            assert (listed["vendor"], listed["device"], listed["class"]) == (vendor, device, klass)
            seen += 1
        for busid, klass, vendor, device, sub_vendor, sub_device in XML_PCI.findall(text):
            assert (klass, vendor, device, sub_vendor, sub_device) in nfd_ids
            assert drivers[busid]["class"] == klass
            seen += 1
    assert seen > 0


def test_pci_rich_tree_details(gathered):
    features, _ = gathered["32intel64-2p8co2t+8ve"]
    nics = {n["name"]: n for n in instances(features, "network.device")}
    assert set(nics) == {"enp96s0f0", "enp96s0f1"}
    assert (nics["enp96s0f0"]["sriov_totalvfs"], nics["enp96s0f0"]["sriov_numvfs"]) == ("64", "0")
    assert {d["name"]: d["driver"] for d in instances(features, "driver.network")} == {
        "enp96s0f0": "i40e", "enp96s0f1": "i40e"}
    drivers = instances(features, "driver.pci")
    assert [d["driver"] for d in drivers if d["vendor"] == "1bcf"] == ["ve_drv"] * 8  # SX-Aurora vector engines
    assert {d["driver"] for d in drivers if d["vendor"] == "15b3"} == {"mlx5_core"}
    assert attributes(features, "system.dmiid")["product_name"] == "SYS-4029GP-TRT2-1-NE010"
    assert {"AVX512F", "X86_64_V4", "HTT"} <= set(features["flags"]["cpu.cpuid"]["elements"])


def test_dmi_matches_hwloc_machine_line(gathered):
    for name in ("32intel64-2p8co2t+8ve", "20em64t-hybrid-1p6c2t+2ca4co1t"):
        features, _ = gathered[name]
        dmi = attributes(features, "system.dmiid")
        (text,) = hwloc_expected_outputs(name)
        machine = text.split("\n", 1)[0]
        for key, attr in (("DMISysVendor", "sys_vendor"), ("DMIBoardName", "board_name"),
                          ("DMIBIOSVersion", "bios_version")):
            value = re.search(key + r'=("[^"]*"|\S+)', machine).group(1).strip('"').rstrip(")")
            assert dmi[attr] == value


def test_dmi_only_under_class_dmi_is_not_nfd_dmiid(gathered):
    """NFD reads devices/virtual/dmi/id only; older captures have just class/dmi/id."""
    features, _ = gathered["16amd64-4n4c-cgroup-distance-merge"]
    assert attributes(features, "system.dmiid") is None


def test_kvm_guest_tree(gathered):
    features, _ = gathered["2pa-pcidomain32bits"]
    assert attributes(features, "cpu.model")["hypervisor"] == "kvm"  # DMI "CloudStack KVM Hypervisor"
    assert attributes(features, "system.cloud") == {"provider": "cloudstack"}
    virtio_blk = [d for d in instances(features, "driver.pci") if d["address"] == "10000:00:04.0"]
    assert [(d["vendor"], d["device"]) for d in virtio_blk] == [("1af4", "1001")]  # the 32-bit PCI domain
    assert "HYPERVISOR" in features["flags"]["cpu.cpuid"]["elements"]


def test_non_x86_cpuid_names(gathered):
    arm64, _ = gathered["nvidia-dgx-gb10"]
    assert {"SVE", "SVE2", "I8MM", "BF16", "ASIMD"} <= set(arm64["flags"]["cpu.cpuid"]["elements"])
    assert attributes(arm64, "cpu.model")["vendor_id"] == "ARM"
    assert "cpu.cpuid" not in arm64["attributes"]  # the AVX10_VERSION attribute set exists on amd64 only
    arm, _ = gathered["2arm-2c"]
    assert set(arm["flags"]["cpu.cpuid"]["elements"]) == {"SWP", "HALF", "THUMB", "FASTMUL", "VFP", "EDSP", "NEON",
                                                          "VFPv3"}
    s390x, _ = gathered["20s390-2g6s4c"]
    assert attributes(s390x, "cpu.model") == {"vendor_id": "IBM_S390", "family": "279F25", "id": "2817",
                                              "hypervisor": "none"}
    assert "EDAT" in s390x["flags"]["cpu.cpuid"]["elements"]
