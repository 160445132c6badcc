"""Remediation hints: a sentence and a class for every operator, the closest set, matchAny alternatives."""

from __future__ import annotations

import json

import pytest

from fleetcompat.engine import evaluate_spec
from fleetcompat.results.fleet import cell_from_evaluation
from fleetcompat.results.remediation import Action, ActionKind, HintClass
from tests.support.builders import features, spec

HOST = features(
    flags={"kernel.loadedmodule": ["ext4", "nouveau"], "cpu.cpuid": ["SSE4", "AVX2"]},
    attrs={
        "kernel.version": {"full": "5.4.0-150-generic", "major": "5", "minor": "4", "revision": "0"},
        "kernel.config": {"NO_HZ_FULL": "n"},
        "kernel.selinux": {"enabled": "false"},
        "memory.swap": {"enabled": "true"},
        "memory.hugepages": {"enabled": "false", "hugepages-1Gi": "0", "hugepages-2Mi": "0"},
        "system.osrelease": {"ID": "ubuntu", "VERSION_ID": "20.04", "VERSION_ID.major": "20"},
    },
    instances={"pci.device": [{"vendor": "8086", "class": "0200", "device": "1572"}]},
)

C, S, H = HintClass.CONFIGURATION, HintClass.SOFTWARE, HintClass.HARDWARE

# (feature, matcher YAML, expected hint text, class, action)
CASES = [
    ("kernel.loadedmodule", "matchExpressions: {vfio_pci: {op: Exists}}", "load kernel module vfio_pci", C,
     Action(ActionKind.LOAD_MODULE, "vfio_pci")),
    ("kernel.loadedmodule", "matchExpressions: {nouveau: {op: DoesNotExist}}", "unload kernel module nouveau", C,
     Action(ActionKind.UNLOAD_MODULE, "nouveau")),
    ("kernel.loadedmodule", "matchName: {op: In, value: [vfio_pci]}", "load kernel module vfio_pci", C,
     Action(ActionKind.LOAD_MODULE, "vfio_pci")),
    ("cpu.cpuid", "matchExpressions: {AVX512F: {op: Exists}}", "CPU flag AVX512F: needs other hardware", H, None),
    ("cpu.cpuid", "matchExpressions: {AVX2: {op: DoesNotExist}}",
     "CPU flag AVX2 absent (host: present): needs other hardware", H, None),
    ("cpu.cpuid", "matchName: {op: InRegexp, value: ['^AMX']}",
     "a CPU flag named matching /^AMX/ (host AVX2, SSE4): needs other hardware", H, None),
    ("kernel.version", "matchExpressions: {full: {op: Ge, value: ['5.15'], type: version}}",
     "kernel ≥ 5.15 (host 5.4.0-150-generic)", S, None),
    ("kernel.version", "matchExpressions: {full: {op: InRegexp, value: ['^6\\.']}}",
     "kernel matching /^6\\./ (host 5.4.0-150-generic)", S, None),
    ("kernel.version", "matchExpressions: {major: {op: Lt, value: ['5']}}", "kernel major version < 5 (host 5)", S,
     None),
    ("kernel.version", "matchExpressions: {minor: {op: GtLt, value: ['10', '20']}}",
     "kernel minor version between 10 and 20 (exclusive) (host 4)", S, None),
    ("memory.hugepages", "matchExpressions: {hugepages-1Gi: {op: Ge, value: ['8']}}", "1Gi hugepages ≥ 8 (host 0)", C,
     Action(ActionKind.HUGEPAGES, "1Gi", 8)),
    ("memory.hugepages", "matchExpressions: {hugepages-2Mi: {op: Gt, value: ['1023']}}",
     "2Mi hugepages > 1023 (host 0)", C, Action(ActionKind.HUGEPAGES, "2Mi", 1024)),
    ("memory.hugepages", "matchExpressions: {hugepages-1Gi: {op: GeLe, value: ['4', '16']}}",
     "1Gi hugepages between 4 and 16 (host 0)", C, Action(ActionKind.HUGEPAGES, "1Gi", 4)),
    ("memory.hugepages", "matchExpressions: {enabled: {op: IsTrue}}", "reserve hugepages of some size (host false)",
     C, None),
    ("kernel.selinux", "matchExpressions: {enabled: {op: IsTrue}}", "enable SELinux (host false)", C, None),
    ("memory.swap", "matchExpressions: {enabled: {op: IsFalse}}", "disable swap (host true)", C, None),
    ("system.osrelease", "matchExpressions: {ID: {op: In, value: [rhel, rocky]}}",
     "OS release ID one of rhel, rocky (host ubuntu)", S, None),
    ("system.osrelease", "matchExpressions: {ID: {op: NotIn, value: [ubuntu]}}", "OS release ID ≠ ubuntu (host ubuntu)",
     S, None),
    ("system.osrelease", "matchExpressions: {VERSION_ID.major: {op: Gt, value: ['20']}}",
     "OS release VERSION_ID.major > 20 (host 20)", S, None),
    ("system.osrelease", "matchExpressions: {VERSION_ID.major: {op: Le, value: ['18']}}",
     "OS release VERSION_ID.major ≤ 18 (host 20)", S, None),
    ("kernel.config", "matchExpressions: {NO_HZ_FULL: {op: In, value: [y]}}",
     "kernel built with CONFIG_NO_HZ_FULL = y (host n)", S, None),
    ("kernel.config", "matchExpressions: {PREEMPT_RT: {op: Exists}}",
     "kernel built with CONFIG_PREEMPT_RT (host: absent)", S, None),
    ("pci.device", "matchExpressions: {vendor: {op: In, value: ['10de']}}",
     "a PCI device with vendor = 10de (closest of 1: 8086): needs other hardware", H, None),
    ("local.label", "matchExpressions: {rack: {op: ''}}",
     "local feature (features.d file or hook) rack present (any value) (host: feature not reported)", C, None),
]


