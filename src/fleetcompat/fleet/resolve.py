"""Turn the image list into parsed specs, once per run: local files are read, registry references fetched.

An image whose spec cannot be had (registry down, no artifact, bad YAML) is not fatal: it becomes a
`ResolvedImage` with `error` set, and the fleet result shows that image as `error` for every host with the
reason stated once. Resolved images serialise to JSON records (with the spec text), so that a run directory can
hand them from the one controller step that fetched them to the per-host steps in other processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetcompat.engine import select_sets
from fleetcompat.errors import FleetcompatError
from fleetcompat.fleet.images import ImageEntry
from fleetcompat.spec import Spec, parse_spec

RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class FetchedText:
    """What a registry fetch hands back for one image."""

    text: str  # the spec document as stored in the artifact
    digest: str | None  # image manifest digest
    spec_digest: str | None  # compatibility artifact digest
    spec_source: str  # human-readable origin, e.g. "referrer sha256:..."


RegistryFetch = Callable[[ImageEntry], FetchedText]  # raises FleetcompatError (RegistryError) on failure


@dataclass(frozen=True, slots=True)
class ResolvedImage:
    entry: ImageEntry
    spec: Spec | None = None
    text: str | None = None
    digest: str | None = None
    spec_digest: str | None = None
    spec_source: str | None = None
    error: str | None = None  # why there is no spec (one line, names the image or file)

    @property
    def alias(self) -> str:
        return self.entry.alias

    def to_record(self) -> dict[str, Any]:
        return {"version": RECORD_VERSION, "entry": self.entry.to_dict(), "text": self.text, "digest": self.digest,
                "specDigest": self.spec_digest, "specSource": self.spec_source, "error": self.error}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ResolvedImage:
        """Rebuild (and re-parse the spec text) in another process."""
        if record.get("version") != RECORD_VERSION:
            raise FleetcompatError(f"resolved-image record version {record.get('version')!r} is not "
                                   f"{RECORD_VERSION} (mixed fleetcompat versions on the controller?)")
        e = record["entry"]
        entry = ImageEntry(e["alias"], e["image"], e["spec"], tuple(e["tags"]), e["platform"], e["required"])
        spec = None
        if record["text"] is not None and record["error"] is None:
            spec = parse_spec(record["text"], entry.reference)
        return cls(entry, spec, record["text"], record["digest"], record["specDigest"], record["specSource"],
                   record["error"])


def _parse(entry: ImageEntry, text: str) -> Spec:
    """Parse, and check now that `tags` keep a set: otherwise every host would fail the same way."""
    spec = parse_spec(text, entry.reference)
    select_sets(spec, entry.tags)
    return spec


def _resolve_file(entry: ImageEntry) -> ResolvedImage:
    assert entry.spec is not None
    try:
        raw = Path(entry.spec).read_bytes()
    except OSError as exc:
        return ResolvedImage(entry, error=f"{entry.spec}: cannot read spec file: {exc.strerror}")
    try:
        text = raw.decode("utf-8")
        spec = _parse(entry, text)
    except UnicodeDecodeError as exc:
        return ResolvedImage(entry, error=f"{entry.spec}: not UTF-8 text ({exc.reason})")
    except FleetcompatError as exc:
        return ResolvedImage(entry, error=str(exc))
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    return ResolvedImage(entry, spec, text, None, digest, f"file {entry.spec}")


def _resolve_registry(entry: ImageEntry, fetch: RegistryFetch | None) -> ResolvedImage:
    assert entry.image is not None
    if fetch is None:
        return ResolvedImage(entry, error=f"{entry.image}: registry images need the registry client "
                                          "(fleetcompat.registry), which is not available")
    try:
        fetched = fetch(entry)
        spec = _parse(entry, fetched.text)
    except FleetcompatError as exc:
        message = str(exc)
        return ResolvedImage(entry, error=message if entry.image in message else f"{entry.image}: {message}")
    return ResolvedImage(entry, spec, fetched.text, fetched.digest, fetched.spec_digest, fetched.spec_source)


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
