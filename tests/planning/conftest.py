"""Planning tests: real host trees, extracted once (the headless Chromium fixtures come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.trees import TREES, extract


@pytest.fixture(scope="session")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("trees")
    return {name: extract(base, name) for name in TREES}
