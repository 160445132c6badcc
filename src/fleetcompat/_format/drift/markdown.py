"""`fleetcompat diff --markdown`: a drift summary for CI step summaries and MR notes (data escaped as in the fleet
report's Markdown)."""

from __future__ import annotations

from fleetcompat._format.drift.interface import headline, verdict
from fleetcompat._format.drift.terminal import host_list
from fleetcompat._format.shared import md
from fleetcompat.drift.model import Drift

_MAX_ROWS = 50  # GitHub caps a step summary at 1 MiB; the JSON has every cell


class DriftMarkdownFormat:
    def render(self, drift: Drift) -> str:
        out = [f"## fleetcompat diff: {md(verdict(drift))}", "",
               f"run {md(drift.old_run.started_at)} → {md(drift.new_run.started_at)}: {md(headline(drift))}"]
        facts = [(label, names) for label, names in (
            ("hosts added", drift.hosts_added), ("hosts removed", drift.hosts_removed),
            ("images added", drift.images_added), ("images removed", drift.images_removed)) if names]
        facts += [(f"spec changed: {c.image}" + (f" ({c.platform})" if c.platform else ""),
                   (f"{c.old_digest} → {c.new_digest}",)) for c in drift.spec_changes]
        if facts:
            out.append("")
            out += [f"- {md(label)}: {md(host_list(names))}" for label, names in facts]
        groups = drift.groups()
        if groups:
            out += ["", "| change | image | hosts | causes |", "|---|---|---|---|"]
            for group in groups[:_MAX_ROWS]:
                causes = "<br>".join(md(str(c)) for c in group.causes) or "–"
                out.append(f"| **{md(group.kind)}** {md(group.old)} → {md(group.new)} | {md(group.image)} | "
                           f"{len(group.hosts)}: {md(host_list(group.hosts))} | {causes} |")
            if len(groups) > _MAX_ROWS:
                out.append(f"\n… and {len(groups) - _MAX_ROWS} more groups of changes: see the JSON.")
        return "\n".join(out) + "\n"
