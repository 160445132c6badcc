"""NFD's `nfd compat validate-node --output-json` report, byte for byte in shape: a compact JSON array of
CompatibilityStatus objects (pkg/client-nfd/compat/node-validator/status.go), no trailing newline.

Per-expression `isMatch` follows NFD's derivation (an expression is matched if a term of the same feature in the
same list matched an identical expression), except where NFD's reporter is plainly wrong (docs/nfd-differences.md):
feature names compare case-insensitively and a matchName term is evaluated after a failed term.
"""

from __future__ import annotations

import json
from typing import Any

from fleetcompat._format.interface import EvaluationContext
from fleetcompat.results.model import ExpressionResult, RuleResult, SpecEvaluation, TermResult
from fleetcompat.spec.model import MatchExpression

_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t", "\v": r"\v",
               "\\": r"\\", '"': r"\""}


def go_quote(text: str) -> str:
    """Go `strconv.Quote` (what `%q` prints for a string)."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def expression_string(expr: MatchExpression) -> str:
    """The `{op: "In", value: ["a" "b"]}` form NFD sorts by and prints in its table."""
    text = f"{{op: {go_quote(expr.op)}"
    if expr.value:
        text += f", value: [{' '.join(go_quote(v) for v in expr.value)}]"
    if expr.type:
        text += f", type: {go_quote(expr.type)}"
    return text + "}"


def _entries(terms: list[TermResult]) -> list[dict[str, Any]]:
    matched: set[tuple[str, str, str, tuple[str, ...]]] = set()
    rows: list[ExpressionResult] = []
    for term in terms:
        for expr in term.expressions:
            rows.append(expr)
            if expr.nfd_matched:
                matched.add((expr.feature.lower(), expr.element or "", expr.expression.op, expr.expression.value))
    rows.sort(key=lambda e: (e.feature, e.element or "", expression_string(e.expression)))
    return [
        {
            "feature": e.feature,
            "name": e.element or "",
            "expression": e.expression.as_dict(),
            "matcherType": e.matcher_type,
            "isMatch": (e.feature.lower(), e.element or "", e.expression.op, e.expression.value) in matched,
        }
        for e in rows
    ]


def _rule(rule: RuleResult) -> dict[str, Any]:
    out: dict[str, Any] = {"name": rule.name, "isMatch": rule.matched}
    entries = _entries(rule.match_features)
    if entries:
        out["matchedExpressions"] = entries
    if rule.match_any:
        out["matchedAny"] = [{"matchedExpressions": _entries(el) or None} for el in rule.match_any]
    return out


def report(evaluation: SpecEvaluation) -> list[dict[str, Any]]:
    statuses = []
    for result in evaluation.sets:
        status: dict[str, Any] = {"rules": [_rule(r) for r in result.rules] or None}
        if result.description:
            status["description"] = result.description
        if result.weight:
            status["weight"] = result.weight
        if result.tag:
            status["tag"] = result.tag
        statuses.append(status)
    return statuses


def go_json(value: Any) -> str:
    """Go `json.Marshal`: compact, UTF-8, with <, >, &, U+2028 and U+2029 escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class NfdJsonFormat:
    def render(self, evaluation: SpecEvaluation, context: EvaluationContext) -> str:
        return go_json(report(evaluation))
