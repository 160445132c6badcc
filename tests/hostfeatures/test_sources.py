"""Each feature source against small host trees built for the case (NFD semantics, absent vs empty)."""

from __future__ import annotations

import gzip
import os

import pytest

from fleetcompat.hostfeatures import SourceSelectionError, gather, parse_sources
from fleetcompat.hostfeatures import collect as collect_module
from fleetcompat.hostfeatures.core import HostFS
from fleetcompat.hostfeatures.cpuid import x64_level, x86_flags

BASE_X86 = frozenset("fpu cx8 sep cmov mmx fxsr sse sse2 syscall nx lm".split())


def run(root, sources, **kwargs):
    features, warnings = gather(str(root), sources, use_udev=False, environ=kwargs.pop("environ", {}), **kwargs)
    return features, warnings


def attrs(features, name):
    feature = features["attributes"].get(name)
    return None if feature is None else feature["elements"]


def insts(features, name):
    feature = features["instances"].get(name)
    return None if feature is None else [i["attributes"] for i in feature["elements"]]


def link(root, rel, target):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


# --- kernel -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("release", "expected"), [
    ("6.8.0-45-generic\n", {"full": "6.8.0-45-generic", "major": "6", "minor": "8", "revision": "0"}),
    ("6.8\n", {"full": "6.8", "major": "6", "minor": "8", "revision": ""}),
    ("4.18.0-553.el8_10.x86_64", {"full": "4.18.0-553.el8_10.x86_64", "major": "4", "minor": "18", "revision": "0"}),
    ("5.15.0+git #1", {"full": "5.15.0_git__1"}),  # sanitised; no longer matches the version pattern
])
def test_kernel_version(make_root, release, expected):
    features, _ = run(make_root({"proc/sys/kernel/osrelease": release}), ["kernel"])
    assert attrs(features, "kernel.version") == expected


def test_kernel_config_search_order_and_values(make_root):
    boot = "CONFIG_FROM_BOOT=y\n"
    gz = gzip.compress(b'CONFIG_NO_HZ=y\nCONFIG_MODULE=m\nCONFIG_HZ=250\nCONFIG_CMDLINE="quiet splash"\n'
                       b"# CONFIG_DEBUG is not set\nNOT_CONFIG=1\n")
    root = make_root({"proc/sys/kernel/osrelease": "6.1.0\n", "proc/config.gz": gz, "boot/config-6.1.0": boot})
    features, _ = run(root, ["kernel"])
    assert attrs(features, "kernel.config") == {"NO_HZ": "y", "MODULE": "m", "HZ": "250", "CMDLINE": "quiet splash"}
    (root / "proc/config.gz").unlink()
    features, _ = run(root, ["kernel"])
    assert attrs(features, "kernel.config") == {"FROM_BOOT": "y"}
    (root / "boot/config-6.1.0").unlink()
    features, _ = run(root, ["kernel"])
    assert "kernel.config" not in features["attributes"]


def test_kernel_modules_loaded_and_enabled(make_root):
    root = make_root({
        "proc/sys/kernel/osrelease": "6.1.0\n",
        "proc/modules": "vfio_pci 16384 0 - Live 0x0\nmlx5_core 2039808 1 mlx5_ib, Live 0x0\n\n",
        "lib/modules/6.1.0/modules.builtin": "kernel/drivers/block/loop.ko\nkernel/fs/ext4/ext4.ko\nnot-a-module\n",
    })
    features, _ = run(root, ["kernel"])
    assert set(features["flags"]["kernel.loadedmodule"]["elements"]) == {"vfio_pci", "mlx5_core"}
    assert set(features["flags"]["kernel.enabledmodule"]["elements"]) == {"vfio_pci", "mlx5_core", "loop", "ext4"}
    (root / "lib/modules/6.1.0/modules.builtin").unlink()
    features, _ = run(root, ["kernel"])
    assert "kernel.enabledmodule" not in features["flags"]  # NFD drops it entirely without modules.builtin
    (root / "proc/modules").unlink()
    features, _ = run(root, ["kernel"])
    assert features["flags"] == {}


