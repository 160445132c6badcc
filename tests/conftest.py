"""`fleetcompat audit` and playbooks/audit.yml record their runs in a history store by default (docs/history.md).
The tests' runs go to stores of their own, never into the user's ~/.local/share: one for the session (audits in
session-scoped fixtures) and one per test module, so that a module's unreachable hosts never get a last known
status from another module's runs. (Not per test: Hypothesis refuses function-scoped fixtures around its tests.)"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

_VARIABLES = ("XDG_DATA_HOME", "FLEETCOMPAT_HISTORY")


def _own_store(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[None]:
    saved = {variable: os.environ.get(variable) for variable in _VARIABLES}
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp(name))
    os.environ.pop("FLEETCOMPAT_HISTORY", None)
    yield
    for variable, value in saved.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value


@pytest.fixture(scope="session", autouse=True)
def _session_history_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield from _own_store(tmp_path_factory, "xdg-data-session")


@pytest.fixture(scope="module", autouse=True)
def _module_history_store(tmp_path_factory: pytest.TempPathFactory, _session_history_store: None) -> Iterator[None]:
    yield from _own_store(tmp_path_factory, "xdg-data")
