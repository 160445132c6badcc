"""The fleet result: one document per audit run, hosts × images, produced by the audit and read by every renderer.

Producers call `FleetResultBuilder` (builder.py); renderers and the gate read `FleetResult` (model.py); codec.py
is the JSON form and schema.py its published schema and validation. This module is the package's face: import the
names below from `fleetcompat.results.fleet`. For a 10,000-host fleet the JSON
stays small because a host × image cell stores only an index into a shared `outcomes` table (identical outcomes
are stored once), an outcome keeps only the verdict, the best set and the failing expressions (expected vs actual),
and hardware summaries are stored once per hardware profile.

JSON shape (`schema/fleet-result-v1.json`, draft 2020-12):
    {"schema": "fleetcompat.fleet-result/v1", "run": {...}, "images": [...],
     "waivers": {...},  # optional: the waivers applied (results/waived.py); waived outcomes name their entry
     "profiles": {KEY: {"summary": {...}}}, "outcomes": [{"status": ..., ...}],
     "hosts": [{"name": ..., "groups": [...], "status": "ok", "reason": null, "profile": KEY,
                "images": {ALIAS: OUTCOME_INDEX}}]}
"""

from fleetcompat.results.fleet.builder import FleetResultBuilder, ProfilePieces, cell_from_evaluation
from fleetcompat.results.fleet.codec import cell_to_dict, dumps
from fleetcompat.results.fleet.model import (
    Cell,
    FailingExpression,
    FailingRule,
    FailingTerm,
    FleetResult,
    FleetResultError,
    HostResult,
    HostStatus,
    ImageInfo,
    LastKnown,
    PlatformSpec,
    PlatformStatus,
    ProfileGroup,
    RunMeta,
    RunPart,
    SetInfo,
    SpecStatus,
    Status,
    summary_label,
)
from fleetcompat.results.fleet.schema import SCHEMA_ID, schema

__all__ = [
    "SCHEMA_ID", "Cell", "FailingExpression", "FailingRule", "FailingTerm", "FleetResult",
    "FleetResultBuilder", "FleetResultError", "HostResult", "HostStatus", "ImageInfo", "LastKnown", "PlatformSpec",
    "PlatformStatus", "ProfileGroup", "ProfilePieces", "RunMeta", "RunPart", "SetInfo", "SpecStatus", "Status",
    "cell_from_evaluation", "cell_to_dict", "dumps", "schema", "summary_label",
]
