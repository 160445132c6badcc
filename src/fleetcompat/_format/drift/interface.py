"""The contract of a drift renderer: the whole output for one `Drift`, as text (the caller writes it)."""

from __future__ import annotations

from typing import Protocol

from fleetcompat.drift.model import ChangeKind, Drift


class DriftFormat(Protocol):
    def render(self, drift: Drift) -> str:
        ...


def headline(drift: Drift) -> str:
    """`3 cells changed: 2 regression, 1 improvement` (kinds with no cells left out)."""
    counts = drift.counts()
    parts = [f"{n} {kind}" for kind, n in counts.items() if n]
    text = f"{len(drift.cells)} cell{'s' if len(drift.cells) != 1 else ''} changed"
    return text + (f": {', '.join(parts)}" if parts else "")


def verdict(drift: Drift) -> str:
    regressions = drift.counts()[ChangeKind.REGRESSION]
    return f"{regressions} regression{'s' if regressions != 1 else ''}" if regressions else "no regressions"
