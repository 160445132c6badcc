"""Rebuild a `SpecEvaluation` from its `to_dict()` form.

Ansible evaluates each host in its own worker process and hands the result to the controller's report step as
JSON; the report step turns it back into the objects the fleet result builder takes. The rebuilt expressions
carry no compiled matcher (nothing evaluates them again).
"""

from __future__ import annotations

from typing import Any

from fleetcompat.results.model import ExpressionResult, RuleResult, SetResult, SpecEvaluation, TermResult
from fleetcompat.spec.model import MatchExpression


def _expression(doc: dict[str, Any]) -> ExpressionResult:
    expr = doc["expression"]
    expected = MatchExpression(expr["op"], tuple(expr.get("value", ())), expr.get("type", ""))
    return ExpressionResult(doc["feature"], doc["element"], expected, doc["matched"], doc["actual"], doc["present"],
                            evaluated=doc.get("evaluated", True))


def _term(doc: dict[str, Any]) -> TermResult:
    return TermResult(doc["feature"], doc["matched"], doc["featurePresent"],
                      [_expression(e) for e in doc["expressions"]], doc.get("instanceCount", 0),
                      doc.get("instanceIndex"), doc.get("instance"))


def _rule(doc: dict[str, Any]) -> RuleResult:
    return RuleResult(doc["name"], doc["matched"], [_term(t) for t in doc["matchFeatures"]],
                      [[_term(t) for t in element] for element in doc["matchAny"]], dict(doc.get("vars") or {}))


def evaluation_from_dict(doc: dict[str, Any]) -> SpecEvaluation:
    sets = [SetResult(s["index"], s["weight"], s["tag"], s["description"], s["satisfied"],
                      [_rule(r) for r in s["rules"]]) for s in doc["sets"]]
    best = doc.get("bestSet")
    best_pos = None if best is None else next(pos for pos, s in enumerate(sets) if s.index == best["index"])
    return SpecEvaluation(doc["verdict"] == "compatible", best_pos, sets, doc.get("durationSeconds", 0.0))
