"""playbooks/audit.yml and gate.yml over real sshd hosts with the ssh connection; the fact cache; the CLI on it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fleetcompat.results.fleet import FleetResult, HostStatus, SpecStatus, Status
from tests.support.lab import SPECS, Lab, ansible_env, run_fleetcompat, run_playbook, write_vars

LAB_HOSTS = ["node1", "node2", "node3", "broken", "down"]


@dataclass
class AuditRun:
    output: str
    reports: Path
    facts: Path
    run_base: Path
    result: FleetResult
    registry: object


@pytest.fixture(scope="session")
def audit_run(lab: Lab, registry, tmp_path_factory) -> AuditRun:
    """One audit of the whole lab: local spec files, a missing spec file, and (if available) registry images."""
    tmp = tmp_path_factory.mktemp("audit")
    images = [
        {"spec": str(SPECS / "x86-64-v3.yaml"), "required": True},
        {"spec": str(SPECS / "hugepages-vfio.yaml")},
        {"alias": "missing", "spec": str(tmp / "no-such-spec.yaml")},
    ]
    registry_settings = {}
    if registry is not None:
        images += [{"alias": "registry-x86", "image": registry.with_spec},
                   {"alias": "registry-noart", "image": registry.without_spec}]
        registry_settings = {"plain_http_registries": [registry.front.host], "cache_dir": str(tmp / "spec-cache"),
                             "timeout": 5.0}
        registry.front.reset_counts()
    extra = write_vars(tmp / "vars.yml", fleetcompat_images=images, fleetcompat_registry=registry_settings,
                       fleetcompat_report_dir=str(tmp / "reports"), fleetcompat_run_dir_base=str(tmp / "runs"),
                       fleetcompat_report_formats=["json", "html", "junit", "markdown"])
    env = ansible_env(lab, ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp / "facts"))
    proc = run_playbook(lab, "audit.yml", "-e", extra, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return AuditRun(proc.stdout, tmp / "reports", tmp / "facts", tmp / "runs",
                    FleetResult.load(tmp / "reports" / "fleet-result.json"), registry)


def outcome(result: FleetResult, host: str, alias: str):
    return next(h for h in result.hosts if h.name == host).outcomes[alias]


def test_every_host_is_recorded_with_its_status(audit_run):
    hosts = {h.name: h for h in audit_run.result.hosts}
    assert sorted(hosts) == sorted(LAB_HOSTS)
    for name in ("node1", "node2", "node3"):
        assert hosts[name].status is HostStatus.OK, hosts[name].reason
    assert hosts["down"].status is HostStatus.UNREACHABLE
    assert "connect" in hosts["down"].reason.lower()
    assert hosts["broken"].status is HostStatus.ERROR
    assert "gathering failed" in hosts["broken"].reason and "nonexistent-root" in hosts["broken"].reason
    # Neither counts as incompatible.
    counts = audit_run.result.status_counts("x86-64-v3")
    assert counts[Status.INCOMPATIBLE] == 1 and counts[Status.UNREACHABLE] == 1 and counts[Status.ERROR] == 1


def test_verdicts_follow_each_hosts_hardware(audit_run):
    result = audit_run.result
    assert outcome(result, "node1", "x86-64-v3").status is Status.COMPATIBLE
    assert outcome(result, "node2", "x86-64-v3").status is Status.COMPATIBLE
    older = outcome(result, "node3", "x86-64-v3")
    assert older.status is Status.INCOMPATIBLE
    failing = [(t.feature, e.element) for r in older.failing for t in r.terms for e in t.expressions]
    assert failing == [("cpu.cpuid", "X86_64_V3")]
    node3 = next(h for h in result.hosts if h.name == "node3")
    assert node3.summary["os"]["id"] == "ubuntu" and node3.summary["cpu"]["x86_64_level"] == 2
    # The real hosts look the same to the specs, the older one does not.
    profiles = {h.name: h.profile for h in result.hosts}
    assert profiles["node1"] == profiles["node2"] != profiles["node3"]


def test_unresolvable_spec_is_error_for_every_host_with_the_reason_once(audit_run):
    image = audit_run.result.image("missing")
    assert image.spec_status is SpecStatus.ERROR
    assert "no-such-spec.yaml" in image.spec_error and "cannot read" in image.spec_error
    assert {outcome(audit_run.result, h, "missing").status for h in ("node1", "node2", "node3")} == {Status.ERROR}
    # The rest of the report is still there.
    assert outcome(audit_run.result, "node1", "hugepages-vfio").status is Status.INCOMPATIBLE


def test_registry_specs_are_fetched_once_per_run(audit_run):
    if audit_run.registry is None:
        pytest.skip("docker-registry is not installed")
    result = audit_run.result
    assert outcome(result, "node1", "registry-x86").status is Status.COMPATIBLE
    assert outcome(result, "node3", "registry-x86").status is Status.INCOMPATIBLE
    assert result.image("registry-x86").spec_digest.startswith("sha256:")
    noart = result.image("registry-noart")  # no compatibility artifact: no-spec (not an error), the reason once
    assert noart.spec_status is SpecStatus.NO_SPEC and "compatibility artifact not found" in noart.spec_error
    assert {outcome(result, h, "registry-noart").status for h in ("node1", "node2", "node3")} == {Status.NO_SPEC}
    # 4 reachable-or-not hosts, 2 images: one referrers listing per image, not per host.
    counts = audit_run.registry.front.counts
    assert counts["referrers"] == 2, audit_run.registry.front.log
    assert counts["total"] <= 8, audit_run.registry.front.log


def test_reports_are_written_and_the_run_directory_removed(audit_run):
    reports = audit_run.reports
    junit = ET.parse(reports / "fleet-junit.xml").getroot()
    cases = {(s.get("name"), c.get("name")) for s in junit.iter("testsuite") for c in s.iter("testcase")}
    assert len(cases) == len(audit_run.result.images) * len(LAB_HOSTS)
    html = (reports / "fleet-report.html").read_text()
    assert "node3" in html and "x86-64-v3" in html
    assert "x86-64-v3" in (reports / "fleet-report.md").read_text()
    assert list(audit_run.run_base.glob("fleetcompat-run-*")) == []
    assert "fleet-report.html" in audit_run.output


def test_fact_cache_holds_the_features_and_the_cli_audits_it(audit_run, tmp_path):
    out = tmp_path / "cli-reports"
    proc = run_fleetcompat("audit", "--facts-cache", audit_run.facts, "--spec", SPECS / "x86-64-v3.yaml",
                           "--spec", SPECS / "hugepages-vfio.yaml", "--output-dir", out, "--quiet")
    assert proc.returncode == 1, proc.stderr  # node3 cannot run x86-64-v3
    assert sorted(p.name for p in out.iterdir()) == ["fleet-junit.xml", "fleet-report.html", "fleet-result.json"]
    cached = FleetResult.load(out / "fleet-result.json")
    # Hosts whose gathering failed or that were unreachable have no features in the cache, only the record of
    # that attempt: they are reported as such, never incompatible.
    hosts = {h.name: h for h in cached.hosts}
    assert set(hosts) == set(LAB_HOSTS)
    assert hosts["broken"].status is HostStatus.ERROR and "gathering failed" in hosts["broken"].reason
    assert hosts["down"].status is HostStatus.UNREACHABLE and "no features cached" in hosts["down"].reason
    for host in ("node1", "node2", "node3"):
        for alias in ("x86-64-v3", "hugepages-vfio"):
            assert outcome(cached, host, alias).status is outcome(audit_run.result, host, alias).status


def test_playbook_reads_the_fact_cache_instead_of_the_host(lab: Lab, audit_run, tmp_path):
    """With fleetcompat_gather_use_cache, node1 is evaluated from the cache although its sshd is now unreachable."""
    doc = yaml.safe_load(lab.inventory.read_text())
    hosts = doc["all"]["children"]["lab"]["hosts"]
    hosts["node1"]["ansible_port"] = 9  # nothing listens there
    inventory = tmp_path / "moved.yml"
    inventory.write_text(yaml.safe_dump(doc))
    extra = write_vars(tmp_path / "vars.yml", fleetcompat_images=[{"spec": str(SPECS / "x86-64-v3.yaml")}],
                       fleetcompat_report_dir=str(tmp_path / "reports"), fleetcompat_gather_use_cache=True)
    env = ansible_env(lab, ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(audit_run.facts))
    proc = run_playbook(lab, "audit.yml", "-e", extra, "--limit", "node1,down", env=env, inventory=inventory)
    assert proc.returncode == 0, proc.stdout[-3000:]
    result = FleetResult.load(tmp_path / "reports" / "fleet-result.json")
    assert outcome(result, "node1", "x86-64-v3").status is Status.COMPATIBLE
    assert outcome(result, "down", "x86-64-v3").status is Status.UNREACHABLE


# ---------------------------------------------------------------------------------------------- gate


def gate(lab: Lab, tmp_path: Path, playbook: str, limit: str, **variables: object):
    tmp_path.mkdir(parents=True, exist_ok=True)
    extra = write_vars(tmp_path / "vars.yml",
                       fleetcompat_images=[{"spec": str(SPECS / "x86-64-v3.yaml"), "required": True},
                                           {"spec": str(SPECS / "hugepages-vfio.yaml")}],
                       fleetcompat_report_dir=str(tmp_path / "reports"), **variables)
    return run_playbook(lab, playbook, "-e", extra, "--limit", limit)


def task_output(stdout: str, task_name: str) -> str:
    """The default callback's lines for one task."""
    match = re.search(rf"TASK \[{re.escape(task_name)}\][^\n]*\n(.*?)(?=\n(?:TASK|PLAY) |\Z)", stdout, re.S)
    return match.group(1) if match else ""


