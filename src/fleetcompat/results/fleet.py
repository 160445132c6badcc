"""The fleet result: one document per audit run, hosts × images, produced by the audit and read by every renderer.

Producers call `FleetResultBuilder`; renderers and the gate read `FleetResult`. For a 10,000-host fleet the JSON
stays small because a host × image cell stores only an index into a shared `outcomes` table (identical outcomes
are stored once), an outcome keeps only the verdict, the best set and the failing expressions (expected vs actual),
and hardware summaries are stored once per hardware profile.

JSON shape (`schema/fleet-result-v1.json`, draft 2020-12):
    {"schema": "fleetcompat.fleet-result/v1", "run": {...}, "images": [...],
     "waivers": {...},  # optional: the waivers applied (results/waived.py); waived outcomes name their entry
     "profiles": {KEY: {"summary": {...}}}, "outcomes": [{"status": ..., ...}],
     "hosts": [{"name": ..., "groups": [...], "status": "ok", "reason": null, "profile": KEY,
                "images": {ALIAS: OUTCOME_INDEX}}]}
"""

from __future__ import annotations

import datetime
import hashlib
import json
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fleetcompat import __version__
from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.files import load_json, read_input, write_file
from fleetcompat.limits import RESULT_BYTES
from fleetcompat.results.model import RuleResult, SpecEvaluation, TermResult, actual_in_words
from fleetcompat.results.remediation import (
    Remediation,
    closest_remediation,
    remediation_from_dict,
    remediation_to_dict,
)
from fleetcompat.results.waived import AppliedWaivers
from fleetcompat.spec.model import MatchExpression, Spec

SCHEMA_ID = "fleetcompat.fleet-result/v1"
SCHEMA_RESOURCE = "fleet-result-v1.json"


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

    def to_dict(self) -> dict[str, Any]:
        return _encode(self)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "fleet result") -> FleetResult:
        """Validate against the schema and cross-check references; FleetResultError names the first problem."""
        validate_document(doc, where)
        return _decode(doc, where)

    def dump(self, path: str | Path) -> None:
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


def dumps(doc: dict[str, Any]) -> str:
    """Compact JSON, one line per host so that diffs and `grep` stay useful at 10,000 hosts."""
    head = {k: v for k, v in doc.items() if k != "hosts"}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    hosts = ",\n".join(json.dumps(h, ensure_ascii=False, separators=(",", ":")) for h in doc["hosts"])
    return f'{text},\n"hosts":[\n{hosts}\n]}}\n'


# ---------------------------------------------------------------------------------------------- builder


