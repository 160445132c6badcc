"""Benchmark: `diff_results` of two 10,000-host × 20-image fleet results with 5% of the cells flipped (issue 12).

Both runs are built like the audit builds them (tests/support/fleet_synthetic.py: real specs, real `evaluate_spec`,
the builder API); in the second, hosts lose or gain vfio-pci and AVX-512 (a module unloaded, a BIOS change) until
5% of the host × image cells have a different status. Prints, measured side by side in one run (median of
--runs): the time to load both result files (read, parse, schema validation), the diff time, and the diff time
against its goals (<= 2 s, and <= 2x the load time) as ratios; then the renderers' times.

Usage: python -m bench.drift [--hosts 10000] [--images 20] [--profiles 200] [--flip 0.05] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from fleetcompat._format.drift.json import DriftJsonFormat
from fleetcompat._format.drift.markdown import DriftMarkdownFormat
from fleetcompat._format.drift.terminal import DriftTerminalFormat
from fleetcompat._format.html import HtmlFormat
from fleetcompat._format.interface import ReportContext
from fleetcompat.drift import diff_results
from fleetcompat.results.fleet import FleetResult
from tests.support.fleet_synthetic import Hardware, build_fleet

DIFF_GOAL_S = 2.0
LOAD_RATIO_GOAL = 2.0


def changed_hardware(hardware: Hardware) -> Hardware:
    return replace(hardware, vfio=not hardware.vfio, avx512=not hardware.avx512)


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def cpu_timed(fn):
    """Wall and CPU time of this process: on a shared machine (load above the core count) the wall time mostly
    measures the neighbours, the CPU time this code."""
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - started, time.process_time() - cpu


def flips_per_profile(args: argparse.Namespace) -> list[int]:
    """Cells that flip when one host of each profile is changed (host p has profile p)."""
    base = build_fleet(args.profiles, args.images, args.profiles)
    every = build_fleet(args.profiles, args.images, args.profiles, variant=lambda _, hw: changed_hardware(hw))
    drift = diff_results(base, every)
    counts = {h.name: 0 for h in base.hosts}
    for change in drift.cells:
        counts[change.host] += 1
    return list(counts.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--flip", type=float, default=0.05, help="share of cells to flip (0.05)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    args = parser.parse_args()

    # Change hosts, in order, until the share of flipped cells is reached.
    per_profile = flips_per_profile(args)
    target = round(args.flip * args.hosts * args.images)
    chosen, flipped = set(), 0
    for h in range(args.hosts):
        if flipped >= target:
            break
        if per_profile[h % args.profiles]:
            chosen.add(h)
            flipped += per_profile[h % args.profiles]
    (old, new), build_s = timed(lambda: (
        build_fleet(args.hosts, args.images, args.profiles),
        build_fleet(args.hosts, args.images, args.profiles,
                    variant=lambda h, hw: changed_hardware(hw) if h in chosen else hw)))
    with tempfile.TemporaryDirectory() as tmp:
        old_path, new_path = Path(tmp) / "old.json", Path(tmp) / "new.json"
        old.dump(old_path)
        new.dump(new_path)
        sizes = old_path.stat().st_size + new_path.stat().st_size
        loads, diffs = [], []
        for _ in range(args.runs):  # interleaved: both measured under the same machine load
            (old_loaded, new_loaded), *load = cpu_timed(lambda: (FleetResult.load(old_path),
                                                                 FleetResult.load(new_path)))
            drift, *diff = cpu_timed(lambda: diff_results(old_loaded, new_loaded))  # noqa: B023 (used at once)
            loads.append(load)
            diffs.append(diff)
    cells = args.hosts * args.images
    load_s, load_cpu = (statistics.median(x[i] for x in loads) for i in (0, 1))
    diff_s, diff_cpu = (statistics.median(x[i] for x in diffs) for i in (0, 1))
    print(f"fleets: {args.hosts} hosts × {args.images} images, {args.profiles} profiles (both built in {build_s:.2f}s);"
          f" result files {sizes / 1024 / 1024:.2f} MiB together")
    print(f"flipped: {len(drift.cells)} of {cells} cells ({100 * len(drift.cells) / cells:.2f}%), "
          f"{len(drift.regressions())} regressions, {len(drift.groups())} groups of changes; "
          f"{len(chosen)} hosts changed")
    print(f"medians of {args.runs} runs            wall      cpu")
    print(f"load both results (read, parse, validate)  {load_s:7.3f}s {load_cpu:7.3f}s")
    print(f"diff_results                               {diff_s:7.3f}s {diff_cpu:7.3f}s")
    print(f"goal diff <= {DIFF_GOAL_S:.0f}s: ratio {diff_s / DIFF_GOAL_S:.2f} wall, {diff_cpu / DIFF_GOAL_S:.2f} cpu")
    wall_ratio, cpu_ratio = diff_s / load_s, diff_cpu / load_cpu
    print(f"goal diff <= {LOAD_RATIO_GOAL:.0f}x load: diff/load {wall_ratio:.2f} wall, {cpu_ratio:.2f} cpu "
          f"(ratio to goal {wall_ratio / LOAD_RATIO_GOAL:.2f} wall, {cpu_ratio / LOAD_RATIO_GOAL:.2f} cpu)")
    for name, fmt in (("terminal", DriftTerminalFormat()), ("markdown", DriftMarkdownFormat()),
                      ("json", DriftJsonFormat())):
        text, render_s = timed(lambda fmt=fmt: fmt.render(drift))
        print(f"render {name:<9} {render_s:.3f}s  {len(text.encode()) / 1024:.0f} KiB")
    # The HTML report's "changed since baseline" view: what it adds to the page.
    plain, plain_s = timed(lambda: HtmlFormat().render(new_loaded))
    with_view, with_view_s = timed(lambda: HtmlFormat().render(new_loaded, ReportContext(drift=drift)))
    print(f"render html {plain_s:.3f}s {len(plain.encode()) / 1024 / 1024:.2f} MiB; with --baseline "
          f"{with_view_s:.3f}s {len(with_view.encode()) / 1024 / 1024:.2f} MiB")
    ok = diff_s <= DIFF_GOAL_S and diff_s <= LOAD_RATIO_GOAL * load_s
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
