"""Benchmark: `fleetcompat spec from-hosts` over 1,000 good and 1,000 bad hosts (issue 13; goal <= 10 s).

Hosts are `bench/evaluate.py`'s synthetic ones (~60 KB of NFD features each, ~150 CPU flags, 120 modules, 40 PCI
devices, 2,000 kernel config keys), written as features files, each with its own node name. A host is good when
its profile has AVX512F, vfio_pci loaded and a kernel >= 5.15 (the rule the learner does not know), bad
otherwise. Measured side by side in one run: the CLI end to end (load, learn, emit, verify by the engine), and
only loading the same files with `load_features_file` (the floor any command reading them pays).

Usage: python -m bench.from_hosts [--good 1000] [--bad 1000] [--profiles 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.evaluate import make_profile
from fleetcompat.cli import main as fleetcompat
from fleetcompat.features import load_features_file
from fleetcompat.spec import parse_spec
from fleetcompat.spec.ops import parse_version

GOAL_S = 10.0


def is_good(profile: dict) -> bool:
    flags = profile["flags"]
    kernel = parse_version(profile["attributes"]["kernel.version"]["elements"]["full"])
    return ("AVX512F" in flags["cpu.cpuid"]["elements"] and "vfio_pci" in flags["kernel.loadedmodule"]["elements"]
            and kernel is not None and kernel >= (5, 15, 0))


def write_hosts(directory: Path, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    rng = random.Random(args.seed)
    profiles = [make_profile(rng, i) for i in range(args.profiles)]
    sides: dict[bool, list[dict]] = {True: [], False: []}
    for profile in profiles:
        sides[is_good(profile)].append(profile)
    if not sides[True] or not sides[False]:
        sys.exit(f"seed {args.seed}: all {args.profiles} profiles fall on one side; try another --seed")
    files: dict[bool, list[str]] = {True: [], False: []}
    for good, count in ((True, args.good), (False, args.bad)):
        templates = [json.dumps(p) for p in sides[good]]
        for i in range(count):
            name = f"{'good' if good else 'bad'}-{i:05d}"
            path = directory / f"{name}.json"
            path.write_text(templates[i % len(templates)].replace("@NODENAME@", name))
            files[good].append(str(path))
    print(f"profiles: {len(sides[True])} good, {len(sides[False])} bad (of {args.profiles})")
    return files[True], files[False]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=1000)
    parser.add_argument("--bad", type=int, default=1000)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetcompat-bench-") as tmp:
        good, bad = write_hosts(Path(tmp), args)
        out = Path(tmp) / "proposed.yaml"

        t0 = time.perf_counter()
        for path in good + bad:
            load_features_file(path)
        load_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = fleetcompat(["spec", "from-hosts", "--good", *good, "--bad", *bad, "-o", str(out)])
        cli_s = time.perf_counter() - t0
        if code != 0:
            sys.exit(f"spec from-hosts exited {code}: {err.getvalue().strip()}")
        spec = parse_spec(out.read_text(), str(out))
        names = [[r.name for r in c.rules] for c in spec.compatibilities]
        print(f"learned: {len(names)} compatibility set(s): {names} (hidden rule: AVX512F, vfio_pci, kernel >= 5.15)")
    hosts = args.good + args.bad
    print(f"spec from-hosts, {args.good} good + {args.bad} bad hosts: {cli_s:.2f} s "
          f"(goal <= {GOAL_S:.0f} s: ratio {cli_s / GOAL_S:.2f})")
    print(f"only loading the {hosts} features files: {load_s:.2f} s; from-hosts / loading = {cli_s / load_s:.2f}")


if __name__ == "__main__":
    main()
