"""Assemble the fleet result of one audit and write it with its reports; shared by Ansible and the CLI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.fleet.evaluate import Outcome
from fleetcompat.fleet.resolve import ResolvedImage
from fleetcompat.results.fleet import FleetResult, FleetResultBuilder, HostStatus, RunMeta


@dataclass(slots=True)
class HostRecord:
    """One audited host as the gather step left it."""

    name: str
    status: HostStatus = HostStatus.OK
    reason: str | None = None  # why unreachable / why gathering failed
    features: Features | None = None
    summary: dict[str, Any] | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)


def build_result(resolved: Sequence[ResolvedImage], hosts: Sequence[HostRecord],
                 outcomes: Mapping[str, Mapping[str, Outcome]], run: RunMeta,
                 duration_s: float | None = None) -> FleetResult:
    """`outcomes`: host -> alias -> evaluation or error, for the hosts that were gathered."""
    builder = FleetResultBuilder(run)
    for image in resolved:
        builder.add_image(image.alias, image.entry.reference, spec=image.spec, digest=image.digest,
                          spec_digest=image.spec_digest, spec_source=image.spec_source, spec_error=image.error,
                          tags=image.entry.tags)
    usable = [r.alias for r in resolved if r.spec is not None]
    for host in hosts:
        builder.add_host(host.name, host.groups, host.summary, host.status, host.reason, host.features)
        if host.status is not HostStatus.OK:
            continue
        per_image = outcomes.get(host.name, {})
        for alias in usable:
            outcome = per_image.get(alias)
            if isinstance(outcome, FleetcompatError):
                builder.add_error(host.name, alias, str(outcome))
            elif outcome is not None:
                builder.add_evaluation(host.name, alias, outcome)
    return builder.build(duration_s)
