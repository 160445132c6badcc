"""Merge fleet results: one column per image, one row per host, every run kept in `run.parts`.

Rules (docs/awx.md, *Merging results*):
- An image (by alias) must name the same reference and tags and have the same spec in every part that has it:
  the same `specDigest`, or per platform the same digest on the platforms two parts share. Otherwise the merge
  stops, unless `prefer_newest`: the newest part's spec is kept and the cells of hosts audited with another spec
  become `error` saying so (they were not evaluated against the kept spec).
- A host in several parts: the entry from the newest run wins (by the run's `startedAt`; for a part that is itself
  a merged result, the run its entry came from) and the older part records it as superseded. Two entries from runs
  started at the same time are only accepted if they are identical: nothing says which one is newer.
- A host whose part did not audit an image gets `error` ("not audited for this image") in that column.

Pure: parts come in as loaded `FleetResult`s, the merged one goes out; reading and writing is the CLI's.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fleetcompat import __version__
from fleetcompat.errors import FleetcompatError
from fleetcompat.progress import NO_PROGRESS, Progress
from fleetcompat.results.fleet import (
    Cell,
    FleetResult,
    HostResult,
    HostStatus,
    ImageInfo,
    PlatformSpec,
    RunMeta,
    RunPart,
    Status,
)

NAMES_SHOWN = 10  # host names listed in one note; the full lists are in run.parts[].superseded


class MergeError(FleetcompatError):
    """The parts cannot be combined without a choice the user has to make (or are not fit to be combined)."""


@dataclass(frozen=True, slots=True)
class Part:
    source: str  # the file name, for messages and run.parts[].source
    result: FleetResult


@dataclass(frozen=True, slots=True)
class Merged:
    result: FleetResult
    notes: tuple[str, ...]  # what the merge decided on the user's behalf: superseded hosts, preferred specs


@dataclass(slots=True)
class _Run:
    """One run of the merged result (a part, or a part's own part when it is a merged result)."""

    meta: RunPart
    when: datetime.datetime
    superseded: list[str]


def merge(parts: Sequence[Part], *, prefer_newest: bool = False, controller: str | None = None,
          progress: Progress = NO_PROGRESS) -> Merged:
    """`progress` counts the parts' hosts as they are merged (unreachable and failed hosts as errors)."""
    if not parts:
        raise MergeError("nothing to merge: give at least one fleet result")
    runs: list[_Run] = []
    part_runs: list[list[int]] = []  # per part: its host.part index -> index into runs
    for part in parts:
        part_runs.append(_flatten(part, runs))
    notes: list[str] = []
    images, stale = _merge_images(parts, part_runs, runs, prefer_newest, notes)
    hosts = _merge_hosts(parts, part_runs, runs, notes, progress)
    merged_hosts = []
    for part_index, host in sorted(hosts.values(), key=lambda item: item[1].name):
        run_index = part_runs[part_index][host.part or 0]
        outcomes = {alias: _cell(host, alias, parts[part_index], (part_index, alias) in stale) for alias in images}
        merged_hosts.append(replace(host, outcomes=outcomes, part=run_index))
    contributed = [0] * len(runs)
    for host in merged_hosts:
        contributed[host.part] += 1
    run_parts = tuple(replace(r.meta, hosts=contributed[i], superseded=tuple(r.superseded))
                      for i, r in enumerate(runs))
    meta = RunMeta(started_at=min(runs, key=lambda r: r.when).meta.started_at, duration_s=_span(runs),
                   tool_version=__version__, inventory=_common(r.meta.inventory for r in runs),
                   limit=_common(r.meta.limit for r in runs), controller=controller, parts=run_parts)
    return Merged(FleetResult(meta, list(images.values()), merged_hosts), tuple(notes))


def _flatten(part: Part, runs: list[_Run]) -> list[int]:
    run = part.result.run
    metas = run.parts or (RunPart(part.source, run.started_at, run.duration_s, run.tool_version, run.controller,
                                  run.inventory, run.limit, len(part.result.hosts)),)
    indexes = []
    for meta in metas:
        indexes.append(len(runs))
        runs.append(_Run(meta, _parse_time(meta.started_at, part.source), list(meta.superseded)))
    return indexes


def _parse_time(text: str, source: str) -> datetime.datetime:
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise MergeError(f"run.startedAt {text!r} is not an RFC 3339 time; the merge orders runs by it",
                         where=source) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)


def _span(runs: list[_Run]) -> float | None:
    """From the first run's start to the last run's end (None when a run's duration is unknown)."""
    if any(r.meta.duration_s is None for r in runs):
        return None
    start = min(r.when for r in runs)
    end = max(r.when + datetime.timedelta(seconds=r.meta.duration_s or 0) for r in runs)
    return round((end - start).total_seconds(), 3)


def _common(values) -> str | None:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _part_time(part_index: int, part_runs: list[list[int]], runs: list[_Run]) -> datetime.datetime:
    """A part's newest run (a merged part is as new as its newest run)."""
    return max(runs[i].when for i in part_runs[part_index])


# ---------------------------------------------------------------------------------------------- images


def _spec_of(image: ImageInfo) -> str:
    if image.platforms:
        return ", ".join(f"{p.platform or 'index'}: {p.spec_digest or p.status}" for p in image.platforms)
    return image.spec_digest or str(image.spec_status)


def _same_spec(a: ImageInfo, b: ImageInfo) -> bool:
    """Whether hosts audited with `a` and with `b` were audited against the same spec."""
    if (a.reference, a.tags) != (b.reference, b.tags):
        return False
    if a.platforms and b.platforms:
        theirs = {p.platform: (p.status, p.spec_digest) for p in b.platforms}
        return all(theirs.get(p.platform, (p.status, p.spec_digest)) == (p.status, p.spec_digest)
                   for p in a.platforms)
    return (a.spec_status, a.spec_digest) == (b.spec_status, b.spec_digest)


