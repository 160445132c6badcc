"""`fleetcompat diff` for a terminal: what was added/removed, then each group of changed cells with its causes."""

from __future__ import annotations

from fleetcompat._format.drift.interface import headline, verdict
from fleetcompat._format.shared import clean
from fleetcompat._format.style import Style
from fleetcompat.drift.model import ChangeKind, Drift

_COLOUR = {ChangeKind.REGRESSION: "red", ChangeKind.UNDECIDED: "yellow", ChangeKind.IMPROVEMENT: "green",
           ChangeKind.CHANGED: "dim"}
_SHOWN_HOSTS = 5


def host_list(hosts: tuple[str, ...], shown: int = _SHOWN_HOSTS) -> str:
    names = ", ".join(hosts[:shown])
    return names + (f", +{len(hosts) - shown} more" if len(hosts) > shown else "")


class DriftTerminalFormat:
    def __init__(self, colour: bool = False) -> None:
        self.style = Style(colour)

    def render(self, drift: Drift) -> str:
        s = self.style
        out = [s(f"fleetcompat diff: run {drift.old_run.started_at} → {drift.new_run.started_at}: ", "bold")
               + headline(drift)]
        for label, names in (("hosts added", drift.hosts_added), ("hosts removed", drift.hosts_removed),
                             ("images added", drift.images_added), ("images removed", drift.images_removed)):
            if names:
                out.append(f"{label} ({len(names)}): {clean(host_list(names))}")
        for change in drift.spec_changes:
            where = f" ({change.platform})" if change.platform else ""
            out.append(clean(f"spec changed: {change.image}{where}: {change.old_digest} → {change.new_digest}"))
        for group in drift.groups():
            out.append("")
            out.append(s(f"{group.kind}", _COLOUR[group.kind]) + clean(
                f": {group.image}: {group.old} → {group.new} on {len(group.hosts)} host"
                f"{'s' if len(group.hosts) != 1 else ''} ({host_list(group.hosts)})"))
            out.extend(f"    {clean(str(cause))}" for cause in group.causes)
        out.append("")
        out.append(f"diff: {verdict(drift)}")
        return "\n".join(out) + "\n"
