"""A Markdown summary for CI step summaries (GitHub `$GITHUB_STEP_SUMMARY`, GitLab MR notes).

Every data string is escaped: GitHub renders inline HTML in Markdown, so `<`, `>` and `&` become entities and
Markdown punctuation gets a backslash; newlines become spaces so a value cannot end a table row.
"""

from __future__ import annotations

from fleetcompat._format.interface import NO_CONTEXT, ReportContext
from fleetcompat._format.shared import cell_last_known, fixes, md, share
from fleetcompat.results.fleet import FleetResult, HostStatus, ProfileGroup, Status, summary_label

_MAX_ROWS = 25  # GitHub caps a step summary at 1 MiB; the HTML report has everything
_MAX_FAILING = 3


def _hosts(group: ProfileGroup) -> str:
    first = md(group.hosts[0].name)
    return first if len(group.hosts) == 1 else f"{len(group.hosts)} hosts ({first}, …)"


def _problems(result: FleetResult, group: ProfileGroup) -> str:
    if group.host_status is not HostStatus.OK:
        known = [f"**{md(image.alias)}**: {md(text)}" for image, outcome in zip(result.images, group.outcomes,
                                                                              strict=True)
                 if (text := cell_last_known(outcome, result.run.started_at))]
        return "<br>".join([md(f"{group.host_status}: {group.hosts[0].reason}"),
                            *(["last known:", *known] if known else [])])
    parts = []
    for image, outcome in zip(result.images, group.outcomes, strict=True):
        if outcome.status is Status.INCOMPATIBLE and outcome.reason:
            parts.append(f"**{md(image.alias)}**: {md(outcome.reason)}")
        elif outcome.status is Status.INCOMPATIBLE:
            rows = [r for rule in outcome.failing for r in rule.rows()]
            shown = "; ".join(f"{r.label} expected {r.expected}, has {r.actual}" for r in rows[:_MAX_FAILING])
            more = f"; +{len(rows) - _MAX_FAILING} more" if len(rows) > _MAX_FAILING else ""
            parts.append(f"**{md(image.alias)}**: {md(shown + more)}")
        elif outcome.status in (Status.ERROR, Status.NO_SPEC) and outcome.reason:
            parts.append(f"**{md(image.alias)}**: {md(f'{outcome.status}: {outcome.reason}')}")
    return "<br>".join(parts)


class MarkdownFormat:
    def render(self, result: FleetResult, context: ReportContext = NO_CONTEXT) -> str:
        n = len(result.hosts)
        run = result.run
        out = [f"## fleetcompat: {n} hosts × {len(result.images)} images", ""]
        meta = [f"run {md(run.started_at)}", f"{run.duration_s or 0:.1f}s", f"fleetcompat {md(run.tool_version)}"]
        if run.inventory:
            meta.append(f"inventory {md(run.inventory)}")
        if run.limit:
            meta.append(f"limit {md(run.limit)}")
        out.append(" · ".join(meta))
        if context.decision is not None:
            out += ["", f"**{md(context.decision.verdict)}**"]
        statuses = result.statuses()
        out += ["", "| image | " + " | ".join(str(s) for s in statuses) + " | compatible share |",
                "|---|" + "--:|" * (len(statuses) + 1)]
        for image in result.images:
            c = result.status_counts(image.alias)
            name = md(image.alias) + (f" ({md(image.spec_error)})" if image.spec_error else "")
            out.append(f"| {name} | " + " | ".join(str(c[s]) for s in statuses)
                       + f" | {share(c[Status.COMPATIBLE], n)} |")
        # Image-level problems (spec errors, no spec) are in the table above; here: what is wrong per host.
        troubled = [g for g in result.profile_groups() if g.host_status is not HostStatus.OK or any(
            o.status is Status.INCOMPATIBLE or (o.status in (Status.ERROR, Status.NO_SPEC) and o.reason)
            for o in g.outcomes)]
        if troubled:
            out += ["", "### Hardware profiles that cannot run every image", "",
                    "| hosts | hardware | why |", "|---|---|---|"]
            for group in troubled[:_MAX_ROWS]:
                label = summary_label(group.hosts[0].summary) if group.host_status is HostStatus.OK else "–"
                out.append(f"| {_hosts(group)} | {md(label)} | {_problems(result, group)} |")
            if len(troubled) > _MAX_ROWS:
                out.append(f"\n… and {len(troubled) - _MAX_ROWS} more profiles: see the HTML report.")
        found = fixes(result)
        if found:
            out += ["", "### What would fix it", "", "| image | hosts | closest set | hints |", "|---|---|---|---|"]
            for fix in found[:_MAX_ROWS]:
                hints = "<br>".join(f"*{h.hint_class}*: {md(h.text)}" for h in fix.remediation.hints)
                out.append(f"| {md(fix.alias)} | {md(fix.hosts_text())} | {md(fix.set_label)} | {hints} |")
            if len(found) > _MAX_ROWS:
                out.append(f"\n… and {len(found) - _MAX_ROWS} more: see the HTML report.")
        if result.waivers is not None:
            out += ["", f"### Waivers ({md(result.waivers.source)}, checked {md(result.waivers.date)})", "",
                    "| waiver | cells | justification |", "|---|--:|---|"]
            for entry in result.waivers.entries:
                state = f"**expired**, would cover {entry.cells}" if entry.expired else f"{entry.cells} waived"
                out.append(f"| {md(entry.describe())} | {state} | {md(entry.justification)} |")
        return "\n".join(out) + "\n"
