"""Helpers of the history tests (a module of its own: every test folder's conftest is named "conftest")."""

from __future__ import annotations

import concurrent.futures
import datetime
import importlib.util
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]

# The HTML tests' Chromium binary and flags (both folders' conftest module is named "conftest": load it by path).
_spec = importlib.util.spec_from_file_location("tests_browser_settings", TESTS / "conftest.py")
_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_reports)


def in_chromium[T](url: str, action: Callable[[Any], T]) -> tuple[T, list[str]]:
    """`action(page)` on `url` in a real headless Chromium, with the page's errors and any network request.

    It runs in a thread of its own: tests/reports keeps a session-wide Playwright on the main thread, and
    Playwright's sync API cannot start a second one on a thread that has one running."""

    def run() -> tuple[T, list[str]]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=_reports.CHROMIUM, args=_reports.CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                problems: list[str] = []
                page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("request", lambda r: None if r.url.startswith("file://") else problems.append(r.url))
                page.goto(url)
                page.wait_for_selector("html[data-ready]")
                return action(page), problems
            finally:
                browser.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=120)


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on: an SSH target there is unreachable (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rfc3339(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
