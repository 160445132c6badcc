"""`apply_waivers(result, waivers, today) -> FleetResult`: the result with every cell a valid waiver covers marked
`waived` (keeping its verdict and failing expressions) and the entries recorded in it.

An entry covers a cell when it names the cell's image (alias or reference) and host (name, glob or inventory
group), the cell's status is among its `statuses` (default: incompatible only), and, with `set` and/or `rule`,
the failures are that narrow: some set (the named one) fails only by the named rule. An entry applies through its
`expires` day; an expired one waives nothing but counts the cells it would have covered. The first entry that
covers a cell waives it. A result that was waived before is first restored, so applying is idempotent.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from fleetcompat.results.fleet import Cell, FleetResult, HostResult, ImageInfo, Status
from fleetcompat.results.waived import AppliedWaivers, WaiverRecord
from fleetcompat.waivers.model import Waiver, WaiverFile, load_waivers, parse_waivers
from fleetcompat.yamlsrc import LocatedDocument


def unwaived(outcome: Cell) -> Cell:
    if outcome.status is not Status.WAIVED or outcome.original is None:
        return outcome
    return replace(outcome, status=outcome.original, original=None, waiver=None)


def _set_matches(wanted: str | int, image: ImageInfo, outcome: Cell, index: int) -> bool:
    if isinstance(wanted, int):
        return index + 1 == wanted
    info = image.set_info(index, outcome.platform)
    return info is not None and wanted in (info.tag, info.description)


def covers(waiver: Waiver, image: ImageInfo, outcome: Cell) -> bool:
    """Whether `waiver` accepts this (unwaived) outcome of `image`; the host is checked by the caller."""
    if outcome.status not in waiver.statuses:
        return False
    if outcome.status is not Status.INCOMPATIBLE or (waiver.set is None and waiver.rule is None):
        return True
    failing_by_set: dict[int, list[str]] = {}
    for rule in outcome.failing:
        failing_by_set.setdefault(rule.set_index, []).append(rule.rule)
    return any((waiver.set is None or _set_matches(waiver.set, image, outcome, index))
               and (waiver.rule is None or all(name == waiver.rule for name in rules))
               for index, rules in failing_by_set.items())


def apply_waivers(result: FleetResult, waivers: WaiverFile, today: datetime.date) -> FleetResult:
    entries = waivers.entries
    images = {i.alias: i for i in result.images}
    named = [[alias for alias, image in images.items() if w.names_image(image)] for w in entries]
    expired = [w.expired_on(today) for w in entries]
    cells = [0] * len(entries)
    # Hosts of one profile share outcome objects: decisions and waived copies are made once per object. The
    # restored (unwaived) copies are kept here, so the ids used as keys stay unique.
    restored: dict[int, Cell] = {}
    decided: dict[tuple[int, str, int], bool] = {}  # (entry, image, id(outcome)) -> covers
    waived: dict[tuple[int, int], Cell] = {}  # (entry, id(outcome)) -> the waived outcome, shared
    hosts = []
    for host in result.hosts:
        outcomes = {alias: restored.get(id(o)) or restored.setdefault(id(o), unwaived(o))
                    for alias, o in host.outcomes.items()}
        lapsed = []  # (image, expired entry) that would cover a cell: counted if no valid entry waives it
        for alias, entry_index in _candidates(host, entries, named):
            outcome = outcomes[alias]
            if outcome.status is Status.WAIVED:
                continue  # an earlier entry waived it
            key = (entry_index, alias, id(outcome))
            if key not in decided:
                decided[key] = covers(entries[entry_index], images[alias], outcome)
            if not decided[key]:
                continue
            if expired[entry_index]:
                lapsed.append((alias, entry_index))
                continue
            cells[entry_index] += 1
            outcomes[alias] = waived.setdefault(
                (entry_index, id(outcome)),
                replace(outcome, status=Status.WAIVED, original=outcome.status, waiver=entry_index))
        for alias, entry_index in lapsed:
            if outcomes[alias].status is not Status.WAIVED:
                cells[entry_index] += 1
        hosts.append(replace(host, outcomes=outcomes))
    records = tuple(_record(w, n[0] if len(n) == 1 else w.image, e, c)
                    for w, n, e, c in zip(entries, named, expired, cells, strict=True))
    return replace(result, hosts=hosts, waivers=AppliedWaivers(waivers.source, today.isoformat(), records))


def _candidates(host: HostResult, entries: tuple[Waiver, ...], named: list[list[str]]) -> list[tuple[str, int]]:
    """(image, entry) pairs that may cover this host's cells, in entry order (the first covering entry wins)."""
    return [(alias, index) for index, waiver in enumerate(entries) if named[index] and waiver.names_host(host)
            for alias in named[index]]


def _record(waiver: Waiver, image: str, expired: bool, cells: int) -> WaiverRecord:
    return WaiverRecord(image, waiver.hosts, waiver.justification, waiver.owner, waiver.expires.isoformat(),
                        waiver.set, waiver.rule, tuple(str(s) for s in waiver.statuses), waiver.ticket,
                        waiver.source, expired, cells)


def apply_waivers_file(result: FleetResult, waivers: str | list | dict, today: datetime.date | None = None,
                       source: str = "fleetcompat_waivers") -> FleetResult:
    """`--waivers FILE` of every verb, or the entries themselves (the Ansible role variable `fleetcompat_waivers`,
    named `source` in errors): every entry must be well-formed; expiry is checked against today (UTC)."""
    loaded = load_waivers(waivers) if isinstance(waivers, str) else parse_waivers(LocatedDocument(waivers, source))
    return apply_waivers(result, loaded.require_valid(), today or datetime.datetime.now(datetime.UTC).date())
