"""Which history store a URL names, and the default one.

- `sqlite:///ABSOLUTE/PATH` (what follows `sqlite://` is the path; it must be absolute, so a relative path is
  not silently resolved against whatever directory a CI job happens to run in),
- `postgresql://[user[:password]@]host[:port]/database[?options]` (also `postgres://`; libpq's URI form, so
  `sslmode=`, `PGPASSWORD`, `~/.pgpass` and `PGSERVICE` work as for psql),
- default: `$XDG_DATA_HOME/fleetcompat/history.db`, else `~/.local/share/fleetcompat/history.db`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fleetcompat.history.interface import HistoryError, HistoryStore

ENVIRONMENT_VARIABLE = "FLEETCOMPAT_HISTORY"


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec: a relative value is invalid and is ignored.
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "fleetcompat" / "history.db"


def default_url() -> str:
    return os.environ.get(ENVIRONMENT_VARIABLE) or f"sqlite://{default_path()}"


def redact(url: str) -> str:
    """The URL for messages: a password is replaced by `***`."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
    except ValueError:
        return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def open_store(url: str | None = None) -> HistoryStore:
    """The store `url` names (None: the default). HistoryError, one line, for anything unusable."""
    url = url if url is not None else default_url()
    shown = redact(url)
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "sqlite":
        if not url.startswith("sqlite://"):
            raise HistoryError("expected sqlite:///ABSOLUTE/PATH", where=shown)
        path = url[len("sqlite://"):]
        if "\x00" in path or not path.startswith("/"):
            raise HistoryError("a sqlite URL needs an absolute path: sqlite:///ABSOLUTE/PATH", where=shown)
        from fleetcompat.history.sqlite import SqliteHistoryStore

        return SqliteHistoryStore(Path(path), shown)
    if scheme in ("postgresql", "postgres"):
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
        except ValueError as exc:
            raise HistoryError(f"not a valid postgresql URL: {exc}", where=shown) from None
        if "\x00" in url or (not parts.netloc and not parts.path.strip("/") and not parts.query):
            raise HistoryError("not a valid postgresql URL: expected postgresql://[USER@]HOST[:PORT]/DATABASE",
                               where=shown)
        from fleetcompat.history.postgresql import PostgresHistoryStore

        return PostgresHistoryStore(url, shown)
    raise HistoryError("unknown history URL: expected sqlite:///ABSOLUTE/PATH or postgresql://HOST/DATABASE",
                       where=shown)
