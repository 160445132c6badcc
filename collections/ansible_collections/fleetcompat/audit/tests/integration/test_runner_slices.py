"""AWX job slicing, reproduced with ansible-runner (the Python API AWX drives): K gather slices as separate,
parallel runs over the real sshd lab (one host unreachable, one failing), each with its own private data dir,
sharing one fact cache; each slice also writes its own result, as a site would. The report stage over the shared
cache and `fleetcompat merge` of the slices' results both equal one unsliced run, host for host and cell for cell."""

from __future__ import annotations

import pytest
import yaml

from fleetcompat.cli import main
from fleetcompat.results.fleet import FleetResult
from tests.support.lab import REPO, SPECS, Lab
from tests.support.stages import awx_slices, comparable, finish_job, inventory_with, load_inventory, start_job

SLICES = 3
IMAGES = [{"spec": str(SPECS / "x86-64-v3.yaml")}, {"spec": str(SPECS / "hugepages-vfio.yaml")}]


def _start(lab: Lab, tmp, name: str, playbook, inventory: dict, cache, reports):
    return start_job(tmp / name, name, playbook, inventory, cache,
                     f"-e @{tmp / 'vars.yml'} -e fleetcompat_report_dir={reports}", lab.lab.ansible_env())


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
    runners = [finish_job(job) for job in jobs]
    for members, runner in zip(slices, runners, strict=False):
        assert set(runner.stats["ok"]) - {"localhost"} == set(members)  # a slice sees only its hosts
    # The report stage: one job over the whole inventory, from the cache the slices filled.
    finish_job(_start(lab, tmp_path, "report", REPO / "playbooks" / "report.yml", doc, shared, tmp_path / "report"))
    unsliced = comparable(FleetResult.load(tmp_path / "unsliced-reports" / "fleet-result.json"))
    assert sorted(unsliced) == sorted(hosts)
    assert comparable(FleetResult.load(tmp_path / "report" / "fleet-result.json")) == unsliced
    parts = [str(tmp_path / f"slice{n + 1}-reports" / "fleet-result.json") for n in range(SLICES)]
    assert main(["merge", *parts, "-o", str(tmp_path / "merged.json"), "-q"]) == 0
    merged = FleetResult.load(tmp_path / "merged.json")
    assert comparable(merged) == unsliced
    assert [p.source for p in merged.run.parts] == parts and all(p.controller for p in merged.run.parts)
