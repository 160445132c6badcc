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

from fleetcompat.drift import CellChange, Drift, diff_results
from fleetcompat.fleet.evaluate import evaluate_fleet
from fleetcompat.fleet.report import HostRecord, build_result
from fleetcompat.fleet.resolve import ResolvedImage, host_platform
from fleetcompat.hostfeatures.summary import summarize
from fleetcompat.planning.changes import ChangeError
from fleetcompat.planning.plan import Step
from fleetcompat.results.fleet import FleetResult, HostStatus, RunMeta


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


def plan_states(hosts: Sequence[HostRecord], steps: Sequence[Step]) -> list[list[HostRecord]]:
    """The fleet after each step (each list holds only the hosts that step touched, with their new features);
    a selector (`on`) that matches no host is an error: a typo must not pass as "no effect"."""
    current = {h.name: h for h in hosts}
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
            summary = summarize(record.features.to_nfd()) if record.summary is not None and record.features else None
            touched[name] = current[name] = replace(record, summary=summary)
        states.append(list(touched.values()))
    return states


def platforms(hosts: Sequence[HostRecord], states: Sequence[Sequence[HostRecord]]) -> set[str | None]:
    """Every platform a host has at some step (a new SKU may be another architecture)."""
    return {host_platform(h.features) for group in (hosts, *states) for h in group if h.features is not None}


def _evaluate(resolved: Sequence[ResolvedImage], hosts: Sequence[HostRecord], run: RunMeta) -> FleetResult:
    gathered = [(h.name, h.features) for h in hosts if h.features is not None and h.status is HostStatus.OK]
    return build_result(resolved, hosts, evaluate_fleet(resolved, gathered), run, 0.0)


def _merged(previous: FleetResult, changed: FleetResult) -> FleetResult:
    replaced = {h.name: h for h in changed.hosts}
    return FleetResult(previous.run, previous.images, [replaced.get(h.name, h) for h in previous.hosts])


def simulate(resolved: Sequence[ResolvedImage], hosts: Sequence[HostRecord], steps: Sequence[Step],
             states: Sequence[Sequence[HostRecord]], run: RunMeta) -> WhatIf:
    """Evaluate the baseline and every step's state (from `plan_states`); `resolved` must cover `platforms()`."""
    baseline = _evaluate(resolved, hosts, run)
    effects = []
    previous = baseline
    for step, touched in zip(steps, states, strict=True):
        after = _merged(previous, _evaluate(resolved, touched, run)) if touched else previous
        effects.append(StepEffect(step, tuple(h.name for h in touched), after, diff_results(previous, after)))
        previous = after
    return WhatIf(baseline, tuple(effects), diff_results(baseline, previous))
