"""The embedded history store: one SQLite file (stdlib `sqlite3`), no server.

The file is checked before SQLite opens it: it must be a regular file (a FIFO would block SQLite forever, a
device is not ours to write) and either empty or an SQLite database (SQLite's own message for anything else comes
only at the first query and says less). Concurrent audits on one controller serialise on SQLite's lock (waiting
up to `BUSY_TIMEOUT_S`)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from fleetcompat.history.interface import HistoryError
from fleetcompat.history.sql import SqlHistoryStore

BUSY_TIMEOUT_S = 30.0
_HEADER = b"SQLite format 3\x00"


def _check_file(path: Path, url: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # created by SQLite
    except OSError as exc:
        raise HistoryError(f"cannot open the history database: {exc.strerror}", where=url) from None
    except ValueError:  # a NUL byte in the name
        raise HistoryError("cannot open the history database: not a valid file name", where=repr(url)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise HistoryError("the history database is not a regular file (a FIFO, device, socket or directory)",
                               where=url)
        head = os.read(fd, len(_HEADER)) if info.st_size else b""
    finally:
        os.close(fd)
    if head and head != _HEADER:
        raise HistoryError("not an SQLite database (choose another file with --history sqlite:///PATH)", where=url)


class SqliteHistoryStore(SqlHistoryStore):
    dialect = "sqlite"
    database_errors = (sqlite3.Error,)

    def __init__(self, path: Path, url: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise HistoryError(f"cannot create the history directory: {exc.strerror}", where=url) from None
        _check_file(path, url)
        try:
            # isolation_level=None: transactions are begun explicitly (_begin), so a migration can take the write
            # lock before it reads the schema version.
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the history database: {exc}", where=url) from None
        try:
            super().__init__(connection, url)
        except BaseException:
            connection.close()
            raise

    def _begin(self, exclusive: bool) -> None:
        self._db.execute("BEGIN IMMEDIATE" if exclusive else "BEGIN")
