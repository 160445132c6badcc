"""Fleets for the drift, baseline and waiver tests: built like the audit builds them (real specs, real
`evaluate_spec`, the builder API), from tests/reports/fleet_synthetic.py's hardware profiles."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "reports"))  # fleet_synthetic: the fleets the report tests use
sys.path.insert(0, str(TESTS / "hostile"))  # hostile_support: the child-process CLI runner and special files
# The real headless Chromium (browser, page, artifacts) is tests/conftest.py's, shared with tests/reports.
