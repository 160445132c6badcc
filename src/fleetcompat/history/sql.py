"""What the SQLite and PostgreSQL stores share: the queries (written with `?` placeholders; a dialect may rewrite
them), migrations, transactions. A subclass opens the connection and names how to begin an exclusive
transaction and which database errors it turns into HistoryError."""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Iterator, Sequence
from typing import Any

from fleetcompat.history import codec
from fleetcompat.history.interface import HistoryError, RunSummary, TrendPoint
from fleetcompat.history.migrations import LATEST, MIGRATIONS
from fleetcompat.results.fleet import FleetResult, LastKnown, Status

_CHUNK = 500  # names per IN (...) query: far below both backends' parameter limits
_RUN_ORDER = "started_epoch DESC, id DESC"


class SqlHistoryStore:
    dialect: str  # a key of Migration.statements
    url: str
    database_errors: tuple[type[Exception], ...]

    def __init__(self, connection: Any, url: str) -> None:
        self._db = connection
        self.url = url
        self._migrate()

    # -- dialect hooks -------------------------------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text

    def _begin(self, exclusive: bool) -> None:
        raise NotImplementedError

    # -- plumbing ------------------------------------------------------------------------------------------------

    def _fail(self, exc: Exception) -> HistoryError:
        return HistoryError(f"history store: {' '.join(str(exc).split()) or type(exc).__name__}", where=self.url)

    @contextlib.contextmanager
    def _transaction(self, exclusive: bool = False) -> Iterator[None]:
        try:
            self._begin(exclusive)
            yield
            self._db.commit()
        except BaseException as exc:
            with contextlib.suppress(*self.database_errors):
                self._db.rollback()
            if isinstance(exc, self.database_errors):
                raise self._fail(exc) from None
            raise

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self._db.execute(self._sql(sql), tuple(params)).fetchall())

    def _migrate(self) -> None:
        with self._transaction(exclusive=True):
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                             "name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            applied = {row[0] for row in self._rows("SELECT version FROM schema_migrations")}
            newest = max(applied, default=0)
            if newest > LATEST:
                raise HistoryError(f"the history store has schema version {newest}, newer than this fleetcompat "
                                   f"knows ({LATEST}): upgrade fleetcompat, or choose another store with --history",
                                   where=self.url)
            for migration in MIGRATIONS:
                if migration.version in applied:
                    continue
                for statement in migration.statements[self.dialect]:
                    self._db.execute(statement)
                self._db.execute(self._sql("INSERT INTO schema_migrations (version, name, applied_at) "
                                           "VALUES (?, ?, ?)"), (migration.version, migration.name, _now()))

    def schema_version(self) -> int:
        with self._transaction():
            return self._rows("SELECT MAX(version) FROM schema_migrations")[0][0] or 0

    # -- the contract --------------------------------------------------------------------------------------------

    def record(self, result: FleetResult) -> int:
        run = codec.encode(result)
        with self._transaction():
            run_id = self._rows(
                "INSERT INTO runs (started_at, started_epoch, recorded_at, duration_s, tool, inventory, hosts, "
                "unreachable, images, incompatible_cells, aliases, outcome_statuses, document) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (run.started_at, run.started_epoch, _now(), result.run.duration_s,
                 f"fleetcompat {result.run.tool_version}", result.run.inventory, len(result.hosts), run.unreachable,
                 len(result.images), run.incompatible_cells, json.dumps(run.aliases),
                 json.dumps(run.outcome_statuses), run.document))[0][0]
            cursor = self._db.cursor()
            cursor.executemany(self._sql(
                "INSERT INTO run_images (run_id, position, alias, reference, spec_digest, compatible, incompatible, "
                "unreachable, error, no_spec, waived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                [(run_id, *row) for row in run.image_rows])
            cursor.executemany(self._sql(
                "INSERT INTO run_hosts (run_id, position, name, status, reason, groups, profile, cells) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"), [(run_id, *row) for row in run.host_rows])
        return run_id

    def runs(self, limit: int | None = None) -> list[RunSummary]:
        with self._transaction():
            rows = self._rows(
                "SELECT id, started_at, recorded_at, duration_s, hosts, unreachable, images, incompatible_cells, "
                f"inventory, tool FROM runs ORDER BY {_RUN_ORDER}" + (" LIMIT ?" if limit is not None else ""),
                (limit,) if limit is not None else ())
        return [RunSummary(*row) for row in rows]

    def last_id(self, before: str | None = None) -> int | None:
        where, params = ("", ()) if before is None else (" WHERE started_epoch < ?", (codec.epoch(before),))
        with self._transaction():
            rows = self._rows(f"SELECT id FROM runs{where} ORDER BY {_RUN_ORDER} LIMIT 1", params)
        return rows[0][0] if rows else None

    def load(self, run_id: int) -> FleetResult:
        with self._transaction():
            found = self._rows("SELECT document, aliases FROM runs WHERE id = ?", (run_id,))
            if not found:
                raise HistoryError(f"no run {run_id} in the history store (`fleetcompat history list`)",
                                   where=self.url)
            hosts = self._rows("SELECT name, status, reason, groups, profile, cells FROM run_hosts "
                               "WHERE run_id = ? ORDER BY position", (run_id,))
        document, aliases = found[0]
        return codec.decode(bytes(document), json.loads(aliases), hosts, f"{self.url}: run {run_id}")

    def last(self, before: str | None = None) -> FleetResult | None:
        run_id = self.last_id(before)
        return self.load(run_id) if run_id is not None else None

    def trend(self, aliases: list[str] | None = None, limit: int | None = None) -> list[TrendPoint]:
        where, params = [], []
        if aliases:
            where.append(f"i.alias IN ({', '.join('?' * len(aliases))})")
            params.extend(aliases)
        if limit is not None:
            where.append(f"r.id IN (SELECT id FROM runs ORDER BY {_RUN_ORDER} LIMIT ?)")
            params.append(limit)
        with self._transaction():
            rows = self._rows(
                "SELECT r.id, r.started_at, i.alias, i.spec_digest, r.hosts, i.compatible, i.incompatible, "
                "i.unreachable, i.error, i.no_spec, i.waived FROM run_images i JOIN runs r ON r.id = i.run_id"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY r.started_epoch, r.id, i.position", params)
        return [TrendPoint(*row) for row in rows]

    def last_known(self, hosts: list[str]) -> dict[str, dict[str, LastKnown]]:
        latest: dict[str, tuple[int, str]] = {}  # host -> (run id, cells) of its latest run with status ok
        with self._transaction():
            for start in range(0, len(hosts), _CHUNK):
                names = hosts[start:start + _CHUNK]
                latest.update((name, (run_id, cells)) for name, run_id, cells in self._rows(
                    "SELECT name, run_id, cells FROM (SELECT h.name, h.run_id, h.cells, ROW_NUMBER() OVER ("
                    f"PARTITION BY h.name ORDER BY r.started_epoch DESC, r.id DESC) AS n FROM run_hosts h JOIN runs r "
                    f"ON r.id = h.run_id WHERE h.status = 'ok' AND h.name IN ({', '.join('?' * len(names))})) "
                    "AS latest WHERE n = 1", names))
            run_ids = sorted({run_id for run_id, _ in latest.values()})
            runs = {}
            for start in range(0, len(run_ids), _CHUNK):
                ids = run_ids[start:start + _CHUNK]
                for run_id, started_at, aliases, statuses in self._rows(
                        "SELECT id, started_at, aliases, outcome_statuses FROM runs "
                        f"WHERE id IN ({', '.join('?' * len(ids))})", ids):
                    runs[run_id] = (started_at, json.loads(aliases), json.loads(statuses))
        known: dict[str, dict[str, LastKnown]] = {}
        for name, (run_id, cells) in latest.items():
            started_at, aliases, statuses = runs[run_id]
            known[name] = {alias: LastKnown(Status(statuses[int(index)]), started_at)
                           for alias, index in zip(aliases, cells.split(",") if cells else (), strict=True)}
        return known

    def close(self) -> None:
        with contextlib.suppress(*self.database_errors):
            self._db.close()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
