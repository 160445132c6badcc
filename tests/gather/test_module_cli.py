"""The Ansible module, the CLI and `validate` without --features: one gatherer, the same Features everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.fleetcompat.audit.plugins.modules import node_features

from fleetcompat.hostfeatures import gather, summarize

from .conftest import COLLECTIONS, REPO

BIN = Path(sys.executable).parent
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


def run_module(args: dict, capsys) -> tuple[int, dict]:
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        node_features.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "fleetcompat"), *args], capture_output=True, text=True, check=False, **kwargs)


# --- module main() --------------------------------------------------------------------------------------------

def test_module_returns_features_and_summary_as_facts(hwloc_trees, capsys):
    root = str(hwloc_trees[TREE])
    code, result = run_module({"root": root, "sources": ["all", "-local"]}, capsys)
    assert code == 0
    assert result["changed"] is False
    expected, _ = gather(root, ["all", "-local"])
    assert result["ansible_facts"]["node_features"] == expected
    assert result["ansible_facts"]["node_features_summary"] == summarize(expected)
    assert "local.feature" not in result["ansible_facts"]["node_features"]["attributes"]


def test_module_check_mode_gathers_the_same(hwloc_trees, capsys):
    root = str(hwloc_trees[TREE])
    _, normal = run_module({"root": root}, capsys)
    code, checked = run_module({"root": root, "_ansible_check_mode": True}, capsys)
    assert code == 0
    assert checked["ansible_facts"] == normal["ansible_facts"]


def test_module_reports_unreadable_files_as_warnings(tmp_path, capsys):
    (tmp_path / "proc").mkdir()
    os.mkfifo(tmp_path / "proc/swaps")  # there, but not a file: refused without blocking
    code, result = run_module({"root": str(tmp_path), "sources": ["memory"]}, capsys)
    assert code == 0
    # ansible-core 2.19+ hands warnings to the controller as structured events; the text is the message.
    messages = [w["event"]["msg"] if isinstance(w, dict) else w for w in result["warnings"]]
    assert messages == [f"{tmp_path}/proc/swaps: a FIFO, not read"]


@pytest.mark.parametrize(("args", "message"), [
    ({"sources": ["all", "-gpu"]}, "sources: unknown source 'gpu'"),
    ({"root": "/nonexistent/host"}, "root /nonexistent/host is not a directory"),
    ({"color": "red"}, "Unsupported parameters"),
])
def test_module_rejects_bad_arguments(capsys, args, message):
    code, result = run_module(args, capsys)
    assert code == 1
    assert result["failed"] is True
    assert message in result["msg"]


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


# --- a real ansible-playbook run against localhost -----------------------------------------------------------

PLAYBOOK = """\
- name: Gather node features twice, the live host and a captured tree
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Gather this host
      fleetcompat.audit.node_features:
    - name: Save the facts
      ansible.builtin.copy:
        content: "{{ node_features | to_json }}"
        dest: "{{ out_dir }}/live.json"
        mode: "0644"
    - name: Gather a captured tree in check mode
      fleetcompat.audit.node_features:
        root: "{{ tree }}"
        sources: [all, -usb]
      check_mode: true
      register: tree_result
    - name: Save the tree result
      ansible.builtin.copy:
        content: "{{ tree_result | to_json }}"
        dest: "{{ out_dir }}/tree.json"
        mode: "0644"
"""


def test_playbook_module_equals_cli(hwloc_trees, tmp_path):
    playbook = tmp_path / "gather.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS))
    tree = str(hwloc_trees[TREE])
    run = subprocess.run(
        [str(BIN / "ansible-playbook"), str(playbook), "-e", f"out_dir={tmp_path}", "-e", f"tree={tree}"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    live_cli = cli("gather")
    assert live_cli.returncode == 0
    # No value is volatile between the two runs: the module and the CLI must agree exactly.
    assert json.loads((tmp_path / "live.json").read_text()) == json.loads(live_cli.stdout)
    tree_result = json.loads((tmp_path / "tree.json").read_text())
    assert tree_result["changed"] is False
    tree_cli = cli("gather", "--root", tree, "--sources", "all,-usb")
    assert tree_result["ansible_facts"]["node_features"] == json.loads(tree_cli.stdout)
    assert tree_result["ansible_facts"]["node_features_summary"]["cpu"]["sockets"] == 2
