"""Shared by the hostile tests of inputs, outputs and the CLI: running the real CLI in a child process, bounded in
time and memory, and the special files an attacker or an unlucky operator hands it."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples/specs/x86-64-v3.yaml"
FEATURES = REPO / "examples/features/xeon-sriov-node.json"
# A bounded run: each case must answer within this (generous for a loaded 2-core CI machine; a hang is forever).
WALL_S = 30


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def fleetcompat(*args: str | os.PathLike[str], memory_mb: int | None = None, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> Run:
    """`python -m fleetcompat ARGS` in a child process, optionally under RLIMIT_AS; a hang fails the test."""

    def limit_memory() -> None:
        if memory_mb is not None:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run([sys.executable, "-m", "fleetcompat", *map(str, args)], capture_output=True, text=True,
                          timeout=WALL_S, preexec_fn=limit_memory, stdin=subprocess.DEVNULL, cwd=cwd,
                          env={**os.environ, **(env or {})})
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_error(run: Run, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr, no traceback, and the line names what it must."""
    assert run.code == 2, (run.code, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def make_char_device(path: Path, major: int = 1, minor: int = 5) -> Path:
    """A character device node in a temp dir (1:5 is /dev/zero, 1:3 /dev/null); the tests run as root."""
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    return path
