"""fleetcompat's own JSON for one host × one spec: verdict, best set, every expression with the host's values."""

from __future__ import annotations

import json

from fleetcompat import __version__
from fleetcompat._format.interface import EvaluationContext
from fleetcompat.results.model import SpecEvaluation

SCHEMA_VERSION = "fleetcompat.evaluation/v1"


class JsonFormat:
    def render(self, evaluation: SpecEvaluation, context: EvaluationContext) -> str:
        doc = {
            "schema": SCHEMA_VERSION,
            "tool": f"fleetcompat {__version__}",
            "host": context.host,
            "spec": context.spec_origin,
            "tags": list(context.tags),
            **context.extra,
            **evaluation.to_dict(),
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