def _hints(feature: str, matcher: str):
    text = f"""
    version: v1alpha1
    compatibilities:
    - rules:
      - name: one
        matchFeatures:
        - feature: {feature}
          {matcher}
    """
    outcome = cell_from_evaluation(evaluate_spec(spec(text), HOST))
    assert outcome.remediation is not None, "an incompatible outcome always has its closest set"
    return outcome.remediation


@pytest.mark.parametrize(("feature", "matcher", "text", "hint_class", "action"), CASES,
                         ids=[f"{c[0]}:{c[1].split('op: ')[1].split(',')[0].split('}')[0]}" for c in CASES])
def test_hint_per_operator(feature, matcher, text, hint_class, action):
    (hint,) = _hints(feature, matcher).hints
    assert (hint.text, hint.hint_class, hint.action) == (text, hint_class, action)


def test_every_operator_and_matchname_is_covered():
    ops = {c[1].split("op: ")[1].split(",")[0].split("}")[0] for c in CASES}
    assert ops >= {"In", "NotIn", "InRegexp", "Exists", "DoesNotExist", "Gt", "Ge", "Lt", "Le", "GtLt", "GeLe",
                   "IsTrue", "IsFalse", "''"}
    assert any("matchName" in c[1] for c in CASES)


def test_module_name_with_dash_gets_no_action_and_says_why():
    (hint,) = _hints("kernel.loadedmodule", "matchExpressions: {vfio-pci: {op: Exists}}").hints
    assert hint.action is None and "shows it as vfio_pci" in hint.text


def test_closest_set_fewest_failing_then_weight():
    text = """
    version: v1alpha1
    compatibilities:
    - weight: 10
      rules:
      - name: gpu
        matchFeatures:
        - feature: cpu.cpuid
          matchExpressions: {AVX512F: {op: Exists}, AMXTILE: {op: Exists}}
    - weight: 1
      rules:
      - name: vfio
        matchFeatures:
        - feature: kernel.loadedmodule
          matchExpressions: {vfio_pci: {op: Exists}}
    - weight: 5
      rules:
      - name: hugepages
        matchFeatures:
        - feature: memory.hugepages
          matchExpressions: {hugepages-1Gi: {op: Ge, value: ['8']}}
    """
    remediation = cell_from_evaluation(evaluate_spec(spec(text), HOST)).remediation
    # sets 1 and 2 fail one expression each; set 2 has the higher weight
    assert (remediation.set_index, remediation.failing) == (2, 1)
    assert [h.text for h in remediation.hints] == ["1Gi hugepages ≥ 8 (host 0)"]


def test_match_any_counts_only_the_closest_alternative():
    text = """
    version: v1alpha1
    compatibilities:
    - rules:
      - name: either
        matchAny:
        - matchFeatures:
          - feature: cpu.cpuid
            matchExpressions: {AVX512F: {op: Exists}, AVX512BW: {op: Exists}}
        - matchFeatures:
          - feature: kernel.loadedmodule
            matchExpressions: {vfio_pci: {op: Exists}}
    """
    remediation = cell_from_evaluation(evaluate_spec(spec(text), HOST)).remediation
    assert remediation.failing == 1
    assert [h.text for h in remediation.hints] == ["load kernel module vfio_pci"]


def test_compatible_outcome_has_no_remediation():
    text = """
    version: v1alpha1
    compatibilities:
    - rules:
      - name: ok
        matchFeatures:
        - feature: cpu.cpuid
          matchExpressions: {AVX2: {op: Exists}}
    """
    assert cell_from_evaluation(evaluate_spec(spec(text), HOST)).remediation is None


def test_hostile_strings_stay_data():
    """Values from hosts and specs land in the hint text verbatim (renderers escape), never in an action."""
    hostile = '<script>x</script>"{{ lookup(1) }}'
    host = features(flags={"kernel.loadedmodule": ["ext4"]})
    text = f"""
    version: v1alpha1
    compatibilities:
    - rules:
      - name: hostile
        matchFeatures:
        - feature: kernel.loadedmodule
          matchExpressions: {{{json.dumps(hostile)}: {{op: Exists}}}}
    """
    (hint,) = cell_from_evaluation(evaluate_spec(spec(text), host)).remediation.hints
    assert hostile in hint.text and hint.action is None