class FleetResultBuilder:
    """Collects one audit run. Call `add_image` (and `add_platform` for a registry image's per-platform specs) for
    every image first (the specs' feature names make up the hardware profile), then `add_host` for every host,
    then `add_evaluation` per host × image, or `add_error`/`add_incompatible`/`add_no_spec` for a cell decided
    without an evaluation, then `build()`. Host × image cells that got nothing are derived: unreachable/error
    hosts, no-spec/error images (the reason is stated once, on the image), and otherwise an `error` outcome
    "not evaluated".
    """

    def __init__(self, run: RunMeta, profile_pieces: ProfilePieces | None = None) -> None:
        """`profile_pieces`: a memo shared by builders of one fleet's variants (what-if steps), see `profile_key`."""
        self._run = run
        self._profile_pieces = profile_pieces
        self._started = time.perf_counter()
        self._images: dict[str, ImageInfo] = {}
        self._hosts: dict[str, HostResult] = {}
        self._feature_names: set[str] = set()
        self._interned: dict[Cell, Cell] = {}
        # Identical hosts share one evaluation (FleetEvaluator) and often one Features object: convert or hash
        # each once. Keyed by id, with the object kept alive next to its value so the id stays its own.
        self._converted: dict[tuple[int, str | None], tuple[SpecEvaluation, Cell]] = {}
        self._projected: dict[int, tuple[Features, str]] = {}

    def add_image(self, alias: str, reference: str, *, spec: Spec | None = None, digest: str | None = None,
                  spec_digest: str | None = None, spec_source: str | None = None,
                  spec_status: SpecStatus | str | None = None, spec_error: str | None = None,
                  tags: Iterable[str] = ()) -> None:
        """`spec_status` defaults to error if `spec_error` is given, else ok with a `spec`, else no-spec; with
        `spec_status=no-spec`, `spec_error` is why (stated once for every host)."""
        if alias in self._images:
            raise ValueError(f"image {alias!r} added twice")
        if spec_status is not None:
            status = SpecStatus(spec_status)
        elif spec_error:
            status = SpecStatus.ERROR
        else:
            status = SpecStatus.OK if spec is not None else SpecStatus.NO_SPEC
        if status is SpecStatus.ERROR and not spec_error:
            raise ValueError(f"image {alias!r}: spec_status error needs spec_error (the reason)")
        self._images[alias] = ImageInfo(alias, reference, digest, spec_digest, spec_source, status, spec_error,
                                        tuple(tags), self._sets(spec, tags))

    def add_platform(self, alias: str, platform: str | None, status: PlatformStatus | str, *,
                     spec: Spec | None = None, subject: str | None = None, spec_digest: str | None = None,
                     spec_source: str | None = None, reason: str | None = None) -> None:
        """Record which spec a registry image has for one platform of the fleet (None: hosts of unknown
        platform); outcomes evaluated with it name the platform."""
        image = self._images.get(alias)
        if image is None:
            raise ValueError(f"unknown image {alias!r}; call add_image first")
        if image.platform_spec(platform) is not None:
            raise ValueError(f"image {alias!r}: platform {platform} added twice")
        entry = PlatformSpec(platform, PlatformStatus(status), subject, spec_digest, spec_source, reason,
                             self._sets(spec, image.tags))
        image.platforms = (*image.platforms, entry)

    def _sets(self, spec: Spec | None, tags: Iterable[str]) -> tuple[SetInfo, ...]:
        if spec is None:
            return ()
        self._feature_names |= spec.feature_names()
        self._projected.clear()  # projections are of the feature names known so far
        tag_list = [t for t in tags if t]
        return tuple(SetInfo(i, c.weight, c.tag, c.description) for i, c in enumerate(spec.compatibilities)
                     if not tag_list or c.tag in tag_list)

    def add_host(self, name: str, groups: Iterable[str] = (), summary: Mapping[str, Any] | None = None,
                 status: HostStatus | str = HostStatus.OK, reason: str | None = None,
                 features: Features | None = None) -> None:
        """`features` (optional) adds the host's values of every feature the specs mention to its profile key."""
        if name in self._hosts:
            raise ValueError(f"host {name!r} added twice")
        host_status = HostStatus(status)
        if host_status is not HostStatus.OK and not reason:
            raise ValueError(f"host {name!r}: status {host_status} needs a reason")
        summary_dict = dict(summary) if summary is not None else None
        profile = self._profile_key(summary_dict, features)
        self._hosts[name] = HostResult(name, tuple(groups), host_status, reason, profile, summary_dict, {})

    def _profile_key(self, summary: dict[str, Any] | None, features: Features | None) -> str | None:
        if features is None:
            return profile_key(summary, None, self._feature_names)
        known = self._projected.get(id(features))
        if known is None:
            known = self._projected[id(features)] = (
                features, features_projection(features, self._feature_names, self._profile_pieces))
        return _hash_profile(summary, known[1])

    def add_evaluation(self, host: str, image_alias: str, evaluation: SpecEvaluation, *,
                       platform: str | None = None) -> None:
        """`platform`: for an image with per-platform specs, the one `evaluation` was made with."""
        image = self._image(image_alias)
        entry = image.platform_spec(platform) if image.platforms else None
        if image.spec_status is not SpecStatus.OK or (image.platforms and (
                entry is None or entry.status is not PlatformStatus.OK)):
            raise ValueError(f"image {image_alias!r} has no spec{f' for {platform}' if image.platforms else ''}; "
                             "nothing can have been evaluated")
        known = self._converted.get((id(evaluation), platform))
        if known is None:
            outcome = replace(cell_from_evaluation(evaluation), platform=platform)
            outcome = self._interned.setdefault(outcome, outcome)
            known = self._converted[id(evaluation), platform] = (evaluation, outcome)
        self._set(host, image_alias, known[1], interned=True)

    def add_error(self, host: str, image_alias: str, reason: str, *, platform: str | None = None) -> None:
        """This host × image could not be decided (e.g. the engine aborted on a non-integer value for `Gt`, or the
        spec for the host's platform could not be had)."""
        self._set(host, image_alias, Cell(Status.ERROR, reason=reason, platform=platform))

    def add_incompatible(self, host: str, image_alias: str, reason: str, *, platform: str | None = None) -> None:
        """Incompatible without evaluating a spec, e.g. "image has no linux/arm64 manifest"."""
        self._set(host, image_alias, Cell(Status.INCOMPATIBLE, reason=reason, platform=platform))

    def add_no_spec(self, host: str, image_alias: str, reason: str, *, platform: str | None = None) -> None:
        """No spec for this host (e.g. none for its platform) while the image has one for other hosts."""
        self._set(host, image_alias, Cell(Status.NO_SPEC, reason=reason, platform=platform))

    def _image(self, alias: str) -> ImageInfo:
        image = self._images.get(alias)
        if image is None:
            raise ValueError(f"unknown image {alias!r}; call add_image first")
        return image

    def _set(self, host: str, image_alias: str, outcome: Cell, interned: bool = False) -> None:
        self._image(image_alias)
        target = self._hosts.get(host)
        if target is None:
            raise ValueError(f"unknown host {host!r}; call add_host first")
        if target.status is not HostStatus.OK:
            raise ValueError(f"host {host!r} is {target.status}; it has no per-image outcomes")
        if image_alias in target.outcomes:
            raise ValueError(f"host {host!r}, image {image_alias!r}: outcome added twice")
        target.outcomes[image_alias] = outcome if interned else self._interned.setdefault(outcome, outcome)

    def build(self, duration_s: float | None = None) -> FleetResult:
        run = self._run
        if duration_s is not None or run.duration_s is None:
            elapsed = duration_s if duration_s is not None else time.perf_counter() - self._started
            run = replace(run, duration_s=round(elapsed, 3))
        derived = {
            Status.UNREACHABLE: Cell(Status.UNREACHABLE), Status.ERROR: Cell(Status.ERROR),
            Status.NO_SPEC: Cell(Status.NO_SPEC),
        }
        missing = Cell(Status.ERROR, reason="not evaluated")
        hosts = []
        for host in self._hosts.values():
            outcomes = {}
            for alias, image in self._images.items():
                if host.status is HostStatus.UNREACHABLE:
                    outcome = derived[Status.UNREACHABLE]
                elif host.status is HostStatus.ERROR:
                    outcome = derived[Status.ERROR]
                elif alias in host.outcomes:
                    outcome = host.outcomes[alias]
                elif image.spec_status is SpecStatus.ERROR:
                    outcome = derived[Status.ERROR]
                elif image.spec_status is SpecStatus.NO_SPEC:
                    outcome = derived[Status.NO_SPEC]
                else:
                    outcome = missing
                outcomes[alias] = outcome
            hosts.append(replace(host, outcomes=outcomes))
        return FleetResult(run, list(self._images.values()), hosts)


