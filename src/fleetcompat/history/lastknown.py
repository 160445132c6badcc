"""Unreachable hosts' cells with their last known status from the history store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from fleetcompat.results.fleet import Cell, FleetResult, HostStatus, LastKnown, Status


def unreachable_hosts(result: FleetResult) -> list[str]:
    return [h.name for h in result.hosts if h.status is HostStatus.UNREACHABLE]


def with_last_known(result: FleetResult, known: Mapping[str, Mapping[str, LastKnown]]) -> FleetResult:
    """The result with each unreachable cell carrying what its host had for that image when last reached. The
    status stays `unreachable`: a gate never sees an old verdict as a fresh one."""
    interned: dict[Cell, Cell] = {}
    hosts = []
    for host in result.hosts:
        previous = known.get(host.name) if host.status is HostStatus.UNREACHABLE else None
        if not previous:
            hosts.append(host)
            continue
        outcomes = {}
        for alias, outcome in host.outcomes.items():
            last = previous.get(alias)
            if last is not None and outcome.status is Status.UNREACHABLE:
                annotated = replace(outcome, last_known=last)
                outcome = interned.setdefault(annotated, annotated)
            outcomes[alias] = outcome
        hosts.append(replace(host, outcomes=outcomes))
    return FleetResult(result.run, result.images, hosts)
