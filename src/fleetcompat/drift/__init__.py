"""Drift between two fleet results (`fleetcompat diff`, `gate --baseline`, `report --baseline`).

`diff_results(old, new) -> Drift` is the library entry point; see `fleetcompat.drift.diff` for the causes it
finds and `fleetcompat.drift.model` for the result types.
"""

from fleetcompat.drift.diff import diff_results
from fleetcompat.drift.model import PASSING, Cause, CauseKind, CellChange, ChangeGroup, ChangeKind, Drift, SpecChange

__all__ = ["PASSING", "Cause", "CauseKind", "CellChange", "ChangeGroup", "ChangeKind", "Drift", "SpecChange",
           "diff_results"]
