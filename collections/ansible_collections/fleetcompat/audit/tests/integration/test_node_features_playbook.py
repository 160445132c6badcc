"""The Ansible module in a real ansible-playbook run against localhost equals the CLI, value for value."""

from __future__ import annotations

import json
import os
import subprocess

from tests.support import REPO
from tests.support.lab import VENV_BIN as BIN
from tests.support.lab import run_fleetcompat as cli

COLLECTIONS = REPO / "collections"
TREE = "32intel64-2p8co2t+8ve"


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