def cell_from_evaluation(evaluation: SpecEvaluation) -> Cell:
    failing = tuple(
        FailingRule(result.index, rule.name, _failing_terms(rule))
        for result in evaluation.sets for rule in result.rules if not rule.matched
    )
    best = evaluation.best
    if evaluation.compatible:
        return Cell(Status.COMPATIBLE, best.index if best else None, failing)
    weights = {result.index: result.weight for result in evaluation.sets}
    return Cell(Status.INCOMPATIBLE, None, failing, remediation=closest_remediation(failing, weights))


def _failing_terms(rule: RuleResult) -> tuple[FailingTerm, ...]:
    terms = [_failing_term(t, None) for t in rule.match_features if not t.matched]
    if rule.match_any and not any(all(t.matched for t in el) for el in rule.match_any):
        terms.extend(_failing_term(t, i) for i, el in enumerate(rule.match_any) for t in el if not t.matched)
    return tuple(terms)


def _failing_term(term: TermResult, any_of: int | None) -> FailingTerm:
    expressions = tuple(
        FailingExpression(e.element, e.expression, tuple(e.actual) if isinstance(e.actual, list) else e.actual,
                          e.present, e.evaluated)
        for e in term.expressions if not e.matched
    )
    return FailingTerm(term.feature, any_of, term.feature_present, expressions, term.instance_count,
                       term.instance_index)


