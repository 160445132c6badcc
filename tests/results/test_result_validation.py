"""Fleet-result validation is judged by jsonschema; a compiled check (fastjsonschema) only lets the valid documents
through sooner. These pin what a malformed document is told, word for word, and that a name with a trailing
newline, which Python's `$` would let through, is refused."""

from __future__ import annotations

import pytest

from fleetcompat.results.fleet import FleetResult, FleetResultError
from tests.support.fleet_synthetic import build_fleet


def _first_failing_expression(doc):
    return next(o for o in doc["outcomes"] if o.get("failingRules"))["failingRules"][0]["terms"][0]["expressions"][0]


PREFIX = "bad.json: does not match fleetcompat.fleet-result/v1: "


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["hosts"][3].update(status="sleepy"), ".hosts[3].status: 'sleepy' is not one of ['ok', "
                                                      "'unreachable', 'error']"),
    (lambda d: d["hosts"][2].update(status="unreachable", reason=None),
     ".hosts[2].reason: None is not of type 'string'"),
    (lambda d: d["outcomes"][1].update(colour="red"),
     ".outcomes[1]: Additional properties are not allowed ('colour' was unexpected)"),
    (lambda d: d["outcomes"][0].update(status="waived"), ".outcomes[0]: 'original' is a required property"),
    (lambda d: _first_failing_expression(d).update(actual=7),
     ".outcomes[0].failingRules[0].terms[0].expressions[0].actual: 7 is not of type 'string', 'array', 'null'"),
    (lambda d: d["hosts"][4]["images"].update({"app-01": -2}), ".hosts[4].images.app-01: -2 is less than the "
                                                                "minimum of 0"),
    (lambda d: d["hosts"][4]["images"].update({"app-01": True}),
     ".hosts[4].images.app-01: True is not of type 'integer'"),
    (lambda d: d["hosts"][1].update(name=""), ".hosts[1].name: '' should be non-empty"),
    (lambda d: d["images"][0].update(alias=""), ".images[0].alias: '' should be non-empty"),
    (lambda d: d["images"][1].update(specStatus="error", specError=None),
     ".images[1].specError: None is not of type 'string'"),
    (lambda d: d["run"].update(durationSeconds=-1), ".run.durationSeconds: -1 is less than the minimum of 0"),
    (lambda d: d.clear(), "(document): 'schema' is a required property"),
])
def test_a_malformed_document_is_told_exactly_what_is_wrong(mutate, message):
    doc = build_fleet(5, 2, 2).to_dict()
    mutate(doc)
    with pytest.raises(FleetResultError) as info:
        FleetResult.from_dict(doc, "bad.json")
    assert str(info.value) == PREFIX + message


def test_an_action_name_with_a_trailing_newline_is_refused_by_both_checks():
    doc = build_fleet(5, 2, 2).to_dict()
    # A JSON Schema `$` is ECMA's (end of input); Python's `re.search`, which jsonschema uses, also lets it match
    # before a final newline, so the schema adds `(?!\\n)`: a result file cannot smuggle "vfio_pci\\n" into the
    # playbook `fleetcompat remediate` writes. The compiled check refuses it as well, so both agree.
    doc["outcomes"][0]["remediation"] = {"set": 0, "failing": 1, "hints": [
        {"class": "configuration", "text": "load vfio_pci", "feature": "kernel.loadedmodule", "element": "vfio_pci",
         "action": {"kind": "load-module", "name": "vfio_pci\n"}}]}
    with pytest.raises(FleetResultError) as info:
        FleetResult.from_dict(doc, "bad.json")
    assert "outcomes[0].remediation.hints[0].action.name: 'vfio_pci\\n' does not match" in str(info.value)
    doc["outcomes"][0]["remediation"]["hints"][0]["action"]["name"] = "vfio_pci"
    FleetResult.from_dict(doc, "ok.json")