def test_gate_fails_when_a_required_image_is_incompatible(lab: Lab, tmp_path):
    proc = gate(lab, tmp_path, "gate.yml", "node1,node2,node3", fleetcompat_gate_allow_unreachable=True)
    assert proc.returncode == 2
    failed = task_output(proc.stdout, "fleetcompat.audit.gate : Fail the run unless the gate passes")
    assert "fleetcompat gate: fail: x86-64-v3: 1 of 3 hosts incompatible (node3)" in failed


def test_gate_is_undecidable_with_an_unreachable_host_unless_allowed(lab: Lab, tmp_path):
    proc = gate(lab, tmp_path / "strict", "gate.yml", "node1,down")
    assert proc.returncode == 2
    failed = task_output(proc.stdout, "fleetcompat.audit.gate : Fail the run unless the gate passes")
    assert "fleetcompat gate: undecidable: x86-64-v3: 1 unreachable of 2 hosts (down)" in failed
    proc = gate(lab, tmp_path / "allowed", "gate.yml", "node1,down", fleetcompat_gate_allow_unreachable=True)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_deploy_runs_only_on_the_compatible_hosts(lab: Lab, tmp_path):
    proc = gate(lab, tmp_path, "deploy-where-compatible.yml", "node1,node2,node3,down",
                fleetcompat_gate_min_compatible="2", fleetcompat_gate_allow_unreachable=True,
                fleetcompat_deploy_image="x86-64-v3")
    assert proc.returncode == 0, proc.stdout[-3000:]
    deployed = task_output(proc.stdout, "Deploy the image")
    assert sorted(re.findall(r"^ok: \[(\w+)\]", deployed, re.M)) == ["node1", "node2"]
    assert '"msg": "deploying x86-64-v3 to node1"' in deployed


def test_gate_check_mode_decides_the_same(lab: Lab, tmp_path):
    proc = gate(lab, tmp_path, "gate.yml", "node1,node2")
    assert proc.returncode == 0
    extra = write_vars(tmp_path / "check.yml", fleetcompat_images=[{"spec": str(SPECS / "x86-64-v3.yaml")}],
                       fleetcompat_report_dir=str(tmp_path / "check-reports"))
    proc = run_playbook(lab, "gate.yml", "--check", "-e", extra, "--limit", "node1,node3")
    assert proc.returncode == 2 and "node3" in proc.stdout