# Serialised projections of feature maps by identity (see `profile_key`): (the map, its JSON).
ProfilePieces = dict[tuple[str, int], tuple[Any, str]]


def profile_key(summary: Mapping[str, Any] | None, features: Features | None,
                feature_names: Iterable[str], pieces: ProfilePieces | None = None) -> str | None:
    """Hash of the hardware summary plus the host's values of the features the specs mention (16 hex digits).

    The hashed text is `json.dumps({"summary": ..., "features": projection}, sort_keys=True)`, assembled from one
    piece per feature map; with `pieces`, a map already serialised (the same object: what-if copies only the maps
    a change touches) is not serialised again. The map must not have been modified in place since."""
    if summary is None and features is None:
        return None
    return _hash_profile(summary, features_projection(features, feature_names, pieces) if features is not None
                         else "{}")


def features_projection(features: Features, feature_names: Iterable[str], pieces: ProfilePieces | None = None) -> str:
    """The host's values of the named features, as canonical JSON (the features part of a profile key): the text
    of `json.dumps(projection, sort_keys=True)`, assembled from one serialised piece per feature map."""
    parts: list[tuple[str, str]] = []
    for name in sorted(set(feature_names)):
        for tag, section in (("a", features.attributes), ("f", features.flags), ("i", features.instances)):
            if name in section:
                parts.append((f"{tag}:{name}", _piece(tag, section[name], pieces)))
    parts.sort()
    return "{" + ", ".join(f"{json.dumps(key)}: {text}" for key, text in parts) + "}"


def _hash_profile(summary: Mapping[str, Any] | None, projection: str) -> str:
    # The same text as json.dumps({"summary": ..., "features": ...}, sort_keys=True): keys stay comparable.
    canonical = f'{{"features": {projection}, "summary": {json.dumps(summary, sort_keys=True, default=str)}}}'
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _piece(tag: str, value: Any, pieces: ProfilePieces | None) -> str:
    known = pieces.get((tag, id(value))) if pieces is not None else None
    if known is not None and known[0] is value:
        return known[1]
    if tag == "f":
        data = sorted(value)
    elif tag == "i":
        data = sorted(json.dumps(i, sort_keys=True) for i in value)
    else:
        data = value
    text = json.dumps(data, sort_keys=True, default=str)
    if pieces is not None:
        pieces[(tag, id(value))] = (value, text)
    return text


# ---------------------------------------------------------------------------------------------- JSON