def test_kernel_selinux_and_kvm(make_root, tmp_path):
    features, _ = run(tmp_path, ["kernel"])
    assert "kernel.selinux" not in features["attributes"]  # no sys/fs at all
    assert attrs(features, "kernel.kvm") == {"enabled": "false"}
    root = make_root({"sys/fs/cgroup/x": "", "sys/devices/virtual/misc/kvm/dev": "10:232\n"})
    features, _ = run(root, ["kernel"])
    assert attrs(features, "kernel.selinux") == {"enabled": "false"}
    assert attrs(features, "kernel.kvm") == {"enabled": "true"}
    make_root({"sys/fs/selinux/enforce": "1"})
    features, _ = run(root, ["kernel"])
    assert attrs(features, "kernel.selinux") == {"enabled": "true"}


# --- system -----------------------------------------------------------------------------------------------------

def test_os_release_through_absolute_symlink_stays_in_root(make_root):
    root = make_root({"usr/lib/os-release": 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n'
                                            "PRETTY_NAME='Ubuntu 22.04 LTS'\n# comment\nBAD LINE\n"})
    link(root, "etc/os-release", "/usr/lib/os-release")  # absolute: must resolve below root, not on this machine
    features, _ = run(root, ["system"])
    assert attrs(features, "system.osrelease") == {
        "NAME": "Ubuntu", "ID": "ubuntu", "VERSION_ID": "22.04", "PRETTY_NAME": "Ubuntu 22.04 LTS",
        "VERSION_ID.major": "22", "VERSION_ID.minor": "04"}


def test_nodename_env_then_hostname(make_root, tmp_path):
    features, _ = run(tmp_path, ["system"])
    assert attrs(features, "system.name") == {"nodename": ""}
    root = make_root({"proc/sys/kernel/hostname": "gpu-node-7\n"})
    features, _ = run(root, ["system"])
    assert attrs(features, "system.name") == {"nodename": "gpu-node-7"}
    features, _ = run(root, ["system"], environ={"NODE_NAME": "k8s-name"})
    assert attrs(features, "system.name") == {"nodename": "k8s-name"}


def test_dmiid_reads_devices_virtual_only(make_root):
    root = make_root({"sys/class/dmi/id/sys_vendor": "Dell Inc.\n"})
    features, _ = run(root, ["system"])
    assert "system.dmiid" not in features["attributes"]
    make_root({"sys/devices/virtual/dmi/id/sys_vendor": "Dell Inc.\n", "sys/devices/virtual/dmi/id/product_name":
               "PowerEdge R640\n", "sys/devices/virtual/dmi/id/product_serial": "SECRET\n"})
    features, _ = run(root, ["system"])
    assert attrs(features, "system.dmiid") == {"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R640"}


# --- cloud and hypervisor -----------------------------------------------------------------------------------------

DMI = "sys/devices/virtual/dmi/id/"


@pytest.mark.parametrize(("dmi", "cloud"), [
    ({"sys_vendor": "Amazon EC2", "product_name": "m5.large", "bios_vendor": "Amazon EC2"},
     {"provider": "aws", "instance_type": "m5.large"}),
    ({"sys_vendor": "Xen", "product_name": "HVM domU", "bios_version": "4.11.amazon"}, {"provider": "aws"}),
    ({"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine",
      "chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77"}, {"provider": "azure"}),
    ({"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"}, {}),  # Hyper-V, not Azure
    ({"sys_vendor": "Google", "product_name": "Google Compute Engine"}, {"provider": "gcp"}),
    ({"sys_vendor": "OpenStack Foundation", "product_name": "OpenStack Nova"}, {"provider": "openstack"}),
    ({"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R640"}, {}),
])
def test_cloud_provider_from_dmi(make_root, dmi, cloud):
    root = make_root({DMI + k: v + "\n" for k, v in dmi.items()})
    features, _ = run(root, ["cloud"])
    assert attrs(features, "system.cloud") == cloud


