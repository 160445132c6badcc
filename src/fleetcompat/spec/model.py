"""Image compatibility specification v1alpha1 (NFD `api/image-compatibility/v1alpha1`), parsed and checked.

Regexes and numeric/version bounds are compiled at parse time (`fleetcompat.spec.ops`, NFD's operators), so
evaluation never parses the spec again. The spec knows nothing of the engine: the engine reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ARTIFACT_TYPE = "application/vnd.nfd.image-compatibility.v1alpha1"
SPEC_MEDIA_TYPE = "application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml"
SPEC_VERSION = "v1alpha1"

# NFD's built-in feature holding the rules matched so far (backreferences between rules).
RULE_MATCHED = "rule.matched"

OPS = ("", "In", "NotIn", "InRegexp", "Exists", "DoesNotExist", "Gt", "Ge", "Lt", "Le", "GtLt", "GeLe",
       "IsTrue", "IsFalse")


@dataclass(frozen=True, slots=True)
class MatchExpression:
    op: str
    value: tuple[str, ...] = ()
    type: str = ""
    # Compiled forms, filled by the parser: RE2 patterns for InRegexp, parsed bounds for Gt..GeLe.
    compiled: Any = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op}
        if self.value:
            out["value"] = list(self.value)
        if self.type:
            out["type"] = self.type
        return out

    def describe(self) -> str:
        if not self.value:
            return self.op or "(any)"
        return f"{self.op} [{', '.join(self.value)}]" + (" (version)" if self.type == "version" else "")


@dataclass(frozen=True, slots=True)
class FeatureMatcherTerm:
    feature: str
    match_expressions: tuple[tuple[str, MatchExpression], ...] | None = None  # None = absent, () = `{}`
    match_name: MatchExpression | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class GroupRule:
    name: str
    vars: dict[str, str]
    match_features: tuple[FeatureMatcherTerm, ...] = ()
    match_any: tuple[tuple[FeatureMatcherTerm, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Compatibility:
    rules: tuple[GroupRule, ...]
    weight: int = 0
    tag: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Spec:
    version: str
    compatibilities: tuple[Compatibility, ...]
    source: str = ""

    def terms(self) -> Iterator[FeatureMatcherTerm]:
        """Every feature term of every rule (matchFeatures and matchAny), in spec order."""
        for comp in self.compatibilities:
            for rule in comp.rules:
                yield from rule.match_features
                for element in rule.match_any:
                    yield from element

    def feature_names(self) -> set[str]:
        return {term.feature.lower() for term in self.terms()}