def _encode(result: FleetResult) -> dict[str, Any]:
    outcome_index = OutcomeNumbers()
    profiles: dict[str, dict[str, Any]] = {}
    hosts = []
    for host in result.hosts:
        cells = dict(zip(host.outcomes, outcome_index.of(host.outcomes.values()), strict=True))
        if host.profile is not None and host.profile not in profiles:
            profiles[host.profile] = {"summary": host.summary}
        hosts.append({"name": host.name, "groups": list(host.groups), "status": str(host.status),
                      "reason": host.reason, "profile": host.profile, "images": cells,
                      **({"part": host.part} if host.part is not None else {})})
    run = result.run
    return {
        "schema": SCHEMA_ID,
        "run": {"startedAt": run.started_at, "durationSeconds": run.duration_s,
                "tool": f"fleetcompat {run.tool_version}", "inventory": run.inventory, "limit": run.limit,
                **({"controller": run.controller} if run.controller is not None else {}),
                **({"parts": [_encode_part(p) for p in run.parts]} if run.parts else {})},
        "images": [_encode_image(i) for i in result.images],
        **({"waivers": result.waivers.to_dict()} if result.waivers is not None else {}),
        "profiles": profiles,
        "outcomes": [cell_to_dict(o) for o in outcome_index.by_value],
        "hosts": hosts,
    }


def _encode_part(part: RunPart) -> dict[str, Any]:
    return {"source": part.source, "startedAt": part.started_at, "durationSeconds": part.duration_s,
            "tool": f"fleetcompat {part.tool_version}", "controller": part.controller, "inventory": part.inventory,
            "limit": part.limit, "hosts": part.hosts, "superseded": list(part.superseded)}


def _decode_part(doc: dict[str, Any]) -> RunPart:
    return RunPart(doc["source"], doc["startedAt"], doc["durationSeconds"], doc["tool"].removeprefix("fleetcompat "),
                   doc["controller"], doc["inventory"], doc["limit"], doc["hosts"], tuple(doc["superseded"]))


def _encode_image(image: ImageInfo) -> dict[str, Any]:
    return {
        "alias": image.alias, "reference": image.reference, "digest": image.digest, "specDigest": image.spec_digest,
        "specSource": image.spec_source, "specStatus": str(image.spec_status), "specError": image.spec_error,
        "tags": list(image.tags), "sets": _encode_sets(image.sets),
        **({"platforms": [
            {"platform": p.platform, "status": str(p.status), "subject": p.subject, "specDigest": p.spec_digest,
             "specSource": p.spec_source, "reason": p.reason, "sets": _encode_sets(p.sets)}
            for p in image.platforms]} if image.platforms else {}),
    }


def _encode_sets(sets: tuple[SetInfo, ...]) -> list[dict[str, Any]]:
    return [{"index": s.index, "weight": s.weight, "tag": s.tag, "description": s.description} for s in sets]


def _decode_sets(docs: list[dict[str, Any]]) -> tuple[SetInfo, ...]:
    return tuple(SetInfo(s["index"], s["weight"], s["tag"], s["description"]) for s in docs)


def cell_to_dict(outcome: Cell) -> dict[str, Any]:
    """The JSON form of one outcome (an entry of the document's `outcomes` table)."""
    out: dict[str, Any] = {"status": str(outcome.status)}
    if outcome.best_set is not None:
        out["bestSet"] = outcome.best_set
    if outcome.reason is not None:
        out["reason"] = outcome.reason
    if outcome.platform is not None:
        out["platform"] = outcome.platform
    if outcome.original is not None:
        out["original"] = str(outcome.original)
        out["waiver"] = outcome.waiver
    if outcome.last_known is not None:
        out["lastKnown"] = {"status": str(outcome.last_known.status), "at": outcome.last_known.at}
    if outcome.failing:
        out["failingRules"] = [
            {"set": r.set_index, "rule": r.rule, "terms": [_encode_term(t) for t in r.terms]} for r in outcome.failing
        ]
    if outcome.remediation is not None:
        out["remediation"] = remediation_to_dict(outcome.remediation)
    return out