def _with_platforms(kept: ImageInfo, other: ImageInfo) -> ImageInfo:
    """`kept` plus the platforms only `other` has (sites on different architectures)."""
    known = {p.platform for p in kept.platforms}
    extra = tuple(p for p in other.platforms if p.platform not in known)
    if not extra:
        return kept
    platforms: tuple[PlatformSpec, ...] = (*kept.platforms, *extra)
    digests = {p.spec_digest for p in platforms}
    if len(digests) == 1 and kept.spec_digest in digests:
        return replace(kept, platforms=platforms)
    # The documented rule for per-platform specs that differ: the image-level spec fields are empty.
    return replace(kept, platforms=platforms, spec_digest=None, spec_source=None, sets=())


def _merge_images(parts: Sequence[Part], part_runs: list[list[int]], runs: list[_Run], prefer_newest: bool,
                  notes: list[str]) -> tuple[dict[str, ImageInfo], set[tuple[int, str]]]:
    """The merged images by alias (in order of first appearance), and the (part, alias) cells audited with a
    spec other than the kept one."""
    holders: dict[str, list[int]] = {}
    for index, part in enumerate(parts):
        for image in part.result.images:
            holders.setdefault(image.alias, []).append(index)
    images: dict[str, ImageInfo] = {}
    stale: set[tuple[int, str]] = set()
    for alias, indexes in holders.items():
        order = indexes
        if prefer_newest:  # newest first; stable, so equal times keep the argument order
            order = sorted(indexes, key=lambda i: _part_time(i, part_runs, runs), reverse=True)
        first = order[0]
        kept = parts[first].result.image(alias)
        for index in order[1:]:
            image = parts[index].result.image(alias)
            if _same_spec(kept, image):
                kept = _with_platforms(kept, image)
                continue
            theirs, ours = parts[index].source, parts[first].source
            if not prefer_newest:
                raise MergeError(
                    f"image {alias!r} was audited with different specs: {ours} has {image_line(kept)}, "
                    f"{theirs} has {image_line(image)}; audit every part with one spec, or pass --prefer newest")
            if _part_time(index, part_runs, runs) == _part_time(first, part_runs, runs):
                raise MergeError(f"image {alias!r}: {ours} and {theirs} have different specs and runs started at "
                                 "the same time, so neither is newer; audit every part with one spec")
            stale.add((index, alias))
            notes.append(f"image {alias}: kept the newest spec ({_spec_of(kept)}, {ours}); the cells of "
                         f"{theirs}, audited with {_spec_of(image)}, are errors")
        images[alias] = kept
    return images, stale


def image_line(image: ImageInfo) -> str:
    return f"{image.reference} tags [{', '.join(image.tags)}] spec {_spec_of(image)}"


# ---------------------------------------------------------------------------------------------- hosts


def _merge_hosts(parts: Sequence[Part], part_runs: list[list[int]], runs: list[_Run], notes: list[str],
                 progress: Progress) -> dict[str, tuple[int, HostResult]]:
    kept: dict[str, tuple[int, HostResult]] = {}
    superseded: dict[tuple[str, str], list[str]] = {}  # (older source, newer source) -> hosts
    progress.begin("merging", sum(len(part.result.hosts) for part in parts))
    for index, part in enumerate(parts):
        for host in part.result.hosts:
            progress.advance(errors=host.status is not HostStatus.OK)
            earlier = kept.get(host.name)
            if earlier is None:
                kept[host.name] = (index, host)
                continue
            other_index, other = earlier
            run_new, run_old = part_runs[index][host.part or 0], part_runs[other_index][other.part or 0]
            when_new, when_old = runs[run_new].when, runs[run_old].when
            if when_new == when_old:
                if _same_entry(host, other):
                    continue
                raise MergeError(
                    f"host {host.name!r} is in {parts[other_index].source} and {part.source} with different "
                    f"results from runs started at the same time ({runs[run_new].meta.started_at}), so neither is "
                    "newer; leave one of them out")
            loser, winner = (run_old, run_new) if when_new > when_old else (run_new, run_old)
            runs[loser].superseded.append(host.name)
            superseded.setdefault((runs[loser].meta.source, runs[winner].meta.source), []).append(host.name)
            if when_new > when_old:
                kept[host.name] = (index, host)
    for (older, newer), names in superseded.items():
        shown = ", ".join(names[:NAMES_SHOWN]) + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN
                                                   else "")
        notes.append(f"{len(names)} host{'s' if len(names) != 1 else ''} of {older} superseded by the newer run "
                     f"in {newer}: {shown}")
    return kept


def _same_entry(a: HostResult, b: HostResult) -> bool:
    return (a.groups, a.status, a.reason, a.profile, a.summary, a.outcomes) == (
        b.groups, b.status, b.reason, b.profile, b.summary, b.outcomes)


def _cell(host: HostResult, alias: str, part: Part, stale: bool) -> Cell:
    """The host's outcome for `alias` in the merged result (`stale`: its part audited another spec of it)."""
    if host.status is HostStatus.UNREACHABLE:
        return Cell(Status.UNREACHABLE)
    if host.status is HostStatus.ERROR:
        return Cell(Status.ERROR)
    if stale:
        other = _spec_of(part.result.image(alias))
        return Cell(Status.ERROR, reason=f"audited with another spec of this image ({other}, {part.source}); "
                    "the merge kept the newest")
    outcome = host.outcomes.get(alias)
    if outcome is None:
        return Cell(Status.ERROR, reason=f"not audited for this image (no image {alias!r} in {part.source})")
    return outcome
