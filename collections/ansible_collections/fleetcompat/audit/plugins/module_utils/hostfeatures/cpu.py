"""NFD source `cpu` (source/cpu/): cpuid, model, cstate, pstate, rdt, security, sst, topology, coprocessor.

NFD executes CPUID; we read /proc/cpuinfo and sysfs (see cpuid.py and docs/gathering.md for what differs).
Extension: `cpu.info` (arch, model_name, cpus) for reports and platform checks.
"""

from __future__ import annotations

import re

from .cloud import hypervisor_from_hints
from .core import FeatureSink, trimmed
from .cpuid import X86_VENDORS, hwcap_flags_from_auxv, hwcap_flags_from_cpuinfo, x86_flags
from .limits import MOUNTINFO_LIMIT

NAME = "cpu"

# MIDR implementer -> klauspost Vendor name (arm64).
_ARM_IMPLEMENTERS = {
    0x41: "ARM", 0x42: "Broadcom", 0x43: "Cavium", 0x44: "DEC", 0x46: "Fujitsu", 0x49: "Infineon",
    0x4D: "Motorola", 0x4E: "NVIDIA", 0x50: "AMCC", 0x51: "Qualcomm", 0x56: "Marvell", 0x61: "Apple",
    0xC0: "Ampere",
}
_UNSAFE_LABEL_CHARS = re.compile(r"[^-A-Za-z0-9_.]+")
_BRAND_GHZ = re.compile(r"@\s*([0-9]+(?:\.[0-9]+)?)\s*GHz")
_GO_ATOI = re.compile(r"^[+-]?[0-9]+$")
_CPU_DIR = re.compile(r"^cpu[0-9]+$")


def _int(text: str | None, base: int = 10) -> int | None:
    try:
        return int(text, base) if text is not None else None
    except ValueError:
        return None


def _x86_identity(ctx) -> tuple[str, int, int]:
    cpu = ctx.cpuinfo
    vendor = X86_VENDORS.get(cpu.get("vendor_id") or "", "VendorUnknown")
    return vendor, _int(cpu.get("cpu family")) or 0, _int(cpu.get("model")) or 0


def cpuid_flags(ctx) -> set[str]:
    cpu = ctx.cpuinfo
    if ctx.x86:
        vendor, family, model = _x86_identity(ctx)
        siblings, cores = _int(cpu.get("siblings")), _int(cpu.get("cpu cores"))
        threads_per_core = siblings // cores if siblings and cores else 1
        return x86_flags(cpu.flags, vendor, family, model, threads_per_core)
    if ctx.arch == "ppc64le":
        auxv = ctx.fs.read_bytes("proc/self/auxv")
        return hwcap_flags_from_auxv(ctx.arch, auxv) if auxv else set()
    return hwcap_flags_from_cpuinfo(ctx.arch, cpu.flags)


def _hypervisor(ctx, flags: set[str]) -> str:
    sysinfo = ctx.fs.read("proc/sysinfo")  # s390x
    for line in (sysinfo or "").split("\n"):
        if "Control Program:" in line:
            program = line.split(":", 1)[1].strip()
            if program:
                return _UNSAFE_LABEL_CHARS.sub("_", program)
            break
    if ctx.x86 and "HYPERVISOR" in flags:
        return hypervisor_from_hints(ctx)
    return "none"


def _model(ctx, flags: set[str]) -> dict[str, str]:
    cpu = ctx.cpuinfo
    vendor, family, model = "VendorUnknown", "0", "0"
    if ctx.x86:
        name, fam, mod = _x86_identity(ctx)
        vendor, family, model = name, str(fam), str(mod)
    elif ctx.arch == "arm64":
        implementer = _int(cpu.get("CPU implementer"), 16)
        vendor = _ARM_IMPLEMENTERS.get(implementer, "VendorUnknown") if implementer is not None else vendor
        variant, part = _int(cpu.get("CPU variant"), 16), _int(cpu.get("CPU part"), 16)
        revision = _int(cpu.get("CPU revision"))
        if variant is not None:
            family = str(variant << 4 | 0xF)  # MIDR[23:16]: variant and the architecture field (0xF for ARMv8)
        if part is not None:
            model = str(part << 4 | (revision or 0))  # MIDR[15:0]: part number and revision
    elif ctx.arch == "s390x":
        vendor = _UNSAFE_LABEL_CHARS.sub("_", cpu.get("vendor_id") or "") or vendor
        first = cpu.get("processor 0") or ""
        identification = re.search(r"identification\s*=\s*([^,\s]+)", first)
        machine = re.search(r"machine\s*=\s*([^,\s]+)", first)
        family = identification.group(1) if identification else family
        model = machine.group(1) if machine else model
    return {"vendor_id": vendor, "family": family, "id": model, "hypervisor": _hypervisor(ctx, flags)}


