"""One host's record from its cached facts, for the report stage that contacts no host.

The gather stage (`playbooks/gather.yml`) leaves per host, as cacheable facts: `node_features_packed` (the
features as one compact string, `fleetcompat.hostfeatures.packed`; `node_features` when gathered unpacked) and
`node_features_summary` when gathering worked, and always `fleetcompat_gathered`, what the last attempt found:
`{"at": RFC 3339, "status": "ok" | "unreachable" | "error", "reason": str, "featuresAt": RFC 3339 | null}`
(`featuresAt`: when the cached features were gathered). The last attempt decides the host's status, so a host
that was unreachable in the latest gather is reported unreachable, not with last month's features; every
status other than ok says how old what is known is. `fleetcompat audit --facts-cache` and the collection's
`cached_fleet_report` both build their host records here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from fleetcompat.errors import FeaturesError
from fleetcompat.features.load import parse_features_document
from fleetcompat.features.model import Features
from fleetcompat.fleet.report import HostRecord
from fleetcompat.hostfeatures.packed import PackedFeaturesError, unpack
from fleetcompat.limits import FEATURES_BYTES
from fleetcompat.results.fleet import HostStatus

FEATURES_FACT = "node_features"
PACKED_FACT = "node_features_packed"
SUMMARY_FACT = "node_features_summary"
GATHERED_FACT = "fleetcompat_gathered"
NEVER_GATHERED = ("no cached facts: never gathered, or the cache entry expired "
                  "(run playbooks/gather.yml with the same fact cache)")


def _time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)


def age(value: Any, now: datetime.datetime) -> str:
    """`2026-05-04T10:00:00Z (3 h ago)`; `unknown time` for a missing or unreadable time."""
    when = _time(value)
    if when is None:
        return "unknown time"
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{value} ({seconds // size} {unit} ago)"
    return f"{value} ({seconds} s ago)"


def _packed_features(packed: Any, where: str, seen: dict[str, Features]) -> Features:
    """Unpacked and checked once per distinct packed value (`seen`: per run; identical hosts share one)."""
    features = seen.get(packed) if isinstance(packed, str) else None
    if features is None:
        try:
            document = unpack(packed, FEATURES_BYTES.value())
        except PackedFeaturesError as exc:
            raise FeaturesError(str(exc), where=where) from None
        features = seen[packed] = parse_features_document(document, where)
    return features


def record_from_facts(name: str, facts: Mapping[str, Any] | None, where: str, now: datetime.datetime,
                      groups: Sequence[str] = (), seen: dict[str, Features] | None = None) -> HostRecord:
    """The host as its cached facts describe it; never dropped (no facts: `unreachable`, nothing is known).
    `seen`: packed features already unpacked in this run."""
    if not facts:
        return HostRecord(name, HostStatus.UNREACHABLE, NEVER_GATHERED, groups=tuple(groups))
    packed = facts.get(PACKED_FACT)
    features = packed if packed is not None else facts.get(FEATURES_FACT)
    attempt = facts.get(GATHERED_FACT)
    if isinstance(attempt, Mapping) and attempt.get("status") in (HostStatus.UNREACHABLE, HostStatus.ERROR):
        known = (f"features cached from {age(attempt.get('featuresAt'), now)}" if features is not None
                 else "no features cached")
        status = HostStatus(attempt["status"])
        reason = (str(attempt.get("reason") or "").strip().splitlines() or [str(status)])[0][:500]
        if status is HostStatus.ERROR:
            reason = f"gathering failed: {reason}"
        return HostRecord(name, status, f"{reason} (last gather attempt {age(attempt.get('at'), now)}; {known})",
                          groups=tuple(groups))
    if features is None:
        return HostRecord(name, HostStatus.ERROR,
                          f"no {FEATURES_FACT} fact cached (gather with fleetcompat.audit.node_features)",
                          groups=tuple(groups))
    try:
        if packed is not None:
            parsed = _packed_features(packed, f"{where}: {name}: {PACKED_FACT}", {} if seen is None else seen)
        else:
            parsed = parse_features_document(features, f"{where}: {name}: {FEATURES_FACT}")
    except FeaturesError as exc:
        return HostRecord(name, HostStatus.ERROR, str(exc), groups=tuple(groups))
    summary = facts.get(SUMMARY_FACT)
    return HostRecord(name, HostStatus.OK, None, parsed, dict(summary) if isinstance(summary, Mapping) else None,
                      tuple(groups))