X86_GUEST = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nflags\t\t: fpu sep syscall hypervisor\n"


@pytest.mark.parametrize(("files", "hypervisor"), [
    ({}, "unknown"),
    ({"sys/devices/system/clocksource/clocksource0/available_clocksource": "tsc kvm-clock\n"}, "kvm"),
    ({"sys/bus/vmbus/devices/x": ""}, "msvm"),
    ({"sys/hypervisor/type": "xen\n"}, "xenhvm"),
    ({DMI + "sys_vendor": "VMware, Inc.\n"}, "vmware"),
    ({DMI + "sys_vendor": "Amazon EC2\n"}, "kvm"),
    ({DMI + "sys_vendor": "QEMU\n"}, "qemu"),
])
def test_hypervisor_hints(make_root, files, hypervisor):
    root = make_root({"proc/cpuinfo": X86_GUEST, **files})
    features, _ = run(root, ["cpu"])
    assert attrs(features, "cpu.model")["hypervisor"] == hypervisor


def test_bare_metal_has_no_hypervisor(make_root):
    root = make_root({"proc/cpuinfo": X86_GUEST.replace(" hypervisor", ""), DMI + "sys_vendor": "QEMU\n"})
    features, _ = run(root, ["cpu"])
    assert attrs(features, "cpu.model")["hypervisor"] == "none"


# --- drivers ------------------------------------------------------------------------------------------------------

def test_pci_and_network_drivers_with_versions(make_root):
    dev = "sys/devices/pci0000:00/0000:3b:00.0/"
    root = make_root({
        dev + "vendor": "0x15b3\n", dev + "device": "0x1017\n", dev + "class": "0x020000\n",
        dev + "subsystem_vendor": "0x15b3\n", dev + "subsystem_device": "0x0020\n",
        "sys/module/mlx5_core/version": "5.8-1.0.1\n", "sys/module/mlx5_core/srcversion": "ABCDEF0123\n",
        "sys/module/nvidia/version": "550.54.14\n",
        "sys/devices/pci0000:00/0000:3b:00.0/net/ens1f0/operstate": "up\n",
    })
    link(root, "sys/bus/pci/devices/0000:3b:00.0", "../../../devices/pci0000:00/0000:3b:00.0")
    link(root, dev + "driver", "../../../bus/pci/drivers/mlx5_core")
    link(root, "sys/bus/pci/drivers/mlx5_core/module", "../../../../module/mlx5_core")
    link(root, dev + "subsystem", "../../../bus/pci")
    link(root, "sys/class/net/ens1f0", "../../devices/pci0000:00/0000:3b:00.0/net/ens1f0")
    link(root, dev + "net/ens1f0/device", "../../../0000:3b:00.0")
    features, _ = run(root, ["drivers", "network", "pci"])
    assert insts(features, "driver.pci") == [{
        "address": "0000:3b:00.0", "class": "0200", "vendor": "15b3", "device": "1017", "subsystem_vendor": "15b3",
        "subsystem_device": "0020", "driver": "mlx5_core", "module": "mlx5_core", "version": "5.8-1.0.1"}]
    assert insts(features, "driver.network") == [{
        "name": "ens1f0", "address": "0000:3b:00.0", "bus": "pci", "driver": "mlx5_core", "module": "mlx5_core",
        "version": "5.8-1.0.1"}]
    assert attrs(features, "kernel.moduleversion") == {"mlx5_core": "5.8-1.0.1", "nvidia": "550.54.14"}
    assert attrs(features, "kernel.modulesrcversion") == {"mlx5_core": "ABCDEF0123"}
    assert attrs(features, "driver.nvidia") == {"version": "550.54.14", "major": "550"}
    # NFD's own instances are untouched by the extension: no driver attribute on pci.device / network.device.
    assert insts(features, "pci.device") == [{"class": "0200", "vendor": "15b3", "device": "1017",
                                              "subsystem_vendor": "15b3", "subsystem_device": "0020"}]
    assert insts(features, "network.device") == [{"name": "ens1f0", "operstate": "up"}]


