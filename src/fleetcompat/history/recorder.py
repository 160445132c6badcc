"""What an audit does with the history: before the reports are rendered, unreachable hosts get their last known
status; after they are written, the run is recorded. A history problem never costs the reports: it is kept in
`error` (the audit prints it and exits 2, so a pipeline does not pass with a history silently missing a run)."""

from __future__ import annotations

from fleetcompat.history.interface import HistoryError, HistoryStore
from fleetcompat.history.lastknown import unreachable_hosts, with_last_known
from fleetcompat.history.url import open_store
from fleetcompat.results.fleet import FleetResult


class AuditHistory:
    def __init__(self, url: str | None) -> None:
        self._url = url
        self._store: HistoryStore | None = None
        self.error: HistoryError | None = None
        self.run_id: int | None = None

    def _open(self) -> HistoryStore:
        if self._store is None:
            self._store = open_store(self._url)
        return self._store

    def annotate(self, result: FleetResult) -> FleetResult:
        """The result with unreachable hosts' last known statuses; unchanged if the history cannot be read."""
        try:
            store = self._open()
            unreachable = unreachable_hosts(result)
            return with_last_known(result, store.last_known(unreachable)) if unreachable else result
        except HistoryError as exc:
            self.error = exc
            return result

    def record(self, result: FleetResult) -> None:
        if self.error is not None:  # the store was unusable a moment ago: one message is enough
            return
        try:
            self.run_id = self._open().record(result)
        except HistoryError as exc:
            self.error = exc

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
