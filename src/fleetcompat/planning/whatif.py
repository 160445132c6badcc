"""What-if: apply a plan's steps to a fleet's features, evaluate again, and report every cell that flips.

The baseline is the fleet as gathered; each step applies on top of the previous one. Only the hosts a step
touches are evaluated again (with the engine's `FleetEvaluator`, each distinct feature set once per spec) and
rebuilt as fleet-result entries (with `FleetResultBuilder`, so hints and profiles are what an audit of the changed
hosts would record); every other host keeps its entry. Each step's effect is `diff_results(before, after)`:
its regressions (compatible -> incompatible) are the step's inhibitors, Leapp-style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fleetcompat.drift import CellChange, Drift, diff_results
from fleetcompat.engine import FleetEvaluator
from fleetcompat.engine.batch import EvaluationOutcome
from fleetcompat.features.model import Features
from fleetcompat.fleet.evaluate import evaluate_fleet
from fleetcompat.fleet.hosts import HostRecord
from fleetcompat.fleet.report import build_result
from fleetcompat.fleet.resolve import ResolvedImage, host_platform
from fleetcompat.hostfeatures.summary import summarize
from fleetcompat.planning.changes import ChangeError
from fleetcompat.planning.plan import Step
from fleetcompat.results.fleet import FleetResult, HostStatus, ProfilePieces, RunMeta
from fleetcompat.spec.model import Spec


@dataclass(frozen=True, slots=True)
class StepEffect:
    step: Step
    hosts_changed: tuple[str, ...]
    result: FleetResult  # the fleet after this step (and the ones before it)
    drift: Drift  # from the fleet before this step

    def inhibitors(self) -> list[CellChange]:
        """Cells this step turns from compatible to incompatible."""
        return self.drift.regressions()


@dataclass(frozen=True, slots=True)
class WhatIf:
    baseline: FleetResult
    steps: tuple[StepEffect, ...]
    overall: Drift  # from the baseline to the fleet after the last step

    @property
    def final(self) -> FleetResult:
        return self.steps[-1].result if self.steps else self.baseline

    def breaks_something(self) -> bool:
        """Whether some step makes a compatible cell incompatible (the exit-1 condition)."""
        return any(effect.inhibitors() for effect in self.steps)


class _Reads(dict):
    """A section of the NFD view that records which features `summarize` looks up."""

    def __init__(self, items: dict, seen: set[str]) -> None:
        super().__init__(items)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)


def _summary(features: Features) -> tuple[dict[str, Any], frozenset[str]]:
    """The gatherer's summary of changed features, and the features it read: a later change to none of them
    leaves it as it is. The view wraps the maps instead of copying and sorting them (`Features.to_nfd`)."""
    seen: set[str] = set()
    view = {"flags": _Reads({k: {"elements": v} for k, v in features.flags.items()}, seen),
            "attributes": _Reads({k: {"elements": v} for k, v in features.attributes.items()}, seen),
            "instances": _Reads({k: {"elements": [{"attributes": i} for i in v]}
                                 for k, v in features.instances.items()}, seen)}
    return summarize(view), frozenset(seen)


def plan_states(hosts: Sequence[HostRecord], steps: Sequence[Step]) -> list[list[HostRecord]]:
    """The fleet after each step (each list holds only the hosts that step touched, with their new features);
    a selector (`on`) that matches no host is an error: a typo must not pass as "no effect"."""
    current = {h.name: h for h in hosts}
    summary_reads: dict[str, frozenset[str]] = {}  # host -> what its summary was computed from
    states = []
    for step in steps:
        touched: dict[str, HostRecord] = {}
        for change in step.changes:
            matched = False
            for name, record in current.items():
                if not change.applies_to(name, record.groups):
                    continue
                matched = True
                if record.status is not HostStatus.OK or record.features is None:
                    continue  # not gathered: nothing to change, and its cells stay as they were
                base = touched.get(name, record)
                assert base.features is not None
                touched[name] = replace(base, features=change.apply(base.features))
            if change.on and not matched:
                raise ChangeError(f"{change.describe()}: matches no host or group", where=step.where)
        for name, record in touched.items():
            summary = record.summary
            if summary is not None and record.features is not None:
                reads = summary_reads.get(name)
                before = current[name].features
                if reads is None or before is None or changed_features(before, record.features) & reads:
                    summary, summary_reads[name] = _summary(record.features)
            touched[name] = current[name] = replace(record, summary=summary)
        states.append(list(touched.values()))
    return states


def platforms(hosts: Sequence[HostRecord], states: Sequence[Sequence[HostRecord]]) -> set[str | None]:
    """Every platform a host has at some step (a new SKU may be another architecture)."""
    return {host_platform(h.features) for group in (hosts, *states) for h in group if h.features is not None}


def changed_features(old: Features, new: Features) -> set[str]:
    """Features whose maps differ (changes copy exactly the maps they touch, so identity tells)."""
    changed = set()
    for before, after in ((old.flags, new.flags), (old.attributes, new.attributes), (old.instances, new.instances)):
        changed.update(name for name in before.keys() | after.keys() if before.get(name) is not after.get(name))
    return changed


def _fingerprint(features: Features, name: str) -> tuple:
    """A changed feature's content, hashable: together with the outcome a host had before, it decides the new one."""
    flags, attrs, instances = features.flags.get(name), features.attributes.get(name), features.instances.get(name)
    return (name, None if flags is None else frozenset(flags), None if attrs is None else frozenset(attrs.items()),
            None if instances is None else tuple(frozenset(i.items()) for i in instances))


