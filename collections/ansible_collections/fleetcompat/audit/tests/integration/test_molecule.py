"""The collection's molecule scenarios (extensions/molecule: default = localhost, sshd = a real sshd host)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

COLLECTION = REPO / "collections" / "ansible_collections" / "fleetcompat" / "audit"
BIN = Path(sys.executable).parent


def installed_collections() -> list[str]:
    root = Path.home() / ".ansible" / "collections" / "ansible_collections"
    return sorted(str(p.relative_to(root)) for p in root.glob("*/*")) if root.is_dir() else []


@pytest.mark.slow
def test_molecule_scenarios_pass_without_installing_anything():
    if os.geteuid() != 0 or not shutil.which("sshd", path="/usr/sbin"):
        pytest.skip("the sshd scenario needs root and openssh-server")
    before = installed_collections()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}", "NO_COLOR": "1", "ANSIBLE_NOCOLOR": "1"}
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run([str(BIN / "molecule"), "test", "--all"], cwd=COLLECTION, env=env, capture_output=True,
                          text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    assert "default" in output and "sshd" in output
    assert installed_collections() == before  # prerun is off: the source tree is tested, ~/.ansible untouched
