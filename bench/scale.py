"""Benchmark: fleetcompat past one controller (issue 11).

Sections (all by default, or pick with --only):
  merge   10 parts × 1,000 hosts (AWX slices of one 10,000-host × 20-image fleet) merged with `fleetcompat merge`,
          next to loading the same fleet as one file; goal merge <= 2 s.
  cache   the report stage from the fact cache: 10,000 cached hosts (each one of the real hwloc trees of
          /work/shared/fixtures/hwloc, gathered by the real gatherer, written through Ansible's own jsonfile cache
          plugin) × 20 images: `ansible-playbook playbooks/report.yml` next to `fleetcompat audit --facts-cache`;
          wall time (goal <= 10 s) and peak RSS; and the size of one host's cached facts.
  audit   N simulated hosts (local connection, each gathering below one of the real hwloc trees, so hosts differ):
          `ansible-playbook playbooks/audit.yml` vs `ansible all -m ansible.builtin.setup` over the same hosts
          (goal <= 1.0), and gather.yml as 4 parallel ansible-runner slices (AWX's rule) + report.yml.
  big     100,000 hosts × 50 images (a 10,000-host synthetic fleet, each host repeated under 10 names): result
          JSON size and load+validate (goal <= 10 s), HTML size (goal <= 10 MB) and headless Chromium's time to an
          interactive matrix (goal <= 2 s), compact JUnit size (goal <= 5 MB).

Each line prints the measured time next to its goal as a ratio (<= 1.0 meets it). Timings are wall-clock on this
machine, measured side by side in one run.

Usage: python -m bench.scale [--only merge] [--hosts 10000] [--parts 10] [--images 20]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

from fleetcompat.cli import main
from fleetcompat.results.fleet import FleetResult, HostStatus
from tests.support.merge_parts import build_fleet, cells, slices, write_parts

ROOT = Path(__file__).resolve().parents[1]
MERGE_GOAL_S = 2.0
REPORT_STAGE_GOAL_S = 10.0
HWLOC = Path("/work/shared/fixtures/hwloc")
BIN = Path(sys.executable).parent


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


def hwloc_roots(work: Path) -> list[Path]:
    """The root folder of every hwloc capture, extracted below `work`."""
    roots = []
    for tarball in sorted(HWLOC.glob("*.tar.bz2")):
        dest = work / "hwloc" / tarball.name.removesuffix(".tar.bz2")
        if not dest.exists():
            with tarfile.open(tarball) as tar:
                tar.extractall(dest, filter="data")
        roots.extend(p for p in dest.iterdir() if p.is_dir())
    return roots


def hwloc_features(work: Path) -> list[tuple[dict, dict]]:
    """(features, summary) of every hwloc capture, gathered by the real gatherer below the extracted tree."""
    from fleetcompat.hostfeatures import gather
    from fleetcompat.hostfeatures.summary import summarize

    out = []
    for root in hwloc_roots(work):
        features, _ = gather(str(root), use_udev=False)
        out.append((features, summarize(features)))
    return out


def child_run(argv: list, env: dict) -> tuple[str, int, float, float]:
    """(output, exit code, wall seconds, the child's own peak RSS in MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(a) for a in argv], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return output, proc.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024


def bench_cache(args: argparse.Namespace, work: Path) -> None:
    from ansible.plugins.loader import cache_loader, init_plugin_loader

    from fleetcompat.hostfeatures import gather
    from fleetcompat.hostfeatures.packed import pack

    here = gather("/", use_udev=False)[0]
    trees = hwloc_features(work)
    packed = [(pack(f), summary) for f, summary in trees]
    cache_dir = work / "facts"
    init_plugin_loader()
    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=str(cache_dir), _prefix="", _timeout=0)
    names = [f"host-{n:05d}" for n in range(args.hosts)]
    started = time.perf_counter()
    for n, name in enumerate(names):
        features, summary = packed[n % len(packed)]
        cache.set(name, {"node_features_packed": features, "node_features_summary": summary,
                         "fleetcompat_gathered": {"at": "2026-05-04T10:00:00Z", "status": "ok", "reason": "",
                                                  "featuresAt": "2026-05-04T10:00:00Z"}})
    fill_s = time.perf_counter() - started
    sizes = sorted(len(json.dumps(f, separators=(",", ":"))) for f, _ in trees)
    here_plain, here_packed = len(json.dumps(here, separators=(",", ":"))), len(pack(here))
    entries = sorted(p.stat().st_size for p in cache_dir.iterdir())
    specs = sorted((ROOT / "examples" / "specs").glob("*.yaml"))
    images = [{"alias": f"{spec.stem}-{i}", "spec": str(spec)} for i in range(args.images // len(specs) + 1)
              for spec in specs][: args.images]
    (work / "images.yml").write_text(yaml.safe_dump(images))
    inventory = work / "fleet.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": dict.fromkeys(names),
                                                 "vars": {"fleetcompat_images": images}}}))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_CACHE_PLUGIN": "jsonfile",
           "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache_dir), "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "0",
           "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    cli, cli_code, cli_s, cli_rss = child_run(
        [BIN / "fleetcompat", "audit", "--facts-cache", cache_dir, "--facts-cache-timeout", "0",
         "--images", work / "images.yml", "--output-dir", work / "cli", "-q", "--exit-zero",
         "--format", "json", "--format", "html", "--format", "junit-compact"], env)  # report.yml's default formats
    assert cli_code == 0, cli[-2000:]
    stage, stage_code, stage_s, stage_rss = child_run(
        [BIN / "ansible-playbook", "-i", inventory, "playbooks/report.yml", "-e", f"fleetcompat_report_dir={work}/r"],
        env)
    assert stage_code == 0, stage[-3000:]
    result = FleetResult.load(work / "r" / "fleet-result.json")
    assert len(result.hosts) == args.hosts and not result.host_status_counts()[HostStatus.ERROR]
    print(f"report stage from the fact cache: {args.hosts} hosts ({len(trees)} hwloc trees) × {len(images)} images "
          f"(cache written in {fill_s:.1f}s)")
    print(f"  this machine's features: {here_plain / 1024:.1f} KiB compact JSON, packed {here_packed / 1024:.1f} KiB "
          f"({1 - here_packed / here_plain:.0%} less)")
    print(f"  hwloc trees' features: {sizes[0] / 1024:.1f}-{sizes[-1] / 1024:.1f} KiB compact JSON (median "
          f"{sizes[len(sizes) // 2] / 1024:.1f}); packed cache entries {entries[0] / 1024:.1f}-"
          f"{entries[-1] / 1024:.1f} KiB, {sum(entries) / 1024 / 1024:.0f} MiB in all")
    print(f"  fleetcompat audit --facts-cache   wall {cli_s:6.2f}s  peak RSS {cli_rss:6.0f} MiB")
    print(f"  ansible-playbook report.yml       wall {stage_s:6.2f}s  peak RSS {stage_rss:6.0f} MiB   goal <= "
          f"{REPORT_STAGE_GOAL_S:.0f}s: ratio {stage_s / REPORT_STAGE_GOAL_S:.2f}")


