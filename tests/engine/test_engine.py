"""Rule-engine semantics from the NFD reference §3.3–3.5 and the verdicts of issue 2 (§5)."""

from __future__ import annotations

import pytest

from fleetcompat.engine import NoSetSelected, evaluate_spec
from fleetcompat.errors import EvaluationError
from tests.support.builders import features, spec


def one_term(term_yaml: str, *, name="r"):
    """A spec with one set holding one rule with one matchFeatures term."""
    indented = "\n".join("      " + line for line in term_yaml.strip().splitlines())
    text = f"version: v1alpha1\ncompatibilities:\n- rules:\n  - name: {name}\n    matchFeatures:\n{indented}\n"
    return spec(text)


def matches(term_yaml: str, feats) -> bool:
    return evaluate_spec(one_term(term_yaml), feats).compatible


HOST = features(
    flags={"cpu.cpuid": ["AVX", "AVX2", "SSE4"], "kernel.loadedmodule": ["vfio_pci", "i40e"]},
    attrs={
        "cpu.cpuid": {"AVX10_VERSION": "1"},
        "cpu.model": {"vendor_id": "Hygon", "family": "24", "id": "1"},
        "kernel.version": {"full": "6.8.0-45-generic", "major": "6", "minor": "8", "revision": "0"},
        "memory.hugepages": {"enabled": "true", "hugepages-1Gi": "16"},
        "local.feature": {},
    },
    instances={
        "pci.device": [
            {"class": "0200", "vendor": "8086", "device": "1572", "sriov_totalvfs": "64"},
            {"class": "0300", "vendor": "10de", "device": "2330"},
        ],
        "usb.device": [],
        "network.virtual": [{}],
    },
)


def test_empty_op_matches_even_a_missing_element():
    assert matches("- feature: cpu.model\n  matchExpressions:\n    missing: {}", HOST)
    assert matches("- feature: cpu.model\n  matchExpressions:\n    missing: {op: ''}", HOST)


def test_notin_on_missing_element_is_false():
    assert not matches("- feature: cpu.model\n  matchExpressions:\n    missing: {op: NotIn, value: [x]}", HOST)
    assert matches("- feature: cpu.model\n  matchExpressions:\n    vendor_id: {op: NotIn, value: [Intel]}", HOST)


def test_value_ops_on_flag_elements_never_match():
    assert not matches("- feature: kernel.loadedmodule\n  matchExpressions:\n    i40e: {op: In, value: [i40e]}", HOST)
    assert matches("- feature: kernel.loadedmodule\n  matchExpressions:\n    i40e: {op: Exists}", HOST)


def test_feature_names_are_case_insensitive_elements_and_values_are_not():
    assert matches("- feature: CPU.Model\n  matchExpressions:\n    vendor_id: {op: In, value: [Hygon]}", HOST)
    assert not matches("- feature: cpu.model\n  matchExpressions:\n    VENDOR_ID: {op: Exists}", HOST)
    assert not matches("- feature: cpu.model\n  matchExpressions:\n    vendor_id: {op: In, value: [hygon]}", HOST)


def test_present_but_empty_is_not_absent():
    # local.feature exists with no elements: `{}` matches it; an absent feature never matches.
    assert matches("- feature: local.feature\n  matchExpressions: {}", HOST)
    assert not matches("- feature: local.label\n  matchExpressions: {}", HOST)
    # DoesNotExist on an element of an absent feature is still false: the term needs the feature.
    assert not matches("- feature: local.label\n  matchExpressions:\n    x: {op: DoesNotExist}", HOST)
    assert matches("- feature: local.feature\n  matchExpressions:\n    x: {op: DoesNotExist}", HOST)


def test_instances_zero_empty_and_per_instance_and():
    assert not matches("- feature: usb.device\n  matchExpressions: {}", HOST)  # zero instances
    assert matches("- feature: network.virtual\n  matchExpressions: {}", HOST)  # one empty instance
    # One term: all its expressions must hold on the SAME instance.
    assert not matches(
        "- feature: pci.device\n  matchExpressions:\n    vendor: {op: In, value: ['8086']}\n"
        "    class: {op: In, value: ['0300']}", HOST)
    # Two terms on the same feature may be satisfied by different instances.
    assert matches(
        "- feature: pci.device\n  matchExpressions:\n    vendor: {op: In, value: ['8086']}\n"
        "- feature: pci.device\n  matchExpressions:\n    class: {op: In, value: ['0300']}", HOST)


def test_instance_doesnotexist_is_per_instance():
    assert matches("- feature: pci.device\n  matchExpressions:\n    sriov_totalvfs: {op: DoesNotExist}", HOST)
    assert matches(
        "- feature: pci.device\n  matchExpressions:\n    sriov_totalvfs: {op: Gt, value: ['32']}", HOST)


