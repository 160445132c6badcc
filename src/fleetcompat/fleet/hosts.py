"""Host records: one audited host as the gather step left it, and the adapters that make one from each source.

Every way fleetcompat learns about a host ends here, so the statuses and reasons read the same whichever route
a run took: a features file (`fleetcompat audit --features`), the direct SSH mode (`--host/--hosts`), the play's
own gather and compat results (the collection's `fleet_report`), and cached facts (`audit --facts-cache`, the
collection's `cached_fleet_report`). A host is never dropped: what could not be read becomes its error.

Cached facts: the gather stage (`playbooks/gather.yml`) leaves per host, as cacheable facts: `node_features_packed` (the
features as one compact string, `fleetcompat.hostfeatures.packed`; `node_features` when gathered unpacked) and
`node_features_summary` when gathering worked, and always `fleetcompat_gathered`, what the last attempt found:
`{"at": RFC 3339, "status": "ok" | "unreachable" | "error", "reason": str, "featuresAt": RFC 3339 | null}`
(`featuresAt`: when the cached features were gathered). The last attempt decides the host's status, so a host
that was unreachable in the latest gather is reported unreachable, not with last month's features; every
status other than ok says how old what is known is.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetcompat.errors import FeaturesError, FleetcompatError
from fleetcompat.features import load_features_file
from fleetcompat.features.load import parse_features_document
from fleetcompat.features.model import Features
from fleetcompat.hostfeatures.packed import PackedFeaturesError, unpack
from fleetcompat.limits import FEATURES_BYTES
from fleetcompat.results.fleet import HostStatus

if TYPE_CHECKING:
    from fleetcompat.remote.options import RemoteHost

@dataclass(slots=True)
class HostRecord:
    """One audited host as the gather step left it."""

    name: str
    status: HostStatus = HostStatus.OK
    reason: str | None = None  # why unreachable / why gathering failed
    features: Features | None = None
    summary: dict[str, Any] | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)


def record_from_features_file(path: str) -> HostRecord:
    """`audit --features FILE`: the host is named after the file."""
    name = Path(path).name.split(".")[0]
    try:
        return HostRecord(name, features=load_features_file(path))
    except FeaturesError as exc:
        return HostRecord(name, HostStatus.ERROR, str(exc))


def record_from_remote(host: RemoteHost) -> HostRecord:
    """A host of the direct SSH mode, as `fleetcompat.remote.ssh.gather_hosts` left it."""
    if host.status is not HostStatus.OK:
        return HostRecord(host.name, host.status, host.reason)
    try:
        features = parse_features_document(host.features, f"{host.name}: gathered features")
    except FeaturesError as exc:
        return HostRecord(host.name, HostStatus.ERROR, str(exc))
    return HostRecord(host.name, features=features, summary=host.summary)


def _first_line(text: Any, default: str) -> str:
    """The first line of a message a host or task left (`default` when it left none)."""
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else default


def _task_message(result: Mapping[str, Any], default: str) -> str:
    return _first_line(result.get("msg") or result.get("reason"), default)


@dataclass(frozen=True, slots=True)
class PlayVariables:
    """Where a play left a host's gather result, compat result and facts (the fleet_report task's options)."""

    gather_result: str  # the registered result of the gather task
    compat_result: str  # the registered result of the image_compat task
    features_fact: str
    summary_fact: str


def record_from_play(name: str, variables: Mapping[str, Any] | None, names: PlayVariables,
                     plain: Callable[[Any], Any]) -> tuple[HostRecord, dict[str, Any] | None]:
    """The host's status and features from its variables in a play (unreachable / error / ok, never dropped),
    and the per-image entries its compat task left (None when it has none). `plain` turns Ansible's containers
    into plain JSON types; it is applied only to what is read."""
    if not isinstance(variables, Mapping):
        return HostRecord(name, HostStatus.ERROR, "not in the inventory"), None
    gathered = plain(variables.get(names.gather_result) or {})
    if not gathered:
        return HostRecord(name, HostStatus.ERROR, "not gathered (the host failed or was left out "
                                                  "before fleetcompat's gather step)"), None
    if gathered.get("unreachable"):
        return HostRecord(name, HostStatus.UNREACHABLE, _task_message(gathered, "unreachable")), None
    timedout = gathered.get("timedout")  # node_features' deadline on the host, or the task's timeout
    if isinstance(timedout, Mapping):
        return HostRecord(name, HostStatus.ERROR, f"gather timed out after {timedout.get('period')} s"), None
    if gathered.get("failed"):
        return HostRecord(name, HostStatus.ERROR, "gathering failed: " + _task_message(gathered, "failed")), None
    facts = variables.get("ansible_facts") or {}
    features = facts.get(names.features_fact)
    if features is None:
        return HostRecord(name, HostStatus.ERROR, f"no {names.features_fact} fact after gathering"), None
    summary = facts.get(names.summary_fact, gathered.get(names.summary_fact))
    try:
        parsed = parse_features_document(plain(features), f"{name}: {names.features_fact}")
    except FleetcompatError as exc:
        return HostRecord(name, HostStatus.ERROR, str(exc).splitlines()[0] if str(exc) else type(exc).__name__), None
    compat = plain(variables.get(names.compat_result) or {})
    if compat.get("failed"):
        return HostRecord(name, HostStatus.ERROR, "evaluation failed: " + _task_message(compat, "failed")), None
    record = HostRecord(name, HostStatus.OK, None, parsed, plain(summary) if summary else None,
                        tuple(variables.get("group_names") or ()))
    return record, compat.get("images")


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
        reason = _first_line(attempt.get("reason"), str(status))[:500]
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