def _cstate(ctx) -> dict[str, str] | None:
    """None = NFD hit an error and leaves cpu.cstate out."""
    fs = ctx.fs
    if not ctx.x86:
        return {}
    if not fs.exists("sys/devices/system/cpu"):
        return None
    if not fs.lexists("sys/devices/system/cpu/cpuidle"):
        return {}
    driver = fs.value("sys/devices/system/cpu/cpuidle/current_driver")
    if driver is None:
        return None
    if driver != "intel_idle":
        return {}
    max_cstate = fs.value("sys/module/intel_idle/parameters/max_cstate")
    if max_cstate is None or not _GO_ATOI.match(max_cstate):
        return None
    return {"enabled": "true" if int(max_cstate) > 0 else "false"}


def _pstate(ctx) -> dict[str, str]:
    fs = ctx.fs
    base = "sys/devices/system/cpu"
    if not ctx.x86 or not fs.exists(base) or not fs.lexists(base + "/intel_pstate"):
        return {}
    status = fs.value(base + "/intel_pstate/status")
    if status is None or status == "off":
        return {}
    features = {"status": status}
    no_turbo = fs.read(base + "/intel_pstate/no_turbo")
    if no_turbo:
        features["turbo"] = "true" if no_turbo[0] == "0" else "false"
    if status != "active":
        return features
    scaling = ""
    for policy in fs.listdir(base + "/cpufreq") or ():
        cpus = fs.value(f"{base}/cpufreq/{policy}/affected_cpus")
        if not cpus:
            continue
        governor = fs.value(f"{base}/cpufreq/{policy}/scaling_governor")
        if governor is None:
            continue
        if scaling and scaling != governor:  # policies disagree: no single governor to report
            scaling = ""
            break
        scaling = governor
    if scaling:
        features["scaling_governor"] = scaling
    return features


def _resctrl_num_closids(ctx, level: str) -> int | None:
    mountinfo = ctx.fs.read("proc/self/mountinfo", MOUNTINFO_LIMIT) or ""
    for line in mountinfo.split("\n"):
        fields = line.split(" - ", 1)
        if len(fields) == 2 and fields[1].split(" ", 1)[0] == "resctrl":
            mountpoint = fields[0].split(" ")[4].strip("/")
            value = ctx.fs.value(f"{mountpoint}/info/{level}/num_closids")
            if value is not None and _GO_ATOI.match(value):
                return int(value) - 1  # minus the default group
            return None
    return None


def _rdt(ctx) -> dict[str, str]:
    flags = ctx.cpuinfo.flags
    rdt: dict[str, str] = {}
    if not ctx.x86:
        return rdt
    if "cqm" in flags and "cqm_llc" in flags:
        rdt["RDTMON"] = "true"
        if "cqm_occup_llc" in flags:
            rdt["RDTCMT"] = "true"
        if "cqm_mbm_total" in flags and "cqm_mbm_local" in flags:
            rdt["RDTMBM"] = "true"
    if "rdt_a" in flags:
        if "cat_l3" in flags:
            rdt["RDTL3CA"] = "true"
            closids = _resctrl_num_closids(ctx, "L3")
            if closids is not None:
                rdt["RDTL3CA_NUM_CLOSID"] = str(closids)
        if "cat_l2" in flags:
            rdt["RDTL2CA"] = "true"
        if "mba" in flags:
            rdt["RDTMBA"] = "true"
    return rdt


def _misc_capacity(ctx, resource: str) -> int:
    for rel in ("sys/fs/cgroup/misc.capacity", "sys/fs/cgroup/misc/misc.capacity"):
        text = ctx.fs.read(rel)
        if text is None:
            continue
        for line in text.split("\n"):
            if line.startswith(resource):  # a prefix match, as in NFD ("sev" also matches "sev_es")
                parts = line.split(" ")
                return int(parts[1]) if len(parts) > 1 and _GO_ATOI.match(parts[1]) else -1
        return -1
    return -1


def _kvm_amd_parameter(ctx, name: str) -> bool:
    text = ctx.fs.read("sys/module/kvm_amd/parameters/" + name)
    return bool(text) and text[0] in "1Y"


