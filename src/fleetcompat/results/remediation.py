"""What would make a failing cell compatible: the closest compatibility set and, per failing expression, a hint a
person acts on, classed configuration / software / hardware.

Computed from the failing expressions an outcome already keeps (expected vs what the host has), when the fleet
result is built; renderers show the stored hints and never evaluate. The closest set is the one with the fewest
failing expressions (inside `matchAny` only the closest alternative counts), then the highest weight, then the
first. Configuration hints that a playbook can carry out have an `Action` (`fleetcompat remediate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fleetcompat.limits import cap_text
from fleetcompat.results.model import actual_in_words

if TYPE_CHECKING:
    from fleetcompat.results.fleet.model import FailingExpression, FailingRule, FailingTerm


class HintClass(StrEnum):
    CONFIGURATION = "configuration"  # the host as it is can be configured to satisfy it (load a module, hugepages)
    SOFTWARE = "software"  # another kernel, kernel build or OS release
    HARDWARE = "hardware"  # another CPU, device or machine


class ActionKind(StrEnum):
    LOAD_MODULE = "load-module"
    UNLOAD_MODULE = "unload-module"
    HUGEPAGES = "hugepages"  # reserve `count` hugepages of size `name` (e.g. 1Gi)


@dataclass(frozen=True, slots=True)
class Action:
    """A configuration change a draft playbook can make; names are checked (module names, hugepage sizes)."""

    kind: ActionKind
    name: str  # module name, or hugepage size as the gatherer names it ("2Mi", "1Gi")
    count: int | None = None  # hugepages: how many to reserve


@dataclass(frozen=True, slots=True)
class Hint:
    hint_class: HintClass
    text: str  # e.g. "load kernel module vfio_pci", "kernel ≥ 5.15 (host 5.4.0-150)"
    feature: str
    element: str | None  # None for matchName
    action: Action | None = None


@dataclass(frozen=True, slots=True)
class Remediation:
    set_index: int  # the closest compatibility set (SetInfo.index)
    failing: int  # expressions of that set the host fails
    hints: tuple[Hint, ...]


# ---------------------------------------------------------------------------------------------- wording

_SYMBOLS = {"Gt": ">", "Ge": "≥", "Lt": "<", "Le": "≤"}
# Module names as /proc/modules shows them; anything else gets no playbook action.
MODULE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}\Z")
_HUGEPAGE_ELEMENT = re.compile(r"^hugepages-([0-9]{1,7}(?:Ki|Mi|Gi))\Z")
MAX_HUGEPAGES = 1 << 20


def requirement(op: str, values: Sequence[str]) -> str:
    """An operator and its values in words: "one of a, b", "≥ 5.15", "between 1 and 4", "present"."""
    joined = ", ".join(values)
    if op == "In":
        return f"= {values[0]}" if len(values) == 1 else f"one of {joined}"
    if op == "NotIn":
        return f"≠ {values[0]}" if len(values) == 1 else f"none of {joined}"
    if op == "InRegexp":
        return "matching " + " or ".join(f"/{v}/" for v in values)
    if op in _SYMBOLS:
        return f"{_SYMBOLS[op]} {values[0]}" if values else _SYMBOLS[op]
    if op == "GtLt":
        return f"between {values[0]} and {values[1]} (exclusive)" if len(values) == 2 else "between (exclusive)"
    if op == "GeLe":
        return f"between {values[0]} and {values[1]}" if len(values) == 2 else "between"
    if op == "Exists":
        return "present"
    if op == "DoesNotExist":
        return "absent"
    if op == "IsTrue":
        return "true"
    if op == "IsFalse":
        return "false"
    return "present (any value)"  # the empty op matches anything the host has


def _shown(expression: FailingExpression) -> str:
    """What the host has, in words, capped: a hint must not carry a host's 50 MB value into every report."""
    return cap_text(actual_in_words(expression.actual, expression.evaluated, max_names=4))


def _host(expression: FailingExpression, feature_present: bool) -> str:
    if not feature_present:
        return "host: feature not reported"
    if expression.element is not None and expression.actual is None:
        return "host: absent"
    if expression.actual == "(flag)":
        return "host: present"
    return f"host {_shown(expression)}"


