"""The fleet result's model: statuses, run metadata, images, cells (the outcome of one image on one host), hosts,
profile groups and `FleetResult`, which renderers and the gate read. Built by `builder.py`; JSON in `codec.py`,
checked against `schema.py`."""

from __future__ import annotations

import datetime
import json
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from fleetcompat import __version__
from fleetcompat.errors import FleetcompatError
from fleetcompat.files import load_json, read_input, write_file
from fleetcompat.limits import RESULT_BYTES
from fleetcompat.results.model import actual_in_words
from fleetcompat.results.remediation import (
    Remediation,
)
from fleetcompat.results.waived import AppliedWaivers
from fleetcompat.spec.model import MatchExpression


class Status(StrEnum):
    """The outcome of one image on one host."""

    COMPATIBLE = "compatible"
    INCOMPATIBLE = "incompatible"
    UNREACHABLE = "unreachable"  # the host could not be reached, so nothing was evaluated
    ERROR = "error"  # gathering, registry, spec or evaluation failed
    NO_SPEC = "no-spec"  # the image has no compatibility spec attached
    WAIVED = "waived"  # a waiver accepts the cell; Cell.original keeps the verdict (fleetcompat.waivers)


class HostStatus(StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    ERROR = "error"  # reachable, but gathering its features failed


class SpecStatus(StrEnum):
    OK = "ok"
    NO_SPEC = "no-spec"  # the reason (e.g. no compatibility artifact in the registry) is in `spec_error`, if known
    ERROR = "error"  # registry or spec error; the reason is in `spec_error`


class PlatformStatus(StrEnum):
    """What a registry image offers one platform of the fleet."""

    OK = "ok"  # a spec (from the subject named in PlatformSpec.subject)
    NO_SPEC = "no-spec"  # no compatibility artifact on the platform's manifest nor on the index
    ERROR = "error"  # registry or spec error
    NO_MANIFEST = "no-manifest"  # the image has no manifest for this platform: it cannot run there


class FleetResultError(FleetcompatError):
    """A fleet result document is unreadable, invalid against its schema, or inconsistent."""


@dataclass(frozen=True, slots=True)
class RunPart:
    """One run a merged result was combined from (`fleetcompat merge`): where and when it ran, what it covered."""

    source: str  # the part's file as given to merge
    started_at: str
    duration_s: float | None
    tool_version: str
    controller: str | None
    inventory: str | None
    limit: str | None
    hosts: int  # hosts this part contributed to the merged result
    superseded: tuple[str, ...] = ()  # hosts of this part replaced by a newer part's entry


@dataclass(frozen=True, slots=True)
class RunMeta:
    started_at: str  # RFC 3339, UTC
    duration_s: float | None = None  # None: the builder fills in the time since it was created
    tool_version: str = __version__
    inventory: str | None = None
    limit: str | None = None
    controller: str | None = None  # the host the run was made on
    parts: tuple[RunPart, ...] = ()  # a merged result: every run it combines (HostResult.part indexes them)

    @classmethod
    def now(cls, *, inventory: str | None = None, limit: str | None = None) -> RunMeta:
        started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return cls(started_at=started, inventory=inventory, limit=limit, controller=socket.gethostname())


@dataclass(frozen=True, slots=True)
class SetInfo:
    index: int  # position in the spec's compatibilities list
    weight: int
    tag: str
    description: str


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """Which spec a registry image has for one platform of the fleet, and where it came from. Hosts are audited
    with the spec for their own platform (or the image entry's explicit one)."""

    platform: str | None  # os/arch[/variant]; None: hosts whose platform is unknown (the index / single manifest)
    status: PlatformStatus
    subject: str | None = None  # the spec's subject: "index" | "platform-manifest" | "manifest"
    spec_digest: str | None = None
    spec_source: str | None = None
    reason: str | None = None  # why there is no spec (status other than ok)
    sets: tuple[SetInfo, ...] = ()


@dataclass(slots=True)
class ImageInfo:
    alias: str
    reference: str  # image reference or spec file the user named
    digest: str | None = None  # resolved image manifest digest
    spec_digest: str | None = None  # digest of the compatibility artifact (or of the spec file)
    spec_source: str | None = None  # where the spec came from, e.g. "referrer sha256:..", "file specs/x.yaml"
    spec_status: SpecStatus = SpecStatus.OK
    spec_error: str | None = None  # why there is no spec: the error, or (no-spec) what the registry said
    tags: tuple[str, ...] = ()  # `--tags` used to select sets
    sets: tuple[SetInfo, ...] = ()  # the evaluated sets, for headings; outcomes refer to them by index
    # Registry images: the spec per platform of the fleet. When the platforms' specs differ, the image-level
    # spec_digest/spec_source/sets are empty and an outcome's `platform` says which entry applies.
    platforms: tuple[PlatformSpec, ...] = ()

    def platform_spec(self, platform: str | None) -> PlatformSpec | None:
        return next((p for p in self.platforms if p.platform == platform), None)

    def set_info(self, index: int | None, platform: str | None = None) -> SetInfo | None:
        """The set an outcome refers to (`platform`: the outcome's, whose spec it was evaluated with)."""
        entry = self.platform_spec(platform) if self.platforms else None
        sets = entry.sets if entry is not None and entry.sets else self.sets
        return next((s for s in sets if s.index == index), None)


@dataclass(frozen=True, slots=True)
class FailingExpression:
    element: str | None  # None for matchName
    expected: MatchExpression
    actual: str | tuple[str, ...] | None  # as in ExpressionResult; tuple = element names (matchName)
    present: bool
    evaluated: bool = True

    def actual_text(self) -> str:
        """What the host has, in words (as `fleetcompat validate` prints it)."""
        return actual_in_words(self.actual, self.evaluated)


@dataclass(frozen=True, slots=True)
class FailingTerm:
    feature: str
    any_of: int | None  # index of the matchAny element, None for matchFeatures
    feature_present: bool
    expressions: tuple[FailingExpression, ...]  # only the expressions that did not match
    instance_count: int = 0
    instance_index: int | None = None  # the closest instance

    def note(self) -> str:
        """Where on the host the values come from, e.g. "closest of 3 instances: #1"."""
        if not self.feature_present:
            return "feature absent on host"
        if self.instance_count == 1:
            return "the only instance"
        if self.instance_count:
            return f"closest of {self.instance_count} instances: #{self.instance_index}"
        return ""


@dataclass(frozen=True, slots=True)
class FailingRow:
    """One failing expression, ready to print: what was expected and what the host has."""

    label: str  # "cpu.cpuid.AVX512F", prefixed "(any #2) " inside matchAny
    expected: str
    actual: str
    note: str


@dataclass(frozen=True, slots=True)
class FailingRule:
    set_index: int
    rule: str
    terms: tuple[FailingTerm, ...]

    def rows(self) -> list[FailingRow]:
        rows = []
        for term in self.terms:
            prefix = f"(any #{term.any_of + 1}) " if term.any_of is not None else ""
            for e in term.expressions:
                label = term.feature if e.element is None else f"{term.feature}.{e.element}"
                rows.append(FailingRow(prefix + label, e.expected.describe(), e.actual_text(), term.note()))
        return rows


@dataclass(frozen=True, slots=True)
class LastKnown:
    """What an unreachable host had for an image when it was last reached (from the history store). Shown beside
    the unreachable status, never instead of it: it is not a fresh verdict."""

    status: Status
    at: str  # startedAt of the run it comes from


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of the fleet matrix: the outcome of one image on one host. Identical cells are one shared object
    (and one JSON entry)."""

    status: Status
    best_set: int | None = None  # SetInfo.index of the chosen set when compatible
    failing: tuple[FailingRule, ...] = ()  # failing rules of every evaluated set (also when compatible)
    reason: str | None = None  # why, when not evaluated: e.g. an engine error, "image has no linux/arm64 manifest"
    platform: str | None = None  # registry images: the ImageInfo.platforms entry (spec) this outcome comes from
    original: Status | None = None  # waived: the verdict the waiver accepts (its failing rules are kept above)
    waiver: int | None = None  # waived: index into FleetResult.waivers.entries
    remediation: Remediation | None = None  # incompatible after evaluation: the closest set and what would fix it
    last_known: LastKnown | None = None  # unreachable cells: the host's last known status (history), if any


@dataclass(slots=True)
class HostResult:
    name: str
    groups: tuple[str, ...]
    status: HostStatus
    reason: str | None  # why unreachable / gathering failed
    profile: str | None  # hardware-profile key: identical hardware (as the audited specs see it) = same key
    summary: dict[str, Any] | None  # the gatherer's free-form hardware summary
    outcomes: dict[str, Cell]  # image alias -> outcome, for every image in the run
    part: int | None = None  # merged results: index into run.parts of the run this entry comes from


@dataclass(frozen=True, slots=True)
class ProfileGroup:
    """Hosts with one hardware profile and identical outcomes: one row in a fleet matrix."""

    profile: str | None
    host_status: HostStatus
    outcomes: tuple[Cell, ...]  # in FleetResult.images order
    hosts: tuple[HostResult, ...]


@dataclass(slots=True)
class FleetResult:
    run: RunMeta
    images: list[ImageInfo]
    hosts: list[HostResult]
    waivers: AppliedWaivers | None = None  # the waivers the cells were checked against, if any

    def image(self, alias: str) -> ImageInfo:
        for image in self.images:
            if image.alias == alias:
                return image
        raise FleetResultError(f"no image {alias!r} in this result (images: {', '.join(self.aliases()) or 'none'})")

    def aliases(self) -> list[str]:
        return [i.alias for i in self.images]

    def statuses(self) -> list[Status]:
        """The cell statuses a report shows: `waived` only for a result checked against waivers."""
        return [s for s in Status if s is not Status.WAIVED or self.waivers is not None]

    def status_counts(self, alias: str) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        for host in self.hosts:
            counts[host.outcomes[alias].status] += 1
        return counts

    def outcome_reasons(self, alias: str) -> dict[str, int]:
        """Reasons given on this image's cells (not on its hosts or the image itself) with host counts, commonest
        first."""
        counts: dict[str, int] = {}
        for host in self.hosts:
            reason = host.outcomes[alias].reason
            if reason and host.status is HostStatus.OK:
                counts[reason] = counts.get(reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))

    def host_status_counts(self) -> dict[HostStatus, int]:
        counts = dict.fromkeys(HostStatus, 0)
        for host in self.hosts:
            counts[host.status] += 1
        return counts

    def profile_groups(self) -> list[ProfileGroup]:
        """Collapse hosts with the same profile, host status and per-image outcomes; largest group first."""
        aliases = self.aliases()
        numbers = OutcomeNumbers()  # equal outcomes, one number: keys compare numbers, not outcome trees
        members: dict[tuple, list[HostResult]] = {}
        for host in self.hosts:
            key = (host.profile, host.status, tuple(numbers.of(host.outcomes[a] for a in aliases)))
            members.setdefault(key, []).append(host)
        groups = [ProfileGroup(k[0], k[1], tuple(v[0].outcomes[a] for a in aliases), tuple(v))
                  for k, v in members.items()]
        groups.sort(key=lambda g: (-len(g.hosts), g.hosts[0].name))
        return groups

    # The JSON form lives in codec.py and schema.py, which read this module's types: imported when called.
    def to_dict(self) -> dict[str, Any]:
        from fleetcompat.results.fleet.codec import encode

        return encode(self)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "fleet result") -> FleetResult:
        """Validate against the schema and cross-check references; FleetResultError names the first problem."""
        from fleetcompat.results.fleet.codec import decode
        from fleetcompat.results.fleet.schema import validate_document

        validate_document(doc, where)
        return decode(doc, where)

    def dump(self, path: str | Path) -> None:
        from fleetcompat.results.fleet.codec import dumps

        write_file(path, dumps(self.to_dict()))

    @classmethod
    def load(cls, path: str | Path) -> FleetResult:
        where = str(path)
        doc = load_json(read_input(path, "fleet result", FleetResultError, RESULT_BYTES), where, FleetResultError)
        return cls.from_dict(doc, where)


class OutcomeNumbers:
    """Numbers outcomes by value, in order of first appearance: equal outcomes get one number. Hashing a frozen
    outcome walks all its failing rules every time, so each object is hashed once (hosts share outcome objects; a
    merged result holds equal outcomes from several parts as distinct objects)."""

    def __init__(self) -> None:
        self.by_value: dict[Cell, int] = {}
        self._by_id: dict[int, int] = {}  # the outcomes numbered stay referenced by their hosts, so ids stay unique

    def of(self, outcomes: Iterable[Cell]) -> list[int]:
        """The numbers of `outcomes` (one host's: a call per host, not per cell, keeps 200,000 cells cheap)."""
        numbers = []
        for outcome in outcomes:
            number = self._by_id.get(id(outcome))
            if number is None:
                number = self._by_id[id(outcome)] = self.by_value.setdefault(outcome, len(self.by_value))
            numbers.append(number)
        return numbers


def summary_label(summary: Mapping[str, Any] | None) -> str:
    """A short name for a hardware profile from the gatherer's free-form summary: CPU · GPUs · kernel."""
    if not summary:
        return "(no hardware summary)"
    parts = []
    cpu = summary.get("cpu")
    if isinstance(cpu, Mapping):
        parts.append(" ".join(str(cpu[k]) for k in ("vendor", "model") if cpu.get(k)))
    elif cpu:
        parts.append(str(cpu))
    gpus = summary.get("gpus")
    if isinstance(gpus, list) and gpus:
        names = [device_name(g) for g in gpus]
        counted = {n: names.count(n) for n in names}
        parts.append(", ".join(f"{c}× {n}" for n, c in counted.items()))
    if summary.get("kernel"):
        parts.append(f"kernel {summary['kernel']}")
    return " · ".join(p for p in parts if p) or "(no hardware summary)"


def device_name(device: Any) -> str:
    """A device's human-readable name where the gatherer found one, else vendor:device ids."""
    if isinstance(device, Mapping):
        if device.get("name"):
            return str(device["name"])
        ids = ":".join(str(device[k]) for k in ("vendor", "device") if device.get(k))
        return ids or json.dumps(device, sort_keys=True, default=str)
    return str(device)
