"""History store tests: a REAL PostgreSQL server, installed by scripts/setup.sh (apt package `postgresql`) and
started here (initdb into a temp dir as an unprivileged user, pg_ctl on a free 127.0.0.1 port and a socket in that
dir, stopped at the end), one fresh database per test; the SQLite store in a temp file; synthetic fleets from
tests/support/fleet_synthetic.py."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.net import free_port


def _pg_bin(tool: str) -> str:
    """A PostgreSQL server program: on PATH, else the newest /usr/lib/postgresql/<version>/bin (Debian)."""
    found = shutil.which(tool)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                      if p.parent.name.isdigit() else 0)
    for folder in reversed(versions):
        if (folder / tool).exists():
            return str(folder / tool)
    pytest.fail(f"PostgreSQL's {tool} is missing: run scripts/setup.sh --test (it apt-installs postgresql)")


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as `postgres` (or `nobody`)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", _server_user(), "--", *command]


def _server_user() -> str:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.fail("no unprivileged user (postgres, nobody) to run PostgreSQL as")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The base URL (no database) of a PostgreSQL server running for this session."""
    root = Path(tempfile.mkdtemp(prefix="fleetcompat-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(_server_user())
        os.chown(root, user.pw_uid, user.pw_gid)
    data, port = root / "data", free_port()
    subprocess.run(_as_server_user([_pg_bin("initdb"), "-D", str(data), "-U", "fleetcompat", "-A", "trust",
                                    "-E", "UTF8", "--no-sync"]), check=True, capture_output=True, timeout=120)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=30"
    subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w",
                                    "-t", "60", "-o", options, "start"]), check=True, capture_output=True,
                   timeout=90)
    try:
        yield f"postgresql://fleetcompat@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server."""
    import psycopg

    name = f"history_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"{postgres_server}/{name}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests against both backends."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'history.db'}"
    return request.getfixturevalue("postgres_url")