@dataclass(frozen=True, slots=True)
class _Topic:
    """How a feature's failing expressions are worded and classed."""

    hint_class: HintClass
    noun: str  # what an element is: "kernel module", "CPU flag"


# Feature -> class and noun. Sources not listed: instance features and unknown sources are hardware, other
# attributes configuration (see `_topic`).
_TOPICS = {
    "kernel.loadedmodule": _Topic(HintClass.CONFIGURATION, "kernel module"),
    "kernel.enabledmodule": _Topic(HintClass.CONFIGURATION, "kernel module"),
    "kernel.version": _Topic(HintClass.SOFTWARE, "kernel"),
    "kernel.config": _Topic(HintClass.SOFTWARE, "kernel built with CONFIG_"),
    "kernel.selinux": _Topic(HintClass.CONFIGURATION, "SELinux"),
    "kernel.kvm": _Topic(HintClass.CONFIGURATION, "KVM"),
    "system.osrelease": _Topic(HintClass.SOFTWARE, "OS release"),
    "memory.hugepages": _Topic(HintClass.CONFIGURATION, "hugepages"),
    "memory.swap": _Topic(HintClass.CONFIGURATION, "swap"),
    "cpu.cpuid": _Topic(HintClass.HARDWARE, "CPU flag"),
    "cpu.model": _Topic(HintClass.HARDWARE, "CPU model"),
    "cpu.topology": _Topic(HintClass.HARDWARE, "CPU topology"),
    "cpu.coprocessor": _Topic(HintClass.HARDWARE, "CPU coprocessor"),
    "cpu.cstate": _Topic(HintClass.CONFIGURATION, "CPU C-states (firmware or kernel command line)"),
    "cpu.pstate": _Topic(HintClass.CONFIGURATION, "CPU P-states (firmware or kernel command line)"),
    "cpu.security": _Topic(HintClass.CONFIGURATION, "CPU security feature (firmware setting)"),
    "cpu.sst": _Topic(HintClass.CONFIGURATION, "Intel SST (firmware setting)"),
    "cpu.rdt": _Topic(HintClass.HARDWARE, "CPU RDT"),
    "pci.device": _Topic(HintClass.HARDWARE, "PCI device"),
    "usb.device": _Topic(HintClass.HARDWARE, "USB device"),
    "storage.block": _Topic(HintClass.HARDWARE, "block device"),
    "network.device": _Topic(HintClass.HARDWARE, "network device"),
    "memory.numa": _Topic(HintClass.HARDWARE, "NUMA"),
    "memory.nv": _Topic(HintClass.HARDWARE, "non-volatile memory device"),
    "system.dmiid": _Topic(HintClass.HARDWARE, "machine (DMI)"),
    "system.name": _Topic(HintClass.CONFIGURATION, "node name"),
    "rule.matched": _Topic(HintClass.CONFIGURATION, "variable of an earlier rule"),
}
_NEEDS = {HintClass.HARDWARE: ": needs other hardware", HintClass.SOFTWARE: "", HintClass.CONFIGURATION: ""}


def _topic(feature: str) -> _Topic:
    name = feature.lower()
    if name in _TOPICS:
        return _TOPICS[name]
    source = name.split(".", 1)[0]
    if source == "local":
        return _Topic(HintClass.CONFIGURATION, "local feature (features.d file or hook)")
    if source == "driver":  # fleetcompat's driver.* extension: the installed driver's version
        return _Topic(HintClass.SOFTWARE, f"{name} driver")
    if source in ("cpu", "pci", "usb", "storage", "network"):
        return _Topic(HintClass.HARDWARE, name)
    return _Topic(HintClass.CONFIGURATION, name)


def _minimum_count(op: str, values: Sequence[str]) -> int | None:
    """The smallest whole count that satisfies a bound on a hugepage count (None: not a lower bound)."""
    try:
        bounds = [int(v) for v in values]
    except ValueError:
        return None
    lowest = {"Ge": lambda: bounds[0], "Gt": lambda: bounds[0] + 1, "GeLe": lambda: bounds[0],
              "GtLt": lambda: bounds[0] + 1, "In": lambda: min(bounds)}.get(op)
    if lowest is None or not bounds:
        return None
    count = lowest()
    return count if 0 < count <= MAX_HUGEPAGES else None


