"""Helpers of the history tests (a module of its own: every test folder's conftest is named "conftest")."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any


def open_report(page: Any, report: Path) -> None:
    """An HTML report in the shared headless Chromium page (tests/conftest.py), ready to be clicked."""
    page.goto(report.as_uri())
    page.wait_for_selector("html[data-ready]")


def rfc3339(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
