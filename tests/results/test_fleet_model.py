"""The fleet result model: builder rules, JSON round trip, schema validation, one-line errors on bad input."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from fleetcompat.engine import evaluate_spec
from fleetcompat.results.fleet import (
    SCHEMA_ID,
    FleetResult,
    FleetResultBuilder,
    FleetResultError,
    HostStatus,
    RunMeta,
    SpecStatus,
    Status,
    schema,
)
from fleetcompat.spec import parse_spec
from tests.support.fleet_synthetic import Hardware, build_fleet, spec_text


def test_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(schema())
    assert schema()["properties"]["schema"]["const"] == SCHEMA_ID


def test_round_trip_validates_and_is_lossless(tmp_path):
    result = build_fleet(40, 4, 5, unreachable=2, gather_errors=1, no_spec_images=1, spec_error_images=1,
                         hostile=True)
    doc = result.to_dict()
    Draft202012Validator(schema()).validate(doc)
    path = tmp_path / "result.json"
    result.dump(path)
    loaded = FleetResult.load(path)
    assert loaded.to_dict() == doc
    assert json.loads(path.read_text()) == doc


def test_builder_derives_cells_from_host_and_image_status():
    result = build_fleet(10, 4, 3, unreachable=2, gather_errors=1, no_spec_images=1, spec_error_images=1)
    no_spec, spec_error, evaluated, _ = result.aliases()
    unreachable_host, error_host, ok_host = result.hosts[0], result.hosts[2], result.hosts[3]
    assert {o.status for o in unreachable_host.outcomes.values()} == {Status.UNREACHABLE}
    assert unreachable_host.status is HostStatus.UNREACHABLE and "timed out" in unreachable_host.reason
    assert unreachable_host.profile is None and unreachable_host.summary is None
    assert {o.status for o in error_host.outcomes.values()} == {Status.ERROR}
    assert ok_host.outcomes[no_spec].status is Status.NO_SPEC
    assert ok_host.outcomes[spec_error].status is Status.ERROR
    assert result.image(spec_error).spec_status is SpecStatus.ERROR
    assert ok_host.outcomes[evaluated].status in (Status.COMPATIBLE, Status.INCOMPATIBLE)
    counts = result.status_counts(evaluated)
    assert sum(counts.values()) == 10 and counts[Status.UNREACHABLE] == 2 and counts[Status.ERROR] == 1


def test_outcome_keeps_best_set_and_failing_expressions_with_expected_and_actual():
    spec = parse_spec(spec_text(kernel_min=5), "s.yaml")
    builder = FleetResultBuilder(RunMeta.now())
    builder.add_image("app", "reg/app:1", spec=spec)
    no_gpu = Hardware(avx512=False, avx2=True, vendor="AMD", gpu=False, kernel_major=4, vfio=True)
    builder.add_host("h1", ["g"], no_gpu.summary(), features=no_gpu.features())
    builder.add_evaluation("h1", "app", evaluate_spec(spec, no_gpu.features()))
    outcome = builder.build().hosts[0].outcomes["app"]
    assert outcome.status is Status.COMPATIBLE and outcome.best_set == 1  # the generic fallback set
    (rule,) = outcome.failing
    assert (rule.set_index, rule.rule) == (0, "nvidia gpu and avx512")
    by_feature = {t.feature: t for t in rule.terms}
    assert set(by_feature) == {"pci.device", "cpu.cpuid", "kernel.version"}
    (avx,) = by_feature["cpu.cpuid"].expressions
    assert (avx.element, avx.expected.op, avx.actual, avx.present) == ("AVX512F", "Exists", None, False)
    (kernel,) = by_feature["kernel.version"].expressions
    assert (kernel.expected.op, kernel.expected.value, kernel.actual) == ("Gt", ("5",), "4")
    pci = by_feature["pci.device"]
    assert pci.instance_count == 1 and [e.element for e in pci.expressions] == ["vendor", "class"]
    assert [e.actual for e in pci.expressions] == ["8086", "0200"]


def test_identical_outcomes_and_summaries_are_stored_once():
    result = build_fleet(300, 3, 4)
    doc = result.to_dict()
    assert len(doc["profiles"]) == 4
    assert len(doc["outcomes"]) <= 4 * 3
    assert len(result.profile_groups()) == 4
    assert sum(len(g.hosts) for g in result.profile_groups()) == 300


def test_profile_key_includes_audited_feature_values_not_only_summary():
    spec = parse_spec(spec_text(), "s.yaml")
    builder = FleetResultBuilder(RunMeta.now())
    builder.add_image("app", "reg/app:1", spec=spec)
    base = Hardware(avx512=True, avx2=True, vendor="Intel", gpu=True, kernel_major=6, vfio=True)
    no_avx2 = Hardware(avx512=True, avx2=False, vendor="Intel", gpu=True, kernel_major=6, vfio=True)
    unaudited_difference = Hardware(True, True, "Intel", True, 6, True, extra_feature="other")
    builder.add_host("a", (), base.summary(), features=base.features())
    builder.add_host("b", (), base.summary(), features=no_avx2.features())  # same summary, AVX2 differs
    builder.add_host("c", (), base.summary(), features=unaudited_difference.features())
    a, b, c = builder.build().hosts
    assert a.profile != b.profile
    assert a.profile == c.profile  # custom.label is not in any audited spec


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d.update(schema="fleetcompat.fleet-result/v9"), "unsupported document schema"),
    (lambda d: d["hosts"][0].update(status="sleepy"), "hosts[0].status"),
    (lambda d: d["hosts"][0]["images"].update({"app-00": -1}), "hosts[0].images.app-00"),
    (lambda d: d["outcomes"][0].update(status="maybe"), "outcomes[0].status"),
    (lambda d: d["hosts"][0]["images"].update({"app-00": 999}), "outcome 999 does not exist"),
    (lambda d: d["hosts"][0]["images"].pop("app-00"), "do not match the run's images"),
    (lambda d: d["hosts"][1].update(name=d["hosts"][0]["name"]), "duplicate host name"),
    (lambda d: d["hosts"][0].update(profile="nope"), "unknown profile 'nope'"),
    (lambda d: d.pop("run"), "'run' is a required property"),
])
def test_bad_documents_give_one_line_errors(tmp_path, mutate, expected):
    doc = build_fleet(5, 2, 2).to_dict()
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(FleetResultError) as info:
        FleetResult.load(path)
    message = str(info.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_validation_names_the_right_host_among_look_alikes():
    # Hosts that differ only by name are validated once; a problem must still name the host that has it.
    doc = build_fleet(40, 2, 2).to_dict()
    twins = [i for i, h in enumerate(doc["hosts"]) if {**h, "name": ""} == {**doc["hosts"][0], "name": ""}]
    assert len(twins) >= 3
    last = twins[-1]
    doc["hosts"][last]["images"]["app-00"] = -1
    with pytest.raises(FleetResultError, match=rf"\.hosts\[{last}\]\.images\.app-00: -1 is less than"):
        FleetResult.from_dict(doc)
    doc["hosts"][last]["images"]["app-00"] = 0
    doc["hosts"][twins[1]]["name"] = ""
    with pytest.raises(FleetResultError, match=rf"\.hosts\[{twins[1]}\]\.name: '' should be non-empty"):
        FleetResult.from_dict(doc)


def test_unreadable_and_non_json_files(tmp_path):
    with pytest.raises(FleetResultError, match="cannot read fleet result"):
        FleetResult.load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": \n  oops}')
    with pytest.raises(FleetResultError, match=r"broken\.json:2:3: not JSON"):
        FleetResult.load(broken)


def test_builder_rejects_misuse():
    builder = FleetResultBuilder(RunMeta.now())
    builder.add_image("app", "reg/app:1")  # no spec given: no-spec
    builder.add_host("down", (), status=HostStatus.UNREACHABLE, reason="timeout")
    with pytest.raises(ValueError, match="needs a reason"):
        builder.add_host("h", (), status=HostStatus.ERROR)
    with pytest.raises(ValueError, match="unreachable"):
        builder.add_error("down", "app", "x")
    with pytest.raises(ValueError, match="unknown image"):
        builder.add_error("down", "nope", "x")
    with pytest.raises(ValueError, match="added twice"):
        builder.add_image("app", "reg/app:1")
    assert builder.build().images[0].spec_status is SpecStatus.NO_SPEC
