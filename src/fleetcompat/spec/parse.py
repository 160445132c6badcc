"""Strict parser for image compatibility specs.

NFD decodes specs non-strictly (unknown keys vanish, so a `values:` typo silently yields a rule that never
matches). We reject unknown keys, wrong types, a wrong `version`, unknown ops, wrong value counts, bad regexes
and non-integer bounds, each with a one-line `file:line: yaml.path: problem` error.
"""

from __future__ import annotations

from typing import Any

from fleetcompat.errors import SpecError
from fleetcompat.files import read_input
from fleetcompat.limits import SPEC_BYTES
from fleetcompat.spec.model import (
    OPS,
    SPEC_VERSION,
    Compatibility,
    FeatureMatcherTerm,
    GroupRule,
    MatchExpression,
    Spec,
)
from fleetcompat.spec.ops import OPS_HELP, BoundError, compile_expression
from fleetcompat.yamlsrc import LocatedDocument, Path, load_located, type_name


class _Parser:
    def __init__(self, doc: LocatedDocument) -> None:
        self.doc = doc

    def fail(self, path: Path, message: str) -> SpecError:
        return SpecError(message, where=self.doc.where(path))

    def mapping(self, value: Any, path: Path, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {type_name(value)}")
        for key in value:
            if key not in allowed:
                hint = f"; did you mean {_closest(key, allowed)!r}?" if _closest(key, allowed) else ""
                raise self.fail((*path, key), f"unknown key {key!r} (allowed: {', '.join(allowed)}){hint}")
        for key in required:
            if key not in value:
                raise self.fail(path, f"missing required key {key!r}")
        return value

    def string(self, value: Any, path: Path, *, non_empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {type_name(value)}{_quote_hint(value)}")
        if non_empty and not value:
            raise self.fail(path, "must not be empty")
        return value

    def list_of(self, value: Any, path: Path) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {type_name(value)}")
        return value

    def spec(self) -> Spec:
        root = self.mapping(self.doc.data, (), ("version", "compatibilities"), ("version", "compatibilities"))
        version = self.string(root["version"], ("version",))
        if version != SPEC_VERSION:
            raise self.fail(("version",), f"unsupported version {version!r} (expected {SPEC_VERSION!r})")
        comps = self.list_of(root["compatibilities"], ("compatibilities",))
        if not comps:
            raise self.fail(("compatibilities",), "needs at least one compatibility set")
        return Spec(
            version=version,
            compatibilities=tuple(self.compatibility(c, ("compatibilities", i)) for i, c in enumerate(comps)),
            source=self.doc.source,
        )

    def compatibility(self, value: Any, path: Path) -> Compatibility:
        comp = self.mapping(value, path, ("rules", "weight", "tag", "description"), ("rules",))
        weight = comp.get("weight", 0)
        if weight is None:
            weight = 0
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise self.fail((*path, "weight"), f"expected an integer, got {type_name(weight)}")
        if not -(2**63) <= weight < 2**63:
            raise self.fail((*path, "weight"), "out of the 64-bit integer range")
        rules = self.list_of(comp["rules"], (*path, "rules"))
        return Compatibility(
            rules=tuple(self.rule(r, (*path, "rules", i)) for i, r in enumerate(rules)),
            weight=weight,
            tag=self.string(comp.get("tag", "") or "", (*path, "tag")),
            description=self.string(comp.get("description", "") or "", (*path, "description")),
        )

    def rule(self, value: Any, path: Path) -> GroupRule:
        rule = self.mapping(value, path, ("name", "vars", "varsTemplate", "matchFeatures", "matchAny"), ("name",))
        if "varsTemplate" in rule:
            raise self.fail((*path, "varsTemplate"),
                            "varsTemplate (Go templates) is unsupported by fleetcompat; use static vars")
        variables = {}
        raw_vars = rule.get("vars")
        if raw_vars is not None:
            if not isinstance(raw_vars, dict):
                raise self.fail((*path, "vars"), f"expected a mapping of strings, got {type_name(raw_vars)}")
            for key, val in raw_vars.items():
                variables[key] = self.string(val, (*path, "vars", key))
        match_any = []
        for i, element in enumerate(self.list_of(rule.get("matchAny"), (*path, "matchAny"))):
            epath = (*path, "matchAny", i)
            element = self.mapping(element, epath, ("matchFeatures",))
            match_any.append(self.terms(element.get("matchFeatures"), (*epath, "matchFeatures")))
        return GroupRule(
            name=self.string(rule["name"], (*path, "name"), non_empty=True),
            vars=variables,
            match_features=self.terms(rule.get("matchFeatures"), (*path, "matchFeatures")),
            match_any=tuple(match_any),
        )

    def terms(self, value: Any, path: Path) -> tuple[FeatureMatcherTerm, ...]:
        return tuple(self.term(t, (*path, i)) for i, t in enumerate(self.list_of(value, path)))

    def term(self, value: Any, path: Path) -> FeatureMatcherTerm:
        term = self.mapping(value, path, ("feature", "matchExpressions", "matchName"), ("feature",))
        feature = self.string(term["feature"], (*path, "feature"), non_empty=True)
        if feature.count(".") != 1 or feature.startswith(".") or feature.endswith("."):
            raise self.fail((*path, "feature"), f"feature {feature!r} must be '<domain>.<feature>' (one dot)")
        exprs = None
        raw = term.get("matchExpressions")
        if raw is not None:
            if not isinstance(raw, dict):
                raise self.fail((*path, "matchExpressions"),
                                f"expected a mapping of element name to expression, got {type_name(raw)}")
            exprs = tuple(
                (name, self.expression(e, (*path, "matchExpressions", name))) for name, e in raw.items()
            )
        name_expr = None
        if term.get("matchName") is not None:
            name_expr = self.expression(term["matchName"], (*path, "matchName"))
        return FeatureMatcherTerm(feature=feature, match_expressions=exprs, match_name=name_expr,
                                  line=self.doc.line_of(path))

    def expression(self, value: Any, path: Path) -> MatchExpression:
        if value is None:
            value = {}
        expr = self.mapping(value, path, ("op", "value", "type"))
        op = self.string(expr.get("op", ""), (*path, "op"))
        if op not in OPS:
            hint = _closest(op, OPS)
            raise self.fail((*path, "op"), f"unknown op {op!r} (expected one of {OPS_HELP})"
                            + (f"; did you mean {hint!r}?" if hint else ""))
        raw_values = expr.get("value")
        if raw_values is not None and not isinstance(raw_values, list):
            raise self.fail((*path, "value"), f"expected a list of strings, got {type_name(raw_values)}"
                            f" (write value: [{raw_values!r}])")
        values = tuple(self.string(v, (*path, "value", i)) for i, v in enumerate(raw_values or []))
        kind = self.string(expr.get("type", "") or "", (*path, "type"))
        if kind not in ("", "version"):
            raise self.fail((*path, "type"), f"unsupported type {kind!r} (only \"version\")")
        try:
            compiled = compile_expression(op, values, kind)
        except BoundError as exc:
            raise self.fail((*path, "value") if values else path, str(exc)) from None
        return MatchExpression(op=op, value=values, type=kind, compiled=compiled)


def _quote_hint(value: Any) -> str:
    if isinstance(value, (bool, int, float)):
        return " (quote it: YAML reads this as a " + type_name(value) + ")"
    return ""


def _closest(word: str, choices: tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, [c for c in choices if c], n=1, cutoff=0.6)
    return found[0] if found else None


def parse_spec(text: str | bytes, source: str) -> Spec:
    """Parse and check a spec; raises SpecError naming file, line and YAML path."""
    return _Parser(load_located(text, source, SpecError)).spec()


def load_spec_file(path: str) -> Spec:
    return parse_spec(read_input(path, "spec file", SpecError, SPEC_BYTES), path)