@pytest.mark.parametrize(("text", "version"), [
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
     "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n", "550.54.14"),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  Release Build  "
     "(dvs-builder@U16-I3-B03-4-3)  Fri Aug 16 21:42:42 UTC 2024\n", "560.35.03"),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  580.95.05  Release Build", "580.95.05"),
])
def test_nvidia_driver_version_from_proc(make_root, text, version):
    features, _ = run(make_root({"proc/driver/nvidia/version": text}), ["drivers"])
    assert attrs(features, "driver.nvidia") == {"version": version, "major": version.split(".")[0]}


def test_no_nvidia_driver_means_absent(tmp_path):
    features, _ = run(tmp_path, ["drivers"])
    assert "driver.nvidia" not in features["attributes"]
    assert "kernel.moduleversion" not in features["attributes"]  # no sys/module at all


# --- usb, network, storage ---------------------------------------------------------------------------------------

def test_usb_devices_and_interface_classes(make_root):
    usb = "sys/bus/usb/devices/"
    root = make_root({
        usb + "usb1/idProduct": "0002\n", usb + "usb1/idVendor": "1d6b\n", usb + "usb1/bDeviceClass": "09\n",
        usb + "usb1/serial": "0000:00:14.0\n",
        usb + "1-1/idProduct": "c52b\n", usb + "1-1/idVendor": "046d\n", usb + "1-1/bDeviceClass": "00\n",
        usb + "1-1/serial": "\n",
        usb + "1-1/1-1:1.0/bInterfaceClass": "03\n", usb + "1-1/1-1:1.1/bInterfaceClass": "03\n",
        usb + "1-1:1.0/bInterfaceClass": "03\n",  # an interface entry: no idProduct, not a device
    })
    features, _ = run(root, ["usb"])
    assert insts(features, "usb.device") == [
        {"class": "03", "vendor": "046d", "device": "c52b"},
        {"class": "03", "vendor": "046d", "device": "c52b"},
        {"class": "09", "vendor": "1d6b", "device": "0002", "serial": "0000:00:14.0"},
    ]


def test_network_device_virtual_and_bonding_masters(make_root):
    root = make_root({
        "sys/class/net/bonding_masters": "bond0\n",
        "sys/class/net/eth0/device/sriov_totalvfs": "8\n", "sys/class/net/eth0/device/sriov_numvfs": "2\n",
        "sys/class/net/eth0/operstate": "up\n", "sys/class/net/eth0/speed": "25000\n", "sys/class/net/eth0/mtu": "9000",
        "sys/class/net/bond0/operstate": "down\n", "sys/class/net/bond0/mtu": "1500\n",
    })
    link(root, "sys/class/net/dangling/device", "../../nowhere")
    features, _ = run(root, ["network"])
    assert insts(features, "network.device") == [{"name": "eth0", "operstate": "up", "speed": "25000",
                                                  "sriov_numvfs": "2", "sriov_totalvfs": "8", "mtu": "9000"}]
    assert insts(features, "network.virtual") == [{"name": "bond0", "operstate": "down", "mtu": "1500"},
                                                  {"name": "dangling"}]


def test_listing_failures_leave_instance_features_absent(tmp_path):
    features, warnings = run(tmp_path, ["network", "pci", "storage", "usb", "memory"])
    assert set(features["instances"]) == {"usb.device", "memory.nv"}  # both "never fail" in NFD
    assert insts(features, "usb.device") == [] and insts(features, "memory.nv") == []
    assert warnings == []


# --- cpu ---------------------------------------------------------------------------------------------------------

