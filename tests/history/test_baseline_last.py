"""`--baseline last` for `diff`, `gate` and `report`: the latest recorded run that started before the result."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples/specs/x86-64-v3.yaml"
FEATURES = REPO / "examples/features/xeon-sriov-node.json"


def _cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fleetcompat", *map(str, args)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_baseline_last_compares_with_the_previous_recorded_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'history.db'}"
    host = tmp_path / "node1.json"
    host.write_bytes(FEATURES.read_bytes())
    empty = _cli("diff", "last", tmp_path / "none.json", "--history", url)
    assert empty.returncode == 2 and empty.stderr.count("\n") == 1, empty.stderr

    first = _cli("audit", "--spec", SPEC, "--features", host, "--output-dir", tmp_path / "r1", "--quiet",
                 "--history", url)
    assert first.returncode == 0, first.stderr
    nothing_before = _cli("gate", tmp_path / "r1/fleet-result.json", "--baseline", "last", "--history", url)
    assert nothing_before.returncode == 2 and "no run that started before" in nothing_before.stderr

    time.sleep(1.1)  # runs are ordered by their start time (whole seconds)
    features = json.loads(host.read_text())
    del features["flags"]["cpu.cpuid"]["elements"]["X86_64_V3"]  # moved to an older CPU model
    host.write_text(json.dumps(features))
    second = _cli("audit", "--spec", SPEC, "--features", host, "--output-dir", tmp_path / "r2", "--quiet",
                  "--history", url)
    assert second.returncode == 1, second.stderr
    new = tmp_path / "r2/fleet-result.json"

    diff = _cli("diff", "last", new, "--history", url)
    assert diff.returncode == 1, diff.stderr  # a regression, with its cause
    assert "X86_64_V3" in diff.stdout and "node1" in diff.stdout
    gate = _cli("gate", new, "--baseline", "last", "--history", url, "--max-new-incompatible", "0")
    assert gate.returncode == 1 and "node1" in gate.stdout, gate.stdout + gate.stderr
    report = _cli("report", new, "--baseline", "last", "--history", url, "--html", "-", "--quiet", "--exit-zero")
    assert report.returncode == 0 and "<!DOCTYPE html>" in report.stdout
