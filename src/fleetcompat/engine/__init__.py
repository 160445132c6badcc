"""The NFD-exact rule engine and the verdicts built on it. Pure functions; no I/O."""

from fleetcompat.engine.batch import FleetEvaluator, ProfileKey
from fleetcompat.engine.evaluate import NoSetSelected, evaluate_spec, select_sets

__all__ = ["FleetEvaluator", "NoSetSelected", "ProfileKey", "evaluate_spec", "select_sets"]
