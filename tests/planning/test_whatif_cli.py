"""`fleetcompat whatif` end to end on features gathered from real host trees: flips in diff style with causes,
inhibitors per plan step, exit codes, line-numbered plan errors and hostile inputs; and the incremental
evaluation equals evaluating every step's fleet from scratch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fleetcompat.fleet.evaluate import evaluate_fleet
from fleetcompat.fleet.hosts import HostRecord
from fleetcompat.fleet.images import ImageEntry
from fleetcompat.fleet.report import build_result
from fleetcompat.fleet.resolve import resolve_images
from fleetcompat.hostfeatures.summary import summarize
from fleetcompat.planning.plan import load_plan
from fleetcompat.planning.whatif import plan_states, simulate
from fleetcompat.results.fleet import FleetResultBuilder, RunMeta
from tests.support.trees import MODULES, gathered

REPO = Path(__file__).resolve().parents[2]
VFIO = MODULES + "vfio_pci 16384 0 - Live 0x0\n"
KERNEL6 = """
version: v1alpha1
compatibilities:
- rules:
  - name: kernel 6
    matchFeatures:
    - feature: kernel.version
      matchExpressions: {major: {op: Ge, value: ["6"]}}
"""
PLAN = """
- name: kernel 6.8 everywhere
  kernel: 6.8.0-45-generic
- name: drop vfio on node-c
  hosts: node-c
  unload-module: vfio_pci
- name: prepare node-b
  hosts: [node-b]
  set: memory.hugepages.hugepages-1Gi=8
  load-module: vfio-pci
"""


@pytest.fixture(scope="module")
def fleet(roots, tmp_path_factory) -> dict:
    """node-a (AMD) and node-c (Intel) run vfio with 1Gi hugepages; node-b (AMD) has neither."""
    base = tmp_path_factory.mktemp("fleet")
    every = ("cpu", "kernel", "memory", "system")
    hosts = {"node-a": gathered(roots["16amd64-8n2c"], modules=VFIO, hugepages_1g="4", sources=every),
             "node-b": gathered(roots["16amd64-8n2c"], sources=every),
             "node-c": gathered(roots["16em64t-4s2c2t"], modules=VFIO, hugepages_1g="4", sources=every)}
    files = []
    for name, features in hosts.items():
        path = base / f"{name}.json"
        path.write_text(json.dumps(features.to_nfd()))
        files.append(path)
    kernel = base / "kernel6.yaml"
    kernel.write_text(KERNEL6)
    specs = [REPO / "examples/specs/hugepages-vfio.yaml", kernel]
    args = [a for f in files for a in ("--features", str(f))] + [a for s in specs for a in ("--spec", str(s))]
    return {"dir": base, "args": args, "hosts": hosts, "specs": specs}


def whatif(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fleetcompat", "whatif", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)


def test_unloading_a_module_on_one_host_is_an_inhibitor(fleet):
    run = whatif(*fleet["args"], "--unload-module", "vfio_pci", "--on", "node-a")
    assert run.returncode == 1, run.stderr
    assert "[INHIBITED by 1 cell]" in run.stdout
    assert "  regression: hugepages-vfio: compatible → incompatible on 1 host (node-a)\n" in run.stdout
    assert "      matchAny of rule 'vfio-pci available': satisfied → none of kernel.loadedmodule vfio_pci" in run.stdout
    assert "node-c" not in run.stdout


def test_kernel_upgrade_lists_improvements_and_exits_0(fleet):
    run = whatif(*fleet["args"], "--kernel", "6.8.0-45-generic")
    assert run.returncode == 0, run.stderr
    assert "  improvement: kernel6: incompatible → compatible on 3 hosts (node-a, node-b, node-c)\n" \
           "      kernel.version major: 5 → (matched Ge [6])\n" in run.stdout


def test_plan_reports_each_steps_effect(fleet, tmp_path):
    plan = tmp_path / "plan.yml"
    plan.write_text(PLAN)
    run = whatif(*fleet["args"], "--plan", plan, "--json", tmp_path / "whatif.json", "--result",
                 tmp_path / "after.json")
    assert run.returncode == 1, run.stderr
    doc = json.loads((tmp_path / "whatif.json").read_text())
    assert [s["name"] for s in doc["steps"]] == ["kernel 6.8 everywhere", "drop vfio on node-c", "prepare node-b"]
    assert [s["inhibitors"] for s in doc["steps"]] == [0, 1, 0]
    assert [s["hostsChanged"] for s in doc["steps"]] == [3, 1, 1]
    (inhibitor,) = doc["steps"][1]["drift"]["cells"]
    assert (inhibitor["host"], inhibitor["image"], inhibitor["kind"]) == ("node-c", "hugepages-vfio", "regression")
    (fixed,) = doc["steps"][2]["drift"]["cells"]
    assert (fixed["host"], fixed["old"], fixed["new"]) == ("node-b", "incompatible", "compatible")
    assert "step 2: drop vfio on node-c [INHIBITED by 1 cell]" in run.stdout
    # the fleet after the plan is a fleet result like any other
    report = subprocess.run([sys.executable, "-m", "fleetcompat", "gate", str(tmp_path / "after.json")],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 1 and "node-c" in report.stdout


def test_steps_equal_evaluating_each_fleet_from_scratch(fleet, tmp_path):
    """The incremental evaluation (only touched hosts, only specs reading a changed feature) is an optimisation:
    every step's fleet result equals a full evaluation of the changed fleet."""
    plan = tmp_path / "plan.yml"
    plan.write_text(PLAN)
    steps = load_plan(str(plan))
    hosts = [HostRecord(name, features=f, summary={"kernel": "x"}) for name, f in fleet["hosts"].items()]
    resolved = resolve_images([ImageEntry(p.stem, spec=str(p)) for p in fleet["specs"]])
    states = plan_states(hosts, steps)
    run = RunMeta.now()
    result = simulate(resolved, hosts, steps, states, run)
    current = {h.name: h for h in hosts}
    for effect, touched in zip(result.steps, states, strict=True):
        current.update((h.name, h) for h in touched)
        # summaries are recomputed only when the change touched what they read: still the gatherer's summary
        assert all(h.summary == summarize(h.features.to_nfd()) for h in touched)
        records = list(current.values())
        full = build_result(resolved, records, evaluate_fleet(resolved, [(h.name, h.features) for h in records]),
                            run, 0.0)
        assert [(h.name, h.profile, h.summary, h.outcomes) for h in effect.result.hosts] == \
               [(h.name, h.profile, h.summary, h.outcomes) for h in full.hosts]


