"""The Ansible module fleetcompat.audit.node_features, its main() run in-process: the same Features as the gatherer."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.fleetcompat.audit.plugins.modules import node_features

from fleetcompat.hostfeatures import gather, summarize

TREE = "32intel64-2p8co2t+8ve"


def run_module(args: dict, capsys) -> tuple[int, dict]:
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        node_features.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)



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


