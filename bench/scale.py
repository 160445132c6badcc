"""Benchmark: fleetcompat past one controller (issue 11).

Sections (all by default, or pick with --only):
  merge   10 parts × 1,000 hosts (AWX slices of one 10,000-host × 20-image fleet) merged with `fleetcompat merge`,
          next to loading the same fleet as one file; goal merge <= 2 s.

Each line prints the measured time next to its goal as a ratio (<= 1.0 meets it). Timings are wall-clock on this
machine, measured side by side in one run.

Usage: python bench/scale.py [--only merge] [--hosts 10000] [--parts 10] [--images 20]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "merge"))

from merge_parts import build_fleet, cells, slices, write_parts  # noqa: E402

from fleetcompat.cli import main  # noqa: E402
from fleetcompat.results.fleet import FleetResult  # noqa: E402

MERGE_GOAL_S = 2.0


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def cpu_timed(fn):
    """Wall and CPU seconds of this process: on a shared machine the CPU time is what the code costs."""
    cpu, started = time.process_time(), time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started, time.process_time() - cpu


def bench_merge(args: argparse.Namespace, work: Path) -> None:
    fleet, build_s = timed(lambda: build_fleet(args.hosts, args.images, 200, unreachable=args.hosts // 100))
    whole = work / "whole.json"
    fleet.dump(whole)
    paths = write_parts(work, slices(fleet, args.parts))
    out = work / "merged.json"
    _, load_s, load_cpu = cpu_timed(lambda: FleetResult.load(whole))
    with contextlib.redirect_stderr(io.StringIO()):
        code, merge_s, merge_cpu = cpu_timed(lambda: main(["merge", *paths, "-o", str(out)]))
    assert code == 0 and cells(FleetResult.load(out)) == cells(fleet), "the merged result differs from the fleet"
    print(f"merge: {args.parts} parts × {args.hosts // args.parts} hosts × {args.images} images (fleet built in "
          f"{build_s:.1f}s)")
    print(f"  load+validate the unsliced result      wall {load_s:6.2f}s  cpu {load_cpu:6.2f}s")
    print(f"  fleetcompat merge (load+merge+write)   wall {merge_s:6.2f}s  cpu {merge_cpu:6.2f}s   goal <= "
          f"{MERGE_GOAL_S:.0f}s: ratio {merge_s / MERGE_GOAL_S:.2f} (cpu {merge_cpu / MERGE_GOAL_S:.2f}); "
          f"vs one load {merge_s / load_s:.2f}×")


SECTIONS = {"merge": bench_merge}


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--images", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetcompat-scale-") as tmp:
        for name in args.only or SECTIONS:
            SECTIONS[name](args, Path(tmp))


if __name__ == "__main__":
    main_bench()
