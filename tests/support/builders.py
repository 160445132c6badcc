"""Build features and specs for unit tests from compact Python/YAML."""

from __future__ import annotations

import textwrap

from fleetcompat.features.model import Features
from fleetcompat.spec import parse_spec


def features(flags=None, attrs=None, instances=None) -> Features:
    """Features from plain Python: flags {name: [keys]}, attrs {name: {k: v}}, instances {name: [{k: v}]}."""
    return Features(
        flags={k: {e: {} for e in v} for k, v in (flags or {}).items()},
        attributes={k: dict(v) for k, v in (attrs or {}).items()},
        instances={k: [dict(i) for i in v] for k, v in (instances or {}).items()},
    )


def spec(yaml_text: str, source: str = "spec.yaml"):
    return parse_spec(textwrap.dedent(yaml_text), source)
