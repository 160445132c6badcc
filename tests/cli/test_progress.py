"""The progress line of long runs, on a real pseudo-terminal: the commands run as child processes with their stderr
on the pty's slave side (stdout to a file), and what the terminal received is parsed into progress frames
(`\\r TEXT ESC[K`, erased by `\\r ESC[K`) and everything else. Everything else, and stdout, must equal a run with
stderr on a pipe, which shows no progress at all; so must a run with --quiet on the terminal."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import struct
import subprocess
import sys
import termios
import time
import tty
from dataclasses import dataclass
from pathlib import Path

import pytest

from fleetcompat.cli._progress import REDRAWS_PER_S, TerminalProgress
from tests.support.lab import SPECS, Lab
from tests.support.merge_parts import build_fleet, slices, write_parts

REPO = Path(__file__).resolve().parents[2]
FLEETCOMPAT = Path(sys.executable).parent / "fleetcompat"
FRAME = re.compile(r"\r([^\r\n]*?)\x1b\[K")
RUN_CLOCK = re.compile(r"\(run [^,]+, [0-9.]+s")  # the matrix's heading names the run's start and duration


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str  # on a terminal: what the terminal received, raw


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "TERM": "xterm", **extra}


def on_terminal(args: list, cwd: Path, columns: int = 200, **env: str) -> Run:
    """The command with stderr on a pty in raw mode (no \\n -> \\r\\n: the bytes are exactly what was written)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    with (cwd / "stdout.txt").open("w+") as stdout:
        proc = subprocess.Popen([str(FLEETCOMPAT), *map(str, args)], cwd=cwd, env=_env(**env),
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=slave)
        os.close(slave)
        received = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer of the slave side is gone
                break
            if not chunk:
                break
            received += chunk
        os.close(master)
        code = proc.wait(timeout=300)
        stdout.seek(0)
        return Run(code, stdout.read(), received.decode())


