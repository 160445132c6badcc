"""Benchmark: the history store (issue 12).

1. Recording a 10,000-host × 20-image fleet result in SQLite vs writing its JSON file (to_dict + dumps + atomic
   write, what `audit` does for fleet-result.json), measured alternately in one run, median of --repeat; goal
   ratio <= 1.
2. `history trend` over 365 recorded runs (--trend-hosts hosts × 20 images each, one a day): the store query plus
   the table, in-process (goal <= 1 s), and the `fleetcompat history trend` command's wall time (with the
   interpreter's start) for reference.

Usage: python -m bench.history [--hosts 10000] [--images 20] [--repeat 3] [--runs 365] [--trend-hosts 1000]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from fleetcompat.cli.history import trend_table
from fleetcompat.files import write_file
from fleetcompat.history.url import open_store
from fleetcompat.results.fleet import dumps
from tests.support.fleet_synthetic import build_fleet

RECORD_GOAL_RATIO = 1.0
TREND_GOAL_S = 1.0


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--trend-hosts", type=int, default=1_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fleetcompat-bench-history-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        result = build_fleet(args.hosts, args.images, 200, unreachable=args.hosts // 100)
        print(f"fleet: {args.hosts} hosts × {args.images} images (built in {time.perf_counter() - started:.2f}s)")
        store = open_store(f"sqlite://{work / 'record.db'}")
        json_times, record_times = [], []
        for _ in range(args.repeat):  # alternately, so both see the same machine load
            json_times.append(timed(lambda: write_file(work / "fleet-result.json", dumps(result.to_dict()))))
            record_times.append(timed(lambda: store.record(result)))
        store.close()
        json_s, record_s = statistics.median(json_times), statistics.median(record_times)
        size = (work / "record.db").stat().st_size / args.repeat / 1024 / 1024
        print(f"write fleet-result.json  {json_s:.2f}s  (median of {args.repeat})")
        print(f"record in SQLite         {record_s:.2f}s  ({size:.2f} MiB per run in the database)  "
              f"goal <= {RECORD_GOAL_RATIO:g}× JSON: ratio {record_s / json_s:.2f}")

        daily = [build_fleet(args.trend_hosts, args.images, 50, seed=seed, unreachable=seed)
                 for seed in range(1, 8)]
        url = f"sqlite://{work / 'trend.db'}"
        store = open_store(url)
        first_day = datetime.datetime(2026, 1, 1, 2, 0, tzinfo=datetime.UTC)
        started = time.perf_counter()
        for day in range(args.runs):
            run = daily[day % len(daily)]
            when = (first_day + datetime.timedelta(days=day)).isoformat().replace("+00:00", "Z")
            run.run = replace(run.run, started_at=when)
            store.record(run)
        print(f"history: {args.runs} runs of {args.trend_hosts} hosts × {args.images} images recorded in "
              f"{time.perf_counter() - started:.1f}s, database {(work / 'trend.db').stat().st_size / 2**20:.1f} MiB")
        trend_times = []
        for _ in range(args.repeat):
            trend_times.append(timed(lambda: trend_table(store.trend())))
        store.close()
        trend_s = statistics.median(trend_times)
        print(f"history trend (store + table, in-process)  {trend_s * 1000:.0f} ms  goal <= {TREND_GOAL_S:g}s: "
              f"ratio {trend_s / TREND_GOAL_S:.2f}")
        wall = timed(lambda: subprocess.run([sys.executable, "-m", "fleetcompat", "history", "trend", "--history",
                                             url], check=True, capture_output=True))
        print(f"`fleetcompat history trend` wall time (interpreter start included)  {wall:.2f}s")


if __name__ == "__main__":
    main()
