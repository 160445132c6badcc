"""The Ansible role variable `fleetcompat_waivers`: a real ansible-playbook run of the fleetcompat.audit.gate role
(and so its argument_specs and the fleet_gate action plugin) with inline entries and with a waivers file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import REPO
from tests.support.drift_fleets import fleet
from tests.support.fleet_synthetic import BAD, GOOD

BIN = Path(sys.executable).parent

# Unquoted dates, as an operator writes them in group_vars: YAML makes them dates.
INLINE = """
- image: api
  hosts: [legacy]
  justification: replaced in Q1
  owner: ops@example.com
  expires: {expires}
  ticket: OPS-3
"""


def play(tmp_path: Path, waivers: object) -> tuple[int, dict]:
    result = tmp_path / "fleet-result.json"
    fleet({"node-1": GOOD, "old-1": BAD}, None).dump(result)
    # old-1 is in the inventory group "legacy" of the result (groups come from the audit).
    doc = json.loads(result.read_text())
    doc["hosts"][1]["groups"].append("legacy")
    result.write_text(json.dumps(doc))
    out = tmp_path / "gate.json"
    playbook = [{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"fleetcompat_report": {"result_file": str(result)}, "fleetcompat_specs": {"images": []},
                 "fleetcompat_gate_enforce": False, "ansible_python_interpreter": sys.executable},
        "tasks": [
            {"ansible.builtin.include_vars": {"file": str(tmp_path / "waivers-vars.yml")}},
            {"ansible.builtin.include_role": {"name": "fleetcompat.audit.gate"}},
            {"ansible.builtin.copy": {"dest": str(out), "content": "{{ {'gate': fleetcompat_gate, "
                                      "'group': groups['fleetcompat_compatible_api'] | default([])} | to_json }}"}},
        ],
    }]
    (tmp_path / "waivers-vars.yml").write_text("fleetcompat_waivers: " + waivers if isinstance(waivers, str)
                                               else yaml.safe_dump({"fleetcompat_waivers": waivers}))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(tmp_path / "play.yml")], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    return proc.returncode, (json.loads(out.read_text()) if out.exists() else {"stdout": proc.stdout})


@pytest.mark.slow
def test_gate_role_applies_inline_and_file_waivers(tmp_path):
    code, out = play(tmp_path, INLINE.format(expires="2099-03-31"))
    assert code == 0, out
    assert (out["gate"]["code"], out["gate"]["decision"]) == (0, "pass")
    assert out["gate"]["reason"] == "api: compatible on all 2 hosts (1 waived)"
    assert sorted(out["group"]) == ["node-1", "old-1"]  # a waived host joins the image's group

    waivers = tmp_path / "waivers.yml"
    waivers.write_text("waivers:" + INLINE.format(expires="2020-03-31").replace("\n", "\n  "))
    code, out = play(tmp_path, str(waivers))
    assert code == 0, out
    assert out["gate"]["code"] == 1 and out["group"] == ["node-1"]
    assert out["gate"]["reason"].endswith("expired waiver no longer applies: api on legacy (ops@example.com, "
                                          "expired 2020-03-31, OPS-3): 1 cell")


@pytest.mark.slow
def test_malformed_role_variable_fails_the_task_with_one_line(tmp_path):
    code, out = play(tmp_path, "[{image: api, hosts: legacy, owner: me, expires: 2099-01-01}]")
    assert code != 0
    assert "fleetcompat_waivers: [0]: missing key 'justification'" in out["stdout"]


@pytest.mark.slow
def test_audit_and_gate_playbook_record_and_pass_waived_cells(tmp_path):
    """playbooks/gate.yml on this machine (report and gate roles, fleet_report and fleet_gate) with every example
    image waived for every status: the result records the waivers, no cell is left failing, and the run passes."""
    images = ["x86-64-v3", "hugepages-vfio", "dpdk-sriov-nic", "nfd-docs-example", "cuda-app"]
    entries = [{"image": alias, "hosts": ["all"], "statuses": ["incompatible", "error", "no-spec", "unreachable"],
                "justification": "this CI machine is not a target", "owner": "ci@example.com", "expires": "2099-01-01"}
               for alias in images]
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({"fleetcompat_waivers": entries, "fleetcompat_report_formats": ["json"],
                                         "fleetcompat_report_dir": str(tmp_path / "reports")}))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/gate.yml", "-e", f"@{variables}"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    doc = json.loads((tmp_path / "reports" / "fleet-result.json").read_text())
    assert [e["image"] for e in doc["waivers"]["entries"]] == images
    statuses = [doc["outcomes"][index]["status"] for index in doc["hosts"][0]["images"].values()]
    assert set(statuses) <= {"compatible", "waived"}
    assert sum(e["cells"] for e in doc["waivers"]["entries"]) == statuses.count("waived") >= 1  # no GPU here
    assert all(o.get("original") in (None, "incompatible", "error", "no-spec") for o in doc["outcomes"])
