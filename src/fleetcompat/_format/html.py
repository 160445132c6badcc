"""One self-contained HTML report (no network, opens from a CI artifact): summary with inline SVG bars, the fleet
matrix with hosts collapsed by hardware profile and outcomes, client-side filters, sorting and drill-down.

Safety: Jinja2 autoescapes every data string in the markup. The matrix data travels as JSON inside
<script type="application/json"> with <, >, & and U+2028/9 escaped, so no string can close the element; the page's
script reads it with JSON.parse and builds the DOM with textContent. A Content-Security-Policy allows only the
page's own script (by hash), so even a mistake here would not run injected code.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from fleetcompat._format.interface import NO_CONTEXT, ReportContext
from fleetcompat._format.nfd_json import go_json
from fleetcompat._format.shared import age, group_label, share
from fleetcompat.results.fleet import (
    Cell,
    FleetResult,
    HostStatus,
    ProfileGroup,
    SetInfo,
    Status,
    summary_label,
)

if TYPE_CHECKING:
    from fleetcompat.drift.model import Drift


_SHOWN_REASONS = 5  # per image in the summary table; the drill-down has every cell's reason


@dataclass(frozen=True, slots=True)
class Segment:
    status: str
    count: int
    start: float  # fractions of the bar
    fraction: float


def segments(counts: dict, total: int) -> list[Segment]:
    out, start = [], 0.0
    for status, count in counts.items():
        fraction = count / total if total else 0.0
        out.append(Segment(str(status), count, start, fraction))
        start += fraction
    return out


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("fleetcompat._format", "templates"), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True)


@cache
def _asset(name: str) -> str:
    return resources.files("fleetcompat._format").joinpath("templates", name).read_text(encoding="utf-8")


def _outcome_payload(outcome: Cell, run_started_at: str) -> dict[str, Any]:
    out = {
        "s": str(outcome.status), "b": outcome.best_set, "r": outcome.reason, "p": outcome.platform,
        "f": [[rule.set_index, rule.rule, [[r.label, r.expected, r.actual, r.note] for r in rule.rows()]]
              for rule in outcome.failing],
        "h": None if outcome.remediation is None else [
            outcome.remediation.set_index, outcome.remediation.failing,
            [[str(h.hint_class), h.text] for h in outcome.remediation.hints]],
        **({"os": str(outcome.original), "w": outcome.waiver} if outcome.original is not None else {}),
    }
    if outcome.last_known is not None:  # [status, age, run time] of an unreachable cell's last known status
        out["k"] = [str(outcome.last_known.status), age(outcome.last_known.at, run_started_at), outcome.last_known.at]
    return out


def _drift_payload(result: FleetResult, drift: Drift, rows: list[dict[str, Any]],
                   groups: list[ProfileGroup]) -> dict[str, Any]:
    """Per row, the changed cells of its members (`d`: image index -> [[member index, change index], ...]); the
    distinct changes (old, new, kind, causes) once, in `drift.changes`."""
    change_index: dict[tuple, int] = {}
    aliases = result.aliases()
    for row, group in zip(rows, groups, strict=True):
        cells: dict[str, list[list[int]]] = {}
        for member, host in enumerate(group.hosts):
            for i, alias in enumerate(aliases):
                change = drift.cell(host.name, alias)
                if change is not None:
                    key = (str(change.old), str(change.new), str(change.kind), tuple(map(str, change.causes)))
                    cells.setdefault(str(i), []).append([member, change_index.setdefault(key, len(change_index))])
        if cells:
            row["d"] = cells
    return {"baseline": drift.old_run.started_at, "changes": [[*key[:3], list(key[3])] for key in change_index]}


def _sets(sets: tuple[SetInfo, ...]) -> list[dict[str, Any]]:
    return [{"index": s.index, "weight": s.weight, "tag": s.tag, "description": s.description} for s in sets]


def payload(result: FleetResult, drift: Drift | None = None) -> dict[str, Any]:
    """What the page's script reads: profile groups with their members, interned outcomes and summaries."""
    outcome_index: dict[Cell, int] = {}
    profile_index: dict[str, int] = {}
    profiles: list[dict[str, Any]] = []
    group_index: dict[str, int] = {}
    rows = []
    profile_groups = result.profile_groups()
    for group in profile_groups:
        first = group.hosts[0]
        if group.profile is not None and group.profile not in profile_index:
            profile_index[group.profile] = len(profiles)
            profiles.append({"l": summary_label(first.summary), "s": first.summary})
        members = [[h.name, [group_index.setdefault(g, len(group_index)) for g in h.groups],
                    h.reason if group.host_status is not HostStatus.OK else None] for h in group.hosts]
        row = {
            "p": profile_index[group.profile] if group.profile is not None else -1,
            "hs": str(group.host_status),
            "o": [outcome_index.setdefault(o, len(outcome_index)) for o in group.outcomes],
            "m": members,
        }
        if group.profile is None:
            row["l"] = group_label(group)
        rows.append(row)
    images = [{"alias": i.alias, "reference": i.reference, "digest": i.digest, "specDigest": i.spec_digest,
               "specSource": i.spec_source, "specStatus": str(i.spec_status), "specError": i.spec_error,
               "sets": _sets(i.sets),
               "platforms": [{"platform": p.platform, "status": str(p.status), "subject": p.subject,
                              "specDigest": p.spec_digest, "specSource": p.spec_source, "reason": p.reason,
                              "sets": _sets(p.sets)} for p in i.platforms]} for i in result.images]
    outcomes = [_outcome_payload(o, result.run.started_at) for o in outcome_index]
    out = {"images": images, "outcomes": outcomes, "profiles": profiles, "groups": list(group_index), "rows": rows}
    if result.waivers is not None:
        out["waivers"] = [w.to_dict() for w in result.waivers.entries]
    if drift is not None:
        out["drift"] = _drift_payload(result, drift, rows, profile_groups)
    return out


class HtmlFormat:
    def render(self, result: FleetResult, context: ReportContext = NO_CONTEXT) -> str:
        """The context's drift (from the report's baseline) adds the "changed since baseline" filter and cell
        markers; its decision, the verdict banner."""
        data = payload(result, context.drift)
        js = _asset("report.js")
        script_hash = "sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()
        n = len(result.hosts)
        image_rows = []
        for image in result.images:
            counts = result.status_counts(image.alias)
            image_rows.append({"image": image, "segments": segments(counts, n),
                               "counts": [counts[s] for s in result.statuses()],
                               "share": share(counts[Status.COMPATIBLE], n),
                               "reasons": list(result.outcome_reasons(image.alias).items())[:_SHOWN_REASONS]})
        return _environment().get_template("report.html.j2").render(
            result=result,
            decision=context.decision,
            statuses=[str(s) for s in result.statuses()],
            drift=context.drift,
            host_segments=segments(result.host_status_counts(), n),
            image_rows=image_rows,
            inventory_groups=data["groups"],
            # Our own code, not data: inserted verbatim. The JSON is escaped for a <script> element by go_json.
            css=Markup(_asset("report.css")),
            js=Markup(js),
            script_hash=script_hash,
            data_json=Markup(go_json(data)),
        )
