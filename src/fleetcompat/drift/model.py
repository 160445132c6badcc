"""What changed between two fleet results: cells that changed status with the cause of each flip, hosts and images
added or removed, spec digest changes. Built by `fleetcompat.drift.diff.diff_results`; read by the drift
renderers, the baseline gate and the HTML report's "changed since baseline" view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fleetcompat.results.fleet import RunMeta, Status

DRIFT_SCHEMA_ID = "fleetcompat.drift/v1"

# A cell in the eligible set of its image: it may be deployed to (a waived cell passes the gate too).
PASSING = frozenset({Status.COMPATIBLE, Status.WAIVED})


class ChangeKind(StrEnum):
    REGRESSION = "regression"  # passing (compatible or waived) -> incompatible
    UNDECIDED = "undecided"  # passing -> unreachable, error or no-spec: no longer known to be eligible
    IMPROVEMENT = "improvement"  # anything else -> passing
    CHANGED = "changed"  # between two non-passing statuses, or compatible <-> waived


def change_kind(old: Status, new: Status) -> ChangeKind:
    if old in PASSING and new is Status.INCOMPATIBLE:
        return ChangeKind.REGRESSION
    if old in PASSING and new not in PASSING:
        return ChangeKind.UNDECIDED
    if new in PASSING and old not in PASSING:
        return ChangeKind.IMPROVEMENT
    return ChangeKind.CHANGED


class CauseKind(StrEnum):
    HOST_VALUE = "host-value"  # an expression's host value changed: subject "feature element", old -> new actual
    SPEC = "spec"  # the image's compatibility spec changed: old -> new spec digest
    EXPECTED = "expected"  # the same expression expects something else under the new spec
    # Under a changed spec: an expression fails now and its earlier value is not recorded, so whether the host or
    # the spec changed cannot be told apart; new is the host's value and the expectation.
    NEWLY_FAILING = "newly-failing"
    NEWLY_PASSING = "newly-passing"  # the same the other way: an expression that failed before and does not now
    HOST_STATUS = "host-status"  # the host became (un)reachable or its gathering failed / recovered
    REASON = "reason"  # the cell's stated reason changed (e.g. "image has no linux/arm64 manifest")
    WAIVER = "waiver"  # a waiver started or stopped applying (expired, removed)


@dataclass(frozen=True, slots=True)
class Cause:
    kind: CauseKind
    subject: str  # "kernel.loadedmodule vfio-pci", "spec", "host", "reason", "waiver"
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.old} → {self.new}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": str(self.kind), "subject": self.subject, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class CellChange:
    """One host × image cell whose status differs between the two results."""

    host: str
    image: str
    old: Status
    new: Status
    kind: ChangeKind
    causes: tuple[Cause, ...]  # empty only when neither result says why (e.g. a different tool version)

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "image": self.image, "old": str(self.old), "new": str(self.new),
                "kind": str(self.kind), "causes": [c.to_dict() for c in self.causes]}


@dataclass(frozen=True, slots=True)
class SpecChange:
    """An image's compatibility spec digest differs (per platform for registry images audited per platform)."""

    image: str
    platform: str | None  # None: the image-level spec
    old_digest: str | None
    new_digest: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"image": self.image, "platform": self.platform, "old": self.old_digest, "new": self.new_digest}


@dataclass(frozen=True, slots=True)
class ChangeGroup:
    """Cells of one image with the same change and the same causes: one line in a drift report."""

    image: str
    old: Status
    new: Status
    kind: ChangeKind
    causes: tuple[Cause, ...]
    hosts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Drift:
    """The difference from an `old` (baseline) to a `new` fleet result. Cells are ordered by the new result's image
    order, then host name; only hosts and images present in both results have cells."""

    old_run: RunMeta
    new_run: RunMeta
    cells: tuple[CellChange, ...]
    hosts_added: tuple[str, ...] = ()
    hosts_removed: tuple[str, ...] = ()
    images_added: tuple[str, ...] = ()
    images_removed: tuple[str, ...] = ()
    spec_changes: tuple[SpecChange, ...] = ()
    _index: dict[tuple[str, str], CellChange] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update(((c.host, c.image), c) for c in self.cells)

    def cell(self, host: str, image: str) -> CellChange | None:
        """The change of one cell, or None if its status is the same in both results."""
        return self._index.get((host, image))

    def of_kind(self, kind: ChangeKind) -> list[CellChange]:
        return [c for c in self.cells if c.kind is kind]

    def regressions(self) -> list[CellChange]:
        """Cells that were compatible (or waived) in the old result and are incompatible in the new one."""
        return self.of_kind(ChangeKind.REGRESSION)

    def groups(self) -> list[ChangeGroup]:
        """Cells grouped by image, change and causes: regressions first, then by host count."""
        members: dict[tuple, list[str]] = {}
        for c in self.cells:
            members.setdefault((c.image, c.old, c.new, c.kind, c.causes), []).append(c.host)
        order = list(ChangeKind)
        groups = [ChangeGroup(*key, tuple(hosts)) for key, hosts in members.items()]
        groups.sort(key=lambda g: (order.index(g.kind), -len(g.hosts)))
        return groups

    def counts(self) -> dict[ChangeKind, int]:
        counts = dict.fromkeys(ChangeKind, 0)
        for change in self.cells:
            counts[change.kind] += 1
        return counts

    def is_empty(self) -> bool:
        return not (self.cells or self.hosts_added or self.hosts_removed or self.images_added
                    or self.images_removed or self.spec_changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": DRIFT_SCHEMA_ID,
            "old": {"startedAt": self.old_run.started_at, "tool": f"fleetcompat {self.old_run.tool_version}"},
            "new": {"startedAt": self.new_run.started_at, "tool": f"fleetcompat {self.new_run.tool_version}"},
            "counts": {str(k): v for k, v in self.counts().items()},
            "hostsAdded": list(self.hosts_added), "hostsRemoved": list(self.hosts_removed),
            "imagesAdded": list(self.images_added), "imagesRemoved": list(self.images_removed),
            "specChanges": [s.to_dict() for s in self.spec_changes],
            "cells": [c.to_dict() for c in self.cells],
        }
