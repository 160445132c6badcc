"""The fleet matrix for a terminal: per-image counts, then hardware-profile groups × images."""

from __future__ import annotations

from tabulate import tabulate

from fleetcompat._format.interface import NO_CONTEXT, ReportContext
from fleetcompat._format.shared import age, clean, fixes, group_label, share
from fleetcompat._format.style import Style
from fleetcompat.results.fleet import FleetResult, HostStatus, ProfileGroup, Status

CELL = {
    Status.COMPATIBLE: ("ok", "green"),
    Status.INCOMPATIBLE: ("FAIL", "red"),
    Status.UNREACHABLE: ("unreach", "yellow"),
    Status.ERROR: ("ERROR", "yellow"),
    Status.NO_SPEC: ("no-spec", "dim"),
    Status.WAIVED: ("waived", "cyan"),
}


_SHOWN_NOTES = 3  # per image: the spec's problem and the commonest reasons of its cells


def group_hosts(group: ProfileGroup) -> str:
    first = clean(group.hosts[0].name)
    return first if len(group.hosts) == 1 else f"{len(group.hosts)} hosts: {first}, …"


def waiver_lines(result: FleetResult, s: Style) -> list[str]:
    """The waivers the result was checked against: what each waived, and which expired (they waive nothing)."""
    if result.waivers is None:
        return []
    lines = ["", s(f"waivers ({clean(result.waivers.source)}, checked {result.waivers.date})", "bold")]
    for entry in result.waivers.entries:
        state = s("EXPIRED", "red") + f" would cover {entry.cells}" if entry.expired else f"waives {entry.cells}"
        lines.append(f"  {state} cell{'s' if entry.cells != 1 else ''}: {clean(entry.describe())}"
                     f" — {clean(entry.justification)}")
    return lines


class TerminalFormat:
    def __init__(self, colour: bool = False, max_rows: int = 40) -> None:
        self.style = Style(colour)
        self.max_rows = max_rows

    def render(self, result: FleetResult, context: ReportContext = NO_CONTEXT) -> str:
        s = self.style
        hosts = result.host_status_counts()
        out = [s(f"fleetcompat: {len(result.hosts)} hosts × {len(result.images)} images", "bold")
               + f"  (run {result.run.started_at}, {result.run.duration_s or 0:.1f}s"
               + "".join(f", {n} {st}" for st, n in hosts.items() if n and st is not HostStatus.OK) + ")"]
        rows = []
        for image in result.images:
            counts = result.status_counts(image.alias)
            row = [clean(image.alias), *(counts[st] or "" for st in result.statuses()),
                   share(counts[Status.COMPATIBLE], len(result.hosts))]
            notes = [image.spec_error] if image.spec_error else []
            notes += [f"{n} host{'s' if n != 1 else ''}: {reason}"
                      for reason, n in result.outcome_reasons(image.alias).items()]
            row.append(clean("; ".join(notes[:_SHOWN_NOTES])
                             + (f"; +{len(notes) - _SHOWN_NOTES} more" if len(notes) > _SHOWN_NOTES else "")))
            rows.append(row)
        headers = ["image", *(str(st) for st in result.statuses()), "compatible share", "notes"]
        if not any(row[-1] for row in rows):
            headers.pop()
            rows = [row[:-1] for row in rows]
        out.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
        out += waiver_lines(result, s)
        groups = result.profile_groups()
        aliases = result.aliases()
        matrix = []
        for group in groups[:self.max_rows]:
            cells = [s(CELL[o.status][0] + (clean(f" · {CELL[o.last_known.status][0]} "
                                                  f"{age(o.last_known.at, result.run.started_at)}")
                                            if o.last_known else ""), CELL[o.status][1]) for o in group.outcomes]
            matrix.append([group_hosts(group), group_label(group), *cells])
        out.append("")
        profiles = f"{len(groups)} hardware profile" + ("s" if len(groups) != 1 else "")
        out.append(s(f"{profiles} (identical hardware and outcomes collapse into one row)", "bold"))
        out.append(tabulate(matrix, headers=["hosts", "hardware", *map(clean, aliases)], tablefmt="simple",
                            disable_numparse=True))
        if len(groups) > self.max_rows:
            out.append(f"… {len(groups) - self.max_rows} more profiles (see `fleetcompat report --html`)")
        out.extend(self._fixes(result))
        return "\n".join(out) + "\n"

    def _fixes(self, result: FleetResult) -> list[str]:
        """What would make the incompatible cells compatible: the closest set's hints, per image."""
        found = fixes(result)
        if not found:
            return []
        s = self.style
        out = ["", s("What would fix it (closest compatibility set; hints by class)", "bold")]
        for fix in found[:self.max_rows]:
            out.append(clean(f"{fix.alias}: {fix.hosts_text()}: {fix.set_label}, "
                             f"{fix.remediation.failing} failing expression(s)"))
            out.extend(clean(f"  [{h.hint_class}] {h.text}") for h in fix.remediation.hints)
        if len(found) > self.max_rows:
            out.append(f"… {len(found) - self.max_rows} more (see `fleetcompat report --html`)")
        return out
