"""The controller-side audit of hosts already gathered: resolve every image once (per platform of the fleet),
evaluate each distinct feature set once per spec, build the fleet result. Shared by `fleetcompat audit` and the
collection's `cached_fleet_report` (the report stage over cached facts), so both give the same result."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fleetcompat.fleet.evaluate import evaluate_fleet
from fleetcompat.fleet.hosts import HostRecord
from fleetcompat.fleet.images import ImageEntry
from fleetcompat.fleet.report import build_result
from fleetcompat.fleet.resolve import ResolvedImage, host_platform, resolve
from fleetcompat.progress import NO_PROGRESS, Progress
from fleetcompat.results.fleet import FleetResult, HostStatus, RunMeta

if TYPE_CHECKING:  # the registry stack is imported only when an image is a registry reference
    from fleetcompat.registry.options import RegistryOptions


def audit_hosts(images: Sequence[ImageEntry], options: RegistryOptions | None, hosts: Sequence[HostRecord],
                run: RunMeta, started: float,
                progress: Progress = NO_PROGRESS) -> tuple[FleetResult, list[ResolvedImage]]:
    """`started`: time.monotonic() when the run began (for the result's duration); `progress` follows resolving
    (registry fetches can take a while), the evaluation and the building of the result."""
    gathered = [(h.name, h.features) for h in hosts if h.features is not None and h.status is HostStatus.OK]
    # Registry images: each host gets the spec for its own platform, fetched once per platform of the fleet.
    progress.begin("resolving images", None)
    resolved = resolve(images, options, {host_platform(features) for _, features in gathered})
    outcomes = evaluate_fleet(resolved, gathered, progress)
    progress.begin("building the result", None)
    return build_result(resolved, hosts, outcomes, run, time.monotonic() - started), resolved
