"""Strict spec parsing: every problem is one line naming file, line and YAML path."""

from __future__ import annotations

import pytest

from fleetcompat.errors import SpecError
from fleetcompat.spec import parse_spec

GOOD = """\
version: v1alpha1
compatibilities:
- description: demo
  weight: 3
  tag: prod
  rules:
  - name: kernel
    vars: {k: v}
    matchFeatures:
    - feature: kernel.loadedmodule
      matchExpressions:
        vfio-pci: {op: Exists}
    - feature: cpu.cpuid
      matchName: {op: InRegexp, value: ["^AVX"]}
"""


def test_good_spec_parses_into_the_model():
    spec = parse_spec(GOOD, "good.yaml")
    comp = spec.compatibilities[0]
    assert (comp.weight, comp.tag, comp.description) == (3, "prod", "demo")
    rule = comp.rules[0]
    assert rule.name == "kernel" and rule.vars == {"k": "v"}
    assert rule.match_features[0].match_expressions[0][0] == "vfio-pci"
    assert rule.match_features[1].match_name.value == ("^AVX",)
    assert spec.feature_names() == {"kernel.loadedmodule", "cpu.cpuid"}


def test_json_spec_is_accepted():
    assert parse_spec('{"version": "v1alpha1", "compatibilities": [{"rules": []}]}', "s.json").compatibilities


def bad(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(text, "bad.yaml")
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{op: Exists}", "{op: In, values: [x]}",
         "bad.yaml:12: compatibilities[0].rules[0].matchFeatures[0].matchExpressions.vfio-pci.values: "
         "unknown key 'values' (allowed: op, value, type); did you mean 'value'?"),
        ("version: v1alpha1", "version: v1",
         "bad.yaml:1: version: unsupported version 'v1' (expected 'v1alpha1')"),
        ("{op: Exists}", "{op: Exist}",
         "bad.yaml:12: compatibilities[0].rules[0].matchFeatures[0].matchExpressions.vfio-pci.op: unknown op "
         "'Exist'"),
        ("{op: Exists}", "{op: In}", "matchExpressions.vfio-pci: op In needs at least one value"),
        ("{op: Exists}", "{op: Exists, value: [x]}", "vfio-pci.value: op Exists takes no value, got 1"),
        ("{op: Exists}", "{op: In, value: x}", "vfio-pci.value: expected a list of strings, got string"),
        ("{op: Exists}", "{op: In, value: [10]}",
         "bad.yaml:12: compatibilities[0].rules[0].matchFeatures[0].matchExpressions.vfio-pci.value[0]: expected a "
         "string, got integer (quote it"),
        ("{op: Exists}", "{op: Gt, value: ['1.5']}", "vfio-pci.value: value[0] '1.5' is not an integer"),
        ("{op: Exists}", "{op: GeLe, value: ['5', '5']}", "bounds must be increasing for GeLe"),
        ('["^AVX"]', '["(?<=x)AVX"]', "matchName.value: value[0] '(?<=x)AVX' is not a valid RE2 regexp"),
        ("{op: Exists}", "{op: Gt, value: ['1'], type: semver}", "vfio-pci.type: unsupported type 'semver'"),
        ("weight: 3", "weight: high", "bad.yaml:4: compatibilities[0].weight: expected an integer, got string"),
        ("weight: 3", "weight: 1.5", "compatibilities[0].weight: expected an integer, got number"),
        ("  - name: kernel", "  - name: kernel\n    varsTemplate: x={{ .x }}",
         "rules[0].varsTemplate: varsTemplate (Go templates) is unsupported"),
        ("  - name: kernel", "  - name: kernel\n    labels: {a: b}",
         "rules[0].labels: unknown key 'labels' (allowed: name, vars, varsTemplate, matchFeatures, matchAny)"),
        ("    - feature: kernel.loadedmodule", "    - feature: kernel",
         "matchFeatures[0].feature: feature 'kernel' must be '<domain>.<feature>'"),
        ("  - name: kernel\n", "  - matchAny: []\n", "compatibilities[0].rules[0]: missing required key 'name'"),
        ("vars: {k: v}", "vars: {k: 1}", "rules[0].vars.k: expected a string, got integer"),
        ("  tag: prod", "  tag: prod\n  tag: dev", "bad.yaml:6: compatibilities[0]: duplicate key 'tag'"),
        ("- description: demo", "- description: [demo",
         "bad.yaml:"),
    ],
)
def test_bad_specs_give_one_line_errors(old, new, expected):
    assert old in GOOD
    message = bad(GOOD.replace(old, new, 1))
    assert expected in message


def test_structural_errors():
    assert bad("") == "bad.yaml: empty document"
    assert "missing required key 'compatibilities'" in bad("version: v1alpha1\n")
    assert "needs at least one compatibility set" in bad("version: v1alpha1\ncompatibilities: []\n")
    assert "expected a mapping, got list" in bad("- a\n- b\n")
    assert "expected one YAML document, found 2" in bad("version: v1alpha1\n---\nversion: v1alpha1\n")
    with pytest.raises(SpecError, match="not UTF-8"):
        parse_spec(b"\xff\xfe", "bad.yaml")


def test_yaml_syntax_error_names_the_line():
    message = bad("version: v1alpha1\ncompatibilities:\n- rules: [\n")
    assert message.startswith("bad.yaml:") and "invalid YAML" in message


def test_yaml_11_booleans_are_not_strings():
    # As in NFD's decoder (sigs.k8s.io/yaml): an unquoted yes is a boolean, not the string "yes".
    message = bad(GOOD.replace("{op: Exists}", "{op: In, value: [yes]}"))
    assert "value[0]: expected a string, got boolean" in message
