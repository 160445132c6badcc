"""`fleetcompat remediate`: a draft playbook from a real audit's hints that passes `ansible-playbook --syntax-check`
and runs in check mode against this machine (local connection), changing nothing; hostile results stay inert."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.trees import MODULES, gathered

BIN = Path(sys.executable).parent
# Every configuration action: load a module, unload one, 2Mi pages (sysctl) and 1Gi pages (tmpfiles).
SPEC = """
version: v1alpha1
compatibilities:
- rules:
  - name: dpdk host
    matchFeatures:
    - feature: kernel.loadedmodule
      matchExpressions: {vfio_pci: {op: Exists}, nouveau: {op: DoesNotExist}}
    - feature: memory.hugepages
      matchExpressions: {hugepages-2Mi: {op: Ge, value: ["1024"]}, hugepages-1Gi: {op: Ge, value: ["2"]}}
    - feature: cpu.cpuid
      matchExpressions: {AVX512FP16: {op: Exists}}
"""
HOSTILE_HOST = "evil{{ lookup('pipe', 'id') }}"  # a file name without '.': --features names the host after it
ENV = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0"}


def fleetcompat(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fleetcompat", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def ansible_playbook(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "ansible-playbook"), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **ENV, "ANSIBLE_HOME": str(cwd / ".ansible")}, timeout=300)


@pytest.fixture(scope="module")
def audited(roots, tmp_path_factory) -> Path:
    """A real audit of two hosts gathered from a real tree (one with a hostile name) against SPEC."""
    base = tmp_path_factory.mktemp("remediate")
    features = gathered(roots["16amd64-8n2c"], modules=MODULES, sources=("cpu", "kernel", "memory"))
    for name in ("node-b", HOSTILE_HOST):
        (base / f"{name}.json").write_text(json.dumps(features.to_nfd()))
    (base / "dpdk.yaml").write_text(SPEC)
    run = fleetcompat("audit", "--features", "node-b.json", "--features", f"{HOSTILE_HOST}.json", "--spec",
                      "dpdk.yaml", "--output-dir", "reports", "--format", "json", "--quiet", cwd=base)
    assert run.returncode == 1, run.stderr
    return base


def test_draft_playbook_passes_syntax_check_and_runs_in_check_mode(audited):
    run = fleetcompat("remediate", "reports/fleet-result.json", "--image", "dpdk", "-o", "plan.yml", cwd=audited)
    assert run.returncode == 0, run.stderr
    text = (audited / "plan.yml").read_text()
    (play,) = yaml.safe_load(text)
    assert play["hosts"] == ["node-b"]  # the hostile name is not a host pattern: a comment says why
    assert "evil{{" not in yaml.safe_dump(play) and "host name is not a plain Ansible host pattern" in text
    modules = {next(k for k in t if k.startswith("ansible.")) for t in play["tasks"]}
    assert modules <= {"ansible.builtin.copy", "ansible.builtin.command", "ansible.builtin.lineinfile"}
    commands = [t["ansible.builtin.command"]["argv"] for t in play["tasks"] if "ansible.builtin.command" in t]
    assert ["modprobe", "vfio_pci"] in commands and ["modprobe", "-r", "nouveau"] in commands
    assert ["sysctl", "-p", "/etc/sysctl.d/90-fleetcompat-hugepages.conf"] in commands
    lines = [t["ansible.builtin.lineinfile"]["line"] for t in play["tasks"] if "ansible.builtin.lineinfile" in t]
    assert lines == ["vm.nr_hugepages = 1024"]
    tmpfiles = [t["ansible.builtin.copy"]["content"] for t in play["tasks"]
                if "tmpfiles" in t.get("ansible.builtin.copy", {}).get("dest", "")]
    assert tmpfiles == ["w /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages - - - - 2\n"]
    assert "# note: node-b: also needs CPU flag AVX512FP16: needs other hardware" in text

    check = ansible_playbook("--syntax-check", "-i", "node-b,", "plan.yml", cwd=audited)
    assert check.returncode == 0, check.stdout + check.stderr
    # This machine stands in for node-b (root here; su needs no password), in check mode: nothing may change.
    (audited / "inventory.ini").write_text(
        f"node-b ansible_connection=local ansible_python_interpreter={sys.executable} ansible_become_method=su\n")
    run = ansible_playbook("-i", "inventory.ini", "--check", "--diff", "plan.yml", cwd=audited)
    assert run.returncode == 0, run.stdout + run.stderr
    recap = next(line for line in run.stdout.splitlines() if line.startswith("node-b"))
    assert "failed=0" in recap and "unreachable=0" in recap and "changed=0" not in recap, run.stdout
    for path in ("/etc/modules-load.d/fleetcompat-vfio_pci.conf", "/etc/modprobe.d/fleetcompat-blacklist-nouveau.conf",
                 "/etc/sysctl.d/90-fleetcompat-hugepages.conf", "/etc/tmpfiles.d/fleetcompat-hugepages-1Gi.conf"):
        assert not Path(path).exists(), f"check mode wrote {path}"


def test_unknown_image_and_results_without_hints(audited, tmp_path):
    run = fleetcompat("remediate", audited / "reports/fleet-result.json", "--image", "nope", cwd=tmp_path)
    assert run.returncode == 2 and "no image 'nope'" in run.stderr and run.stderr.count("\n") == 1
    doc = json.loads((audited / "reports/fleet-result.json").read_text())
    for outcome in doc["outcomes"]:
        outcome.pop("remediation", None)  # as written before hints existed
    (tmp_path / "old.json").write_text(json.dumps(doc))
    run = fleetcompat("remediate", "old.json", "--image", "dpdk", cwd=tmp_path)
    assert run.returncode == 2 and "audit again" in run.stderr


def test_hostile_actions_in_a_result_are_refused(audited, tmp_path):
    """Action names go into commands: the schema holds them to module-name and size patterns."""
    doc = json.loads((audited / "reports/fleet-result.json").read_text())
    hinted = next(o for o in doc["outcomes"] if "remediation" in o)
    action = next(h for h in hinted["remediation"]["hints"] if h.get("action", {}).get("kind") == "load-module")
    action["action"]["name"] = "vfio_pci; rm -rf /"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    run = fleetcompat("remediate", "bad.json", "--image", "dpdk", cwd=tmp_path)
    assert run.returncode == 2 and "does not match" in run.stderr and "action.name" in run.stderr
    assert not (tmp_path / "plan.yml").exists()


def test_playbook_never_goes_over_a_special_file(audited, tmp_path):
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    run = fleetcompat("remediate", audited / "reports/fleet-result.json", "--image", "dpdk", "-o", fifo, cwd=tmp_path)
    assert run.returncode == 2 and "exists and is a FIFO" in run.stderr, run.stderr
    run = fleetcompat("remediate", audited / "reports/fleet-result.json", "--image", "dpdk", cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.startswith("---\n# DRAFT remediation for image dpdk")