def bench_audit(args: argparse.Namespace, work: Path) -> None:
    from tests.support.stages import awx_slices, finish_job, inventory_with, start_job

    roots = hwloc_roots(work)
    names = [f"sim-{n:05d}" for n in range(args.audit_hosts)]
    images = [{"spec": str(ROOT / "examples" / "specs" / f)} for f in ("x86-64-v3.yaml", "hugepages-vfio.yaml")]
    doc = {"all": {"hosts": {name: {"fleetcompat_gather_root": str(roots[n % len(roots)])}
                             for n, name in enumerate(names)},
                   "vars": {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3",
                            "fleetcompat_images": images}}}
    inventory = work / "sim.yml"
    inventory.write_text(yaml.safe_dump(doc))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    _, code, audit_s, _ = child_run([BIN / "ansible-playbook", "-i", inventory, "playbooks/audit.yml",
                                     "-e", f"fleetcompat_report_dir={work}/audit"], env)
    assert code == 0
    _, code, setup_s, _ = child_run([BIN / "ansible", "-i", inventory, "all", "-m", "ansible.builtin.setup", "-o"],
                                    env)
    assert code == 0
    started = time.perf_counter()
    cache = work / "slices-cache"
    jobs = [start_job(work / f"slice{n}", f"slice{n}", ROOT / "playbooks" / "gather.yml",
                      inventory_with(doc, members), cache, "", {})
            for n, members in enumerate(awx_slices(names, 4))]
    for job in jobs:
        finish_job(job)
    gathered_s = time.perf_counter() - started
    finish_job(start_job(work / "report", "report", ROOT / "playbooks" / "report.yml", doc, cache,
                         f"-e fleetcompat_report_dir={work}/sliced", {}))
    sliced_s = time.perf_counter() - started
    assert len(FleetResult.load(work / "sliced" / "fleet-result.json").hosts) == args.audit_hosts
    print(f"audit: {args.audit_hosts} local hosts over {len(roots)} hwloc trees, 2 images")
    print(f"  ansible-playbook audit.yml        {audit_s:7.2f}s")
    print(f"  ansible all -m setup              {setup_s:7.2f}s   audit/setup {audit_s / setup_s:.2f} (goal <= 1.0)")
    print(f"  4 runner slices of gather.yml     {gathered_s:7.2f}s, + report.yml {sliced_s:.2f}s in all   "
          f"/setup {sliced_s / setup_s:.2f}")


