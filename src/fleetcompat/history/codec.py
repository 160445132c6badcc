"""A fleet result in the store's form and back: the result without its hosts as one compressed JSON document, and
one row per host whose cells are indices into that document's outcome table (as in the fleet result file).

Hosts are rows, not part of the document, so that a host's last known status is one indexed query and a run is
recorded without serialising 10,000 host objects twice."""

from __future__ import annotations

import datetime
import json
import zlib
from dataclasses import dataclass
from typing import Any

from fleetcompat.history.interface import HistoryError
from fleetcompat.results.fleet import Cell, FleetResult, FleetResultError, HostStatus, Status, cell_to_dict

_COMPRESSION = 1  # the documents are repetitive: level 1 already shrinks them ~10×, at a fraction of level 6's time


@dataclass(frozen=True, slots=True)
class EncodedRun:
    started_at: str
    started_epoch: float
    aliases: list[str]
    outcome_statuses: list[str]
    document: bytes  # zlib(JSON), the fleet result without "hosts"
    host_rows: list[tuple[int, str, str, str | None, str, str | None, str]]  # position, name, status, reason,
    # groups (JSON), profile, cells ("3,0,7": outcome index per alias)
    image_rows: list[tuple[int, str, str, str | None, int, int, int, int, int]]  # position, alias, reference,
    # spec digest, then hosts by status: compatible, incompatible, unreachable, error, no-spec
    unreachable: int
    incompatible_cells: int


def epoch(started_at: str) -> float:
    """Seconds since the epoch of an RFC 3339 time (a time without offset is UTC)."""
    try:
        when = datetime.datetime.fromisoformat(started_at)
    except ValueError:
        raise HistoryError(f"the run's startedAt {started_at!r} is not an RFC 3339 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp()


# The run_images columns of hosts by status, in their SQL order.
IMAGE_COLUMNS = (Status.COMPATIBLE, Status.INCOMPATIBLE, Status.UNREACHABLE, Status.ERROR, Status.NO_SPEC,
                 Status.WAIVED)


def encode(result: FleetResult) -> EncodedRun:
    aliases = result.aliases()
    outcome_index: dict[Cell, int] = {}
    # Cells share their Cell objects (the builder and the loader intern them): looking them up by identity
    # first hashes each distinct outcome once instead of 200,000 times (an outcome's hash walks all its rules).
    index_by_id: dict[int, str] = {}
    groups_text: dict[tuple[str, ...], str] = {}
    profiles: dict[str, dict[str, Any]] = {}
    host_rows = []
    unreachable = 0
    counts = {alias: dict.fromkeys(Status, 0) for alias in aliases}
    for position, host in enumerate(result.hosts):
        cells = []
        for alias in aliases:
            outcome = host.outcomes[alias]
            index = index_by_id.get(id(outcome))
            if index is None:
                index = index_by_id[id(outcome)] = str(outcome_index.setdefault(outcome, len(outcome_index)))
            cells.append(index)
            counts[alias][outcome.status] += 1
        if host.profile is not None and host.profile not in profiles:
            profiles[host.profile] = {"summary": host.summary}
        unreachable += host.status is HostStatus.UNREACHABLE
        groups = groups_text.get(host.groups)
        if groups is None:
            groups = groups_text[host.groups] = json.dumps(host.groups, ensure_ascii=False)
        host_rows.append((position, host.name, str(host.status), host.reason, groups, host.profile, ",".join(cells)))
    # The document's head (schema, run, images) as the fleet result encodes it; hosts are rows instead.
    head = FleetResult(result.run, result.images, [], result.waivers).to_dict()
    head["profiles"] = profiles
    head["outcomes"] = [cell_to_dict(o) for o in outcome_index]
    del head["hosts"]
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    image_rows = [(position, image.alias, image.reference, image.spec_digest,
                   *(counts[image.alias][s] for s in IMAGE_COLUMNS))
                  for position, image in enumerate(result.images)]
    return EncodedRun(
        started_at=result.run.started_at, started_epoch=epoch(result.run.started_at), aliases=aliases,
        outcome_statuses=[str(o.status) for o in outcome_index], document=zlib.compress(text.encode(), _COMPRESSION),
        host_rows=host_rows, image_rows=image_rows, unreachable=unreachable,
        incompatible_cells=sum(c[Status.INCOMPATIBLE] for c in counts.values()),
    )


def decode(document: bytes, aliases: list[str], host_rows: list[tuple], where: str) -> FleetResult:
    """The fleet result again, validated like a result file (`host_rows`: name, status, reason, groups, profile,
    cells, in position order)."""
    try:
        doc = json.loads(zlib.decompress(document))
    except (zlib.error, ValueError) as exc:
        raise HistoryError(f"the stored document is damaged: {exc}", where=where) from None
    hosts = []
    for name, status, reason, groups, profile, cells in host_rows:
        indices = [int(c) for c in cells.split(",")] if cells else []
        hosts.append({"name": name, "groups": json.loads(groups), "status": status, "reason": reason,
                      "profile": profile, "images": dict(zip(aliases, indices, strict=True))})
    doc["hosts"] = hosts
    try:
        return FleetResult.from_dict(doc, where)
    except FleetResultError as exc:
        raise HistoryError(exc.message, where=exc.where) from None
