"""The baseline gate (`fleetcompat gate NEW --baseline OLD --max-new-incompatible N|PCT%`): the blast radius of a
new spec or a fleet change, per image.

An image's eligible set is its hosts whose cell passes (compatible or waived). Of the hosts in both results that
were eligible in the baseline, those now incompatible count against the limit (`PCT%` is of those eligible in
the baseline, rounded down); those now unreachable, error or no-spec might be, so when they could push the count
over the limit the answer is undecidable (exit 2; `--allow-unreachable` leaves unreachable ones out). Hosts
incompatible in both results, and hosts new to the fleet, do not count: the baseline accepted the first, and the
second were never eligible. An image missing from the baseline is gated as without a baseline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from fleetcompat.drift.diff import diff_results
from fleetcompat.drift.model import PASSING, ChangeKind, Drift
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_ERROR, EXIT_INCOMPATIBLE
from fleetcompat.results.fleet import FleetResult, Status
from fleetcompat.results.gate import Decision, Threshold, combine, decide_image, host_names, with_expired_waivers


@dataclass(frozen=True, slots=True)
class BlastRadius:
    image: str
    eligible_before: int  # hosts in both results whose cell passed in the baseline
    newly_incompatible: tuple[str, ...]
    newly_undecided: tuple[str, ...]  # were eligible, now unreachable / error / no-spec

    def allowed(self, limit: Threshold) -> int:
        return math.floor(limit.value * self.eligible_before / 100 + 1e-9) if limit.percent else int(limit.value)


def blast_radius(drift: Drift, baseline: FleetResult, current: FleetResult, alias: str,
                 allow_unreachable: bool = False) -> BlastRadius:
    names = {h.name for h in current.hosts}
    eligible = sum(1 for h in baseline.hosts if h.name in names and h.outcomes[alias].status in PASSING)
    changes = [c for c in drift.cells if c.image == alias]
    undecided = tuple(c.host for c in changes if c.kind is ChangeKind.UNDECIDED
                      and not (allow_unreachable and c.new is Status.UNREACHABLE))
    return BlastRadius(alias, eligible, tuple(c.host for c in changes if c.kind is ChangeKind.REGRESSION), undecided)


def _decide_radius(radius: BlastRadius, limit: Threshold) -> Decision:
    allowed = radius.allowed(limit)
    new = len(radius.newly_incompatible)
    head = (f"{radius.image}: {new} of {radius.eligible_before} hosts eligible in the baseline now incompatible, "
            f"at most {limit} allowed ({allowed})")
    if new > allowed:
        return Decision(EXIT_INCOMPATIBLE, f"{head}: {host_names(list(radius.newly_incompatible))}")
    if new + len(radius.newly_undecided) > allowed:
        return Decision(EXIT_ERROR, f"{head}; {len(radius.newly_undecided)} no longer decided could change that "
                                    f"({host_names(list(radius.newly_undecided))})")
    return Decision(EXIT_COMPATIBLE, head)


def decide_against_baseline(result: FleetResult, baseline: FleetResult, require: Iterable[str], limit: Threshold,
                            min_compatible: Threshold | None = None, allow_unreachable: bool = False) -> Decision:
    """The blast-radius verdict over the required images (all of `result`'s if none), plus `--min-compatible`
    when given; a definite failure wins over undecidable, as in `decide`."""
    aliases = list(dict.fromkeys(require)) or result.aliases()
    if not aliases:
        return Decision(EXIT_ERROR, "the result has no images")
    drift = diff_results(baseline, result)
    known = set(baseline.aliases())
    decisions = []
    for alias in aliases:
        if alias not in known:
            fallback = decide_image(result, alias, min_compatible, allow_unreachable)
            decisions.append(Decision(fallback.code, f"{fallback.reason} (not in the baseline)"))
            continue
        radius = _decide_radius(blast_radius(drift, baseline, result, alias, allow_unreachable), limit)
        if min_compatible is not None:
            radius = combine([radius, decide_image(result, alias, min_compatible, allow_unreachable)], radius.reason)
        decisions.append(radius)
    summary = f"{len(aliases)} images: at most {limit} newly incompatible hosts each since the baseline"
    return with_expired_waivers(combine(decisions, summary), result, aliases)
