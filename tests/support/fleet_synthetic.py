"""Synthetic fleets built the way the audit builds them: real specs, real features, real `evaluate_spec`, the
builder API. Shared by the report, drift, history and merge tests and bench/; no hand-written result JSON."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from fleetcompat.engine import evaluate_spec
from fleetcompat.features.model import Features
from fleetcompat.results.fleet import FleetResult, FleetResultBuilder, HostStatus, RunMeta, SpecStatus
from fleetcompat.spec import parse_spec

# Markup, a script-element breakout, Markdown table and code syntax and a line separator: must show up as text.
HOSTILE = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2"> | `x` *y* \u2028'

GPU_SPEC = """
version: v1alpha1
compatibilities:
- description: "{description}"
  weight: 10
  tag: gpu
  rules:
  - name: nvidia gpu and avx512
    matchFeatures:
    - feature: pci.device
      matchExpressions:
        vendor: {{op: In, value: ["10de"]}}
        class: {{op: In, value: ["0302", "0300"]}}
    - feature: cpu.cpuid
      matchExpressions:
        AVX512F: {{op: Exists}}
    - feature: kernel.version
      matchExpressions:
        major: {{op: Gt, value: ["{kernel_min}"]}}
        full: {{op: InRegexp, value: ['^[0-9]+\\.[0-9]\\.']}}
- description: generic fallback
  weight: 1
  tag: cpu
  rules:
  - name: avx2
    matchFeatures:
    - feature: cpu.cpuid
      matchExpressions:
        AVX2: {{op: Exists}}
    matchAny:
    - matchFeatures:
      - feature: kernel.loadedmodule
        matchExpressions:
          vfio-pci: {{op: Exists}}
    - matchFeatures:
      - feature: cpu.model
        matchExpressions:
          vendor_id: {{op: In, value: ["{vendor}"{extra_vendors}]}}
"""


def spec_text(description: str = "needs an NVIDIA GPU", kernel_min: int = 4, vendor: str = "Intel",
              extra_vendors: tuple[str, ...] = ()) -> str:
    return GPU_SPEC.format(description=description.replace('"', '\\"'), kernel_min=kernel_min, vendor=vendor,
                           extra_vendors="".join(f', "{v}"' for v in extra_vendors))


@dataclass(frozen=True)
class Hardware:
    """One hardware profile: the features the gatherer would find and its summary."""

    avx512: bool
    avx2: bool
    vendor: str
    gpu: bool
    kernel_major: int
    vfio: bool
    model: str = "Xeon Gold 6338"
    kernel_minor: int = 1
    extra_feature: str = "plain"
    gpus: tuple[str, ...] = field(default=())

    def features(self) -> Features:
        cpuid = {"SSE4": {}}
        if self.avx2:
            cpuid["AVX2"] = {}
        if self.avx512:
            cpuid["AVX512F"] = {}
        devices = [{"vendor": "8086", "class": "0200", "device": "1572"}]
        if self.gpu:
            devices.append({"vendor": "10de", "class": "0302", "device": "20b5"})
        return Features(
            flags={"cpu.cpuid": cpuid, "kernel.loadedmodule": {"vfio-pci": {}} if self.vfio else {"ext4": {}}},
            attributes={"kernel.version": {"major": str(self.kernel_major), "full": self.kernel()},
                        "cpu.model": {"vendor_id": self.vendor, "family": "6"},
                        "custom.label": {"value": self.extra_feature}},
            instances={"pci.device": devices},
        )

    def kernel(self) -> str:
        return f"{self.kernel_major}.{self.kernel_minor}.0"

    def summary(self) -> dict:
        return {
            "cpu": {"vendor": self.vendor, "model": self.model},
            "kernel": self.kernel(),
            "os": "Debian GNU/Linux 12",
            "gpus": [{"vendor": "10de", "device": "20b5", "name": name} for name in self.gpus],
            "nics": [{"vendor": "8086", "device": "1572", "name": "Ethernet Controller X710 for 10GbE SFP+"}],
            "numa_nodes": 2,
        }

    def rich_summary(self, rng: random.Random) -> dict:
        """What a gatherer reports on a big server: several NICs and disks, hugepages, cloud metadata."""
        out = self.summary()
        out["nics"] += [{"vendor": "15b3", "device": "101d", "name": "MT2892 Family [ConnectX-6 Dx]",
                         "driver": "mlx5_core", "sriov_totalvfs": 8}] * rng.randint(1, 4)
        out["nvme"] = [{"model": "SAMSUNG MZQL23T8HCLS-00A07", "size_gb": 3840}] * rng.randint(1, 8)
        out["hugepages"] = {"2048kB": rng.choice([0, 1024, 4096]), "1048576kB": rng.choice([0, 16])}
        out["cloud"] = rng.choice([None, {"provider": "aws", "instance_type": "p4d.24xlarge"}])
        return out


def random_hardware(rng: random.Random, index: int) -> Hardware:
    gpu = rng.random() < 0.4
    return Hardware(
        avx512=rng.random() < 0.5, avx2=rng.random() < 0.9, vendor=rng.choice(["Intel", "AMD"]), gpu=gpu,
        kernel_major=rng.choice([4, 5, 6]), vfio=rng.random() < 0.5, model=f"CPU model {index % 37}",
        kernel_minor=index % 40, gpus=("NVIDIA A100 80GB PCIe",) if gpu else (),
    )


def build_fleet(n_hosts: int, n_images: int, n_profiles: int, *, seed: int = 1, unreachable: int = 0,
                gather_errors: int = 0, no_spec_images: int = 0, spec_error_images: int = 0,
                hostile: bool = False, variant: Callable[[int, Hardware], Hardware] | None = None) -> FleetResult:
    """A fleet of `n_hosts` spread over `n_profiles` hardware profiles and `n_images` images. `variant(host index,
    hardware)` may change a host's hardware (a later run of the same fleet: a module unloaded, a kernel upgrade)."""
    rng = random.Random(seed)
    bad = HOSTILE if hostile else ""
    builder = FleetResultBuilder(RunMeta.now(inventory=f"inventory/prod.ini{bad}", limit=None))
    specs = {}
    for i in range(n_images):
        alias = f"app-{i:02d}{bad if i == 0 else ''}"
        if i < no_spec_images:
            builder.add_image(alias, f"registry.example/app{i}:1.0", spec_status=SpecStatus.NO_SPEC)
            continue
        if i < no_spec_images + spec_error_images:
            builder.add_image(alias, f"registry.example/app{i}:1.0",
                              spec_error=f"registry.example/app{i}:1.0: 401 Unauthorized{bad}")
            continue
        # Each image expects something of its own, so outcomes differ per image as in a real fleet.
        spec = parse_spec(spec_text(description=f"needs a GPU{bad}", kernel_min=3 + i % 3,
                                    vendor="Intel" if i % 2 else "AMD", extra_vendors=(f"Vendor{i}",)),
                          f"specs/app{i}.yaml")
        specs[alias] = spec
        builder.add_image(alias, f"registry.example/app{i}:1.0", spec=spec, digest=f"sha256:{i:064x}",
                          spec_digest=f"sha256:{i + 1000:064x}", spec_source=f"referrer of registry.example/app{i}")
    profiles = [random_hardware(rng, p) for p in range(n_profiles)]
    if hostile:
        # Incompatible everywhere, so its drill-down shows the hostile vendor as an "actual" value.
        profiles[0] = Hardware(True, True, f"Intel{bad}</script>", False, 6, False, model=f"</script>{bad}",
                               extra_feature=bad, gpus=(f"GPU {bad}",))
    summaries = [p.rich_summary(rng) for p in profiles]
    evaluations = {}
    for h in range(n_hosts):
        name = f"node-{h:05d}.dc{h % 3}.example{bad if h == 0 else ''}"
        groups = [f"dc{h % 3}", "gpu" if h % 2 else "cpu"] + ([f"grp{bad}"] if hostile and h == 0 else [])
        if h < unreachable:
            builder.add_host(name, groups, status=HostStatus.UNREACHABLE,
                             reason=f"ssh: connect to host {name} port 22: Connection timed out")
            continue
        if h < unreachable + gather_errors:
            builder.add_host(name, groups, status=HostStatus.ERROR, reason="gather: /sys/bus/pci unreadable")
            continue
        profile = h % n_profiles
        hardware = profiles[profile] if variant is None else variant(h, profiles[profile])
        features = hardware.features()
        builder.add_host(name, groups, summaries[profile], features=features)
        for alias, spec in specs.items():
            # Identical features give identical evaluations (as the audit's grouping relies on): evaluate once.
            key = (hardware, alias)
            if key not in evaluations:
                evaluations[key] = evaluate_spec(spec, features)
            builder.add_evaluation(name, alias, evaluations[key])
    return builder.build(duration_s=12.5)