def _module_hint(feature: str, expression: FailingExpression, host: str) -> Hint | None:
    op, values = expression.expected.op, expression.expected.value
    if expression.element is None:  # matchName on the module list
        if op == "In" and len(values) == 1:
            name = values[0]
            action = Action(ActionKind.LOAD_MODULE, name) if MODULE_NAME.match(name) else None
            return Hint(HintClass.CONFIGURATION, f"load kernel module {name}", feature, None, action)
        return Hint(HintClass.CONFIGURATION, f"load a kernel module named {requirement(op, values)} ({host})",
                    feature, None)
    name = expression.element
    if op in ("Exists", "DoesNotExist") and "-" in name:
        fixed = name.replace("-", "_")
        return Hint(HintClass.CONFIGURATION, f"kernel module {name}: /proc/modules shows it as {fixed}, so no host "
                    f"can satisfy this expression; ask the image author to name {fixed}", feature, name)
    if op == "Exists":
        action = Action(ActionKind.LOAD_MODULE, name) if MODULE_NAME.match(name) else None
        return Hint(HintClass.CONFIGURATION, f"load kernel module {name}", feature, name, action)
    if op == "DoesNotExist":
        action = Action(ActionKind.UNLOAD_MODULE, name) if MODULE_NAME.match(name) else None
        return Hint(HintClass.CONFIGURATION, f"unload kernel module {name}", feature, name, action)
    return None  # other ops compare values, which a module flag has none of: the generic wording says so


def _attribute_hint(feature: str, expression: FailingExpression, host: str) -> Hint | None:
    """Wording for features where a generic "<noun> <element> <requirement>" reads badly."""
    op, values = expression.expected.op, expression.expected.value
    name, element = feature.lower(), expression.element
    if element is None:
        return None
    if name == "kernel.version":
        what = "kernel" if element == "full" else f"kernel {element} version"
        return Hint(HintClass.SOFTWARE, f"{what} {requirement(op, values)} ({host})", feature, element)
    if name == "memory.hugepages":
        size = _HUGEPAGE_ELEMENT.match(element)
        if size:
            count = _minimum_count(op, values)
            action = Action(ActionKind.HUGEPAGES, size[1], count) if count is not None else None
            return Hint(HintClass.CONFIGURATION, f"{size[1]} hugepages {requirement(op, values)} ({host})",
                        feature, element, action)
        if element == "enabled" and op == "IsTrue":
            return Hint(HintClass.CONFIGURATION, f"reserve hugepages of some size ({host})", feature, element)
    switches = {("kernel.selinux", "enabled"): "SELinux", ("memory.swap", "enabled"): "swap",
                ("kernel.kvm", "enabled"): "KVM (load kvm_intel or kvm_amd)"}
    if (name, element) in switches and op in ("IsTrue", "IsFalse"):
        verb = "enable" if op == "IsTrue" else "disable"
        return Hint(HintClass.CONFIGURATION, f"{verb} {switches[name, element]} ({host})", feature, element)
    if name == "kernel.config":
        if op == "Exists":
            text = f"kernel built with CONFIG_{element} ({host})"
        elif op == "DoesNotExist":
            text = f"kernel built without CONFIG_{element} ({host})"
        else:
            text = f"kernel built with CONFIG_{element} {requirement(op, values)} ({host})"
        return Hint(HintClass.SOFTWARE, text, feature, element)
    return None


def _name_requirement(op: str, values: Sequence[str]) -> str:
    """matchName: which element name the host needs."""
    if op == "In":
        return "named " + " or ".join(values)
    if op == "InRegexp":
        return "named " + requirement(op, values)
    if op in ("Exists", ""):
        return "of any name"
    return f"whose name is {requirement(op, values)}"


