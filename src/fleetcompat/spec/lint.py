"""`fleetcompat spec lint`: parse checks (errors) plus warnings about rules that cannot do what they seem to."""

from __future__ import annotations

from dataclasses import dataclass

from fleetcompat import catalog
from fleetcompat.spec.model import FeatureMatcherTerm, Spec

_FLAG_OK_OPS = frozenset({"", "Exists", "DoesNotExist"})
_COMPARISON_OPS = frozenset({"Gt", "Ge", "Lt", "Le", "GtLt", "GeLe"})


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
    return out


def lint_spec(spec: Spec) -> list[LintWarning]:
    warnings: list[LintWarning] = []
    for i, comp in enumerate(spec.compatibilities):
        if not comp.rules:
            warnings.append(LintWarning(None, f"compatibilities[{i}]", "set has no rules: every host satisfies it"))
        for rule in comp.rules:
            base = f"compatibilities[{i}] rule {rule.name!r}"
            for term in rule.match_features:
                warnings.extend(_term_warnings(term, f"{base} {term.feature}"))
            for j, element in enumerate(rule.match_any):
                for term in element:
                    warnings.extend(_term_warnings(term, f"{base} matchAny[{j}] {term.feature}"))
    return warnings