def test_x86_flag_dependencies_follow_klauspost():
    assert "AVX2" not in x86_flags(BASE_X86 | {"avx2"}, "Intel", 6, 85, 1)
    assert "AVX2" in x86_flags(BASE_X86 | {"avx", "avx2"}, "Intel", 6, 85, 1)
    assert "FMA3" not in x86_flags(BASE_X86 | {"fma"}, "Intel", 6, 85, 1)  # needs OSXSAVE (shown as xsave)
    assert "AMXFP8" not in x86_flags(BASE_X86 | {"pku"}, "Intel", 6, 85, 1)
    assert "AMXFP8" in x86_flags(BASE_X86 | {"pku", "avx512f"}, "Intel", 6, 85, 1)  # klauspost's PKU-bit quirk
    assert "IBRS" not in x86_flags(BASE_X86 | {"ibrs"}, "Intel", 6, 85, 1)
    assert "IBRS" in x86_flags(BASE_X86 | {"ibrs"}, "AMD", 25, 1, 1)
    assert "SEV" not in x86_flags(BASE_X86 | {"sev"}, "Intel", 6, 85, 1)
    assert {"TSA_L1_NO", "TSA_SQ_NO"} <= x86_flags(BASE_X86, "AMD", 23, 49, 1)
    assert "HTT" in x86_flags(BASE_X86 | {"ht"}, "Intel", 6, 85, 2)
    assert "HTT" not in x86_flags(BASE_X86 | {"ht"}, "Intel", 6, 85, 1)
    assert "AVXSLOW" in x86_flags(BASE_X86 | {"xsave", "avx"}, "Intel", 6, 45, 1)


def test_x86_64_levels():
    v2 = BASE_X86 | {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}
    v3 = v2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
    v4 = v3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
    for flags, level in ((BASE_X86, 1), (v2, 2), (v3, 3), (v4, 4), (BASE_X86 - {"syscall", "sep"}, 0)):
        names = x86_flags(flags, "Intel", 6, 85, 1)
        assert x64_level(names) == level
        assert {n for n in names if n.startswith("X86_64_V")} == {f"X86_64_V{i}" for i in range(1, level + 1)}


def test_cpu_power_and_rdt_from_sysfs(make_root):
    cpu = "sys/devices/system/cpu/"
    root = make_root({
        "proc/cpuinfo": "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 106\n"
                        "model name\t: Intel(R) Xeon(R) Gold 6338N CPU @ 2.20GHz\nsiblings\t: 2\ncpu cores\t: 1\n"
                        "flags\t\t: fpu sep syscall ht cqm cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local rdt_a "
                        "cat_l3 mba\n",
        cpu + "cpuidle/current_driver": "intel_idle\n", "sys/module/intel_idle/parameters/max_cstate": "9\n",
        cpu + "intel_pstate/status": "active\n", cpu + "intel_pstate/no_turbo": "0\n",
        cpu + "cpufreq/policy0/affected_cpus": "0\n", cpu + "cpufreq/policy0/scaling_governor": "performance\n",
        cpu + "cpufreq/policy1/affected_cpus": "\n", cpu + "cpufreq/policy1/scaling_governor": "powersave\n",
        "sys/bus/cpu/devices/cpu0/cpufreq/base_frequency": "2600000\n",
        "sys/bus/cpu/devices/cpu0/topology/thread_siblings_list": "0-1\n",
        "sys/bus/cpu/devices/cpu0/topology/physical_package_id": "0\n",
        "proc/self/mountinfo": "40 24 0:35 / /sys/fs/resctrl rw,relatime shared:15 - resctrl resctrl rw\n",
        "sys/fs/resctrl/info/L3/num_closids": "16\n",
    })
    features, _ = run(root, ["cpu"])
    assert attrs(features, "cpu.cstate") == {"enabled": "true"}
    assert attrs(features, "cpu.pstate") == {"status": "active", "turbo": "true", "scaling_governor": "performance"}
    assert attrs(features, "cpu.rdt") == {"RDTMON": "true", "RDTCMT": "true", "RDTMBM": "true", "RDTL3CA": "true",
                                          "RDTL3CA_NUM_CLOSID": "15", "RDTMBA": "true"}
    assert attrs(features, "cpu.sst") == {"bf.enabled": "true"}  # 2600 MHz base > 2200 MHz nominal
    assert attrs(features, "cpu.topology") == {"hardware_multithreading": "true", "socket_count": "1"}
    assert "HTT" in features["flags"]["cpu.cpuid"]["elements"]


