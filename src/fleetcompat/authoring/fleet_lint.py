"""`spec lint --fleet`: what each expression of a spec does on a real fleet.

An expression no host satisfies can only fail (often a typo the plain linter cannot see, a value spelled as no
host reports it); one every host satisfies tells no host apart. The fleet is evaluated with the engine
(`FleetEvaluator`: each group of hosts that look the same to the spec once), every set, untagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from fleetcompat.authoring.emit import name_list
from fleetcompat.engine import FleetEvaluator
from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.results.model import SpecEvaluation, TermResult
from fleetcompat.spec.lint import LintWarning
from fleetcompat.spec.model import FeatureMatcherTerm, Spec


def _terms(spec: Spec) -> Iterator[tuple[str, FeatureMatcherTerm, tuple[int, int, int | None, int]]]:
    """Every term with its location text and its position in an evaluation (set, rule, matchAny element, term)."""
    for i, comp in enumerate(spec.compatibilities):
        for r, rule in enumerate(comp.rules):
            base = f"compatibilities[{i}] rule {rule.name!r}"
            for t, term in enumerate(rule.match_features):
                yield f"{base} {term.feature}", term, (i, r, None, t)
            for j, element in enumerate(rule.match_any):
                for t, term in enumerate(element):
                    yield f"{base} matchAny[{j}] {term.feature}", term, (i, r, j, t)


def _term_result(evaluation: SpecEvaluation, position: tuple[int, int, int | None, int]) -> TermResult:
    i, r, j, t = position
    rule = evaluation.sets[i].rules[r]
    return rule.match_features[t] if j is None else rule.match_any[j][t]


def _expressions(term: FeatureMatcherTerm) -> list[str]:
    """The term's expressions in the order the engine reports them: matchExpressions, then matchName."""
    out = [f"{term.feature}.{element} {expr.describe()}" for element, expr in term.match_expressions or ()]
    if term.match_name is not None:
        out.append(f"{term.feature} matchName {term.match_name.describe()}")
    return out


def fleet_warnings(spec: Spec, hosts: Iterable[tuple[str, Features]]) -> tuple[list[LintWarning], int]:
    """Warnings about the spec's expressions on these hosts, and how many hosts there were."""
    evaluator = FleetEvaluator({"spec": spec})
    for name, features in hosts:
        evaluator.add(name, features)
    members = Counter(evaluator.host_group.values())
    total = len(evaluator.host_group)
    outcomes = [per_spec["spec"] for per_spec in evaluator.evaluate_groups()]
    warnings = []
    failed = [(g, o) for g, o in enumerate(outcomes) if isinstance(o, FleetcompatError)]
    if failed:
        hosts_failed = [h for h, g in evaluator.host_group.items() if outcomes[g] is failed[0][1]]
        warnings.append(LintWarning(None, "fleet", f"the engine cannot evaluate the spec on "
                                    f"{sum(members[g] for g, _ in failed)} host(s), e.g. {name_list(hosts_failed)}: "
                                    f"{failed[0][1]}"))
    evaluated = [(g, o) for g, o in enumerate(outcomes) if isinstance(o, SpecEvaluation)]
    counted = sum(members[g] for g, _ in evaluated)
    if not counted:
        return warnings, total
    for where, term, position in _terms(spec):
        satisfied = Counter()
        for g, outcome in evaluated:
            for k, result in enumerate(_term_result(outcome, position).expressions):
                if result.matched:
                    satisfied[k] += members[g]
        for k, text in enumerate(_expressions(term)):
            if satisfied[k] == 0:
                warnings.append(LintWarning(term.line, where, f"no host of the fleet ({counted}) satisfies {text}"))
            elif satisfied[k] == counted:
                warnings.append(LintWarning(term.line, where, f"every host of the fleet ({counted}) satisfies "
                                            f"{text}: it tells no host apart there"))
    return warnings, total
