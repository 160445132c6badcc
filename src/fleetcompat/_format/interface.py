"""The contract of a single-evaluation renderer (`fleetcompat validate --output ...`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from fleetcompat.results.model import SpecEvaluation
from fleetcompat.spec.model import Spec


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """What was evaluated, for the renderer's headings; the evaluation itself carries the results."""

    spec: Spec
    host: str
    spec_origin: str  # a file path or an image reference
    tags: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)


class EvaluationFormat(Protocol):
    def render(self, evaluation: SpecEvaluation, context: EvaluationContext) -> str:
        """Return the whole output as text (the caller writes it)."""
        ...
