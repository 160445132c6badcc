"""The what-if report: per step, the cells that flip in the style of `fleetcompat diff` (grouped by image, change
and causes, with the causes), and the step's inhibitors; as text and as JSON."""

from __future__ import annotations

import json
from typing import Any

from fleetcompat._format.drift.interface import headline
from fleetcompat._format.drift.terminal import host_list
from fleetcompat._format.shared import clean
from fleetcompat.planning.whatif import WhatIf
from fleetcompat.results.fleet import Status

WHATIF_SCHEMA_ID = "fleetcompat.whatif/v1"


def render_text(whatif: WhatIf, max_groups: int = 200) -> str:
    """Per step: its changes, then the cells that flip, grouped as `fleetcompat diff` groups them (image, change
    and causes; regressions first) with the causes below each group."""
    base = whatif.baseline
    compatible = sum(1 for h in base.hosts for o in h.outcomes.values() if o.status is Status.COMPATIBLE)
    out = [f"what-if: {len(base.hosts)} hosts × {len(base.images)} images; baseline {compatible} compatible cells"]
    for number, effect in enumerate(whatif.steps, 1):
        changes = ", ".join(c.describe() for c in effect.step.changes)
        inhibitors = effect.inhibitors()
        verdict = f"INHIBITED by {len(inhibitors)} cell{'s' if len(inhibitors) != 1 else ''}" if inhibitors else "ok"
        touched = len(effect.hosts_changed)
        out += ["", clean(f"step {number}: {effect.step.name} [{verdict}]"),
                clean(f"  changes: {changes}; {touched} host{'s' if touched != 1 else ''} changed; "
                      f"{headline(effect.drift)}")]
        groups = effect.drift.groups()
        for group in groups[:max_groups]:
            hosts = len(group.hosts)
            out.append(clean(f"  {group.kind}: {group.image}: {group.old} → {group.new} on {hosts} "
                             f"host{'s' if hosts != 1 else ''} ({host_list(group.hosts)})"))
            out.extend(f"      {clean(str(cause))}" for cause in group.causes)
        if len(groups) > max_groups:
            out.append(f"  … {len(groups) - max_groups} more groups of flips (--json FILE has every cell)")
    if len(whatif.steps) > 1:
        out += ["", f"overall (baseline → after step {len(whatif.steps)}): {headline(whatif.overall)}"]
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
