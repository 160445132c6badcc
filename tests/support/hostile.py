"""Shared by the hostile tests of inputs, outputs, registries and the CLI: running the real CLI in a child process,
bounded in time and memory, and the special files an attacker or an unlucky operator hands it."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO

SPEC = REPO / "examples/specs/x86-64-v3.yaml"
FEATURES = REPO / "examples/features/xeon-sriov-node.json"
# A bounded run: each case must answer within this (generous for a loaded 2-core CI machine; a hang is forever).
WALL_S = 30
# What HOME hides: the user's registry auth files and cache, which a run with `home=` must not read.
_AUTH_VARIABLES = ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float


def fleetcompat(*args: object, memory_mb: int | None = None, env: dict[str, str] | None = None,
                cwd: Path | None = None, home: Path | None = None, stdin: str | None = None,
                wall_s: float = WALL_S) -> Run:
    """`python -m fleetcompat ARGS` in a child process, optionally under RLIMIT_AS, with HOME (and so every
    registry auth file) isolated in `home`, `stdin` fed to it; a run longer than `wall_s` fails the test."""

    def limit_memory() -> None:
        if memory_mb is not None:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    child_env = {**os.environ, **(env or {})}
    if home is not None:
        child_env = {k: v for k, v in child_env.items() if k not in _AUTH_VARIABLES} | {"HOME": str(home)}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "fleetcompat", *map(str, args)], capture_output=True, text=True,
                          timeout=wall_s, preexec_fn=limit_memory, input=stdin,
                          stdin=subprocess.DEVNULL if stdin is None else None, cwd=cwd, env=child_env)
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


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
