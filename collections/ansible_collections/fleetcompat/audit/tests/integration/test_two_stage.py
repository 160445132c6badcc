"""The two-stage path over the real sshd lab: playbooks/gather.yml (here under `serial` and `strategy: free`)
fills a fact cache, playbooks/report.yml evaluates the whole inventory from it in one controller-side step,
contacting no host; hosts without usable cached facts are reported with what is known and how old it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from fleetcompat.results.fleet import FleetResult, HostStatus, Status
from tests.support.lab import REPO, SPECS, Lab, ansible_env, lab_audit_hosts, run_fleetcompat, run_playbook, write_vars
from tests.support.stages import comparable, inventory_with, load_inventory

IMAGES = [{"spec": str(SPECS / "x86-64-v3.yaml")}, {"spec": str(SPECS / "hugepages-vfio.yaml")}]


def _gather_play_under(tmp_path, **play_keywords) -> str:
    """playbooks/gather.yml with extra play keywords (serial, strategy), as a user's copy would set them."""
    plays = yaml.safe_load((REPO / "playbooks" / "gather.yml").read_text())
    plays[0].update(play_keywords)
    path = tmp_path / "gather-variant.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    return str(path)


def _run(lab: Lab, playbook: str, cache, *args, inventory=None):
    """`playbook`: one of playbooks/, or a path (relative to playbooks/)."""
    env = ansible_env(lab, ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache),
                      ANSIBLE_CACHE_PLUGIN_TIMEOUT="0")
    proc = run_playbook(lab, playbook, *args, env=env, inventory=inventory)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc


def test_gather_then_report_from_the_cache(lab: Lab, tmp_path):
    cache = tmp_path / "facts"
    extra = write_vars(tmp_path / "vars.yml", fleetcompat_images=IMAGES, fleetcompat_report_dir=str(tmp_path / "r"),
                       fleetcompat_report_formats=["json", "html"])
    # Batches of 2 hosts, each host at its own pace: nothing in the gather stage spans hosts.
    variant = _gather_play_under(tmp_path, serial=2, strategy="free")
    gather = _run(lab, str(Path(os.path.relpath(variant, REPO / "playbooks"))), cache, "-e", extra)
    assert "run_once" not in gather.stdout + gather.stderr
    report = _run(lab, "report.yml", cache, "-e", extra)
    assert "fleetcompat: 5 hosts from cached facts" in report.stdout
    # One task, on the controller: no host is contacted by the report stage.
    assert set(line.split("[")[1].split("]")[0] for line in report.stdout.splitlines()
               if line.startswith(("ok: [", "changed: [", "fatal: ["))) == {"localhost"}
    result = FleetResult.load(tmp_path / "r" / "fleet-result.json")
    hosts = lab_audit_hosts(result)
    assert "no features cached" in hosts["down"].reason and "last gather attempt" in hosts["down"].reason
    assert "nonexistent-root" in hosts["broken"].reason
    assert hosts["node1"].groups == ("lab",)
    # The CLI over the same cache is the same code: the same result, cell for cell.
    proc = run_fleetcompat("audit", "--facts-cache", cache, "--facts-cache-timeout", "0", "--spec", IMAGES[0]["spec"],
                           "--spec", IMAGES[1]["spec"], "--output-dir", tmp_path / "cli", "--format", "json", "-q")
    assert proc.returncode == 1, proc.stderr  # node3 is incompatible: a definite answer wins
    cli = {n: v[1:] for n, v in comparable(FleetResult.load(tmp_path / "cli" / "fleet-result.json")).items()}
    assert cli == {n: v[1:] for n, v in comparable(result).items() if n in cli}  # groups: not in the cache
    assert set(cli) == {"node1", "node2", "node3", "broken", "down"}


def test_a_host_unreachable_in_the_latest_gather_says_how_old_its_features_are(lab: Lab, tmp_path):
    cache = tmp_path / "facts"
    extra = write_vars(tmp_path / "vars.yml", fleetcompat_images=IMAGES[:1], fleetcompat_report_dir=str(tmp_path / "r"))
    _run(lab, "gather.yml", cache, "-e", extra, "--limit", "node1,node2")
    doc = load_inventory(lab.inventory)
    doc["all"]["children"]["lab"]["hosts"]["node1"]["ansible_port"] = 9  # nothing listens there now
    moved = tmp_path / "moved.yml"
    moved.write_text(yaml.safe_dump(inventory_with(doc, ["node1", "node2", "node3"])))
    _run(lab, "gather.yml", cache, "-e", extra, "--limit", "node1", inventory=moved)
    _run(lab, "report.yml", cache, "-e", extra, inventory=moved)
    hosts = {h.name: h for h in FleetResult.load(tmp_path / "r" / "fleet-result.json").hosts}
    assert hosts["node1"].status is HostStatus.UNREACHABLE
    assert "last gather attempt" in hosts["node1"].reason and "features cached from 20" in hosts["node1"].reason
    assert hosts["node2"].outcomes["x86-64-v3"].status is Status.COMPATIBLE
    # node3 was never gathered into this cache: reported, with nothing known.
    assert hosts["node3"].status is HostStatus.UNREACHABLE and "no cached facts" in hosts["node3"].reason


def test_the_stages_are_documented_and_valid():
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run([str(bin_dir / "ansible-doc"), "fleetcompat.audit.cached_fleet_report"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "no task per host" in " ".join(proc.stdout.split()), proc.stderr
    for inventory in ("local", "example"):
        for playbook in ("gather.yml", "report.yml"):
            proc = subprocess.run([str(bin_dir / "ansible-playbook"), "-i", f"inventories/{inventory}",
                                   f"playbooks/{playbook}", "--syntax-check"], cwd=REPO, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stdout + proc.stderr
