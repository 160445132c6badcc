"""Planning tests: real host trees (extracted once) and the reports' headless Chromium fixtures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.planning.trees import TREES, extract

_REPORTS_CONFTEST = Path(__file__).resolve().parents[1] / "reports" / "conftest.py"
_spec = importlib.util.spec_from_file_location("tests_reports_conftest", _REPORTS_CONFTEST)
_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_reports)
browser, page = _reports.browser, _reports.page  # the same Chromium setup as tests/reports, not a copy


@pytest.fixture(scope="session")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("trees")
    return {name: extract(base, name) for name in TREES}