def test_multi_type_feature_matches_as_key_or_value():
    # cpu.cpuid is a flag set and an attribute set: an expression may match either map.
    assert matches("- feature: cpu.cpuid\n  matchExpressions:\n    AVX10_VERSION: {op: Gt, value: ['0']}", HOST)
    assert matches("- feature: cpu.cpuid\n  matchExpressions:\n    AVX2: {op: Exists}", HOST)
    # DoesNotExist must hold in both maps.
    assert not matches("- feature: cpu.cpuid\n  matchExpressions:\n    AVX10_VERSION: {op: DoesNotExist}", HOST)
    assert not matches("- feature: cpu.cpuid\n  matchExpressions:\n    AVX: {op: DoesNotExist}", HOST)
    assert matches("- feature: cpu.cpuid\n  matchExpressions:\n    AMXTILE: {op: DoesNotExist}", HOST)


def test_match_name_applies_to_element_names():
    assert matches("- feature: cpu.cpuid\n  matchName: {op: InRegexp, value: ['^AVX']}", HOST)
    assert matches("- feature: cpu.cpuid\n  matchName: {op: Exists}", HOST)
    assert not matches("- feature: cpu.cpuid\n  matchName: {op: DoesNotExist}", HOST)
    # NotIn = some element other than these exists.
    assert matches("- feature: kernel.loadedmodule\n  matchName: {op: NotIn, value: [vfio_pci]}", HOST)
    assert not matches("- feature: kernel.loadedmodule\n  matchName: {op: NotIn, value: [vfio_pci, i40e]}", HOST)
    # On instances the names are the instances' attribute names.
    assert matches("- feature: pci.device\n  matchName: {op: In, value: [sriov_totalvfs]}", HOST)
    # matchName over an empty feature finds nothing.
    assert not matches("- feature: local.feature\n  matchName: {op: Exists}", HOST)


def test_match_expressions_and_match_name_must_both_hold():
    assert matches("- feature: cpu.cpuid\n  matchExpressions:\n    AVX: {op: Exists}\n"
                   "  matchName: {op: In, value: [SSE4]}", HOST)
    assert not matches("- feature: cpu.cpuid\n  matchExpressions:\n    AVX512F: {op: Exists}\n"
                       "  matchName: {op: In, value: [SSE4]}", HOST)


def test_missing_feature_is_false_not_error():
    assert not matches("- feature: gpu.nvidia\n  matchExpressions:\n    x: {op: Gt, value: ['1']}", HOST)


def test_host_value_that_is_not_an_integer_raises():
    bad = features(attrs={"kernel.version": {"revision": ""}})
    with pytest.raises(EvaluationError, match="not an integer"):
        matches("- feature: kernel.version\n  matchExpressions:\n    revision: {op: Gt, value: ['1']}", bad)


def test_version_type_on_kernel_version():
    assert matches("- feature: kernel.version\n  matchExpressions:\n"
                   "    full: {op: Ge, value: ['6.8'], type: version}", HOST)
    assert not matches("- feature: kernel.version\n  matchExpressions:\n"
                       "    full: {op: Gt, value: ['6.8'], type: version}", HOST)


RULES = """
version: v1alpha1
compatibilities:
- rules:
  - name: any-or-all
    matchFeatures:
    - feature: cpu.model
      matchExpressions: {vendor_id: {op: In, value: [Hygon]}}
    matchAny:
    - matchFeatures:
      - feature: pci.device
        matchExpressions: {vendor: {op: In, value: ['15b3']}}
    - matchFeatures:
      - feature: pci.device
        matchExpressions: {vendor: {op: In, value: ['8086']}}
  - name: no-constraints
"""


def test_match_any_is_or_and_match_features_is_and():
    result = evaluate_spec(spec(RULES), HOST)
    assert [r.matched for r in result.sets[0].rules] == [True, True]
    no_nic = features(attrs={"cpu.model": {"vendor_id": "Hygon"}}, instances={"pci.device": [{"vendor": "1af4"}]})
    result = evaluate_spec(spec(RULES), no_nic)
    assert [r.matched for r in result.sets[0].rules] == [False, True]
    assert result.compatible is False


BACKREF = """
version: v1alpha1
compatibilities:
- rules:
  - name: has-nic
    vars: {nic: intel}
    matchFeatures:
    - feature: pci.device
      matchExpressions: {vendor: {op: In, value: ['8086']}}
  - name: uses-backref
    matchFeatures:
    - feature: rule.matched
      matchExpressions: {nic: {op: In, value: [intel]}}
- rules:
  - name: other-set-sees-no-vars
    matchFeatures:
    - feature: rule.matched
      matchExpressions: {}
"""


def test_rule_matched_back_references_within_a_set():
    result = evaluate_spec(spec(BACKREF), HOST)
    assert result.sets[0].satisfied is True
    assert result.sets[0].rules[0].vars == {"nic": "intel"}
    # NFD shares rule.matched across sets; fleetcompat scopes it to its set (docs/nfd-differences.md).
    assert result.sets[1].satisfied is False