def on_pipes(args: list, cwd: Path) -> Run:
    proc = subprocess.run([str(FLEETCOMPAT), *map(str, args)], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def split_frames(terminal: str) -> tuple[list[str], str]:
    """(the progress frames drawn, everything else the terminal received). Fails when anything is written while a
    frame is shown (it would land on the progress line) or when the last frame is not erased."""
    frames, rest, shown, position = [], [], False, 0
    for match in FRAME.finditer(terminal):
        between = terminal[position:match.start()]
        assert not (between and shown), f"{between!r} written over the progress line {frames[-1]!r}"
        rest.append(between)
        if match.group(1):
            frames.append(match.group(1))
        shown, position = bool(match.group(1)), match.end()
    assert not shown, f"the progress line {frames[-1]!r} was left on the terminal"
    rest.append(terminal[position:])
    return frames, "".join(rest)


def stage(frames: list[str], prefix: str) -> list[str]:
    return [f for f in frames if f.startswith(prefix)]


def assert_same_output(terminal: Run, piped: Run) -> list[str]:
    """The frames of `terminal`, after checking that nothing else differs from the run on pipes."""
    assert "\r" not in piped.stderr and "\x1b" not in piped.stderr, piped.stderr
    frames, rest = split_frames(terminal.stderr)
    assert (terminal.code, RUN_CLOCK.sub("(run", terminal.stdout), rest) == (
        piped.code, RUN_CLOCK.sub("(run", piped.stdout), piped.stderr)
    return frames


# ---------------------------------------------------------------------------------------------- fleets on disk


OS_VERSION_SPEC = """\
version: v1alpha1
compatibilities:
- description: an OS release above 20 (VERSION_ID must be a plain number)
  rules:
  - name: os release
    matchFeatures:
    - feature: system.osrelease
      matchExpressions:
        VERSION_ID: {op: Gt, value: ["20"]}
"""


def _features(version_id: str) -> dict:
    features = json.loads((REPO / "examples" / "features" / "xeon-sriov-node.json").read_text())
    features["attributes"]["system.osrelease"]["elements"]["VERSION_ID"] = version_id
    return features


UNREACHABLE = {"fleetcompat_gathered": {"at": "2026-05-04T10:00:00Z", "status": "unreachable",
                                        "reason": "ssh: connect to host: Connection refused", "featuresAt": None}}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    """A fact cache written by Ansible's own jsonfile plugin: 20 hosts on OS release "24", 5 on "24.04" (the spec
    cannot compare that: an evaluation error), 2 unreachable in the last gather and 1 without features (errors
    while reading), and the spec."""
    work = tmp_path_factory.mktemp("progress-fleet")
    facts = {f"node-{n:02d}": {"node_features": _features("24")} for n in range(20)}
    facts |= {f"odd-{n}": {"node_features": _features("24.04")} for n in range(5)}
    facts |= {"down-1": UNREACHABLE, "down-2": UNREACHABLE, "empty": {"ansible_hostname": "empty"}}
    code = ("import json, sys\n"
            "from ansible.plugins.loader import cache_loader, init_plugin_loader\n"
            "init_plugin_loader()\n"
            "cache = cache_loader.get('ansible.builtin.jsonfile', _uri=sys.argv[1], _prefix='', _timeout=0)\n"
            "for name, facts in json.load(sys.stdin).items():\n"
            "    cache.set(name, facts)\n")
    subprocess.run([sys.executable, "-c", code, str(work / "facts")], input=json.dumps(facts), text=True, check=True,
                   timeout=120)
    (work / "os-version.yaml").write_text(OS_VERSION_SPEC)
    return work


def _audit_cache(fleet: Path, *extra: str) -> list:
    return ["audit", "--facts-cache", fleet / "facts", "--facts-cache-timeout", "0", "--spec",
            fleet / "os-version.yaml", "--output-dir", fleet / "reports", "--no-history", *extra]


def test_audit_from_the_fact_cache_counts_hosts_and_errors_per_stage(fleet: Path):
    terminal = on_terminal(_audit_cache(fleet), fleet)
    frames = assert_same_output(terminal, on_pipes(_audit_cache(fleet), fleet))
    assert terminal.code == 2  # unreachable hosts and evaluation errors: undecidable
    reading = stage(frames, "audit: reading facts ")
    assert reading[0] == "audit: reading facts 0/28 hosts · 0 errors · ETA --"
    assert reading[-1] == "audit: reading facts 28/28 hosts · 3 errors · ETA 0:00"
    evaluating = stage(frames, "audit: evaluating ")
    # Hosts, not profiles: 25 gathered hosts in 2 groups, the 5 that cannot be compared are the errors.
    assert evaluating[0] == "audit: evaluating 0/25 hosts · 0 errors · ETA --"
    assert evaluating[-1] == "audit: evaluating 25/25 hosts · 5 errors · ETA 0:00"
    assert frames[len(reading)] == "audit: resolving images"
    assert frames[-2:] == ["audit: building the result", "audit: writing reports"]
    assert len(frames) == len(reading) + len(evaluating) + 3


def test_quiet_and_dumb_terminals_show_no_progress(fleet: Path):
    piped = on_pipes(_audit_cache(fleet, "--quiet"), fleet)
    quiet = on_terminal(_audit_cache(fleet, "--quiet"), fleet)
    assert (quiet.code, quiet.stdout, quiet.stderr) == (piped.code, piped.stdout, piped.stderr)
    assert "gate: undecidable" in quiet.stdout and "\r" not in quiet.stderr
    dumb = on_terminal(_audit_cache(fleet), fleet, TERM="dumb")
    assert "\r" not in dumb.stderr and "\x1b" not in dumb.stderr and "gate: undecidable" in dumb.stdout


def test_features_files_and_a_narrow_terminal(fleet: Path, tmp_path):
    paths = []
    for n in range(4):
        paths.append(tmp_path / f"host{n}.json")
        paths[-1].write_text(json.dumps(_features("24")))
    (tmp_path / "broken.json").write_text("{not json")
    args = ["audit", *[a for p in [*paths, tmp_path / "broken.json"] for a in ("--features", p)], "--spec",
            fleet / "os-version.yaml", "--output-dir", tmp_path / "reports", "--no-history"]
    wide = on_terminal(args, tmp_path)
    frames = assert_same_output(wide, on_pipes(args, tmp_path))
    assert stage(frames, "audit: reading features ")[-1] == "audit: reading features 5/5 hosts · 1 error · ETA 0:00"
    assert stage(frames, "audit: evaluating ")[-1] == "audit: evaluating 4/4 hosts · 0 errors · ETA 0:00"
    narrow_frames, _ = split_frames(on_terminal(args, tmp_path, columns=24).stderr)
    # Cut to the width (a wrapped line could not be erased with \r); the same frames otherwise.
    assert narrow_frames and {len(f) for f in narrow_frames} <= set(range(24))
    assert "audit: reading features 5/5 hosts · 1 error · ETA 0:00"[:23] in narrow_frames


# ---------------------------------------------------------------------------------------------- direct mode


def test_direct_mode_counts_the_unreachable_host_as_an_error(lab: Lab, tmp_path):
    args = ["audit", *lab.targets("node1", "node3", "down"), *lab.ssh_args(), "--spec", SPECS / "x86-64-v3.yaml",
            "--output-dir", tmp_path / "reports", "--no-history"]
    terminal = on_terminal(args, tmp_path)
    frames = assert_same_output(terminal, on_pipes(args, tmp_path))
    gathering = stage(frames, "audit: gathering ")
    assert gathering[0] == "audit: gathering 0/3 hosts · 0 errors · ETA --"
    assert gathering[-1] == "audit: gathering 3/3 hosts · 1 error · ETA 0:00"
    assert stage(frames, "audit: evaluating ")[-1] == "audit: evaluating 2/2 hosts · 0 errors · ETA 0:00"


def test_gather_over_ssh_erases_the_line_before_its_error_lines(lab: Lab, tmp_path):
    args = ["gather", "--summary", *lab.targets("node2", "down"), *lab.ssh_args(), "--sources", "system"]
    terminal = on_terminal(args, tmp_path)
    frames, rest = split_frames(terminal.stderr)
    assert terminal.code == 2
    assert frames[-1] == "gather: gathering 2/2 hosts · 1 error · ETA 0:00"
    # The summary holds nothing that changes between two gathers of the same host (no clock, no counters).
    piped = on_pipes(args, tmp_path)
    assert (terminal.stdout, rest) == (piped.stdout, piped.stderr)
    assert rest.startswith(f"fleetcompat: error: {lab.names['down'].target}: unreachable: ")
    assert list(json.loads(terminal.stdout)) == [lab.names["node2"].target]
    quiet = on_terminal([*args, "--quiet"], tmp_path)
    assert quiet.stderr == piped.stderr


# ---------------------------------------------------------------------------------------------- merge


def test_merge_of_many_parts(tmp_path):
    fleet = build_fleet(60, 3, 5, unreachable=4, gather_errors=2)
    paths = write_parts(tmp_path, slices(fleet, 12))
    args = ["merge", *paths, "-o", tmp_path / "merged.json"]
    terminal = on_terminal(args, tmp_path)
    frames = assert_same_output(terminal, on_pipes(args, tmp_path))
    assert terminal.code == 0 and "60 hosts × 3 images from 12 runs" in terminal.stderr
    reading = stage(frames, "merge: reading ")
    assert reading[0] == "merge: reading 0/12 parts · 0 errors · ETA --"
    assert reading[-1] == "merge: reading 12/12 parts · 0 errors · ETA 0:00"
    assert stage(frames, "merge: merging ")[-1] == "merge: merging 60/60 hosts · 6 errors · ETA 0:00"
    assert frames[-1] == "merge: writing the result"
    quiet = on_terminal([*args, "--quiet"], tmp_path)
    assert (quiet.code, quiet.stderr) == (0, "")


# ---------------------------------------------------------------------------------------------- the line itself


def test_redraws_are_throttled_and_every_stage_ends_with_its_final_count():
    stream = io.StringIO()
    progress = TerminalProgress("audit", stream)
    started = time.monotonic()
    progress.begin("reading facts", 300_000)
    for n in range(300_000):
        progress.advance(errors=n % 1000 == 0)
    elapsed = time.monotonic() - started
    frames, rest = split_frames(stream.getvalue())
    assert rest == ""
    assert frames[0] == "audit: reading facts 0/300,000 hosts · 0 errors · ETA --"
    assert frames[-1] == "audit: reading facts 300,000/300,000 hosts · 300 errors · ETA 0:00"
    assert len(frames) <= 3 + elapsed * REDRAWS_PER_S, (len(frames), elapsed)


def test_eta_from_the_rate_so_far():
    progress = TerminalProgress("gather", io.StringIO())
    progress.begin("gathering", 100)
    progress.advance(25, errors=1)
    assert progress.line(time.monotonic()) == "gather: gathering 25/100 hosts · 1 error · ETA --"  # too early
    assert progress.line(time.monotonic() + 10) == "gather: gathering 25/100 hosts · 1 error · ETA 0:30"
    assert progress.line(time.monotonic() + 4000) == "gather: gathering 25/100 hosts · 1 error · ETA 3:20:00"
