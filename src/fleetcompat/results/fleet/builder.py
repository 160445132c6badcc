"""Assembling a fleet result: `FleetResultBuilder` (images, then hosts, then cells), the cell of an evaluation
and the hardware-profile keys that group hosts."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from fleetcompat.features.model import Features
from fleetcompat.results.fleet.model import (
    Cell,
    FailingExpression,
    FailingRule,
    FailingTerm,
    FleetResult,
    HostResult,
    HostStatus,
    ImageInfo,
    PlatformSpec,
    PlatformStatus,
    RunMeta,
    SetInfo,
    SpecStatus,
    Status,
)
from fleetcompat.results.model import RuleResult, SpecEvaluation, TermResult
from fleetcompat.results.remediation import (
    closest_remediation,
)
from fleetcompat.spec.model import Spec


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


