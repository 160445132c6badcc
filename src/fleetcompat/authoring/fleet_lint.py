"""`spec lint --fleet`: what each expression of a spec does on a real fleet.

An expression no host satisfies can only fail (often a typo the plain linter cannot see, a value spelled as no
host reports it); one every host satisfies tells no host apart. Hosts' features are evaluated with the engine
(`FleetEvaluator`: each group of hosts that look the same to the spec once), every set, untagged. A fleet result
holds no features, but each evaluated cell's failing expressions: for an image audited with this very spec file
that is enough to count (sets its tags left out are not judged).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from fleetcompat.authoring.emit import name_list
from fleetcompat.engine import FleetEvaluator
from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.results.fleet import Cell, FleetResult, HostStatus, Status
from fleetcompat.results.model import SpecEvaluation, TermResult
from fleetcompat.spec.lint import LintWarning
from fleetcompat.spec.model import FeatureMatcherTerm, Spec

Position = tuple[int, int, int | None, int]  # set, rule, matchAny element (None: matchFeatures), term


def _terms(spec: Spec) -> Iterator[tuple[str, FeatureMatcherTerm, Position]]:
    """Every term with its location text and its position in an evaluation (set, rule, matchAny element, term)."""
    for i, comp in enumerate(spec.compatibilities):
        for r, rule in enumerate(comp.rules):
            base = f"compatibilities[{i}] rule {rule.name!r}"
            for t, term in enumerate(rule.match_features):
                yield f"{base} {term.feature}", term, (i, r, None, t)
            for j, element in enumerate(rule.match_any):
                for t, term in enumerate(element):
                    yield f"{base} matchAny[{j}] {term.feature}", term, (i, r, j, t)


def _term_result(evaluation: SpecEvaluation, position: Position) -> TermResult:
    i, r, j, t = position
    rule = evaluation.sets[i].rules[r]
    return rule.match_features[t] if j is None else rule.match_any[j][t]


def _expressions(term: FeatureMatcherTerm) -> list[str]:
    """The term's expressions in the order the engine reports them: matchExpressions, then matchName."""
    out = [f"{term.feature}.{element} {expr.describe()}" for element, expr in term.match_expressions or ()]
    if term.match_name is not None:
        out.append(f"{term.feature} matchName {term.match_name.describe()}")
    return out


def _warnings(spec: Spec, counted: int, satisfied: Counter[tuple[Position, int]],
              skipped: frozenset[int] = frozenset()) -> list[LintWarning]:
    """`satisfied[(term position, expression number)]`: how many of the `counted` hosts satisfy it; sets in
    `skipped` were not evaluated (tags)."""
    warnings = []
    for where, term, position in _terms(spec):
        if position[0] in skipped:
            continue
        for k, text in enumerate(_expressions(term)):
            if satisfied[position, k] == 0:
                warnings.append(LintWarning(term.line, where, f"no host of the fleet ({counted}) satisfies {text}"))
            elif satisfied[position, k] == counted:
                warnings.append(LintWarning(term.line, where, f"every host of the fleet ({counted}) satisfies "
                                            f"{text}: it tells no host apart there"))
    return warnings


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
    satisfied: Counter[tuple[Position, int]] = Counter()
    for _, _, position in _terms(spec):
        for g, outcome in evaluated:
            for k, result in enumerate(_term_result(outcome, position).expressions):
                if result.matched:
                    satisfied[position, k] += members[g]
    return warnings + _warnings(spec, counted, satisfied), total


def _failing_keys(outcome: Cell) -> set[tuple]:
    return {(rule.set_index, rule.rule, term.any_of, term.feature, e.element, e.expected.op, e.expected.value,
             e.expected.type) for rule in outcome.failing for term in rule.terms for e in term.expressions}


def result_warnings(spec: Spec, spec_digest: str, result: FleetResult, where: str) -> tuple[list[LintWarning], int]:
    """The same warnings from a fleet result, for an image audited with this very spec file (its sha256). The
    result keeps each evaluated cell's failing expressions, so every other expression of the spec was satisfied."""
    entries = [(image, None) for image in result.images if image.spec_digest == spec_digest]
    entries += [(image, p.platform) for image in result.images for p in image.platforms
                if p.spec_digest == spec_digest and image.spec_digest != spec_digest]
    if not entries:
        raise FleetcompatError(f"no image of this fleet result was audited with this spec ({spec_digest}); lint "
                               "against the fact cache or features files instead", where=where)
    image, platform = entries[0]
    cells = Counter()
    outcomes = {}
    for host in result.hosts:
        outcome = host.outcomes[image.alias]
        if (host.status is HostStatus.OK and outcome.status in (Status.COMPATIBLE, Status.INCOMPATIBLE)
                and outcome.reason is None and (platform is None or outcome.platform == platform)):
            cells[id(outcome)] += 1
            outcomes[id(outcome)] = outcome
    counted = sum(cells.values())
    if not counted:
        return [], 0
    evaluated_sets = {s.index for s in image.sets} if image.sets else set(range(len(spec.compatibilities)))
    satisfied: Counter[tuple[Position, int]] = Counter()
    for key, outcome in outcomes.items():
        failing = _failing_keys(outcome)
        for _, term, position in _terms(spec):
            rule = spec.compatibilities[position[0]].rules[position[1]]
            expressions = [(e, x) for e, x in term.match_expressions or ()]
            if term.match_name is not None:
                expressions.append((None, term.match_name))
            for k, (element, expr) in enumerate(expressions):
                if (position[0], rule.name, position[2], term.feature, element, expr.op, expr.value,
                        expr.type) not in failing:
                    satisfied[position, k] += cells[key]
    skipped = frozenset(range(len(spec.compatibilities))) - evaluated_sets
    return _warnings(spec, counted, satisfied, skipped), counted