def test_failing_rule_contributes_no_vars_and_creates_no_rule_matched():
    no_nic = features(instances={"pci.device": [{"vendor": "1af4"}]})
    text = BACKREF.replace("matchExpressions: {nic: {op: In, value: [intel]}}", "matchExpressions: {}")
    result = evaluate_spec(spec(text), no_nic)
    assert result.sets[0].rules[0].vars == {}
    assert result.sets[0].rules[1].matched is False


_VENDOR = "[{feature: cpu.model, matchExpressions: {vendor_id: {op: Exists}}}]"
_MISSING = "[{feature: cpu.model, matchExpressions: {nope: {op: Exists}}}]"
WEIGHTED = f"""
version: v1alpha1
compatibilities:
- {{tag: a, weight: 1, rules: [{{name: x, matchFeatures: {_VENDOR}}}]}}
- {{tag: b, weight: 5, rules: [{{name: y, matchFeatures: {_VENDOR}}}]}}
- {{tag: c, weight: 5, rules: [{{name: z, matchFeatures: {_VENDOR}}}]}}
- {{tag: d, weight: 9, rules: [{{name: w, matchFeatures: {_MISSING}}}]}}
- {{weight: 7, rules: [{{name: v, matchFeatures: {_VENDOR}}}]}}
"""


def test_best_set_is_highest_weight_first_on_ties():
    result = evaluate_spec(spec(WEIGHTED), HOST)
    assert result.compatible and result.best.index == 4
    result = evaluate_spec(spec(WEIGHTED), HOST, tags=["a", "b", "c", "d"])
    assert [s.index for s in result.sets] == [0, 1, 2, 3]
    assert result.best.index == 1 and result.best.tag == "b"


def test_tags_keep_only_exact_matches_and_untagged_sets_are_dropped():
    result = evaluate_spec(spec(WEIGHTED), HOST, tags=["d"])
    assert [s.tag for s in result.sets] == ["d"]
    assert result.compatible is False
    with pytest.raises(NoSetSelected, match="no compatibility set has tag zz"):
        evaluate_spec(spec(WEIGHTED), HOST, tags=["zz"])


def test_actual_values_are_recorded_for_failing_expressions():
    result = evaluate_spec(one_term(
        "- feature: cpu.model\n  matchExpressions:\n    vendor_id: {op: In, value: [Intel, AMD]}"), HOST)
    expr = result.sets[0].rules[0].match_features[0].expressions[0]
    assert (expr.matched, expr.actual, expr.present) == (False, "Hygon", True)
    assert expr.expression.describe() == "In [Intel, AMD]"


def test_closest_instance_is_reported_for_instance_terms():
    result = evaluate_spec(one_term(
        "- feature: pci.device\n  matchExpressions:\n    vendor: {op: In, value: ['10de']}\n"
        "    class: {op: In, value: ['0302']}"), HOST)
    term = result.sets[0].rules[0].match_features[0]
    assert term.matched is False and term.instance_index == 1 and term.instance_count == 2
    assert [(e.element, e.actual, e.matched) for e in term.expressions] == [
        ("vendor", "10de", True), ("class", "0300", False)]


def test_match_name_actual_lists_are_bounded():
    many = features(attrs={"kernel.config": {f"OPT_{i:04d}": "y" for i in range(2000)}})
    result = evaluate_spec(one_term("- feature: kernel.config\n  matchName: {op: In, value: [NOPE]}"), many)
    actual = result.sets[0].rules[0].match_features[0].expressions[0].actual
    assert len(actual) == 33 and actual[0] == "OPT_0000" and actual[-1] == "… (+1968 more)"


# NFD's MatchGetInstances evaluates every instance and returns the first error: an error in an instance after
# a matching one is still an error, so the outcome cannot depend on the order the host listed its devices in.
SRIOV_TERM = """
- feature: pci.device
  matchExpressions:
    vendor: {op: In, value: ["8086"]}
    sriov_totalvfs: {op: Gt, value: ["7"]}
"""
GOOD_NIC = {"vendor": "8086", "sriov_totalvfs": "64"}
BROKEN_NIC = {"vendor": "8086", "sriov_totalvfs": "sixty-four"}


@pytest.mark.parametrize("order", [[GOOD_NIC, BROKEN_NIC], [BROKEN_NIC, GOOD_NIC]], ids=["good-first", "bad-first"])
def test_instance_errors_surface_whatever_the_order(order):
    with pytest.raises(EvaluationError, match="'sixty-four' is not"):
        evaluate_spec(one_term(SRIOV_TERM), features(instances={"pci.device": order}))


@pytest.mark.parametrize("order", [[GOOD_NIC, {"vendor": "15b3"}], [{"vendor": "15b3"}, GOOD_NIC]])
def test_matching_instance_is_reported_whatever_the_order(order):
    result = evaluate_spec(one_term(SRIOV_TERM), features(instances={"pci.device": order}))
    term = result.sets[0].rules[0].match_features[0]
    assert result.compatible and order[term.instance_index] is GOOD_NIC