def test_cpu_security_sev_with_misc_cgroup(make_root):
    root = make_root({
        "proc/cpuinfo": "vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nflags\t\t: fpu sev sev_es\n",
        "sys/module/kvm_amd/parameters/sev": "1\n", "sys/module/kvm_amd/parameters/sev_es": "Y\n",
        "sys/module/kvm_amd/parameters/sev_snp": "N\n", "sys/fs/cgroup/misc.capacity": "sev 509\nsev_es 10\n",
    })
    features, _ = run(root, ["cpu"])
    assert attrs(features, "cpu.security") == {"sev.enabled": "true", "sev.asids": "509", "sev.es.enabled": "true",
                                               "sev.encrypted_state_ids": "10"}
    assert {"SEV", "SEV_ES"} <= set(features["flags"]["cpu.cpuid"]["elements"])


def test_cstate_errors_leave_it_absent(make_root):
    root = make_root({"proc/cpuinfo": X86_GUEST, "sys/devices/system/cpu/cpuidle/current_driver": "intel_idle\n"})
    features, _ = run(root, ["cpu"])
    assert "cpu.cstate" not in features["attributes"]  # max_cstate unreadable: NFD logs an error, no feature
    (root / "sys/devices/system/cpu/cpuidle/current_driver").write_text("acpi_idle\n")
    features, _ = run(root, ["cpu"])
    assert attrs(features, "cpu.cstate") == {}


# --- selection, isolation, warnings ------------------------------------------------------------------------------

@pytest.mark.parametrize(("items", "expected"), [
    (["all", "-usb"], [s for s in collect_module.SOURCE_NAMES if s != "usb"]),
    (["-usb"], [s for s in collect_module.SOURCE_NAMES if s != "usb"]),
    (["cpu,kernel"], ["cpu", "kernel"]),
    (["kernel", "cpu"], ["cpu", "kernel"]),
    ([], list(collect_module.SOURCE_NAMES)),
    (["all", "-drivers", "-cloud"], ["cpu", "kernel", "memory", "network", "pci", "usb", "storage", "system", "local"]),
])
def test_parse_sources(items, expected):
    assert parse_sources(items) == expected


def test_parse_sources_rejects_unknown_names():
    with pytest.raises(SourceSelectionError, match="unknown source 'gpu'"):
        parse_sources(["all", "-gpu"])


def test_a_failing_source_costs_only_its_own_features(make_root, monkeypatch):
    class Broken:
        NAME = "memory"

        @staticmethod
        def discover(ctx, out):
            out.attribute("memory.numa", {"half": "written"})
            raise RuntimeError("boom")

    sources = tuple(Broken if s.NAME == "memory" else s for s in collect_module.SOURCES)
    monkeypatch.setattr(collect_module, "SOURCES", sources)
    root = make_root({"proc/sys/kernel/osrelease": "6.1.0\n"})
    features, warnings = run(root, ["memory", "kernel"])
    assert warnings == ["source memory failed, its features are left out: RuntimeError: boom"]
    assert "memory.numa" not in features["attributes"]
    assert attrs(features, "kernel.version")["full"] == "6.1.0"


def test_unreadable_file_is_a_warning_not_an_error():
    fs = HostFS("/proc/self")  # `mem` exists, but reading it at offset 0 fails with EIO
    assert fs.read("mem") is None
    assert fs.read("no-such-file") is None  # absent: silent
    assert fs.warnings == ["cannot read /proc/self/mem: Input/output error"]


def test_root_must_be_a_directory(tmp_path):
    with pytest.raises(NotADirectoryError):
        gather(str(tmp_path / "missing"))
