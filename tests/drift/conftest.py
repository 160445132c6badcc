"""Fleets for the drift, baseline and waiver tests: built like the audit builds them (real specs, real
`evaluate_spec`, the builder API), from tests/reports/fleet_synthetic.py's hardware profiles."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "reports"))  # fleet_synthetic: the fleets the report tests use
sys.path.insert(0, str(TESTS / "hostile"))  # hostile_support: the child-process CLI runner and special files

# The report tests' real headless Chromium (browser/page fixtures), not a second copy: loaded under its own name,
# since both files are called conftest.
_spec = importlib.util.spec_from_file_location("reports_browser_fixtures", TESTS / "reports" / "conftest.py")
_browser = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_browser)
browser, page, artifacts = _browser.browser, _browser.page, _browser.artifacts