GOOD = Hardware(avx512=True, avx2=True, vendor="Intel", gpu=True, kernel_major=6, vfio=True, gpus=("NVIDIA A100",))
BAD = Hardware(avx512=False, avx2=False, vendor="Other", gpu=False, kernel_major=4, vfio=False)
UNREACHABLE = "unreachable"
GATHER_ERROR = "gather-error"
EVAL_ERROR = "eval-error"


def mini_fleet(hosts: dict[str, Hardware | str], images: dict[str, str | None] | None = None) -> FleetResult:
    """Hosts by name: a Hardware, or UNREACHABLE / GATHER_ERROR / EVAL_ERROR. Images by alias: spec text, None
    (no spec) or "!reason" (spec error). Default: one image "app" with the GPU spec."""
    builder = FleetResultBuilder(RunMeta.now(inventory="inventory.ini"))
    specs = {}
    for alias, text in (images or {"app": spec_text()}).items():
        if text is None:
            builder.add_image(alias, f"reg/{alias}:1")
        elif text.startswith("!"):
            builder.add_image(alias, f"reg/{alias}:1", spec_error=text[1:])
        else:
            specs[alias] = parse_spec(text, f"{alias}.yaml")
            builder.add_image(alias, f"reg/{alias}:1", spec=specs[alias])
    for name, what in hosts.items():
        if what == UNREACHABLE:
            builder.add_host(name, ["all"], status=HostStatus.UNREACHABLE, reason="ssh: Connection refused")
        elif what == GATHER_ERROR:
            builder.add_host(name, ["all"], status=HostStatus.ERROR, reason="gather: permission denied")
        elif what == EVAL_ERROR:
            builder.add_host(name, ["all"], GOOD.summary(), features=GOOD.features())
            for alias in specs:
                builder.add_error(name, alias, "kernel.version.major: value 'x' is not an integer for Gt")
        else:
            builder.add_host(name, ["all"], what.summary(), features=what.features())
            for alias, spec in specs.items():
                builder.add_evaluation(name, alias, evaluate_spec(spec, what.features()))
    return builder.build()