def _encode_term(term: FailingTerm) -> dict[str, Any]:
    out: dict[str, Any] = {"feature": term.feature, "featurePresent": term.feature_present}
    if term.any_of is not None:
        out["anyOf"] = term.any_of
    if term.instance_count:
        out["instanceCount"] = term.instance_count
        out["instanceIndex"] = term.instance_index
    out["expressions"] = [
        {"element": e.element, "expected": e.expected.as_dict(),
         "actual": list(e.actual) if isinstance(e.actual, tuple) else e.actual,
         "present": e.present, "evaluated": e.evaluated}
        for e in term.expressions
    ]
    return out


def _decode(doc: dict[str, Any], where: str) -> FleetResult:
    run_doc = doc["run"]
    tool = run_doc["tool"]
    run = RunMeta(run_doc["startedAt"], run_doc["durationSeconds"], tool.removeprefix("fleetcompat "),
                  run_doc["inventory"], run_doc["limit"], run_doc.get("controller"),
                  tuple(_decode_part(p) for p in run_doc.get("parts", ())))
    images = [
        ImageInfo(i["alias"], i["reference"], i["digest"], i["specDigest"], i["specSource"],
                  SpecStatus(i["specStatus"]), i["specError"], tuple(i["tags"]), _decode_sets(i["sets"]),
                  tuple(PlatformSpec(p["platform"], PlatformStatus(p["status"]), p["subject"], p["specDigest"],
                                     p["specSource"], p["reason"], _decode_sets(p["sets"]))
                        for p in i.get("platforms", ())))
        for i in doc["images"]
    ]
    aliases = [i.alias for i in images]
    if len(set(aliases)) != len(aliases):
        raise FleetResultError("image aliases are not unique", where=f"{where}: images")
    waivers = AppliedWaivers.from_dict(doc["waivers"]) if "waivers" in doc else None
    outcomes = [_decode_cell(o) for o in doc["outcomes"]]
    entries = len(waivers.entries) if waivers is not None else 0
    for n, outcome in enumerate(outcomes):
        if outcome.waiver is not None and outcome.waiver >= entries:
            raise FleetResultError(f"waiver {outcome.waiver} does not exist ({entries} waivers)",
                                   where=f"{where}: outcomes[{n}]")
    profiles = doc["profiles"]
    hosts = []
    seen: set[str] = set()
    for n, h in enumerate(doc["hosts"]):
        at = f"{where}: hosts[{n}] ({h['name']})"
        if h["name"] in seen:
            raise FleetResultError("duplicate host name", where=at)
        seen.add(h["name"])
        if sorted(h["images"]) != sorted(aliases):
            raise FleetResultError(f"images {sorted(h['images'])} do not match the run's images {sorted(aliases)}",
                                   where=at)
        if h["profile"] is not None and h["profile"] not in profiles:
            raise FleetResultError(f"unknown profile {h['profile']!r}", where=at)
        if h.get("part") is not None and h["part"] >= len(run.parts):
            raise FleetResultError(f"part {h['part']} does not exist ({len(run.parts)} parts in run.parts)", where=at)
        cells = {}
        for alias in aliases:
            index = h["images"][alias]
            if index >= len(outcomes):
                raise FleetResultError(f"image {alias!r}: outcome {index} does not exist ({len(outcomes)} outcomes)",
                                       where=at)
            cells[alias] = outcomes[index]
        summary = profiles[h["profile"]]["summary"] if h["profile"] is not None else None
        hosts.append(HostResult(h["name"], tuple(h["groups"]), HostStatus(h["status"]), h["reason"], h["profile"],
                                summary, cells, h.get("part")))
    return FleetResult(run, images, hosts, waivers)