def hint_for(term: FailingTerm, expression: FailingExpression) -> Hint:
    """One failing expression in words a person acts on."""
    topic = _topic(term.feature)
    host = _host(expression, term.feature_present)
    name = term.feature.lower()
    special = None
    if name in ("kernel.loadedmodule", "kernel.enabledmodule"):
        special = _module_hint(term.feature, expression, host)
    elif term.instance_count == 0:
        special = _attribute_hint(term.feature, expression, host)
    if special is not None:
        hint = special
    else:
        expected = expression.expected
        want = requirement(expected.op, expected.value)
        if expression.element is None:
            text = f"a {topic.noun} {_name_requirement(expected.op, expected.value)} ({host})"
        elif expected.op == "Exists" and term.feature_present and not term.instance_count:
            text = f"{topic.noun} {expression.element}"  # "CPU flag AVX512F: needs other hardware"
        elif topic.noun.endswith("_"):
            text = f"{topic.noun}{expression.element} {want} ({host})"
        elif term.instance_count:
            text = f"a {topic.noun} with {expression.element} {want} (closest of {term.instance_count}: " \
                   f"{_shown(expression)})"
        elif not term.feature_present and term.feature.lower() == topic.noun:
            text = f"{term.feature}.{expression.element} {want} ({host})"
        else:
            text = f"{topic.noun} {expression.element} {want} ({host})"
        hint = Hint(topic.hint_class, text + _NEEDS[topic.hint_class], term.feature, expression.element)
    if not expression.evaluated:  # matchName after failing matchExpressions: it may already hold
        hint = Hint(hint.hint_class, f"then check: {hint.text}", hint.feature, hint.element, hint.action)
    return hint


# ---------------------------------------------------------------------------------------------- closest set


def _closest_terms(rule: FailingRule) -> tuple[list[FailingTerm], int]:
    """The terms a rule needs fixed: every failing matchFeatures term plus the matchAny alternative with the
    fewest failing expressions (first on ties); and how many expressions that is."""
    plain = [t for t in rule.terms if t.any_of is None]
    alternatives: dict[int, list[FailingTerm]] = {}
    for term in rule.terms:
        if term.any_of is not None:
            alternatives.setdefault(term.any_of, []).append(term)
    chosen = list(plain)
    if alternatives:
        best = min(sorted(alternatives), key=lambda i: sum(len(t.expressions) for t in alternatives[i]))
        chosen += alternatives[best]
    return chosen, sum(len(t.expressions) for t in chosen)


def closest_remediation(failing: Iterable[FailingRule], weights: Mapping[int, int]) -> Remediation | None:
    """The closest set of an incompatible outcome (fewest failing expressions, then weight, then first) with a
    hint per failing expression of it; None when nothing failed (decided without evaluating)."""
    per_set: dict[int, list[FailingTerm]] = {}
    counts: dict[int, int] = {}
    for rule in failing:
        terms, count = _closest_terms(rule)
        per_set.setdefault(rule.set_index, []).extend(terms)
        counts[rule.set_index] = counts.get(rule.set_index, 0) + count
    if not per_set:
        return None
    chosen = min(per_set, key=lambda s: (counts[s], -weights.get(s, 0), s))
    hints = dict.fromkeys(hint_for(term, e) for term in per_set[chosen] for e in term.expressions)
    return Remediation(chosen, counts[chosen], tuple(hints))


# ---------------------------------------------------------------------------------------------- JSON


def remediation_to_dict(remediation: Remediation) -> dict[str, Any]:
    return {"set": remediation.set_index, "failing": remediation.failing,
            "hints": [_hint_to_dict(h) for h in remediation.hints]}


def _hint_to_dict(hint: Hint) -> dict[str, Any]:
    out: dict[str, Any] = {"class": str(hint.hint_class), "text": hint.text, "feature": hint.feature,
                           "element": hint.element}
    if hint.action is not None:
        out["action"] = {"kind": str(hint.action.kind), "name": hint.action.name}
        if hint.action.count is not None:
            out["action"]["count"] = hint.action.count
    return out


def remediation_from_dict(doc: dict[str, Any]) -> Remediation:
    """The inverse of `remediation_to_dict` for a schema-valid document (the schema holds action names to
    `MODULE_NAME`: a result file is input, and `fleetcompat remediate` writes them into a playbook)."""
    hints = []
    for h in doc["hints"]:
        action = None
        if "action" in h:
            a = h["action"]
            action = Action(ActionKind(a["kind"]), a["name"], a.get("count"))
        hints.append(Hint(HintClass(h["class"]), h["text"], h["feature"], h["element"], action))
    return Remediation(doc["set"], doc["failing"], tuple(hints))
