"""`fleetcompat gather` and `validate` without --features: the CLI gathers the same Features as the gatherer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fleetcompat.hostfeatures import gather
from tests.support.lab import run_fleetcompat as cli

TREE = "32intel64-2p8co2t+8ve"
ANY_CPU_SPEC = """\
version: v1alpha1
compatibilities:
- description: any CPU vendor
  rules:
  - name: cpu
    matchFeatures:
    - feature: cpu.model
      matchExpressions:
        vendor_id: {op: Exists}
"""



# --- CLI -----------------------------------------------------------------------------------------------------------

def test_cli_gather_prints_nfd_export_json(hwloc_trees, tmp_path):
    root = str(hwloc_trees[TREE])
    printed = cli("gather", "--root", root)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith('{\n    "flags": {\n        "cpu.cpuid": {\n            "elements": {\n')
    assert json.loads(printed.stdout) == gather(root)[0]
    written = cli("gather", "--root", root, "--sources", "cpu,memory", "--output", str(tmp_path / "f.json"))
    assert written.returncode == 0 and written.stdout == ""
    assert json.loads((tmp_path / "f.json").read_text()) == gather(root, ["cpu", "memory"])[0]
    summary = cli("gather", "--root", root, "--summary")
    assert json.loads(summary.stdout)["hugepages"] == {"1Gi": 0, "2Mi": 4096}


def test_cli_warnings_go_to_stderr(tmp_path):
    (tmp_path / "proc").mkdir()
    os.mkfifo(tmp_path / "proc/swaps")
    result = cli("gather", "--root", str(tmp_path), "--sources", "memory")
    assert result.returncode == 0
    assert result.stderr == f"fleetcompat: warning: {tmp_path}/proc/swaps: a FIFO, not read\n"
    json.loads(result.stdout)


@pytest.mark.parametrize(("args", "stderr"), [
    (["--sources", "all,-gpu"], "fleetcompat: error: --sources: unknown source 'gpu'"),
    (["--root", "/nonexistent/host"], "fleetcompat: error: /nonexistent/host: not a directory"),
    (["--output", "/nonexistent/dir/out.json"], "fleetcompat: error: /nonexistent/dir/out.json: cannot write:"),
])
def test_cli_errors_are_one_line_exit_2(args, stderr):
    result = cli("gather", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(stderr) and result.stderr.count("\n") == 1


def test_validate_without_features_gathers_this_host(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(ANY_CPU_SPEC)
    features = tmp_path / "features.json"
    assert cli("gather", "--output", str(features)).returncode == 0
    local = cli("validate", "--spec", str(spec), "--output", "json")
    from_file = cli("validate", "--spec", str(spec), "--features", str(features), "--output", "json")
    assert (local.returncode, from_file.returncode) == (0, 0), local.stderr + from_file.stderr
    local_result = json.loads(local.stdout)
    assert local_result["verdict"] == "compatible"
    hostname = os.environ.get("NODE_NAME") or Path("/proc/sys/kernel/hostname").read_text().strip()
    assert local_result["host"] == hostname
    nfd_local = cli("validate", "--spec", str(spec), "--output", "nfd-json")
    nfd_file = cli("validate", "--spec", str(spec), "--features", str(features), "--output", "nfd-json")
    assert json.loads(nfd_local.stdout) == json.loads(nfd_file.stdout)


