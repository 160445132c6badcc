"""playbooks/audit.yml under `strategy: free` (ANSIBLE_STRATEGY) and in batches (`serial`): one report for the
whole run, written once, with every host of every batch."""

from __future__ import annotations

from fleetcompat.results.fleet import FleetResult
from tests.support.lab import SPECS, Lab, ansible_env, lab_audit_hosts, run_playbook, write_vars


def test_one_report_for_all_batches_under_free(lab: Lab, tmp_path):
    extra = write_vars(tmp_path / "vars.yml", fleetcompat_images=[{"spec": str(SPECS / "x86-64-v3.yaml")}],
                       fleetcompat_report_dir=str(tmp_path / "r"), fleetcompat_gather_serial=2)
    proc = run_playbook(lab, "audit.yml", "-e", extra, env=ansible_env(lab, ANSIBLE_STRATEGY="free"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.count("PLAY [Gather host features into the fact cache]") == 3  # 5 hosts in batches of 2
    assert proc.stdout.count("fleetcompat: 5 hosts from cached facts") == 1  # one report, after every batch
    assert "run_once with the free strategy" not in proc.stdout + proc.stderr
    lab_audit_hosts(FleetResult.load(tmp_path / "r" / "fleet-result.json"))
