"""Benchmark: evaluate a synthetic 10,000-host fleet against 20 specs (issue 2).

Hosts have realistic feature sizes (~150 cpu flags, ~120 loaded modules, ~2,000 kernel config keys, ~40 PCI
devices, ~10 block and network devices) and fall into ~200 hardware profiles; each host's JSON differs (its own
node name) as real captures do. For every host, in one loop, we time `json.loads` of its features (the cost of
merely reading the input) and, separately, building `Features` and grouping it; then every group is evaluated
against the 20 specs. Prints hosts×specs per second and the ratio evaluation / json.loads (goal <= 1.0).

Usage: python -m bench.evaluate [--hosts 10000] [--profiles 200] [--specs 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import time

from fleetcompat.engine import FleetEvaluator, evaluate_spec
from fleetcompat.features.model import Features
from fleetcompat.spec import parse_spec

CPU_FLAGS = (
    "ADX AESNI AMXBF16 AMXINT8 AMXTILE AVX AVX2 AVX512BF16 AVX512BITALG AVX512BW AVX512CD AVX512DQ AVX512F "
    "AVX512FP16 AVX512IFMA AVX512VBMI AVX512VBMI2 AVX512VL AVX512VNNI AVX512VPOPCNTDQ AVXVNNI BMI1 BMI2 CLMUL "
    "CLDEMOTE CMOV CMPXCHG8 CX16 ERMS F16C FMA3 FSRM FXSR GFNI HTT HYPERVISOR IBPB LAHF LZCNT MMX MOVBE MOVDIR64B "
    "MOVDIRI OSXSAVE POPCNT RDRAND RDSEED RDTSCP SERIALIZE SHA SSE SSE2 SSE3 SSE4 SSE42 SSSE3 STIBP SYSCALL SYSEE "
    "TSXLDTRK VAES VMX VPCLMULQDQ WAITPKG X87 XGETBV1 XSAVE XSAVEC XSAVEOPT XSAVES SGX SGXLC TME PCONFIG MD_CLEAR "
    "FLUSH_L1D IA32_ARCH_CAP IA32_CORE_CAP SPEC_CTRL_SSBD RTM HLE MPX WBNOINVD AMD3DNOW AMD3DNOWEXT SSE4A XOP FMA4 "
    "TBM SVM SEV SEV_ES SEV_SNP SME CLZERO MCOMMIT RDPRU INVLPGB PPIN TOPEXT CPBOOST"
).split()
VENDORS = ("Intel", "AMD", "Hygon")
NIC_VENDORS = ("8086", "15b3", "14e4", "1af4", "10de", "1d0f")
MODULES = [f"mod_{i}" for i in range(400)] + ["vfio_pci", "vfio_iommu_type1", "mlx5_core", "i40e", "ice", "nvidia"]


def make_profile(rng: random.Random, index: int) -> dict:
    flags = rng.sample(CPU_FLAGS, rng.randint(70, len(CPU_FLAGS))) + [
        f"X86_64_V{i}" for i in range(1, rng.randint(2, 5))
    ]
    flags += [f"EXTRA{i}" for i in range(150 - len(flags))] if len(flags) < 150 else []
    modules = rng.sample(MODULES, 120)
    kconfig = {f"CONFIG_OPT_{i}": rng.choice(("y", "m", "n", "250")) for i in range(2000)}
    kconfig.update({"VFIO": rng.choice("ym"), "NO_HZ_FULL": rng.choice("yn"), "PREEMPT_RT": rng.choice("yn")})
    pci = []
    for i in range(40):
        cls = rng.choice(("0200", "0200", "0300", "0302", "0108", "0604", "0880", "0c03"))
        attrs = {
            "class": cls,
            "vendor": rng.choice(NIC_VENDORS),
            "device": f"{rng.randint(0, 0xFFFF):04x}",
            "subsystem_vendor": "8086",
            "subsystem_device": f"{i:04x}",
        }
        if cls == "0200" and rng.random() < 0.5:
            attrs["sriov_totalvfs"] = rng.choice(("8", "16", "64", "128"))
        pci.append({"attributes": attrs})
    return {
        "flags": {
            "cpu.cpuid": {"elements": {f: {} for f in flags}},
            "kernel.loadedmodule": {"elements": {m: {} for m in modules}},
            "kernel.enabledmodule": {"elements": {m: {} for m in modules}},
        },
        "attributes": {
            "cpu.model": {
                "elements": {
                    "vendor_id": rng.choice(VENDORS),
                    "family": str(rng.choice((6, 23, 25))),
                    "id": str(rng.randint(1, 200)),
                    "hypervisor": "none",
                }
            },
            "cpu.cpuid": {"elements": {}},
            "cpu.topology": {"elements": {"hardware_multithreading": "true", "socket_count": str(rng.choice((1, 2)))}},
            "kernel.version": {
                "elements": {
                    "full": rng.choice(("5.14.0-427.el9", "5.15.0-91-generic", "6.8.0-45-generic", "6.1.0-13-amd64")),
                    "major": "6",
                    "minor": "8",
                    "revision": "0",
                }
            },
            "kernel.config": {"elements": kconfig},
            "memory.numa": {"elements": {"is_numa": "true", "node_count": str(rng.choice((1, 2, 4, 8)))}},
            "memory.hugepages": {
                "elements": {
                    "enabled": "true",
                    "hugepages-1Gi": str(rng.choice((0, 8, 16, 64))),
                    "hugepages-2Mi": str(rng.choice((0, 1024))),
                }
            },
            "system.osrelease": {
                "elements": {
                    "ID": rng.choice(("rhel", "ubuntu", "debian")),
                    "VERSION_ID": "9.4",
                    "VERSION_ID.major": str(rng.choice((8, 9, 12, 22, 24))),
                    "VERSION_ID.minor": "4",
                }
            },
            "system.name": {"elements": {"nodename": "@NODENAME@"}},
            "system.dmiid": {"elements": {"sys_vendor": f"Vendor{index % 7}", "product_name": f"Model-{index}"}},
        },
        "instances": {
            "pci.device": {"elements": pci},
            "storage.block": {
                "elements": [
                    {"attributes": {"name": f"nvme{i}n1", "rotational": "0", "dax": "0"}}
                    for i in range(rng.randint(2, 10))
                ]
            },
            "network.device": {
                "elements": [
                    {
                        "attributes": {
                            "name": f"ens{i}",
                            "operstate": "up",
                            "mtu": "9000",
                            "speed": "25000",
                            "sriov_totalvfs": "64",
                        }
                    }
                    for i in range(rng.randint(2, 10))
                ]
            },
        },
    }


EXPRESSION_POOL = [
    "- feature: cpu.model\n  matchExpressions: {vendor_id: {op: In, value: [Intel, AMD]}}",
    "- feature: cpu.cpuid\n  matchExpressions: {AVX512F: {op: Exists}, AVX512BW: {op: Exists}}",
    "- feature: cpu.cpuid\n  matchExpressions: {X86_64_V3: {op: Exists}}",
    "- feature: cpu.cpuid\n  matchName: {op: InRegexp, value: ['^AMX']}",
    "- feature: kernel.version\n  matchExpressions: {full: {op: Ge, value: ['5.15'], type: version}}",
    "- feature: kernel.config\n  matchExpressions: {VFIO: {op: In, value: [y, m]}, NO_HZ_FULL: {op: In, value: [y]}}",
    "- feature: kernel.loadedmodule\n  matchExpressions: {vfio_pci: {op: Exists}}",
    "- feature: kernel.loadedmodule\n  matchExpressions: {mlx5_core: {op: Exists}, ice: {op: DoesNotExist}}",
    "- feature: pci.device\n  matchExpressions: {vendor: {op: In, value: ['15b3', '8086']},"
    " class: {op: In, value: ['0200']}, sriov_totalvfs: {op: Ge, value: ['16']}}",
    "- feature: pci.device\n  matchExpressions: {vendor: {op: In, value: ['10de']},"
    " class: {op: In, value: ['0300', '0302']}}",
    "- feature: memory.hugepages\n  matchExpressions: {hugepages-1Gi: {op: Ge, value: ['8']}}",
    "- feature: memory.numa\n  matchExpressions: {node_count: {op: GeLe, value: ['1', '4']}}",
    "- feature: system.osrelease\n  matchExpressions: {ID: {op: In, value: [rhel, ubuntu]},"
    " VERSION_ID.major: {op: Ge, value: ['9']}}",
    "- feature: network.device\n  matchExpressions: {mtu: {op: Ge, value: ['9000']}, operstate: {op: In, value: [up]}}",
    "- feature: storage.block\n  matchExpressions: {rotational: {op: In, value: ['0']}}",
]


def make_spec(rng: random.Random, index: int):
    """1-2 sets whose rules hold 5-15 expressions in all, drawn from realistic requirements."""
    while True:
        sets = []
        for s in range(rng.randint(1, 2)):
            terms = rng.sample(EXPRESSION_POOL, rng.randint(2, 4))
            body = "\n".join("    " + line for t in terms for line in t.splitlines())
            sets.append(f"- weight: {s}\n  tag: t{s}\n  rules:\n  - name: r{s}\n    matchFeatures:\n{body}")
        spec = parse_spec("version: v1alpha1\ncompatibilities:\n" + "\n".join(sets) + "\n", f"spec{index}.yaml")
        if 5 <= count_expressions(spec) <= 15:
            return spec


def count_expressions(spec) -> int:
    return sum(
        len(t.match_expressions or ()) + (t.match_name is not None)
        for c in spec.compatibilities
        for r in c.rules
        for t in r.match_features
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--specs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    templates = [json.dumps(make_profile(rng, i)) for i in range(args.profiles)]
    specs = {f"image-{i}": make_spec(rng, i) for i in range(args.specs)}
    exprs = [count_expressions(s) for s in specs.values()]

    started = time.perf_counter()
    evaluator = FleetEvaluator(specs)
    compile_s = time.perf_counter() - started
    json_s = group_s = 0.0
    input_bytes = 0
    for host in range(args.hosts):
        text = templates[host % args.profiles].replace("@NODENAME@", f"node-{host:05d}")
        input_bytes += len(text)
        t0 = time.perf_counter()
        doc = json.loads(text)
        t1 = time.perf_counter()
        evaluator.add(f"node-{host:05d}", Features.from_nfd(doc))
        group_s += time.perf_counter() - t1
        json_s += t1 - t0
    t0 = time.perf_counter()
    outcomes = evaluator.results()
    evaluate_s = time.perf_counter() - t0
    total_eval = compile_s + group_s + evaluate_s

    # Raw engine speed without grouping, on a sample of distinct hosts, for reference.
    sample = [Features.from_nfd(json.loads(t)) for t in templates[: min(50, args.profiles)]]
    t0 = time.perf_counter()
    for feats in sample:
        for spec in specs.values():
            evaluate_spec(spec, feats)
    raw_rate = len(sample) * len(specs) / (time.perf_counter() - t0)

    pairs = args.hosts * len(specs)
    compatible = sum(o.compatible for per in outcomes.values() for o in per.values() if hasattr(o, "compatible"))
    print(
        f"fleet: {args.hosts} hosts ({input_bytes / 1e6:.0f} MB of features JSON, "
        f"{evaluator.group_count} distinct groups) x {len(specs)} specs ({min(exprs)}-{max(exprs)} expressions)"
    )
    print(f"json.loads of all features:    {json_s:8.3f} s")
    print(
        f"evaluation total:              {total_eval:8.3f} s  (compile {compile_s:.3f}, build+group {group_s:.3f}, "
        f"evaluate groups {evaluate_s:.3f})"
    )
    print(f"hosts x specs per second:      {pairs / total_eval:12,.0f}  ({compatible} compatible pairs)")
    print(f"raw engine (no grouping):      {raw_rate:12,.0f} host x spec evaluations per second")
    print(f"ratio evaluation / json.loads: {total_eval / json_s:8.3f}  (goal <= 1.0)")


if __name__ == "__main__":
    main()
