"""`fleetcompat diff --json`: every changed cell with its causes (schema `fleetcompat.drift/v1`)."""

from __future__ import annotations

import json

from fleetcompat.drift.model import Drift


class DriftJsonFormat:
    def render(self, drift: Drift) -> str:
        return json.dumps(drift.to_dict(), ensure_ascii=False, indent=1) + "\n"
