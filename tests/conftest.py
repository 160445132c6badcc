"""Fixtures every test folder shares.

- A real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) for the HTML report tests
  (tests/reports, tests/drift, tests/planning): the fixtures live here rather than in each folder's conftest,
  because Playwright's sync API cannot start a second instance while one runs.
- History: `fleetcompat audit` and playbooks/audit.yml record their runs in a history store by default
  (docs/history.md). The tests' runs go to stores of their own, never into the user's ~/.local/share: one for the
  session (audits in session-scoped fixtures) and one per test module, so that a module's unreachable hosts never
  get a last known status from another module's runs. (Not per test: Hypothesis refuses function-scoped fixtures
  around its tests.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("FLEETCOMPAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


# Per module, not per session: tests/drift and tests/planning load these fixtures under their own names, and two
# Playwright sync instances cannot be alive at once in one thread.
@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test (it apt-installs chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class PageProblems(list):
    """Console errors, uncaught exceptions and any network request other than the report file itself."""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = PageProblems()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: None if r.url.startswith("file://") else problems.append(f"request {r.url}"))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


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
