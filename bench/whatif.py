"""Benchmark: `whatif` with a 3-step plan over 10,000 cached hosts × 20 images vs one plain evaluation (issue 13).

The fleet is bench/evaluate.py's (realistic feature sizes, ~200 hardware profiles, 20 specs drawn from real
requirements), held in memory as `fleetcompat audit` holds it once the fact cache is read. Measured side by side
in one run, alternating, best of `--rounds`:
  plain  = evaluate_fleet + build_result (what `audit` does with the hosts: every host × image, result built)
  whatif = plan_states + simulate: the baseline plus three steps (a kernel upgrade on every host, vfio_pci loaded
           on half of them, 1Gi hugepages on 30%) with each step's diff
Prints both and the ratio whatif / plain (goal <= 3).

Usage: python -m bench.whatif [--hosts 10000] [--profiles 200] [--specs 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time

from bench.evaluate import make_profile, make_spec  # bench/evaluate.py's fleet, not a second copy
from fleetcompat.features.model import Features
from fleetcompat.fleet.evaluate import evaluate_fleet
from fleetcompat.fleet.hosts import HostRecord
from fleetcompat.fleet.images import ImageEntry
from fleetcompat.fleet.report import build_result
from fleetcompat.fleet.resolve import Resolution, ResolvedImage
from fleetcompat.hostfeatures.summary import summarize
from fleetcompat.planning.changes import parse_change
from fleetcompat.planning.plan import Step
from fleetcompat.planning.whatif import plan_states, simulate
from fleetcompat.results.fleet import PlatformStatus, RunMeta


def fleet(hosts: int, profiles: int, specs: int, seed: int) -> tuple[list[HostRecord], list[ResolvedImage]]:
    rng = random.Random(seed)
    templates = [json.dumps(make_profile(rng, i)) for i in range(profiles)]
    resolved = []
    for i in range(specs):
        spec = make_spec(rng, i)
        entry = ImageEntry(f"image-{i}", spec=f"spec{i}.yaml")
        resolution = Resolution(None, PlatformStatus.OK, spec, None, f"sha256:{i:064x}", entry.spec)
        resolved.append(ResolvedImage(entry, (resolution,)))
    records = []
    for host in range(hosts):
        name = f"node-{host:05d}"
        doc = json.loads(templates[host % profiles].replace("@NODENAME@", name))
        groups = ("gpu",) if host % 2 == 0 else ("cpu",)
        # as read from the fact cache: features plus the gatherer's summary
        records.append(HostRecord(name, features=Features.from_nfd(doc), summary=summarize(doc), groups=groups))
    return records, resolved


PLAN = [
    Step("kernel 6.8 everywhere", (parse_change("kernel", "6.8.0-45-generic"),), "bench"),
    Step("vfio on the GPU half", (parse_change("load-module", "vfio_pci", on=["gpu"]),), "bench"),
    Step("1Gi hugepages on 30%", (parse_change("set", "memory.hugepages.hugepages-1Gi=16",
                                                     on=["node-0[0-2]*"]),), "bench"),
]


def plain(records, resolved) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    gathered = [(h.name, h.features) for h in records]
    build_result(resolved, records, evaluate_fleet(resolved, gathered), RunMeta.now())
    return time.perf_counter() - wall, time.process_time() - cpu


def whatif(records, resolved) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    states = plan_states(records, PLAN)
    result = simulate(resolved, records, PLAN, states, RunMeta.now())
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--specs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    records, resolved = fleet(args.hosts, args.profiles, args.specs, args.seed)
    gc.collect()
    gc.freeze()  # as `fleetcompat whatif` does once the hosts are read; both measurements run after it
    plain_runs, whatif_runs = [], []
    outcome = None
    for _ in range(args.rounds):
        plain_runs.append(plain(records, resolved))
        wall, cpu, outcome = whatif(records, resolved)
        whatif_runs.append((wall, cpu))
    # Best of the rounds; CPU time too, since the 2 cores are shared and others' load stretches wall time.
    plain_wall, plain_cpu = min(w for w, _ in plain_runs), min(c for _, c in plain_runs)
    whatif_wall, whatif_cpu = min(w for w, _ in whatif_runs), min(c for _, c in whatif_runs)
    print(f"fleet: {args.hosts} hosts × {args.specs} images, {args.profiles} hardware profiles; best of {args.rounds}")
    print(f"plain evaluation (evaluate_fleet + build_result)   wall {plain_wall:6.2f}s  cpu {plain_cpu:6.2f}s")
    print(f"whatif, 3-step plan (baseline + 3 steps + diffs)   wall {whatif_wall:6.2f}s  cpu {whatif_cpu:6.2f}s")
    for number, effect in enumerate(outcome.steps, 1):
        counts = effect.drift.counts()
        print(f"  step {number} {effect.step.name!r}: {len(effect.hosts_changed)} hosts changed, "
              + ", ".join(f"{n} {k}" for k, n in counts.items()))
    print(f"ratio whatif / plain: cpu {whatif_cpu / plain_cpu:.2f}, wall {whatif_wall / plain_wall:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
