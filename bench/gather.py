"""Benchmark: fleetcompat.audit.node_features vs ansible.builtin.setup on the same host, side by side.

One ansible-playbook run against localhost (the repository's inventory and ansible.cfg) executes ROUNDS rounds
of four tasks in rotating order: node_features (all sources), setup gather_subset=all, setup
gather_subset=hardware, and ping (Ansible's own per-task floor). A small callback plugin records each task's
wall time (task start to result, so module transfer and start-up are included). Then `fleetcompat gather` is
timed as a command and gather() in process.

    .venv/bin/python -m bench.gather [--rounds 10] [--cli-runs 5]

Goal: node_features <= 0.5x setup(all).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleetcompat.hostfeatures import gather

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TASKS = {
    "node_features": "fleetcompat.audit.node_features: {}",
    "setup_all": "ansible.builtin.setup: {gather_subset: [all]}",
    "setup_hardware": "ansible.builtin.setup: {gather_subset: [hardware]}",
    "ping": "ansible.builtin.ping: {}",  # the per-task floor of Ansible itself (module transfer and start-up)
}
CALLBACK = '''
import json, os, time
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gather_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.started, self.times = {}, []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started[task._uuid] = time.perf_counter()

    def v2_runner_on_ok(self, result):
        task = result._task
        self.times.append([task.get_name(), time.perf_counter() - self.started[task._uuid]])

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["GATHER_BENCH_OUT"], "w") as out:
            json.dump(self.times, out)
'''


def playbook(rounds: int) -> str:
    lines = ["- hosts: localhost", "  gather_facts: false", "  tasks:"]
    kinds = list(TASKS)
    for round_number in range(rounds):
        shift = round_number % len(kinds)
        order = kinds[shift:] + kinds[:shift]  # rotate so no kind always runs first
        for kind in order:
            lines += [f"    - name: {kind} {round_number}", f"      {TASKS[kind]}"]
    return "\n".join(lines) + "\n"


def run_playbook(rounds: int, scratch: Path) -> dict[str, list[float]]:
    (scratch / "callbacks").mkdir()
    (scratch / "callbacks/gather_timing.py").write_text(CALLBACK)
    (scratch / "bench.yml").write_text(playbook(rounds))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_CALLBACK_PLUGINS=str(scratch / "callbacks"), ANSIBLE_CALLBACKS_ENABLED="gather_timing",
               GATHER_BENCH_OUT=str(scratch / "times.json"))
    subprocess.run([str(BIN / "ansible-playbook"), str(scratch / "bench.yml")], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    times: dict[str, list[float]] = {kind: [] for kind in TASKS}
    for name, seconds in json.loads((scratch / "times.json").read_text()):
        kind, round_number = name.rsplit(" ", 1)
        if round_number != "0":  # round 0 warms caches (AnsiballZ payloads, page cache)
            times[kind].append(seconds)
    return times


def time_cli(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(BIN / "fleetcompat"), "gather"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def time_library(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        gather("/")
        times.append(time.perf_counter() - start)
    return times


def line(label: str, samples: list[float]) -> str:
    return (f"{label:<34} median {statistics.median(samples):6.3f} s  mean {statistics.mean(samples):6.3f} s  "
            f"min {min(samples):6.3f} s  (n={len(samples)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="measured rounds of the tasks (plus one warm-up)")
    parser.add_argument("--cli-runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gather-bench-") as scratch:
        times = run_playbook(args.rounds + 1, Path(scratch))
    cli = time_cli(args.cli_runs)
    library = time_library(args.cli_runs)
    print(f"host: {os.uname().nodename}  {os.uname().release}  cpus={os.cpu_count()}  localhost via ansible-playbook")
    print(line("node_features (module, all)", times["node_features"]))
    print(line("setup gather_subset=all", times["setup_all"]))
    print(line("setup gather_subset=hardware", times["setup_hardware"]))
    print(line("ping (Ansible per-task floor)", times["ping"]))
    nf, floor = statistics.median(times["node_features"]), statistics.median(times["ping"])
    setup_all, setup_hw = statistics.median(times["setup_all"]), statistics.median(times["setup_hardware"])
    print(f"ratio node_features / setup(all)      {nf / setup_all:.2f}x  (goal <= 0.50x)")
    print(f"ratio node_features / setup(hardware) {nf / setup_hw:.2f}x")
    print(f"above the ping floor: node_features {nf - floor:+.3f} s, setup(all) {setup_all - floor:+.3f} s")
    print(line("fleetcompat gather (CLI wall)", cli))
    print(line("gather() in process", library))
    return 0


if __name__ == "__main__":
    sys.exit(main())
