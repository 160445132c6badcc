"""NFD's rule engine (nodefeaturerule `ExecuteGroupRule` with failFast=false, as `nfd compat validate-node` runs
it), plus the verdict NFD leaves open. Pure: no I/O, features and specs in, results out.

Deliberate differences from NFD are listed in docs/nfd-differences.md; each is marked `NFD-DIFF` below.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from fleetcompat.errors import EvaluationError, FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.results.model import ExpressionResult, RuleResult, SetResult, SpecEvaluation, TermResult
from fleetcompat.spec.model import RULE_MATCHED, Compatibility, FeatureMatcherTerm, GroupRule, Spec

# Attributes that identify an instance for a reader ("which NIC"): results show them next to the compared ones.
INSTANCE_IDENTITY = frozenset({"name", "vendor", "device", "class"})
MAX_NAMES_SHOWN = 32


class NoSetSelected(FleetcompatError):
    """`--tags` kept no compatibility set, so there is nothing to decide."""


def _eval_term(term: FeatureMatcherTerm, features: Features, rule_matched: dict[str, str] | None) -> TermResult:
    name = term.feature.lower()
    flags = features.flags.get(name)
    attrs = rule_matched if name == RULE_MATCHED else features.attributes.get(name)
    instances = features.instances.get(name)
    exprs = term.match_expressions or ()

    if flags is None and attrs is None and instances is None:
        results = [ExpressionResult(term.feature, el, e, False, None, False) for el, e in exprs]
        if term.match_name is not None:
            results.append(ExpressionResult(term.feature, None, term.match_name, False, None, False))
        return TermResult(term.feature, False, False, results)

    ok = True
    results = []
    inst_index = None
    if term.match_expressions is not None:
        ok = flags is not None or attrs is not None
        for element, expr in exprs:
            match = expr.compiled
            in_flags = flags is not None and element in flags
            in_attrs = attrs is not None and element in attrs
            k_ok = flags is not None and match(in_flags, None)
            v_ok = attrs is not None and match(in_attrs, attrs[element] if in_attrs else None)
            if expr.op == "DoesNotExist":
                # Must hold in every map the feature has: a key present as flag OR attribute fails it.
                hit = (flags is not None or attrs is not None) and (flags is None or k_ok) and (attrs is None or v_ok)
            else:
                hit = k_ok or v_ok
            if not hit:
                ok = False
            actual = attrs[element] if in_attrs else ("(flag)" if in_flags else None)
            results.append(ExpressionResult(term.feature, element, expr, hit, actual, in_flags or in_attrs, hit))
        if instances:
            inst_index, inst_hits, inst_ok, any_hits = _match_instances(exprs, instances)
            if inst_index is not None and (inst_ok or (flags is None and attrs is None)):
                # Report the instance that matched, else the closest one (most expressions true).
                inst = instances[inst_index]
                for r, (element, _), hit in zip(results, exprs, inst_hits, strict=True):
                    r.matched, r.actual, r.present = hit, inst.get(element), element in inst
            for r, hit in zip(results, any_hits, strict=True):
                r.nfd_matched = r.nfd_matched or hit
            ok = ok or inst_ok

    if term.match_name is not None:
        if ok:
            names: list[str] = []
            if flags:
                names.extend(flags)
            if attrs:
                names.extend(attrs)
            for inst in instances or ():
                names.extend(inst)
            match = term.match_name.compiled
            hits = [n for n in names if match(True, n)]
            ok = bool(hits)
            results.append(ExpressionResult(term.feature, None, term.match_name, ok,
                                            _some_names(hits if hits else sorted(set(names))), bool(names), ok))
        else:
            results.append(ExpressionResult(term.feature, None, term.match_name, False, None, True, False,
                                            evaluated=False))

    shown_instance = None
    if instances and inst_index is not None:
        wanted = INSTANCE_IDENTITY.union(element for element, _ in exprs)
        shown_instance = {k: v for k, v in instances[inst_index].items() if k in wanted}
    return TermResult(term.feature, ok, True, results, instance_count=len(instances) if instances else 0,
                      instance_index=inst_index, instance=shown_instance)


def _some_names(names: list[str]) -> list[str]:
    """Element names for a reader: the first few, then a count (kernel.config alone has thousands)."""
    if len(names) <= MAX_NAMES_SHOWN:
        return names
    return [*names[:MAX_NAMES_SHOWN], f"… (+{len(names) - MAX_NAMES_SHOWN} more)"]


def _match_instances(exprs, instances):
    """Per-instance AND of all expressions; returns (chosen index, its per-expression hits, matched?, any-hits).

    Every instance is evaluated, as NFD's `MatchGetInstances` does, so an evaluation error in any instance is
    raised whatever the order of the instances (stopping at the first match would hide errors behind it). The
    chosen instance is the first that matches, else the first of those closest to matching."""
    best = None
    best_hits: list[bool] = []
    best_score = -1
    any_hits = [False] * len(exprs)
    for index, inst in enumerate(instances):
        hits = [expr.compiled(element in inst, inst.get(element)) for element, expr in exprs]
        for i, hit in enumerate(hits):
            if hit:
                any_hits[i] = True
        score = sum(hits)
        if score > best_score:
            best, best_hits, best_score = index, hits, score
    return best, best_hits, best_score == len(exprs), any_hits


def evaluate_rule(rule: GroupRule, features: Features, rule_matched: dict[str, str] | None) -> RuleResult:
    match_any = [[_eval_term(t, features, rule_matched) for t in element] for element in rule.match_any]
    match_features = [_eval_term(t, features, rule_matched) for t in rule.match_features]
    any_ok = any(all(t.matched for t in element) for element in match_any)
    all_ok = all(t.matched for t in match_features)
    matched = (not rule.match_any or any_ok) and (not rule.match_features or all_ok)
    # NFD-DIFF: NFD returns the static vars even when matchAny failed; a rule that did not match has no outputs.
    return RuleResult(rule.name, matched, match_features, match_any, dict(rule.vars) if matched else {})


def evaluate_set(index: int, comp: Compatibility, features: Features) -> SetResult:
    # NFD-DIFF: NFD shares `rule.matched` across all sets of a run and creates it (empty) after failing rules;
    # here back-references see only the matched rules that precede them in the same set.
    rule_matched: dict[str, str] | None = None
    rules = []
    for rule in comp.rules:
        result = evaluate_rule(rule, features, rule_matched)
        rules.append(result)
        if result.matched:
            rule_matched = {**(rule_matched or {}), **result.vars}
    return SetResult(index, comp.weight, comp.tag, comp.description, all(r.matched for r in rules), rules)


def select_sets(spec: Spec, tags: Iterable[str] | None) -> list[tuple[int, Compatibility]]:
    """NFD's `--tags`: keep a set only if its tag is exactly one of the given tags (untagged sets are dropped)."""
    wanted = [t for t in (tags or ()) if t]
    kept = [(i, c) for i, c in enumerate(spec.compatibilities) if not wanted or c.tag in wanted]
    if not kept:
        available = sorted({c.tag for c in spec.compatibilities if c.tag})
        raise NoSetSelected(
            f"no compatibility set has tag {', '.join(wanted)} (tags in this spec: {', '.join(available) or 'none'})",
            where=spec.source or None,
        )
    return kept


def evaluate_spec(spec: Spec, features: Features, tags: Iterable[str] | None = None) -> SpecEvaluation:
    """Evaluate every kept set; the image is compatible if one is satisfied; best = highest weight, first on ties."""
    started = time.perf_counter()
    sets = [evaluate_set(i, comp, features) for i, comp in select_sets(spec, tags)]
    best = None
    for pos, result in enumerate(sets):
        if result.satisfied and (best is None or result.weight > sets[best].weight):
            best = pos
    return SpecEvaluation(best is not None, best, sets, time.perf_counter() - started)


__all__ = ["EvaluationError", "NoSetSelected", "evaluate_rule", "evaluate_set", "evaluate_spec", "select_sets"]
