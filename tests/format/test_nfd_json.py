"""`--output nfd-json` reproduces NFD's validate-node --output-json report (reference §2.3)."""

from __future__ import annotations

import json

from fleetcompat._format.interface import EvaluationContext
from fleetcompat._format.nfd_json import NfdJsonFormat, expression_string, go_json, go_quote
from fleetcompat.engine import evaluate_spec
from tests.support.builders import features, spec

FAKE = features(flags={"fake.flag": ["flag_1", "flag_2"]}, attrs={"fake.attribute": {"attr_1": "true"}},
                instances={"fake.instance": [{"attr_1": "true", "attr_2": "1"}, {"attr_1": "false", "attr_2": "9"}]})


def render(text: str, feats=FAKE) -> str:
    parsed = spec(text)
    return NfdJsonFormat().render(evaluate_spec(parsed, feats), EvaluationContext(parsed, "h", "s"))


def test_reference_example_fake_2_byte_for_byte():
    out = render("""
        version: v1alpha1
        compatibilities:
        - description: Fake compatibility
          rules:
          - name: fake_2
            matchFeatures:
            - feature: fake.flag
              matchExpressions:
                flag_unknown: {op: Exists}
            - feature: fake.attribute
              matchExpressions:
                attr_1: {op: In, value: ["true"]}
        """)
    assert out == (
        '[{"rules":[{"name":"fake_2","isMatch":false,"matchedExpressions":['
        '{"feature":"fake.attribute","name":"attr_1","expression":{"op":"In","value":["true"]},'
        '"matcherType":"matchExpression","isMatch":true},'
        '{"feature":"fake.flag","name":"flag_unknown","expression":{"op":"Exists"},'
        '"matcherType":"matchExpression","isMatch":false}]}],"description":"Fake compatibility"}]'
    )


def test_empty_rule_match_any_weight_and_tag():
    report = json.loads(render("""
        version: v1alpha1
        compatibilities:
        - weight: 0
          rules:
          - name: fake_10
            matchFeatures: []
        - weight: 7
          tag: t
          rules:
          - name: any
            matchAny:
            - matchFeatures:
              - feature: fake.instance
                matchExpressions: {attr_1: {op: In, value: ["false"]}, attr_2: {op: Gt, value: ["5"]}}
            - matchFeatures:
              - feature: fake.instance
                matchExpressions: {}
        """))
    assert report[0] == {"rules": [{"name": "fake_10", "isMatch": True}]}
    assert report[1]["weight"] == 7 and report[1]["tag"] == "t"
    rule = report[1]["rules"][0]
    assert "matchedExpressions" not in rule
    assert rule["matchedAny"][1] == {"matchedExpressions": None}  # `{}` terms produce no entries
    assert [(e["name"], e["isMatch"]) for e in rule["matchedAny"][0]["matchedExpressions"]] == [
        ("attr_1", True), ("attr_2", True)]


def test_instance_expressions_report_match_on_any_instance_like_nfd():
    # attr_1 In [true] holds on instance 0, attr_2 Gt 5 on instance 1: NFD marks both as matched although
    # no single instance satisfies the term, so the rule fails.
    report = json.loads(render("""
        version: v1alpha1
        compatibilities:
        - rules:
          - name: r
            matchFeatures:
            - feature: fake.instance
              matchExpressions: {attr_2: {op: Gt, value: ["5"]}, attr_1: {op: In, value: ["true"]}}
        """))
    rule = report[0]["rules"][0]
    assert rule["isMatch"] is False
    assert [e["isMatch"] for e in rule["matchedExpressions"]] == [True, True]


def test_entries_sort_by_feature_name_and_expression_string():
    report = json.loads(render("""
        version: v1alpha1
        compatibilities:
        - rules:
          - name: r
            matchFeatures:
            - feature: fake.flag
              matchName: {op: In, value: [flag_2]}
            - feature: fake.attribute
              matchExpressions: {attr_1: {op: NotIn, value: ["b"]}}
            - feature: fake.attribute
              matchExpressions: {attr_1: {op: In, value: ["a"]}}
        """))
    entries = report[0]["rules"][0]["matchedExpressions"]
    assert [(e["feature"], e["name"], e["expression"]["op"]) for e in entries] == [
        ("fake.attribute", "attr_1", "In"), ("fake.attribute", "attr_1", "NotIn"), ("fake.flag", "", "In")]
    assert [e["matcherType"] for e in entries] == ["matchExpression", "matchExpression", "matchName"]


def test_upper_case_feature_names_report_their_real_result():
    # NFD's reporter compares the spec's spelling with the lower-cased name and always says false here;
    # fleetcompat reports what was evaluated (docs/nfd-differences.md).
    report = json.loads(render("""
        version: v1alpha1
        compatibilities:
        - rules:
          - name: r
            matchFeatures:
            - feature: FAKE.Attribute
              matchExpressions: {attr_1: {op: Exists}}
        """))
    entry = report[0]["rules"][0]["matchedExpressions"][0]
    assert entry["feature"] == "FAKE.Attribute" and entry["isMatch"] is True


def test_go_quoting_and_html_escaping():
    assert go_quote('a"b\\c\n\x01\u2028é') == '"a\\"b\\\\c\\n\\x01\\u2028é"'
    assert go_json(["<a&b>", "\u2028"]) == '["\\u003ca\\u0026b\\u003e","\\u2028"]'
    parsed = spec('version: v1alpha1\ncompatibilities:\n- rules:\n  - name: r\n    matchFeatures:\n'
                  '    - feature: a.b\n      matchName: {op: InRegexp, value: ["\\\\d", "x y"]}\n')
    expr = parsed.compatibilities[0].rules[0].match_features[0].match_name
    assert expression_string(expr) == '{op: "InRegexp", value: ["\\\\d" "x y"]}'
