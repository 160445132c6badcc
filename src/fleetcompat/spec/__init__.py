"""Image compatibility spec v1alpha1: model, strict parser and linter."""

from fleetcompat.spec.model import (
    ARTIFACT_TYPE,
    SPEC_MEDIA_TYPE,
    Compatibility,
    FeatureMatcherTerm,
    GroupRule,
    MatchExpression,
    Spec,
)
from fleetcompat.spec.parse import load_spec_file, parse_spec

__all__ = [
    "ARTIFACT_TYPE",
    "SPEC_MEDIA_TYPE",
    "Compatibility",
    "FeatureMatcherTerm",
    "GroupRule",
    "MatchExpression",
    "Spec",
    "load_spec_file",
    "parse_spec",
]
