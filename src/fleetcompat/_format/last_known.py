"""An unreachable cell's last known status in words, "compatible 3 d ago", for every renderer. The age is counted
from the run's own start, so a report rendered again later says the same."""

from __future__ import annotations

import datetime

from fleetcompat.results.fleet import Cell, LastKnown


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


def outcome_last_known(outcome: Cell, run_started_at: str) -> str | None:
    """'compatible 3 d ago' for an unreachable cell whose host's last known status is in the result, else None."""
    return last_known_text(outcome.last_known, run_started_at) if outcome.last_known is not None else None
