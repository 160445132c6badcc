"""For every test: `fleetcompat audit` records its runs in a history store by default (docs/history.md); the
tests' runs go to a store of this session, never into the user's ~/.local/share."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _session_history_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "FLEETCOMPAT_HISTORY")}
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    os.environ.pop("FLEETCOMPAT_HISTORY", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