def bench_big(args: argparse.Namespace, work: Path) -> None:
    from dataclasses import replace

    from bench.report import browser_timing  # bench/report.py: the same Chromium measurement as for 10,000 hosts
    from fleetcompat._format.html import HtmlFormat
    from fleetcompat._format.interface import ReportContext
    from fleetcompat._format.junit import JunitFormat
    from fleetcompat.results.gate import decide

    base, build_s = timed(lambda: build_fleet(10_000, 50, 200, unreachable=50, gather_errors=10))
    hosts = [replace(h, name=f"{h.name}.r{r}") for r in range(10) for h in base.hosts]
    fleet = replace(base, hosts=hosts)
    path = work / "big.json"
    fleet.dump(path)
    loaded, load_s, load_cpu = cpu_timed(lambda: FleetResult.load(path))
    html, html_s = timed(lambda: HtmlFormat().render(loaded, ReportContext(decide(loaded))))
    (work / "big.html").write_text(html, encoding="utf-8")
    junit, junit_s = timed(lambda: JunitFormat(compact=True).render(loaded))
    browser = sorted(browser_timing(work / "big.html", 3))
    in_page_ms, wall_s, filter_s = browser[len(browser) // 2]
    mb = 1_000_000
    print(f"big: {len(hosts)} hosts × {len(loaded.images)} images (base fleet built in {build_s:.1f}s)")
    print(f"  result JSON {path.stat().st_size / mb:6.1f} MB   load+validate wall {load_s:5.2f}s cpu {load_cpu:5.2f}s"
          f"   goal <= 10s: ratio {load_s / 10:.2f}")
    print(f"  HTML        {len(html.encode()) / mb:6.2f} MB   rendered in {html_s:.2f}s   goal <= 10 MB: ratio "
          f"{len(html.encode()) / (10 * mb):.2f}")
    print(f"  chromium: navigation start -> matrix interactive {in_page_ms / 1000:.2f}s (median of 3; goal <= 2s: "
          f"ratio {in_page_ms / 2000:.2f}); goto -> ready wall {wall_s:.2f}s; status filter {filter_s * 1000:.0f}ms")
    print(f"  compact JUnit {len(junit.encode()) / mb:6.2f} MB   rendered in {junit_s:.2f}s   goal <= 5 MB: ratio "
          f"{len(junit.encode()) / (5 * mb):.2f}")


SECTIONS = {"merge": bench_merge, "cache": bench_cache, "audit": bench_audit, "big": bench_big}


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--hosts", type=int, default=10_000, help="merge/cache fleet size")
    parser.add_argument("--audit-hosts", type=int, default=1_000, help="simulated hosts for the audit section")
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--images", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleetcompat-scale-") as tmp:
        for name in args.only or SECTIONS:
            SECTIONS[name](args, Path(tmp))


if __name__ == "__main__":
    main_bench()
