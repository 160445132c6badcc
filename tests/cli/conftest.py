"""The CLI's own behaviour on a terminal: the real sshd lab of tests/fleet (node1, node2, node3, broken, down) for
the direct mode, and tests/merge's sliced synthetic fleets for `merge`."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.fleet.conftest import lab  # noqa: F401  (the session fixture, started by these tests too)

MERGE_TESTS = Path(__file__).resolve().parents[1] / "merge"
if str(MERGE_TESTS) not in sys.path:  # merge_parts (and through it tests/reports' fleet_synthetic)
    sys.path.insert(0, str(MERGE_TESTS))
