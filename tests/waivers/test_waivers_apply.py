"""Waivers: reading the file (every malformed entry named with its line), which cells an entry covers (hosts by
name, glob and group; set/rule; statuses; expiry), and the fleet result keeping the verdict of a waived cell."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from fleetcompat.results.fleet import FleetResult, FleetResultError, Status
from fleetcompat.waivers.apply import apply_waivers
from fleetcompat.waivers.model import WaiverError, load_waivers
from tests.support.drift_fleets import CPU_NO_VFIO, CPU_VFIO, DPDK_SPEC, GPU_KERNEL5, SPEC_V2, fleet
from tests.support.fleet_synthetic import BAD, GOOD, UNREACHABLE

TODAY = datetime.date(2026, 12, 2)
MAIN_RESULT = Path(__file__).parent / "data" / "fleet-result-main-6639942.json"


def waivers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yml"
    path.write_text(text)
    return path


def entry(image="api", hosts="[node-*]", expires="2026-12-31", extra=""):
    return (f"- image: {image}\n  hosts: {hosts}\n  justification: accepted until the rollout\n"
            f"  owner: alice@example.com\n  expires: {expires}\n{extra}")


def waive(tmp_path, result, *entries):
    return apply_waivers(result, load_waivers(str(waivers_file(tmp_path, "waivers:\n" + "".join(entries)))), TODAY)


def statuses(result, image="api"):
    return {h.name: h.outcomes[image].status for h in result.hosts}


def test_globs_names_and_groups_waive_incompatible_cells_only(tmp_path):
    result = fleet({"node-1": BAD, "node-2": GOOD, "edge-1": BAD, "gpu-box": GPU_KERNEL5, "down": UNREACHABLE},
                   {"api": SPEC_V2})
    waived = waive(tmp_path, result, entry(hosts="[node-*, gpu, down]"))
    assert statuses(waived) == {"node-1": Status.WAIVED, "node-2": Status.COMPATIBLE, "edge-1": Status.INCOMPATIBLE,
                                "gpu-box": Status.WAIVED, "down": Status.UNREACHABLE}
    outcome = next(h for h in waived.hosts if h.name == "node-1").outcomes["api"]
    original = next(h for h in result.hosts if h.name == "node-1").outcomes["api"]
    assert (outcome.original, outcome.waiver, outcome.failing) == (Status.INCOMPATIBLE, 0, original.failing)
    record = waived.waivers.entries[0]
    assert (record.cells, record.expired, record.source) == (2, False, f"{tmp_path / 'waivers.yml'}:2")
    assert waived.status_counts("api")[Status.WAIVED] == 2
    assert result.status_counts("api")[Status.WAIVED] == 0  # the input result is not modified


def test_unreachable_and_error_only_when_the_entry_says_so(tmp_path):
    result = fleet({"node-1": BAD, "node-2": UNREACHABLE})
    assert statuses(waive(tmp_path, result, entry(extra="  statuses: [unreachable]\n"))) == {
        "node-1": Status.INCOMPATIBLE, "node-2": Status.WAIVED}
    both = waive(tmp_path, result, entry(extra="  statuses: [incompatible, unreachable]\n"))
    assert statuses(both) == {"node-1": Status.WAIVED, "node-2": Status.WAIVED}
    assert next(h for h in both.hosts if h.name == "node-2").outcomes["api"].original is Status.UNREACHABLE


def test_set_and_rule_waive_only_that_narrow_a_failure(tmp_path):
    # k5 fails the GPU set only by its kernel (rule "nvidia gpu and avx512"); BAD fails both sets.
    result = fleet({"node-k5": GPU_KERNEL5, "node-bad": BAD}, {"api": SPEC_V2})
    by_rule = waive(tmp_path, result, entry(extra="  set: gpu\n  rule: nvidia gpu and avx512\n"))
    assert statuses(by_rule) == {"node-k5": Status.WAIVED, "node-bad": Status.WAIVED}
    by_number = waive(tmp_path, result, entry(extra="  set: 2\n  rule: avx2\n"))
    assert statuses(by_number) == {"node-k5": Status.WAIVED, "node-bad": Status.WAIVED}
    other_rule = waive(tmp_path, result, entry(extra="  set: gpu\n  rule: avx2\n"))
    assert statuses(other_rule) == {"node-k5": Status.INCOMPATIBLE, "node-bad": Status.INCOMPATIBLE}
    # A reason-only incompatibility (no failing rules) is not narrowed to any rule.
    dpdk = fleet({"node-1": CPU_NO_VFIO}, {"api": DPDK_SPEC})
    assert statuses(waive(tmp_path, dpdk, entry(extra="  rule: vfio\n"))) == {"node-1": Status.WAIVED}
    assert statuses(waive(tmp_path, dpdk, entry(extra="  rule: other\n"))) == {"node-1": Status.INCOMPATIBLE}


def test_expired_waives_nothing_counts_what_it_would_and_first_valid_entry_wins(tmp_path):
    result = fleet({"node-1": BAD, "node-2": BAD})
    waived = waive(tmp_path, result, entry(hosts="[node-1, node-2]", expires="2026-12-01"),
                   entry(hosts="[node-2]", expires="2026-12-02"))  # the last day still applies
    assert statuses(waived) == {"node-1": Status.INCOMPATIBLE, "node-2": Status.WAIVED}
    expired, valid = waived.waivers.entries
    assert (expired.expired, expired.cells, valid.expired, valid.cells) == (True, 1, False, 1)
    assert next(h for h in waived.hosts if h.name == "node-2").outcomes["api"].waiver == 1
    assert waived.waivers.expired_note(["api"]).startswith("; expired waiver no longer applies: api on node-1, "
                                                            "node-2 (alice@example.com, expired 2026-12-01)")


def test_applying_again_replaces_the_earlier_waivers(tmp_path):
    result = fleet({"node-1": BAD, "cpu-1": CPU_VFIO})
    once = waive(tmp_path, result, entry())
    again = waive(tmp_path, once, entry(hosts="[cpu-*]"))
    assert statuses(once) == {"node-1": Status.WAIVED, "cpu-1": Status.COMPATIBLE}
    assert statuses(again) == {"node-1": Status.INCOMPATIBLE, "cpu-1": Status.COMPATIBLE}
    assert again.waivers.entries[0].hosts == ("cpu-*",)


def test_waived_result_round_trips_through_json(tmp_path):
    waived = waive(tmp_path, fleet({"node-1": BAD, "node-2": GOOD}), entry(extra="  ticket: OPS-7\n"))
    path = tmp_path / "result.json"
    waived.dump(path)
    loaded = FleetResult.load(path)
    assert loaded.to_dict() == waived.to_dict()
    doc = json.loads(path.read_text())
    cell = doc["outcomes"][doc["hosts"][0]["images"]["api"]]
    assert (cell["status"], cell["original"], cell["waiver"]) == ("waived", "incompatible", 0)
    assert cell["failingRules"]
    assert doc["waivers"]["entries"][0]["ticket"] == "OPS-7" and doc["waivers"]["date"] == "2026-12-02"


def test_result_written_by_main_still_loads_and_a_waived_cell_needs_its_verdict(tmp_path):
    old = FleetResult.load(MAIN_RESULT)
    assert old.waivers is None and len(old.hosts) == 12
    assert {h.outcomes[a].status for h in old.hosts for a in old.aliases()} <= set(Status) - {Status.WAIVED}
    assert "waived" not in [str(s) for s in old.statuses()]
    doc = json.loads(MAIN_RESULT.read_text())
    doc["outcomes"][0] = {"status": "waived"}
    with pytest.raises(FleetResultError, match=r"outcomes\[0\]"):
        FleetResult.from_dict(doc)
    doc["outcomes"][0] = {"status": "waived", "original": "incompatible", "waiver": 0}
    with pytest.raises(FleetResultError, match="waiver 0 does not exist"):
        FleetResult.from_dict(doc)


@pytest.mark.parametrize(("text", "problems"), [
    ("waivers:\n" + entry(expires="next week"), ["waivers.yml:6: waivers[0].expires: expected a date"]),
    ("waivers:\n" + entry(hosts="[]"), ["waivers.yml:3: waivers[0].hosts: expected a host name"]),
    ("waivers:\n- image: api\n  hosts: x\n  owner: me\n  expires: 2026-01-01\n",
     ["waivers.yml:2: waivers[0]: missing key 'justification'"]),
    ("waivers:\n" + entry(extra="  statuses: [compatible]\n") + entry(extra="  colour: red\n"),
     ["waivers.yml:7: waivers[0].statuses: expected a list of incompatible, unreachable, error, no-spec",
      "waivers.yml:13: waivers[1].colour: unknown key 'colour'"]),
    ("waivers:\n" + entry(extra="  set: 0\n"), ["waivers.yml:7: waivers[0].set: expected a set's tag"]),
])
def test_every_malformed_entry_is_named_with_its_line(tmp_path, monkeypatch, text, problems):
    monkeypatch.chdir(tmp_path)
    waivers_file(tmp_path, text)
    loaded = load_waivers("waivers.yml")
    assert len(loaded.problems) == len(problems)
    for got, wanted in zip(loaded.problems, problems, strict=True):
        assert got.startswith(wanted), got
    with pytest.raises(WaiverError, match="^" + problems[0][:20]):
        loaded.require_valid()


@pytest.mark.parametrize(("text", "problem"), [
    ("just text", "expected a list of waivers, got string"),
    ("waivers: {image: api}", "expected a list of waivers, got mapping"),
    ("waiver: []", "unknown key 'waiver'"),
    ("a: &a [1, 2]\nb: [*a, *a]", "unknown key 'a'"),
])
def test_wrong_shapes_are_one_error(tmp_path, text, problem):
    with pytest.raises(WaiverError, match=problem):
        load_waivers(str(waivers_file(tmp_path, text)))