class _Outcomes:
    """Every host's outcomes, kept from step to step. A touched host is evaluated again only with the specs that
    read a feature the step changed (every spec when its platform changed). Hosts that shared an outcome before
    (the engine evaluated them as one: equal in everything the spec reads) and got equal changed features share
    the new one, so a step evaluates about as many times as the fleet has profiles, not hosts."""

    def __init__(self, resolved: Sequence[ResolvedImage], hosts: Sequence[HostRecord]) -> None:
        self.resolved = resolved
        gathered = [(h.name, h.features) for h in hosts if h.features is not None and h.status is HostStatus.OK]
        self.current: dict[str, dict[str, EvaluationOutcome]] = evaluate_fleet(resolved, gathered)
        self._reads: dict[tuple[str, str | None], frozenset[str]] = {}

    def _reads_of(self, image: ResolvedImage, platform: str | None, spec: Spec) -> frozenset[str]:
        key = (image.alias, platform)
        if key not in self._reads:
            self._reads[key] = frozenset(spec.feature_names())
        return self._reads[key]

    def step(self, before: dict[str, HostRecord],
             touched: Sequence[HostRecord]) -> dict[str, dict[str, EvaluationOutcome]]:
        pending: dict[tuple, list[str]] = {}  # (alias, platform, old outcome id or host, changed content) -> hosts
        representatives: dict[tuple, Features] = {}
        updated: dict[str, dict[str, EvaluationOutcome]] = {}
        for record in touched:
            old, new = before[record.name].features, record.features
            assert old is not None and new is not None
            platform = host_platform(new)
            same_platform = platform == host_platform(old)
            changed = {name.lower(): name for name in changed_features(old, new)}
            prints: dict[str, tuple] = {}
            outcomes = dict(self.current.get(record.name, {})) if same_platform else {}
            for image in self.resolved:
                spec = image.for_platform(platform).spec
                if spec is None:
                    outcomes.pop(image.alias, None)
                    continue
                previous = outcomes.get(image.alias)
                read = sorted(self._reads_of(image, platform, spec) & changed.keys())
                if previous is not None and not read:
                    continue  # the spec reads nothing this step changed
                for name in read:
                    if name not in prints:
                        prints[name] = _fingerprint(new, changed[name])
                # Without an earlier outcome (a new platform) the host is its own group.
                origin = id(previous) if previous is not None else record.name
                key = (image.alias, platform, origin, tuple(prints[n] for n in read))
                pending.setdefault(key, []).append(record.name)
                representatives.setdefault(key, new)
            updated[record.name] = outcomes
        images = {image.alias: image for image in self.resolved}
        for key, hosts in pending.items():
            alias, platform = key[0], key[1]
            image = images[alias]
            evaluator = FleetEvaluator({alias: image.for_platform(platform).spec}, {alias: image.entry.tags})
            evaluator.add("representative", representatives[key])
            outcome = evaluator.results()["representative"][alias]
            for host in hosts:
                updated[host][alias] = outcome
        self.current.update(updated)
        return updated


def _merged(previous: FleetResult, changed: FleetResult) -> FleetResult:
    replaced = {h.name: h for h in changed.hosts}
    return FleetResult(previous.run, previous.images, [replaced.get(h.name, h) for h in previous.hosts])


def simulate(resolved: Sequence[ResolvedImage], hosts: Sequence[HostRecord], steps: Sequence[Step],
             states: Sequence[Sequence[HostRecord]], run: RunMeta) -> WhatIf:
    """Evaluate the baseline and every step's state (from `plan_states`); `resolved` must cover `platforms()`."""
    evaluations = _Outcomes(resolved, hosts)
    pieces: ProfilePieces = {}  # steps copy only the feature maps they change: the rest hash from memory
    baseline = build_result(resolved, hosts, evaluations.current, run, 0.0, pieces)
    current = {h.name: h for h in hosts}
    effects = []
    previous = baseline
    for step, touched in zip(steps, states, strict=True):
        after = previous
        if touched:
            outcomes = evaluations.step(current, touched)
            after = _merged(previous, build_result(resolved, touched, outcomes, run, 0.0, pieces))
            current.update((h.name, h) for h in touched)
        effects.append(StepEffect(step, tuple(h.name for h in touched), after, diff_results(previous, after)))
        previous = after
    return WhatIf(baseline, tuple(effects), diff_results(baseline, previous))
