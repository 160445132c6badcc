"""Fleets for the drift, baseline and waiver tests: built like the audit builds them (real specs, real
`evaluate_spec`, the builder API), from tests/reports/fleet_synthetic.py's hardware profiles."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