def _security(ctx, flags: set[str]) -> dict[str, str]:
    fs = ctx.fs
    security: dict[str, str] = {}
    if ctx.arch == "s390x":
        if fs.read("sys/firmware/uv/prot_virt_host") == "1\n":
            security["se.enabled"] = "true"
        return security
    if not ctx.x86:
        return security
    if "SGX" in flags:
        # NFD sums the EPC sections CPUID leaf 0x12 lists; Linux >= 6.2 exposes that sum per NUMA node.
        epc = sum(_int(fs.value(f"sys/devices/system/node/{node}/x86/sgx_total_bytes")) or 0
                  for node in fs.listdir("sys/devices/system/node") or () if node.startswith("node"))
        if epc > 0:
            security["sgx.enabled"] = "true"
            security["sgx.epc"] = str(epc)
    if fs.read("sys/module/kvm_intel/parameters/tdx") == "Y\n":
        security["tdx.enabled"] = "true"
        keys = _misc_capacity(ctx, "tdx")
        if keys > -1:
            security["tdx.total_keys"] = str(keys)
    if "TDX_GUEST" in flags:
        security["tdx.protected"] = "true"
    for parameter, key, counted in (("sev", "sev", "sev.asids"), ("sev_es", "sev.es", "sev.encrypted_state_ids"),
                                    ("sev_snp", "sev.snp", None)):
        if _kvm_amd_parameter(ctx, parameter):
            security[key + ".enabled"] = "true"
            if counted:
                count = _misc_capacity(ctx, parameter)
                if count > -1:
                    security[counted] = str(count)
    return security


def _sst(ctx) -> dict[str, str]:
    """SST-BF: some CPU's base_frequency above the nominal base frequency (brand string instead of CPUID 0x16)."""
    if not ctx.x86:
        return {}
    fs = ctx.fs
    brand = _BRAND_GHZ.search(ctx.cpuinfo.get("model name") or "")
    nominal_mhz = int(float(brand.group(1)) * 1000) if brand else 0
    for cpu in fs.listdir("sys/bus/cpu/devices") or ():
        value = fs.value(f"sys/bus/cpu/devices/{cpu}/cpufreq/base_frequency")
        if value is None:
            continue
        if not _GO_ATOI.match(value) or nominal_mhz == 0:
            return {}
        if int(value) // 1000 > nominal_mhz:
            return {"bf.enabled": "true"}
    return {}


def _topology(ctx) -> dict[str, str]:
    """NFD reads sys/bus/cpu/devices; captured trees often have only sys/devices/system/cpu/cpuN (same CPUs)."""
    fs = ctx.fs
    base_dir = "sys/bus/cpu/devices"
    cpus = fs.listdir(base_dir)
    if cpus is None:
        base_dir = "sys/devices/system/cpu"
        cpus = [c for c in fs.listdir(base_dir) or () if _CPU_DIR.match(c)] or None
    if cpus is None:
        return {}
    threads = False
    packages = set()
    for cpu in cpus:
        base = f"{base_dir}/{cpu}/topology/"
        siblings = fs.read(base + "thread_siblings_list")
        package = fs.read(base + "physical_package_id")
        if siblings is None or package is None:
            return {}  # NFD gives up on the first unreadable CPU
        threads = threads or "," in siblings or "-" in siblings
        packages.add(trimmed(package))
    return {"hardware_multithreading": "true" if threads else "false", "socket_count": str(len(packages))}


def _coprocessor(ctx) -> dict[str, str]:
    if ctx.arch == "ppc64le" and ctx.fs.exists("sys/devices/vio/ibm,compression-v1/nx_gzip_caps"):
        return {"nx_gzip": "true"}
    return {}


def _info(ctx) -> dict[str, str]:
    cpu = ctx.cpuinfo
    info = {"arch": ctx.arch}
    if ctx.arch == "s390x":
        machine = re.search(r"machine\s*=\s*([^,\s]+)", cpu.get("processor 0") or "")
        name = "{} {}".format(cpu.get("vendor_id") or "", machine.group(1) if machine else "").strip()
    else:
        name = cpu.get("model name") or cpu.get("cpu") or cpu.get("Processor") or cpu.get("family") or ""
    if name:
        info["model_name"] = " ".join(name.split())
    count = _int(cpu.get("# processors")) or cpu.processors
    if count:
        info["cpus"] = str(count)
    return info


def discover(ctx, out: FeatureSink) -> None:
    flags = cpuid_flags(ctx)
    out.flag("cpu.cpuid", flags)
    if ctx.x86:
        out.attribute("cpu.cpuid", {})  # AVX10_VERSION needs CPUID leaf 0x24, which no file shows
    out.attribute("cpu.model", _model(ctx, flags))
    out.attribute("cpu.cstate", _cstate(ctx))
    out.attribute("cpu.pstate", _pstate(ctx))
    out.attribute("cpu.rdt", _rdt(ctx))
    out.attribute("cpu.security", _security(ctx, flags))
    out.attribute("cpu.sst", _sst(ctx))
    out.attribute("cpu.topology", _topology(ctx))
    out.attribute("cpu.coprocessor", _coprocessor(ctx))
    out.attribute("cpu.info", _info(ctx))
