"""AWX job slicing, reproduced with ansible-runner (the Python API AWX drives): K gather slices as separate,
parallel runs over the real sshd lab (one host unreachable, one failing), each with its own private data dir,
sharing one fact cache; each slice also writes its own result, as a site would. The report stage over the shared
cache and `fleetcompat merge` of the slices' results both equal one unsliced run, host for host and cell for cell."""

from __future__ import annotations

import os

import ansible_runner
import pytest
import yaml

from fleetcompat.cli import main
from fleetcompat.results.fleet import FleetResult
from tests.fleet.conftest import REPO, SPECS, VENV_BIN, Lab

from .stages import awx_slices, comparable, inventory_with, load_inventory

SLICES = 3
IMAGES = [{"spec": str(SPECS / "x86-64-v3.yaml")}, {"spec": str(SPECS / "hugepages-vfio.yaml")}]


def _start(lab: Lab, tmp, name: str, playbook, inventory: dict, cache, reports):
    """One job as AWX runs it: its own private data dir and ident, no env files, the cache dir given explicitly
    (with fact_cache_type='' runner leaves ANSIBLE_CACHE_PLUGIN_CONNECTION alone)."""
    private = tmp / name
    private.mkdir()
    envvars = {**lab.lab.ansible_env(), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
               "ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache),
               "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "0", "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    return ansible_runner.run_async(
        private_data_dir=str(private), ident=name, project_dir=str(REPO), playbook=str(playbook), inventory=inventory,
        envvars=envvars, cmdline=f"-e @{tmp / 'vars.yml'} -e fleetcompat_report_dir={reports}",
        fact_cache_type="", suppress_env_files=True, quiet=True)


def _finish(job):
    thread, runner = job
    thread.join(timeout=600)
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    return runner


# ansible-runner starts each job's ansible-playbook with pexpect (forkpty) from its job thread; the child execs
# at once, which is the case the warning is not about.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning")
def test_sliced_runs_equal_one_unsliced_run(lab: Lab, tmp_path):
    (tmp_path / "vars.yml").write_text(yaml.safe_dump({"fleetcompat_images": IMAGES,
                                                       "fleetcompat_report_formats": ["json"]}))
    stages = tmp_path / "stages.yml"  # a slice job: the gather stage, then that slice's own result
    stages.write_text(yaml.safe_dump([{"import_playbook": str(REPO / "playbooks" / "gather.yml")},
                                      {"import_playbook": str(REPO / "playbooks" / "report.yml")}]))
    doc = load_inventory(lab.inventory)
    hosts = list(doc["all"]["children"]["lab"]["hosts"])
    slices = awx_slices(hosts, SLICES)
    assert slices == [["broken", "node2"], ["down", "node3"], ["node1"]]
    shared = tmp_path / "shared-cache"
    jobs = [_start(lab, tmp_path, f"slice{n + 1}", stages, inventory_with(doc, members), shared,
                   tmp_path / f"slice{n + 1}-reports") for n, members in enumerate(slices)]
    # The unsliced run, at the same time: its own cache, the whole inventory.
    jobs.append(_start(lab, tmp_path, "unsliced", stages, doc, tmp_path / "own-cache", tmp_path / "unsliced-reports"))
    runners = [_finish(job) for job in jobs]
    for members, runner in zip(slices, runners, strict=False):
        assert set(runner.stats["ok"]) - {"localhost"} == set(members)  # a slice sees only its hosts
    # The report stage: one job over the whole inventory, from the cache the slices filled.
    _finish(_start(lab, tmp_path, "report", REPO / "playbooks" / "report.yml", doc, shared, tmp_path / "report"))
    unsliced = comparable(FleetResult.load(tmp_path / "unsliced-reports" / "fleet-result.json"))
    assert sorted(unsliced) == sorted(hosts)
    assert comparable(FleetResult.load(tmp_path / "report" / "fleet-result.json")) == unsliced
    parts = [str(tmp_path / f"slice{n + 1}-reports" / "fleet-result.json") for n in range(SLICES)]
    assert main(["merge", *parts, "-o", str(tmp_path / "merged.json"), "-q"]) == 0
    merged = FleetResult.load(tmp_path / "merged.json")
    assert comparable(merged) == unsliced
    assert [p.source for p in merged.run.parts] == parts and all(p.controller for p in merged.run.parts)
