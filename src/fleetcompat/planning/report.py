"""The what-if report: per step, the cells that flip in `diff` style (`-` a compatible cell lost, `+` one gained,
`~` any other change) with the cause of each flip, and the step's inhibitors; as text and as JSON."""

from __future__ import annotations

import json
from typing import Any

from fleetcompat._format.terminal import clean
from fleetcompat.drift import CellChange, ChangeKind, Drift
from fleetcompat.planning.whatif import WhatIf
from fleetcompat.results.fleet import Status

WHATIF_SCHEMA_ID = "fleetcompat.whatif/v1"
_MARK = {ChangeKind.REGRESSION: "-", ChangeKind.UNDECIDED: "-", ChangeKind.IMPROVEMENT: "+",
         ChangeKind.CHANGED: "~"}


def _line(change: CellChange) -> str:
    causes = "; ".join(str(c) for c in change.causes) or "(cause not recorded)"
    return clean(f"  {_MARK[change.kind]} {change.host}  {change.image}  {change.old} → {change.new}  ({causes})")


def _counts(drift: Drift) -> str:
    counts = drift.counts()
    parts = [f"{counts[k]} {k}{'s' if counts[k] != 1 else ''}" for k in ChangeKind if counts[k]]
    return ", ".join(parts) or "no cell flips"


def render_text(whatif: WhatIf, max_lines: int = 200) -> str:
    base = whatif.baseline
    compatible = sum(1 for h in base.hosts for o in h.outcomes.values() if o.status is Status.COMPATIBLE)
    out = [f"what-if: {len(base.hosts)} hosts × {len(base.images)} images; baseline {compatible} compatible cells"]
    for number, effect in enumerate(whatif.steps, 1):
        changes = ", ".join(c.describe() for c in effect.step.changes)
        inhibitors = effect.inhibitors()
        verdict = f"INHIBITED by {len(inhibitors)} cell{'s' if len(inhibitors) != 1 else ''}" if inhibitors else "ok"
        out.append("")
        out.append(clean(f"step {number}: {effect.step.name} [{verdict}]"))
        touched = len(effect.hosts_changed)
        out.append(clean(f"  changes: {changes}; {touched} host{'s' if touched != 1 else ''} changed; "
                         f"{_counts(effect.drift)}"))
        shown = sorted(effect.drift.cells, key=lambda c: (c.kind is not ChangeKind.REGRESSION, c.image, c.host))
        out.extend(_line(c) for c in shown[:max_lines])
        if len(shown) > max_lines:
            out.append(f"  … {len(shown) - max_lines} more flips (--json FILE has all)")
    if len(whatif.steps) > 1:
        out += ["", f"overall (baseline → after step {len(whatif.steps)}): {_counts(whatif.overall)}"]
    return "\n".join(out) + "\n"


def to_dict(whatif: WhatIf) -> dict[str, Any]:
    return {
        "schema": WHATIF_SCHEMA_ID,
        "steps": [{"name": e.step.name, "changes": [c.describe() for c in e.step.changes],
                   "hostsChanged": len(e.hosts_changed), "inhibitors": len(e.inhibitors()),
                   "drift": e.drift.to_dict()} for e in whatif.steps],
        "overall": whatif.overall.to_dict(),
    }


def render_json(whatif: WhatIf) -> str:
    return json.dumps(to_dict(whatif), ensure_ascii=False, indent=1) + "\n"
