"""The shared history store: PostgreSQL, for several controllers or AWX jobs writing one history. psycopg 3 is
imported only here, so only a postgresql:// URL needs it installed."""

from __future__ import annotations

from fleetcompat.history.interface import HistoryError
from fleetcompat.history.sql import SqlHistoryStore

CONNECT_TIMEOUT_S = 10
# pg_advisory_xact_lock key for migrations: any fixed 64-bit number, the same in every fleetcompat ("fcompat1").
_MIGRATION_LOCK = 0x6663_6F6D_7061_7431


class PostgresHistoryStore(SqlHistoryStore):
    dialect = "postgresql"

    def __init__(self, conninfo: str, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise HistoryError("a postgresql:// history needs psycopg 3: pip install 'psycopg[binary]'",
                               where=url) from None
        self.database_errors = (psycopg.Error,)
        try:
            connection = psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_S,
                                         application_name="fleetcompat")
        except psycopg.Error as exc:
            raise self._fail_connect(exc, url) from None
        try:
            super().__init__(connection, url)
        except BaseException:
            connection.close()
            raise

    @staticmethod
    def _fail_connect(exc: Exception, url: str) -> HistoryError:
        return HistoryError(f"cannot connect to the history database: {' '.join(str(exc).split())}", where=url)

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def _begin(self, exclusive: bool) -> None:
        # psycopg opens a transaction with the first statement; migrations first take a lock that every
        # controller migrating the same database waits for.
        if exclusive:
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