def _decode_cell(doc: dict[str, Any]) -> Cell:
    failing = tuple(
        FailingRule(r["set"], r["rule"], tuple(
            FailingTerm(t["feature"], t.get("anyOf"), t["featurePresent"], tuple(
                FailingExpression(
                    e["element"],
                    MatchExpression(e["expected"]["op"], tuple(e["expected"].get("value", ())),
                                    e["expected"].get("type", "")),
                    tuple(e["actual"]) if isinstance(e["actual"], list) else e["actual"],
                    e["present"], e["evaluated"])
                for e in t["expressions"]), t.get("instanceCount", 0), t.get("instanceIndex"))
            for t in r["terms"]))
        for r in doc.get("failingRules", ())
    )
    original = Status(doc["original"]) if "original" in doc else None
    # absent in results written before remediation hints, waivers and history
    remediation = remediation_from_dict(doc["remediation"]) if "remediation" in doc else None
    known = doc.get("lastKnown")
    last_known = LastKnown(Status(known["status"]), known["at"]) if known is not None else None
    return Cell(Status(doc["status"]), doc.get("bestSet"), failing, doc.get("reason"), doc.get("platform"),
                   original, doc.get("waiver"), remediation, last_known)


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of this document version (package data)."""
    text = resources.files("fleetcompat.results").joinpath("schema", SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def validate_document(doc: Any, where: str = "fleet result") -> None:
    """Raise FleetResultError (one line: where, JSON path, problem) unless `doc` is a valid v1 fleet result."""
    if isinstance(doc, dict) and isinstance(doc.get("schema"), str) and doc["schema"] != SCHEMA_ID:
        raise FleetResultError(f"unsupported document schema {doc['schema']!r} (this fleetcompat reads {SCHEMA_ID})",
                               where=where)
    view, first_index, names = _distinct_hosts(doc)
    if _accepts()(view) and (names is None or _host_names_accepted()(names)):
        return  # the common case, compiled; jsonschema decides (and words) everything else
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(view))
    path: list[Any] = []
    if error is not None:
        path = list(error.absolute_path)
        if path[:1] == ["hosts"] and len(path) > 1:
            path[1] = first_index[path[1]]
    elif names is not None:
        error = best_match(_host_name_validator().iter_errors(names))
        if error is not None:
            path = ["hosts", *error.absolute_path, "name"]
    if error is not None:
        text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) or "(document)"
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        raise FleetResultError(f"does not match {SCHEMA_ID}: {text}: {message}", where=where)


def _distinct_hosts(doc: Any) -> tuple[Any, list[int], list[Any] | None]:
    """The document with each distinct host entry (apart from its name) once, for validation.

    Hosts of one hardware profile repeat everything but their name, so a 10,000-host result validates a few
    hundred entries (plus the names, against the schema's own rule for them) instead of 10,000.
    Returns the view, the original index of each view entry, and the names (None if `hosts` is not a list of
    objects: the view is then the document itself, and the schema reports the problem).
    """
    hosts = doc.get("hosts") if isinstance(doc, dict) else None
    if not isinstance(hosts, list):
        return doc, [], None
    if not all(isinstance(h, dict) for h in hosts):
        return doc, list(range(len(hosts))), None
    seen: dict[str, int] = {}
    first_index: list[int] = []
    distinct = []
    for index, host in enumerate(hosts):
        rest = {k: v for k, v in host.items() if k != "name"}
        key = json.dumps(rest, sort_keys=True, default=repr)
        if key not in seen:
            seen[key] = len(distinct)
            first_index.append(index)
            distinct.append(host)
    return {**doc, "hosts": distinct}, first_index, [h.get("name") for h in hosts]


def _host_names_schema() -> dict[str, Any]:
    return {"type": "array", "items": schema()["$defs"]["host"]["properties"]["name"]}


@cache
def _host_name_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_host_names_schema())


@cache
def _accepts():
    from fleetcompat.results.fastschema import compile_check

    return compile_check(schema())


@cache
def _host_names_accepted():
    from fleetcompat.results.fastschema import compile_check

    return compile_check(_host_names_schema())


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