def test_hardware_step_gives_a_host_the_new_skus_cpu(fleet, tmp_path):
    """A plan step moves node-b to node-c's machine (the SKU file is relative to the plan); an image that needs
    an Intel CPU flips there, and only there."""
    (tmp_path / "skus").mkdir()
    (tmp_path / "skus/intel.json").write_text(json.dumps(fleet["hosts"]["node-c"].to_nfd()))
    (tmp_path / "intel.yaml").write_text(textwrap.dedent("""\
        version: v1alpha1
        compatibilities:
        - rules:
          - name: intel
            matchFeatures:
            - feature: cpu.model
              matchExpressions: {vendor_id: {op: In, value: [Intel]}}
        """))
    (tmp_path / "plan.yml").write_text("- name: refresh node-b\n  hosts: node-b\n  hardware: skus/intel.json\n")
    run = whatif(*fleet["args"], "--spec", tmp_path / "intel.yaml", "--plan", tmp_path / "plan.yml")
    assert run.returncode == 0, run.stderr
    assert "  improvement: intel: incompatible → compatible on 1 host (node-b)\n" \
           "      cpu.model vendor_id: AMD → " in run.stdout
    assert "kernel6" not in run.stdout and "hugepages-vfio" not in run.stdout


def test_on_groups_come_from_a_fleet_result(fleet, tmp_path):
    builder = FleetResultBuilder(RunMeta.now())
    for name, groups in (("node-a", ["rack1"]), ("node-b", ["rack2"]), ("node-c", ["rack1", "gpu"])):
        builder.add_host(name, groups)
    groups = tmp_path / "groups.json"
    builder.build().dump(groups)
    run = whatif(*fleet["args"], "--groups-from", groups, "--unload-module", "vfio_pci", "--on", "rack1")
    assert run.returncode == 1
    assert "  regression: hugepages-vfio: compatible → incompatible on 2 hosts (node-a, node-c)\n" in run.stdout


