"""What one evaluation of a spec against one host's features produced.

Renderers read these objects only; they never evaluate. Every expression keeps what the spec expected and what
the host actually has, so a reader sees why without opening the host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetcompat.spec.model import MatchExpression

MATCH_EXPRESSION = "matchExpression"
MATCH_NAME = "matchName"


def actual_in_words(actual: str | Sequence[str] | None, evaluated: bool = True, max_names: int = 8) -> str:
    """What the host has for an expression, as `fleetcompat validate` and the fleet reports print it: a value,
    up to `max_names` element names (matchName), or why there is none."""
    if not evaluated:
        return "(not evaluated: matchExpressions failed)"
    if isinstance(actual, (list, tuple)):
        if not actual:
            return "(no elements)"
        shown = ", ".join(actual[:max_names])
        more = len(actual) - max_names
        return f"{shown}, … (+{more})" if more > 0 else shown
    if actual is None:
        return "(absent)"
    if actual == "(flag)":
        return "present"
    return actual if actual != "" else '""'


@dataclass(slots=True)
class ExpressionResult:
    feature: str  # as written in the spec
    element: str | None  # element name; None for matchName
    expression: MatchExpression
    matched: bool
    actual: str | list[str] | None  # host value(s); None = absent; list = element names (matchName)
    present: bool  # the element (or, for matchName, any element) exists on the host
    # NFD's report marks an expression as matched if it matched anywhere in the term (any instance).
    nfd_matched: bool = False
    evaluated: bool = True  # False: matchName skipped because matchExpressions already failed

    @property
    def matcher_type(self) -> str:
        return MATCH_NAME if self.element is None else MATCH_EXPRESSION

    def label(self) -> str:
        return self.feature if self.element is None else f"{self.feature}.{self.element}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "element": self.element,
            "matcherType": self.matcher_type,
            "expression": self.expression.as_dict(),
            "matched": self.matched,
            "present": self.present,
            "actual": self.actual,
            "evaluated": self.evaluated,
        }


@dataclass(slots=True)
class TermResult:
    feature: str
    matched: bool
    feature_present: bool
    expressions: list[ExpressionResult]
    instance_count: int = 0
    instance_index: int | None = None  # the matching instance, else the closest one
    instance: dict[str, str] | None = None  # that instance's attributes (only for instance features)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "feature": self.feature,
            "matched": self.matched,
            "featurePresent": self.feature_present,
            "expressions": [e.to_dict() for e in self.expressions],
        }
        if self.instance_count:
            out["instanceCount"] = self.instance_count
            out["instanceIndex"] = self.instance_index
            out["instance"] = self.instance
        return out


@dataclass(slots=True)
class RuleResult:
    name: str
    matched: bool
    match_features: list[TermResult]
    match_any: list[list[TermResult]]
    vars: dict[str, str] = field(default_factory=dict)

    def failing_terms(self) -> list[TermResult]:
        failing = [t for t in self.match_features if not t.matched]
        if self.match_any and not any(all(t.matched for t in el) for el in self.match_any):
            failing.extend(t for el in self.match_any for t in el if not t.matched)
        return failing

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "matched": self.matched,
            "matchFeatures": [t.to_dict() for t in self.match_features],
            "matchAny": [[t.to_dict() for t in el] for el in self.match_any],
            "vars": self.vars,
        }


@dataclass(slots=True)
class SetResult:
    index: int  # position in the spec's compatibilities list (0-based)
    weight: int
    tag: str
    description: str
    satisfied: bool
    rules: list[RuleResult]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "weight": self.weight,
            "tag": self.tag,
            "description": self.description,
            "satisfied": self.satisfied,
            "rules": [r.to_dict() for r in self.rules],
        }


@dataclass(slots=True)
class SpecEvaluation:
    """One spec against one host: the verdict NFD leaves open, plus every detail behind it."""

    compatible: bool
    best_set: int | None  # index into `sets` of the satisfied set with the highest weight (first on ties)
    sets: list[SetResult]
    duration_s: float = 0.0

    @property
    def best(self) -> SetResult | None:
        return None if self.best_set is None else self.sets[self.best_set]

    def failing_rules(self) -> list[tuple[SetResult, RuleResult]]:
        return [(s, r) for s in self.sets for r in s.rules if not r.matched]

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "verdict": "compatible" if self.compatible else "incompatible",
            "bestSet": None if best is None else {
                "index": best.index, "weight": best.weight, "tag": best.tag, "description": best.description,
            },
            "sets": [s.to_dict() for s in self.sets],
            "durationSeconds": round(self.duration_s, 6),
        }
