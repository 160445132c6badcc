"""Fleet results cut into parts the way job slices and sites produce them, for the merge tests and bench/scale.py.
The fleets themselves are tests/support/fleet_synthetic.py's (real specs, real `evaluate_spec`, the builder)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fleetcompat.results.fleet import FleetResult
from tests.support.fleet_synthetic import BAD, GOOD, HOSTILE, build_fleet, mini_fleet, spec_text  # noqa: F401  (re-exported)


def at(result: FleetResult, started_at: str, **run_fields) -> FleetResult:
    """The same result, as if its run had started at `started_at` (and with other run fields, e.g. controller)."""
    return replace(result, run=replace(result.run, started_at=started_at, **run_fields))


def slices(result: FleetResult, count: int, started_at: str = "2026-05-04T10:00:00Z") -> list[FleetResult]:
    """AWX's slicing rule: hosts sorted by name, slice n of K takes hosts[n-1::K]; every slice its own run."""
    hosts = sorted(result.hosts, key=lambda h: h.name)
    return [replace(at(result, started_at, limit=f"slice{n + 1}of{count}"), hosts=hosts[n::count])
            for n in range(count)]


def write_parts(directory: Path, parts: list[FleetResult]) -> list[str]:
    paths = []
    for n, part in enumerate(parts):
        path = directory / f"part-{n:04d}.json"
        part.dump(path)
        paths.append(str(path))
    return paths


def cells(result: FleetResult) -> dict[str, tuple]:
    """Host for host and cell for cell: what a merged result must equal (run metadata and timings aside)."""
    return {h.name: (h.groups, h.status, h.reason, h.profile, h.summary, h.outcomes) for h in result.hosts}
