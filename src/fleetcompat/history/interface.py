"""The contract of a history store; `sqlite.py` and `postgresql.py` implement it (through `sql.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fleetcompat.errors import FleetcompatError
from fleetcompat.results.fleet import FleetResult, LastKnown


class HistoryError(FleetcompatError):
    """The history store is unusable: a bad URL, a file that is not a database, a schema from a newer fleetcompat,
    a server that refuses us, a run that does not exist."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One recorded run, as `history list` shows it."""

    run_id: int
    started_at: str  # the run's own startedAt (RFC 3339)
    recorded_at: str  # when the store got it (UTC, RFC 3339)
    duration_s: float | None
    hosts: int
    unreachable: int  # hosts not reached
    images: int
    incompatible_cells: int
    inventory: str | None
    tool: str


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One image in one run: its hosts by status (`history trend`, compatible share over time)."""

    run_id: int
    started_at: str
    alias: str
    spec_digest: str | None
    hosts: int
    compatible: int
    incompatible: int
    unreachable: int
    error: int
    no_spec: int
    waived: int

    @property
    def share(self) -> float | None:
        """Compatible hosts / audited hosts (all of the run's hosts, as in every report)."""
        return self.compatible / self.hosts if self.hosts else None


class HistoryStore(Protocol):
    """Runs in the order they were started. Every method raises HistoryError (one line) on a store problem."""

    url: str  # for messages, with any password removed

    def record(self, result: FleetResult) -> int:
        """Store a run; returns its id."""
        ...

    def runs(self, limit: int | None = None) -> list[RunSummary]:
        """The most recent runs first (all with limit None)."""
        ...

    def load(self, run_id: int) -> FleetResult:
        """The fleet result of a run, exactly as it was recorded. HistoryError if there is no such run."""
        ...

    def last(self, before: str | None = None) -> FleetResult | None:
        """The latest recorded run, or None if there is none. A baseline (`--baseline last`) for a result that
        `audit` has just recorded passes `before=result.run.started_at`, so the result is not its own baseline."""
        ...

    def last_id(self, before: str | None = None) -> int | None:
        """The id of the latest run (by start time; `before`: started before that RFC 3339 time), or None."""
        ...

    def trend(self, aliases: list[str] | None = None, limit: int | None = None) -> list[TrendPoint]:
        """Per image (all, or `aliases`) and run, oldest first; `limit`: only the latest runs."""
        ...

    def last_known(self, hosts: list[str]) -> dict[str, dict[str, LastKnown]]:
        """Host -> image alias -> the cell the host had in the latest run in which it was reached (status ok)."""
        ...

    def close(self) -> None:
        ...
