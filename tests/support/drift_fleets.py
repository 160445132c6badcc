"""Two-run fleets: the same hosts audited before and after a kernel upgrade, a module unload or a new spec version.
Each image's spec digest is the SHA-256 of its text, as a registry would give it."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from fleetcompat.engine import evaluate_spec
from fleetcompat.results.fleet import FleetResult, FleetResultBuilder, HostStatus, RunMeta
from fleetcompat.spec import parse_spec
from tests.support.fleet_synthetic import GOOD, UNREACHABLE, Hardware, spec_text

# Compatible only through the fallback set (AVX2 and vfio-pci loaded; the vendor is not Intel).
CPU_VFIO = Hardware(avx512=False, avx2=True, vendor="Other", gpu=False, kernel_major=6, vfio=True)
CPU_NO_VFIO = replace(CPU_VFIO, vfio=False)
# A GPU host on kernel 4: the GPU set needs major > 4, and without vfio-pci the fallback fails too.
GPU_OLD_KERNEL = replace(GOOD, kernel_major=4, vfio=False, vendor="Other")
GPU_NEW_KERNEL = replace(GPU_OLD_KERNEL, kernel_major=6)
# Kernel 5: compatible with spec version 1 (major > 4), not with version 2 (major > 5).
GPU_KERNEL5 = replace(GPU_OLD_KERNEL, kernel_major=5)

SPEC_V1 = spec_text(kernel_min=4)
# A DPDK workload: needs vfio-pci loaded, whatever else the host has.
DPDK_SPEC = """
version: v1alpha1
compatibilities:
- description: userspace networking
  rules:
  - name: vfio
    matchFeatures:
    - feature: kernel.loadedmodule
      matchExpressions:
        vfio-pci: {op: Exists}
"""
SPEC_V2 = spec_text(kernel_min=5)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def fleet(hosts: dict[str, Hardware | str], images: dict[str, str] | None = None,
          started_at: str = "2026-12-01T02:00:00Z") -> FleetResult:
    """Hosts by name: a Hardware or UNREACHABLE; images by alias: spec text (default: one image "api", v1)."""
    builder = FleetResultBuilder(RunMeta(started_at, inventory="inventories/prod"))
    specs = {}
    for alias, text in (images or {"api": SPEC_V1}).items():
        specs[alias] = parse_spec(text, f"{alias}.yaml")
        builder.add_image(alias, f"registry.example/{alias}:1", spec=specs[alias], spec_digest=digest(text),
                          spec_source=f"referrer of registry.example/{alias}:1")
    for name, what in hosts.items():
        group = "gpu" if isinstance(what, Hardware) and what.gpu else "cpu"
        if what == UNREACHABLE:
            builder.add_host(name, ["dc1"], status=HostStatus.UNREACHABLE, reason="ssh: Connection timed out")
            continue
        builder.add_host(name, ["dc1", group], what.summary(), features=what.features())
        for alias, spec in specs.items():
            builder.add_evaluation(name, alias, evaluate_spec(spec, what.features()))
    return builder.build(duration_s=3.0)
