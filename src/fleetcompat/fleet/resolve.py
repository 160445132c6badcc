"""Turn the image list into parsed specs, once per run: local files are read, registry references fetched.

An image whose spec cannot be had (registry down, no artifact, bad YAML) is not fatal: it becomes a
`ResolvedImage` with `error` set, and the fleet result shows that image as `error` for every host with the
reason stated once. Resolved images serialise to JSON records (with the spec as a document), so a run directory can
hand them from the one controller step that fetched them to the per-host steps in other processes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetcompat.engine import select_sets
from fleetcompat.errors import FleetcompatError
from fleetcompat.fleet.images import ImageEntry
from fleetcompat.spec import FeatureMatcherTerm, Spec, parse_spec

RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a registry fetch hands back for one image."""

    spec: Spec
    digest: str | None  # image manifest digest
    spec_digest: str | None  # compatibility artifact digest
    spec_source: str  # human-readable origin, e.g. "referrers-api index sha256:..."
    warnings: tuple[str, ...] = ()


RegistryFetch = Callable[[ImageEntry], Fetched]  # raises FleetcompatError (RegistryError) on failure


def _term_document(term: FeatureMatcherTerm) -> dict[str, Any]:
    doc: dict[str, Any] = {"feature": term.feature}
    if term.match_expressions is not None:
        doc["matchExpressions"] = {element: expr.as_dict() for element, expr in term.match_expressions}
    if term.match_name is not None:
        doc["matchName"] = term.match_name.as_dict()
    return doc


def spec_document(spec: Spec) -> dict[str, Any]:
    """The spec as a JSON-able v1alpha1 document (what `parse_spec` reads back to an equal Spec)."""
    return {"version": spec.version, "compatibilities": [
        {"rules": [{"name": rule.name, "vars": dict(rule.vars),
                    "matchFeatures": [_term_document(t) for t in rule.match_features],
                    "matchAny": [{"matchFeatures": [_term_document(t) for t in element]} for element in rule.match_any]}
                   for rule in comp.rules],
         "weight": comp.weight, "tag": comp.tag, "description": comp.description}
        for comp in spec.compatibilities]}


@dataclass(frozen=True, slots=True)
class ResolvedImage:
    entry: ImageEntry
    spec: Spec | None = None
    digest: str | None = None
    spec_digest: str | None = None
    spec_source: str | None = None
    error: str | None = None  # why there is no spec (one line, names the image or file)
    warnings: tuple[str, ...] = ()

    @property
    def alias(self) -> str:
        return self.entry.alias

    def to_record(self) -> dict[str, Any]:
        return {"version": RECORD_VERSION, "entry": self.entry.to_dict(),
                "spec": spec_document(self.spec) if self.spec is not None else None, "digest": self.digest,
                "specDigest": self.spec_digest, "specSource": self.spec_source, "error": self.error,
                "warnings": list(self.warnings)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ResolvedImage:
        """Rebuild (and re-parse the spec) in another process."""
        if record.get("version") != RECORD_VERSION:
            raise FleetcompatError(f"resolved-image record version {record.get('version')!r} is not "
                                   f"{RECORD_VERSION} (mixed fleetcompat versions on the controller?)")
        e = record["entry"]
        entry = ImageEntry(e["alias"], e["image"], e["spec"], tuple(e["tags"]), e["platform"], e["required"])
        spec = None if record["spec"] is None else parse_spec(json.dumps(record["spec"]), entry.reference)
        return cls(entry, spec, record["digest"], record["specDigest"], record["specSource"], record["error"],
                   tuple(record["warnings"]))


def _check_tags(entry: ImageEntry, spec: Spec) -> Spec:
    """Check now that `tags` keep a set: otherwise every host would fail the same way."""
    select_sets(spec, entry.tags)
    return spec


def _resolve_file(entry: ImageEntry) -> ResolvedImage:
    assert entry.spec is not None
    try:
        raw = Path(entry.spec).read_bytes()
    except OSError as exc:
        return ResolvedImage(entry, error=f"{entry.spec}: cannot read spec file: {exc.strerror}")
    try:
        spec = _check_tags(entry, parse_spec(raw, entry.spec))
    except FleetcompatError as exc:
        return ResolvedImage(entry, error=str(exc))
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    return ResolvedImage(entry, spec, None, digest, f"file {entry.spec}")


def _resolve_registry(entry: ImageEntry, fetch: RegistryFetch | None) -> ResolvedImage:
    assert entry.image is not None
    if fetch is None:
        return ResolvedImage(entry, error=f"{entry.image}: registry images need the registry client "
                                          "(fleetcompat.registry), which is not available")
    try:
        fetched = fetch(entry)
        spec = _check_tags(entry, fetched.spec)
    except FleetcompatError as exc:
        message = str(exc)
        return ResolvedImage(entry, error=message if entry.image in message else f"{entry.image}: {message}")
    return ResolvedImage(entry, spec, fetched.digest, fetched.spec_digest, fetched.spec_source,
                         warnings=fetched.warnings)


def resolve_images(images: Sequence[ImageEntry], fetch: RegistryFetch | None = None,
                   parallel: int = 8) -> list[ResolvedImage]:
    """Resolve every image once, registry fetches in parallel; order follows `images`."""
    registry = [i for i in images if i.image is not None]
    fetched: dict[str, ResolvedImage] = {}
    if registry:
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(registry)))) as pool:
            for entry, resolved in zip(registry, pool.map(lambda e: _resolve_registry(e, fetch), registry),
                                       strict=True):
                fetched[entry.alias] = resolved
    return [fetched[i.alias] if i.image is not None else _resolve_file(i) for i in images]


def resolve(images: Sequence[ImageEntry], registry_options: Any = None) -> list[ResolvedImage]:
    """Resolve with a fresh `SpecFetcher` (made only when some image is a registry reference).

    `registry_options`: a `fleetcompat.registry.RegistryOptions`, or None for the defaults.
    """
    if not any(i.image is not None for i in images):
        return resolve_images(images)
    from fleetcompat.registry import SpecFetcher

    fetcher = SpecFetcher(registry_options)

    def fetch(entry: ImageEntry) -> Fetched:
        got = fetcher.fetch(entry.image, entry.platform)
        source = f"{got.source}: artifact {got.artifact_digest} on the {got.subject} {got.subject_digest}"
        return Fetched(got.spec, got.image_digest, got.artifact_digest, source, tuple(got.warnings))

    return resolve_images(images, fetch)
