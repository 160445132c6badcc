"""`fleetcompat diff` and `gate --baseline` through the real CLI: exit codes, outputs, the blast radius, bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from fleetcompat.cli import main
from tests.support.drift_fleets import (
    CPU_NO_VFIO,
    CPU_VFIO,
    DPDK_SPEC,
    GPU_KERNEL5,
    GPU_NEW_KERNEL,
    GPU_OLD_KERNEL,
    SPEC_V1,
    SPEC_V2,
    fleet,
)
from tests.support.fleet_synthetic import GOOD, HOSTILE, UNREACHABLE
from tests.support.hostile import assert_one_line_error, fleetcompat, make_fifo

IMAGES_V1 = {"dpdk": DPDK_SPEC, "api": SPEC_V1}
IMAGES_V2 = {"dpdk": DPDK_SPEC, "api": SPEC_V2}


@pytest.fixture
def runs(tmp_path):
    """Last night: all fine but gpu-1 (old kernel). Tonight: cpu-1 lost vfio-pci, gpu-1 got kernel 6, api has a new
    spec that needs kernel > 5 (k5 drops out), d is unreachable, gone was retired and fresh was added."""
    old = fleet({"cpu-1": CPU_VFIO, "cpu-2": CPU_VFIO, "k5": GPU_KERNEL5, "gpu-1": GPU_OLD_KERNEL, "d": GOOD,
                 "gone": GOOD}, IMAGES_V1)
    new = fleet({"cpu-1": CPU_NO_VFIO, "cpu-2": CPU_VFIO, "k5": GPU_KERNEL5, "gpu-1": GPU_NEW_KERNEL,
                 "d": UNREACHABLE, "fresh": GOOD}, IMAGES_V2, started_at="2026-12-02T02:00:00Z")
    old.dump(tmp_path / "old.json")
    new.dump(tmp_path / "new.json")
    return tmp_path / "old.json", tmp_path / "new.json"


def test_diff_exit_codes_and_terminal_summary(runs, capsys):
    old, new = runs
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "6 cells changed: 3 regression, 2 undecided, 1 improvement" in out
    assert "regression: dpdk: compatible → incompatible on 1 host (cpu-1)\n" \
           "    kernel.loadedmodule vfio-pci: present → (absent)" in out
    assert "hosts added (1): fresh" in out and "hosts removed (1): gone" in out
    assert "spec changed: api: sha256:" in out
    assert "improvement: api: incompatible → compatible on 1 host (gpu-1)\n    spec: sha256:" in out
    assert "    kernel.version major: 4 (expected Gt [4]) → (not failing)\n" in out
    assert out.rstrip().endswith("diff: 3 regressions")
    assert main(["diff", str(new), str(new), "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_diff_json_and_markdown_outputs(runs, capsys, tmp_path):
    old, new = runs
    assert main(["diff", str(old), str(new), "--json", str(tmp_path / "d.json"), "--markdown", "-", "-q"]) == 1
    markdown = capsys.readouterr().out
    assert markdown.startswith("## fleetcompat diff: 3 regressions")
    assert "| **regression** compatible → incompatible | dpdk | 1: cpu-1 | kernel.loadedmodule vfio-pci: present" \
           in markdown
    doc = json.loads((tmp_path / "d.json").read_text())
    assert doc["schema"] == "fleetcompat.drift/v1"
    assert {(c["host"], c["image"], c["kind"]) for c in doc["cells"]} == {
        ("cpu-1", "dpdk", "regression"), ("cpu-1", "api", "regression"), ("k5", "api", "regression"),
        ("d", "dpdk", "undecided"), ("d", "api", "undecided"), ("gpu-1", "api", "improvement")}
    assert doc["hostsAdded"] == ["fresh"] and doc["specChanges"][0]["image"] == "api"


def test_diff_markdown_escapes_hostile_causes(tmp_path, capsys):
    hostile = replace(CPU_NO_VFIO, vendor=HOSTILE)  # loses vfio-pci: the cause shows its vendor
    old = fleet({"h": CPU_VFIO}, IMAGES_V1)
    new = fleet({"h": hostile}, IMAGES_V1)
    old.dump(tmp_path / "old.json")
    new.dump(tmp_path / "new.json")
    main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--markdown", "-", "-q"])
    markdown = capsys.readouterr().out
    assert "<script>" not in markdown and "<img" not in markdown and "\u2028" not in markdown
    assert "&lt;script&gt;" in markdown


def test_diff_bad_input_is_one_line(runs, tmp_path):
    old, _ = runs
    fifo = make_fifo(tmp_path / "fifo.json")
    assert_one_line_error(fleetcompat("diff", old, fifo), str(fifo), "a FIFO, not a regular file")
    (tmp_path / "broken.json").write_text('{"schema": "fleetcompat.fleet-result/v1"')
    assert_one_line_error(fleetcompat("diff", tmp_path / "broken.json", old), "broken.json:1:")
    assert_one_line_error(fleetcompat("diff", old, old, "--json", tmp_path / "x", "--markdown", tmp_path / "x"),
                          "same file")
    # Outputs are never written over a special file, and nothing of a run is written when one output fails.
    assert_one_line_error(fleetcompat("diff", old, old, "--markdown", tmp_path / "d.md", "--json", fifo),
                          "cannot write: exists and is a FIFO", str(fifo))
    assert not (tmp_path / "d.md").exists()
    assert_one_line_error(fleetcompat("report", old, "--baseline", fifo, "--html", tmp_path / "r.html"),
                          str(fifo), "a FIFO, not a regular file")


def gate(capsys, *args):
    code = main(["gate", *map(str, args)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    return code, lines[0]


def test_baseline_gate_blast_radius(runs, capsys):
    old, new = runs
    # api: cpu-1 and k5 left the eligible set (d is unreachable: undecided); dpdk: cpu-1.
    code, line = gate(capsys, new, "--baseline", old, "--require", "api")
    assert code == 1
    assert line == ("fleetcompat gate: fail: api: 2 of 4 hosts eligible in the baseline now incompatible, at most 0 "
                    "hosts allowed (0): cpu-1, k5")
    assert gate(capsys, new, "--baseline", old, "--require", "api", "--max-new-incompatible", "2")[0] == 2
    code, line = gate(capsys, new, "--baseline", old, "--require", "api", "--max-new-incompatible", "2",
                      "--allow-unreachable")
    assert (code, line) == (0, "fleetcompat gate: pass: api: 2 of 4 hosts eligible in the baseline now "
                               "incompatible, at most 2 hosts allowed (2)")
    # 50% of the 4 eligible hosts is 2; 49% rounds down to 1.
    assert gate(capsys, new, "--baseline", old, "--max-new-incompatible", "50%", "--allow-unreachable")[0] == 0
    code, line = gate(capsys, new, "--baseline", old, "--max-new-incompatible", "49%", "--allow-unreachable")
    assert code == 1 and "api: 2 of 4 hosts eligible in the baseline now incompatible, at most 49% allowed (1)" in line
    # Without a baseline the same result fails on every incompatible host, old or new.
    assert gate(capsys, new, "--require", "api")[1].startswith("fleetcompat gate: fail: api: 2 of 6 hosts")


def test_baseline_gate_with_min_compatible_new_images_and_usage_errors(runs, capsys, tmp_path):
    old, new = runs
    code, line = gate(capsys, new, "--baseline", old, "--max-new-incompatible", "5", "--min-compatible", "90%",
                      "--allow-unreachable", "--require", "dpdk")
    assert code == 1 and "dpdk: 2 of 5 hosts compatible, 90% required" in line
    fresh = fleet({"cpu-1": GOOD, "x": GOOD}, {"dpdk": DPDK_SPEC, "new-app": SPEC_V1})
    fresh.dump(tmp_path / "fresh.json")
    code, line = gate(capsys, tmp_path / "fresh.json", "--baseline", old, "--require", "new-app")
    assert (code, line) == (0, "fleetcompat gate: pass: new-app: compatible on all 2 hosts (not in the baseline)")
    assert_one_line_error(fleetcompat("gate", new, "--max-new-incompatible", "1"), "needs --baseline")
    assert_one_line_error(fleetcompat("gate", new, "--baseline", tmp_path / "missing.json"), "missing.json",
                          "cannot read fleet result")
