"""Benchmark: what the progress line costs (issue 10 item 9), on a 10,000-host `fleetcompat audit --facts-cache`.

The fact cache is written through Ansible's own jsonfile plugin, each host one of the real hwloc trees of
/work/shared/fixtures/hwloc gathered by the real gatherer (packed, as playbooks/gather.yml leaves them). Then, taking
turns in one run, it times

  on    this tree, stderr on a pseudo-terminal: the progress line is drawn (its frames are counted)
  off   this tree, stderr on a pipe: no progress line
  base  --base DIR (default /work/wt-base: main before the progress line), stderr on a pipe

each as `python -m fleetcompat` with PYTHONPATH at its tree's src/, and prints the median wall and CPU seconds (the
child's own, from wait4: on a shared machine the CPU time is what the code costs) and the ratios on/off and
on/base (goal: no measurable cost, i.e. within run-to-run noise, shown as the spread of the `off` runs). Below
that noise, it times what the stages call per host in-process: `advance()` of the terminal line (on a pty) next
to the no-op one, 3 calls per host (an audit makes fewer: one per host read, one per profile evaluated).

Usage: python -m bench.progress [--hosts 10000] [--images 20] [--repeat 5] [--base /work/wt-base]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from bench.scale import hwloc_features

ROOT = Path(__file__).resolve().parents[1]


def write_fact_cache(work: Path, hosts: int) -> Path:
    from ansible.plugins.loader import cache_loader, init_plugin_loader

    from fleetcompat.hostfeatures.packed import pack

    packed = [(pack(features), summary) for features, summary in hwloc_features(work)]
    init_plugin_loader()
    directory = work / "facts"
    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=str(directory), _prefix="", _timeout=0)
    for n in range(hosts):
        features, summary = packed[n % len(packed)]
        cache.set(f"host-{n:05d}", {"node_features_packed": features, "node_features_summary": summary,
                                    "fleetcompat_gathered": {"at": "2026-05-04T10:00:00Z", "status": "ok",
                                                             "reason": "", "featuresAt": "2026-05-04T10:00:00Z"}})
    return directory


def _drain(fd: int, into: bytearray) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return
        if not chunk:
            return
        into.extend(chunk)


def run(argv: list[str], src: Path, work: Path, terminal: bool) -> tuple[float, float, int]:
    """(wall s, the child's CPU s, progress frames drawn) of one run; stdout goes to a file either way."""
    env = {**os.environ, "PYTHONPATH": str(src), "TERM": "xterm"}
    received = bytearray()
    reader = None
    if terminal:
        master, stderr = os.openpty()
        reader = threading.Thread(target=_drain, args=(master, received))
        reader.start()
    else:
        master, stderr = -1, subprocess.PIPE
    with (work / "stdout.txt").open("w") as stdout:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "fleetcompat", *argv], cwd=work, env=env,
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        if terminal:
            os.close(stderr)
        else:
            received.extend(proc.stderr.read())
            proc.stderr.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if reader is not None:
        reader.join()
        os.close(master)
    if proc.returncode not in (0, 1):
        sys.exit(f"bench: {argv[0]} failed: {bytes(received[-2000:]).decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, bytes(received).count(b"\x1b[K")


def advance_cost(calls: int) -> tuple[float, float]:
    """Seconds for `calls` advances of the terminal line (drawn on a pty, drained by a thread) and of NO_PROGRESS."""
    from fleetcompat.cli._progress import TerminalProgress
    from fleetcompat.progress import NO_PROGRESS

    master, slave = os.openpty()
    drained = bytearray()
    reader = threading.Thread(target=_drain, args=(master, drained))
    reader.start()
    with os.fdopen(slave, "w") as terminal:
        seconds = []
        for progress in (TerminalProgress("audit", terminal), NO_PROGRESS):
            progress.begin("reading facts", calls)
            started = time.perf_counter()
            for _ in range(calls):
                progress.advance()
            seconds.append(time.perf_counter() - started)
    reader.join()
    os.close(master)
    return seconds[0], seconds[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each variant, taking turns")
    parser.add_argument("--base", type=Path, default=Path("/work/wt-base"), help="a checkout without the line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetcompat-bench-progress-") as tmp:
        work = Path(tmp)
        cache = write_fact_cache(work, args.hosts)
        specs = sorted((ROOT / "examples" / "specs").glob("*.yaml"))
        images = [{"alias": f"{spec.stem}-{i}", "spec": str(spec)} for i in range(args.images // len(specs) + 1)
                  for spec in specs][: args.images]
        (work / "images.yml").write_text(yaml.safe_dump(images))
        argv = ["audit", "--facts-cache", str(cache), "--facts-cache-timeout", "0", "--images", "images.yml",
                "--output-dir", "reports", "--format", "json", "--no-history", "--exit-zero"]
        variants = {"on": (ROOT / "src", True), "off": (ROOT / "src", False)}
        if (args.base / "src" / "fleetcompat").is_dir():
            variants["base"] = (args.base / "src", False)
        run(argv, ROOT / "src", work, False)  # warm the page cache and the bytecode caches
        times: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, (src, terminal) in variants.items():
                times[name].append(run(argv, src, work, terminal))
    print(f"progress line cost: fleetcompat audit --facts-cache, {args.hosts} hosts × {len(images)} images "
          f"(--format json), median of {args.repeat} runs taking turns")
    med = {name: (statistics.median(t[0] for t in runs), statistics.median(t[1] for t in runs))
           for name, runs in times.items()}
    labels = {"on": "this tree, stderr on a terminal", "off": "this tree, stderr on a pipe",
              "base": f"{args.base}, stderr on a pipe"}
    for name, (wall, cpu) in med.items():
        frames = max(t[2] for t in times[name])
        print(f"  {name:4} {labels[name]:45} wall {wall:6.2f}s  cpu {cpu:6.2f}s  frames drawn {frames}")
    off_walls = [t[0] for t in times["off"]]
    print(f"  on/off  wall {med['on'][0] / med['off'][0]:.3f}  cpu {med['on'][1] / med['off'][1]:.3f}   "
          f"(spread of the off runs: {min(off_walls):.2f}-{max(off_walls):.2f}s)")
    if "base" in med:
        print(f"  on/base wall {med['on'][0] / med['base'][0]:.3f}  cpu {med['on'][1] / med['base'][1]:.3f};  "
              f"off/base wall {med['off'][0] / med['base'][0]:.3f}  cpu {med['off'][1] / med['base'][1]:.3f}")
    else:
        print(f"  base: {args.base} has no src/fleetcompat, not compared")
    calls = 3 * args.hosts
    drawn, silent = advance_cost(calls)
    print(f"  {calls} advance() calls in-process: terminal line {drawn * 1000:.1f} ms, no-op {silent * 1000:.1f} ms; "
          f"the line's share of the median off run: {(drawn - silent) / med['off'][1]:.2%} of its CPU time")


if __name__ == "__main__":
    main()
