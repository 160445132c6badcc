"""Helpers several fleet renderers share, so that each says a thing the same way: escaping for a terminal and
for Markdown, shares, a profile group's label, an unreachable cell's last known status ("compatible 3 d ago",
counted from the run's own start so a report rendered again later says the same), and the remediation hints
gathered per image (hints were computed when the result was built; nothing here evaluates)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from fleetcompat.results.fleet import Cell, FleetResult, HostStatus, LastKnown, ProfileGroup, Status, summary_label
from fleetcompat.results.remediation import Remediation

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Data may hold terminal escape sequences (host names, errors); show them, do not let them act."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def group_label(group: ProfileGroup) -> str:
    if group.host_status is not HostStatus.OK:
        reasons = {h.reason for h in group.hosts}
        reason = group.hosts[0].reason if len(reasons) == 1 else f"{len(reasons)} different reasons"
        return clean(f"{group.host_status}: {reason}")
    return clean(summary_label(group.hosts[0].summary))


# Markdown punctuation that can start emphasis, code, links, tables cells or headings anywhere in a line.
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]#!|~])")


def md(text: object) -> str:
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCTUATION.sub(r"\\\1", re.sub(r"\s+", " ", escaped)).strip()


def parse_time(text: str) -> datetime.datetime | None:
    """An RFC 3339 time (UTC if it has no offset), or None."""
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)


def age(at: str, now: str) -> str:
    """'3 d ago', '5 h ago', '12 min ago' (the larger unit from 2 of it on); 'on AT' if a time is unreadable."""
    then, current = parse_time(at), parse_time(now)
    if then is None or current is None:
        return f"on {at}"
    seconds = max(0.0, (current - then).total_seconds())
    if seconds >= 2 * 86400:
        return f"{int(seconds // 86400)} d ago"
    if seconds >= 2 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 60)} min ago"


def last_known_text(last: LastKnown, run_started_at: str) -> str:
    return f"{last.status} {age(last.at, run_started_at)}"


def cell_last_known(outcome: Cell, run_started_at: str) -> str | None:
    """'compatible 3 d ago' for an unreachable cell whose host's last known status is in the result, else None."""
    return last_known_text(outcome.last_known, run_started_at) if outcome.last_known is not None else None


@dataclass(frozen=True, slots=True)
class Fix:
    alias: str
    remediation: Remediation
    hosts: tuple[str, ...]
    set_label: str  # "set #2 (weight 1, tag cpu)"

    def hosts_text(self, shown: int = 3) -> str:
        names = ", ".join(self.hosts[:shown])
        more = f", +{len(self.hosts) - shown} more" if len(self.hosts) > shown else ""
        return f"{len(self.hosts)} host{'s' if len(self.hosts) != 1 else ''} ({names}{more})"


def fixes(result: FleetResult) -> list[Fix]:
    """Every image's distinct remediations with their hosts; within an image, most hosts first."""
    out = []
    for image in result.images:
        members: dict[tuple[Remediation, str | None], list[str]] = {}
        for host in result.hosts:
            outcome = host.outcomes[image.alias]
            if host.status is HostStatus.OK and outcome.status is Status.INCOMPATIBLE and outcome.remediation:
                members.setdefault((outcome.remediation, outcome.platform), []).append(host.name)
        for (remediation, platform), hosts in sorted(members.items(), key=lambda item: -len(item[1])):
            info = image.set_info(remediation.set_index, platform)
            detail = f" (weight {info.weight}{', tag ' + info.tag if info.tag else ''})" if info else ""
            out.append(Fix(image.alias, remediation, tuple(hosts), f"set #{remediation.set_index + 1}{detail}"))
    return out
