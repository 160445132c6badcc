"""The contracts of the renderers: one evaluation (`fleetcompat validate --output ...`: `EvaluationFormat`) and a
whole fleet result (HTML, JUnit, Markdown, terminal, Prometheus: `FleetFormat`). Renderers only read what they
are given; they never evaluate nor decide. Helpers several fleet renderers share are in `shared.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from fleetcompat.results.model import SpecEvaluation
from fleetcompat.spec.model import Spec

if TYPE_CHECKING:
    from fleetcompat.drift.model import Drift
    from fleetcompat.results.fleet import FleetResult
    from fleetcompat.results.gate import Decision


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


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What a fleet report may show beside the result; each renderer uses what its format can show."""

    decision: Decision | None = None  # the gate's verdict over the result (HTML banner, Markdown verdict line)
    drift: Drift | None = None  # changes since a baseline (HTML "changed since" filter and cell markers)


NO_CONTEXT = ReportContext()


class FleetFormat(Protocol):
    def render(self, result: FleetResult, context: ReportContext = NO_CONTEXT) -> str:
        """Return the whole report as text (the caller writes it)."""
        ...