@pytest.mark.parametrize(("plan", "where", "message"), [
    ("- name: a\n  kernal: 6.8.0\n", "plan.yml:2: [0].kernal", "unknown key 'kernal'"),
    ("- name: a\n  kernel: [6.8.0, 6.9.0]\n", "plan.yml:2: [0].kernel", "one per step"),
    ("- name: a\n  set: kernel.config\n", "plan.yml:2: [0].set", "expected FEATURE.ELEMENT"),
    ("- name: a\n- name: b\n  kernel: 6.8.0\n", "plan.yml:1: [0]", "changes nothing"),
    ("- name: a\n  hosts: nosuch-host\n  kernel: 6.8.0\n", "plan.yml:1: [0]", "matches no host or group"),
    ("- name: a\n  on: node-a\n  kernel: 6.8.0\n", "plan.yml:2: [0].True", "'on' is YAML's true"),
    ("- name: a\n  kernel: 6.8.0\n- name: a\n  kernel: 6.9.0\n", "plan.yml:3: [1]", "used twice"),
    ("- name: a\n  kernel: [6.8.0\n", "plan.yml:3", "invalid YAML"),
    ("{}\n", "plan.yml:1", "expected a non-empty list of steps"),
    ("- name: a\n  hardware: missing.json\n", "plan.yml:2: [0].hardware", "cannot read features file"),
])
def test_bad_plans_are_one_line_errors(fleet, tmp_path, plan, where, message):
    (tmp_path / "plan.yml").write_text(plan)
    run = whatif(*fleet["args"], "--plan", "plan.yml", cwd=tmp_path)
    assert run.returncode == 2, run.stdout
    assert run.stderr.count("\n") == 1 and where in run.stderr and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_hostile_plan_files(fleet, tmp_path):
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    run = whatif(*fleet["args"], "--plan", fifo)
    assert run.returncode == 2 and "not a regular file" in run.stderr
    big = tmp_path / "big.yml"
    big.write_text("- name: a\n  kernel: 6.8.0\n" * 100)
    run = whatif(*fleet["args"], "--plan", big, env={"FLEETCOMPAT_MAX_LIST_BYTES": "100"})
    assert run.returncode == 2 and "FLEETCOMPAT_MAX_LIST_BYTES" in run.stderr
    bomb = tmp_path / "bomb.yml"
    bomb.write_text('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
                    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n')
    run = whatif(*fleet["args"], "--plan", bomb)
    assert run.returncode == 2 and "bomb.yml" in run.stderr and "Traceback" not in run.stderr
    hostile = tmp_path / "hostile.yml"
    hostile.write_text(textwrap.dedent("""\
        - name: "\\e[31mred\\u2028 <script>"
          kernel: 6.8.0-45-generic
        """))
    run = whatif(*fleet["args"], "--plan", hostile)
    assert run.returncode == 0 and "\x1b" not in run.stdout and "\\x1b[31mred" in run.stdout


def test_command_line_needs_one_kind_of_change(fleet, tmp_path):
    run = whatif(*fleet["args"])
    assert run.returncode == 2 and "no change" in run.stderr
    (tmp_path / "p.yml").write_text("- kernel: 6.8.0\n")
    run = whatif(*fleet["args"], "--plan", tmp_path / "p.yml", "--kernel", "6.8.0")
    assert run.returncode == 2 and "not both" in run.stderr
    run = whatif(*fleet["args"], "--on", "node-a")
    assert run.returncode == 2 and "give a change first" in run.stderr


def test_outputs_never_go_over_special_files(fleet, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    for option in ("--json", "--result"):
        run = whatif(*fleet["args"], "--kernel", "6.8.0-45-generic", option, fifo)
        assert run.returncode == 2 and "exists and is a FIFO" in run.stderr, run.stderr
    run = whatif(*fleet["args"], "--kernel", "6.8.0-45-generic", "--json", "-")
    assert run.returncode == 0 and json.loads(run.stdout)["schema"] == "fleetcompat.whatif/v1"
