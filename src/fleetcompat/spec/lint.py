"""`fleetcompat spec lint`: parse checks (errors) plus warnings about rules that cannot do what they seem to."""

from __future__ import annotations

from dataclasses import dataclass

from fleetcompat import catalog
from fleetcompat.spec.model import RULE_MATCHED, FeatureMatcherTerm, Spec

_FLAG_OK_OPS = frozenset({"", "Exists", "DoesNotExist"})
_COMPARISON_OPS = frozenset({"Gt", "Ge", "Lt", "Le", "GtLt", "GeLe"})
_LITERAL_OPS = frozenset({"In", "NotIn"})
MODULE_FEATURES = frozenset({"kernel.loadedmodule", "kernel.enabledmodule"})
# How NFD spells values: PCI/USB IDs as sysfs gives them without 0x (lower-case hex), os-release ID/VERSION_ID
# lower-case (os-release(5)), os-release keys upper-case, CPU flags upper-case (ARM's `VFPv3` is mixed: only an
# all-lower-case flag is certainly wrong).
_LOWER_CASE_VALUES = {
    "pci.device": frozenset({"vendor", "device", "class", "subsystem_vendor", "subsystem_device"}),
    "usb.device": frozenset({"vendor", "device", "class"}),
    "system.osrelease": frozenset({"ID", "VERSION_ID"}),
}


def name_problem(feature: str, element: str) -> str | None:
    """Why an element name can never be found on a host NFD describes, or None."""
    feature = feature.lower()
    if feature in MODULE_FEATURES and "-" in element:
        return (f"module name {element!r} has '-': /proc/modules and modules.builtin always spell it with '_' "
                f"({element.replace('-', '_')!r}), so this can never match")
    if feature == "cpu.cpuid" and element != element.upper() and element == element.lower():
        return f"CPU flag {element!r} is lower-case; NFD's CPU flags are upper-case ({element.upper()!r})"
    if feature == "system.osrelease" and element.split(".")[0] != element.split(".")[0].upper():
        return f"os-release key {element!r} is not upper-case as in /etc/os-release ({element.split('.')[0].upper()!r})"
    return None


def value_problem(feature: str, element: str, value: str) -> str | None:
    """Why a literal value (In/NotIn) is spelled differently from how NFD reports it, or None."""
    if element in _LOWER_CASE_VALUES.get(feature.lower(), ()) and value != value.lower():
        return f"{feature}.{element} values are lower-case in NFD; {value!r} can never be equal ({value.lower()!r})"
    return None


@dataclass(frozen=True, slots=True)
class LintWarning:
    line: int | None
    where: str  # YAML-ish location: set/rule/term
    message: str

    def format(self, source: str) -> str:
        loc = f"{source}:{self.line}" if self.line else source
        return f"{loc}: {self.where}: warning: {self.message}"


def _term_warnings(term: FeatureMatcherTerm, where: str) -> list[LintWarning]:
    out = []

    def warn(message: str) -> None:
        out.append(LintWarning(term.line, where, message))

    info = catalog.lookup(term.feature)
    if term.feature != term.feature.lower():
        warn(f"feature {term.feature!r} is not lower-case; NFD's report marks its expressions as failed "
             "(fleetcompat compares case-insensitively)")
    if info is None:
        warn(f"no feature source produces {term.feature!r}; this term can never match")
        return out
    if info.extension:
        warn(f"{info.name!r} is a fleetcompat extension; NFD never has it, so this spec is not portable to NFD")
    if term.match_expressions is None and term.match_name is None:
        warn("term has neither matchExpressions nor matchName: it only checks that the feature exists")
    extension_attrs = catalog.EXTENSION_ATTRIBUTES.get(info.name, frozenset())
    for element, expr in term.match_expressions or ():
        if info.kinds == {catalog.FLAG} and expr.op not in _FLAG_OK_OPS:
            warn(f"{info.name} is a flag feature: op {expr.op} on element {element!r} can never match "
                 "(use Exists / DoesNotExist)")
        if info.elements is not None and element not in info.elements:
            if element in extension_attrs:
                warn(f"{info.name}.{element} is a fleetcompat extension; NFD never has it (not portable)")
            else:
                known = ", ".join(sorted(info.elements | extension_attrs))
                warn(f"{info.name} has no element {element!r} (known: {known}); this expression cannot match")
        if expr.type == "version" and expr.op not in _COMPARISON_OPS:
            warn(f"type: version has no effect with op {expr.op or '(empty)'}")
    if term.match_name is not None and term.match_name.op == "DoesNotExist":
        warn("matchName with DoesNotExist never matches in NFD (it is applied to element names that exist)")
    for element, expr in term.match_expressions or ():
        problem = name_problem(info.name, element)
        if problem:
            warn(problem)
        for value in expr.value if expr.op in _LITERAL_OPS else ():
            problem = value_problem(info.name, element, value)
            if problem:
                warn(problem)
    if term.match_name is not None and term.match_name.op in _LITERAL_OPS:
        for value in term.match_name.value:
            problem = name_problem(info.name, value)
            if problem:
                warn(f"matchName: {problem}")
    return out


def _back_reference_warnings(term: FeatureMatcherTerm, where: str, earlier_vars: set[str]) -> list[LintWarning]:
    """`rule.matched` holds the vars of the matched rules before this one in the same set, nothing else."""
    if term.feature.lower() != RULE_MATCHED:
        return []
    out = []
    for element, _ in term.match_expressions or ():
        if element not in earlier_vars:
            out.append(LintWarning(term.line, where, f"back-reference to var {element!r}, which no earlier rule of "
                                   "this set sets (rule.matched holds only earlier rules' vars): it never matches"))
    if term.match_name is not None and not earlier_vars:
        out.append(LintWarning(term.line, where, "matchName on rule.matched, but no earlier rule of this set sets "
                               "a var: it never matches"))
    return out


def lint_spec(spec: Spec) -> list[LintWarning]:
    warnings: list[LintWarning] = []
    for i, comp in enumerate(spec.compatibilities):
        if not comp.rules:
            warnings.append(LintWarning(None, f"compatibilities[{i}]", "set has no rules: every host satisfies it"))
        earlier_vars: set[str] = set()
        for rule in comp.rules:
            base = f"compatibilities[{i}] rule {rule.name!r}"
            if not rule.match_features and not rule.match_any:
                warnings.append(LintWarning(None, base, "rule has no matchFeatures and no matchAny: it always "
                                            "matches"))
            for term in rule.match_features:
                warnings.extend(_term_warnings(term, f"{base} {term.feature}"))
                warnings.extend(_back_reference_warnings(term, f"{base} {term.feature}", earlier_vars))
            for j, element in enumerate(rule.match_any):
                if not element:
                    warnings.append(LintWarning(None, f"{base} matchAny[{j}]", "matchAny element has no "
                                                "matchFeatures: it always matches, and so does the matchAny"))
                for term in element:
                    where = f"{base} matchAny[{j}] {term.feature}"
                    warnings.extend(_term_warnings(term, where))
                    warnings.extend(_back_reference_warnings(term, where, earlier_vars))
            earlier_vars.update(rule.vars)
    return warnings
