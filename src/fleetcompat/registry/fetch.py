"""Find, fetch, verify and cache an image's compatibility spec: `SpecFetcher`.

Where the spec is looked for (a superset of NFD, which looks only at the digest the reference resolves to, or
only at the platform manifest when `--platform` is given):

- a single-platform image: its manifest (checked against the wanted platform through its config, if one is
  wanted);
- a multi-platform image (OCI index / Docker manifest list) with a platform: that platform's manifest first,
  then the index;
- a multi-platform image without a platform: the index.

Among the compatibility artifacts on the first subject that has any, the newest by the annotation
`org.opencontainers.image.created` wins (NFD's rule; missing or unparsable = oldest; ties keep registry
order, the last wins). `FetchedSpec.subject` says where it came from.

Request budget per image: cold = resolve + referrers listing (+ the referrers-API probe once per registry)
+ artifact manifest + spec blob; warm (unchanged image, spec in the cache) = one HEAD for the tag (none for a
`@digest` reference) + one referrers listing. Falling back from a platform manifest to the index costs one more
listing. Results, errors included, are memoised per image (and platform) for the fetcher's lifetime, so a
fleet run asks the registry once per image however many hosts it has; concurrent callers of the same image wait
for the first one.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from fleetcompat.errors import FleetcompatError
from fleetcompat.registry.cache import SpecCache
from fleetcompat.registry.client import (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    Manifest,
    Referrers,
    RegistryClient,
    Repository,
    parse_manifest,
)
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.options import RegistryOptions
from fleetcompat.registry.reference import ImageReference, Platform, check_digest
from fleetcompat.spec import ARTIFACT_TYPE, SPEC_MEDIA_TYPE, Spec, parse_spec

SUBJECT_INDEX = "index"
SUBJECT_PLATFORM_MANIFEST = "platform-manifest"
SUBJECT_MANIFEST = "manifest"
SOURCE_CACHE = "cache"
CREATED_ANNOTATION = "org.opencontainers.image.created"
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)\Z")
_OLDEST = -(2**63)
_IMAGE_CONFIG_TYPES = ("application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json")

T = TypeVar("T")


def created_key(value: object) -> int:
    """RFC 3339 time (Go's time.RFC3339, nanoseconds kept) -> nanoseconds since the epoch, for sorting;
    anything else sorts as Go's zero time, i.e. before every real time."""
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if not match:
        return _OLDEST
    day, clock, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}" + ("+00:00" if zone in "Zz" else zone))
    except ValueError:
        return _OLDEST
    return int(moment.timestamp()) * 1_000_000_000 + int((fraction or "0")[:9].ljust(9, "0"))


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    """One compatibility artifact as listed by the registry (referrers API or fallback tag)."""

    digest: str
    media_type: str
    size: int
    created: str
    subject: str  # "index" | "platform-manifest" | "manifest"
    subject_digest: str
    platform: str | None  # the platform of the subject manifest, when known
    source: str  # "referrers-api" | "tag-fallback"
    annotations: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "mediaType": self.media_type, "size": self.size, "created": self.created,
                "subject": self.subject, "subjectDigest": self.subject_digest, "platform": self.platform,
                "source": self.source, "annotations": dict(self.annotations)}


@dataclass(frozen=True, slots=True)
class FetchedSpec:
    """A verified spec and where it came from."""

    spec: Spec
    image_ref: str  # normalised reference, e.g. docker.io/library/ubuntu:22.04
    image_digest: str  # what the reference resolved to (an index for a multi-platform image)
    artifact_digest: str
    layer_digest: str
    source: str  # "referrers-api" | "tag-fallback" | "cache" (offline: from the cache alone)
    subject: str  # "index" | "platform-manifest" | "manifest": what the artifact is attached to
    subject_digest: str
    platform: str | None
    created: str
    cached: bool = False  # spec bytes came from the disk cache (online, the listing still came from the registry)
    warnings: tuple[str, ...] = ()
    others: tuple[ArtifactInfo, ...] = ()  # other compatibility artifacts seen and not used

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.image_ref, "digest": self.image_digest, "platform": self.platform,
                "subject": self.subject, "subjectDigest": self.subject_digest,
                "artifactDigest": self.artifact_digest, "layerDigest": self.layer_digest, "created": self.created,
                "source": self.source, "cached": self.cached, "warnings": list(self.warnings),
                "otherArtifacts": [a.to_dict() for a in self.others]}


@dataclass(frozen=True, slots=True)
class Discovery:
    """All compatibility artifacts of an image (what `fleetcompat discover` prints)."""

    image_ref: str
    image_digest: str
    media_type: str
    platforms: tuple[str, ...]  # of a multi-platform image
    artifacts: tuple[ArtifactInfo, ...]
    selected: ArtifactInfo | None  # what `fetch(ref, platform)` would use

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.image_ref, "digest": self.image_digest, "mediaType": self.media_type,
                "platforms": list(self.platforms), "artifacts": [a.to_dict() for a in self.artifacts],
                "selected": self.selected.digest if self.selected else None}


@dataclass(frozen=True, slots=True)
class _Subject:
    kind: str
    digest: str
    platform: str | None


@dataclass(frozen=True, slots=True)
class _Artifact:
    spec: Spec
    layer_digest: str
    warnings: tuple[str, ...]
    cached: bool


class _Once:
    """Compute each key once; concurrent callers of one key wait; errors are remembered like results."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[object, list] = {}  # key -> [lock, done, value, error]

    def get(self, key: object, compute: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.setdefault(key, [threading.Lock(), False, None, None])
        with entry[0]:
            if not entry[1]:
                try:
                    entry[2] = compute()
                except FleetcompatError as exc:
                    entry[3] = exc
                entry[1] = True
        if entry[3] is not None:
            error = entry[3]
            raise type(error)(error.message, where=error.where)
        return entry[2]


class SpecFetcher:
    """`fetch(ref, platform=None) -> FetchedSpec`, `discover(ref, platform=None) -> Discovery`; thread-safe."""

    def __init__(self, options: RegistryOptions | None = None, client: RegistryClient | None = None) -> None:
        self.options = options or RegistryOptions()
        self.client = client or RegistryClient(self.options)
        self.cache = SpecCache(self.options.cache_dir)
        self._fetches = _Once()
        self._resolved = _Once()
        self._listings = _Once()
        self._artifacts = _Once()
        self._configs = _Once()
        self._blobs = _Once()
        self._probe_lock = threading.Lock()
        self._endpoint_locks: dict[str, threading.Lock] = {}

    # -- public API --------------------------------------------------------------------------------------

    def fetch(self, ref: str | ImageReference, platform: str | Platform | None = None) -> FetchedSpec:
        """The spec for `ref` (on `platform`), fetched once per fetcher; raises RegistryError naming the image."""
        image, wanted = self._parse(ref, platform)
        return self._fetches.get((str(image), str(wanted) if wanted else None),
                                 lambda: self._named(image, lambda: self._fetch(image, wanted)))

    def discover(self, ref: str | ImageReference, platform: str | Platform | None = None) -> Discovery:
        """Every compatibility artifact of the image (index and all platform manifests, or the wanted one)."""
        image, wanted = self._parse(ref, platform)
        if self.options.offline:
            raise RegistryError("discover needs the registry (it cannot work --offline)", where=str(image))
        return self._named(image, lambda: self._discover(image, wanted))

    # -- the work ----------------------------------------------------------------------------------------

    @staticmethod
    def _parse(ref: str | ImageReference, platform: str | Platform | None) -> tuple[ImageReference, Platform | None]:
        try:
            image = ref if isinstance(ref, ImageReference) else ImageReference.parse(ref)
            wanted = Platform.parse(platform) if isinstance(platform, str) and platform else platform or None
        except RegistryError as exc:
            raise RegistryError(exc.message, where=str(ref)) from None
        return image, wanted

    def _named(self, image: ImageReference, work: Callable[[], T]) -> T:
        """Run `work` within the image's deadline (`RegistryOptions.timeout` for all of its registry requests),
        making sure any error names the image."""
        try:
            with self.client.deadline():
                return work()
        except RegistryError as exc:
            if exc.where:
                raise
            raise type(exc)(exc.message, where=str(image)) from None

    def _fetch(self, image: ImageReference, platform: Platform | None) -> FetchedSpec:
        platform_key = str(platform) if platform else None
        if self.options.offline:
            return self._fetch_offline(image, platform_key)
        repo = Repository(image.endpoint, image.repository)
        previous = self.cache.get_ref(str(image), platform_key)
        manifest = self._resolve(image, repo, (previous or {}).get("image_digest"))
        warnings: list[str] = []
        seen: list[ArtifactInfo] = []
        chosen: ArtifactInfo | None = None
        for subject in self._subjects(repo, manifest, platform, all_platforms=False):
            found = self._list(repo, subject)
            seen.extend(found)
            if found:
                chosen = newest(found)
                break
        if chosen is None:
            raise NoCompatibilityArtifactError(self._nothing_found(manifest, platform))
        artifact = self._artifact(repo, image, chosen)
        warnings.extend(artifact.warnings)
        others = tuple(a for a in seen if a is not chosen)
        if others:
            warnings.append(f"{len(others) + 1} compatibility artifacts on the {chosen.subject}; using the newest "
                            f"({chosen.digest}, created {chosen.created or 'unknown'}); see `fleetcompat discover`")
        fetched = FetchedSpec(
            spec=artifact.spec, image_ref=str(image), image_digest=manifest.digest, artifact_digest=chosen.digest,
            layer_digest=artifact.layer_digest, source=chosen.source, subject=chosen.subject,
            subject_digest=chosen.subject_digest, platform=chosen.platform or platform_key, created=chosen.created,
            cached=artifact.cached, warnings=tuple(warnings), others=others,
        )
        self.cache.put_ref(str(image), platform_key, {
            "image_digest": fetched.image_digest, "subject": fetched.subject, "subject_digest": fetched.subject_digest,
            "artifact_digest": fetched.artifact_digest, "source": fetched.source, "created": fetched.created,
            "platform_used": fetched.platform,
        })
        return fetched

    def _fetch_offline(self, image: ImageReference, platform_key: str | None) -> FetchedSpec:
        entry = self.cache.get_ref(str(image), platform_key)
        if not entry:
            on = f" for platform {platform_key}" if platform_key else ""
            raise RegistryError(f"not in the spec cache{on} (--offline); run once without --offline first")
        try:
            artifact_digest = check_digest(str(entry["artifact_digest"]))
            artifact = self._artifact_from_cache(image, artifact_digest)
        except (KeyError, RegistryError):
            artifact = None
        if artifact is None:
            raise RegistryError("the spec cache entry is incomplete or damaged (--offline); run once online")
        return FetchedSpec(
            spec=artifact.spec, image_ref=str(image), image_digest=str(entry.get("image_digest", "")),
            artifact_digest=artifact_digest, layer_digest=artifact.layer_digest, source=SOURCE_CACHE,
            subject=str(entry.get("subject", "")), subject_digest=str(entry.get("subject_digest", "")),
            platform=entry.get("platform_used") or platform_key, created=str(entry.get("created", "")),
            cached=True, warnings=artifact.warnings,
        )

    def _discover(self, image: ImageReference, platform: Platform | None) -> Discovery:
        repo = Repository(image.endpoint, image.repository)
        manifest = self._resolve(image, repo, None)
        found: list[ArtifactInfo] = []
        selected = None
        for subject in self._subjects(repo, manifest, platform, all_platforms=platform is None):
            listed = self._list(repo, subject)
            found.extend(listed)
            if selected is None and listed and (platform is not None or subject.kind != SUBJECT_PLATFORM_MANIFEST):
                selected = newest(listed)
        platforms = tuple(_platform_text(m.get("platform")) for m in manifest.document.get("manifests", [])
                          if isinstance(m, dict)) if manifest.is_index else ()
        return Discovery(str(image), manifest.digest, manifest.media_type, platforms, tuple(found), selected)

    def _resolve(self, image: ImageReference, repo: Repository, hint: str | None) -> Manifest:
        """The manifest the reference points at, verified; bodies come from the cache when the digest is known."""

        def resolve() -> Manifest:
            digest = image.digest
            if digest is None and hint and self.cache.get_blob(hint) is not None:
                digest = self.client.head_manifest(repo, image.reference)  # a tag seen before: HEAD is enough
            if digest:
                cached = self.cache.get_blob(digest)
                if cached is not None:
                    return parse_manifest(cached, digest, "", f"cached manifest {digest}")
            manifest = self.client.get_manifest(repo, image.reference)
            if image.digest and manifest.digest != image.digest:
                raise RegistryError(f"digest mismatch: pinned {image.digest}, registry served {manifest.digest}")
            self.cache.put_blob(manifest.digest, manifest.data)
            return manifest

        return self._resolved.get(str(image), resolve)

    def _subjects(self, repo: Repository, manifest: Manifest, platform: Platform | None, *,
                  all_platforms: bool) -> list[_Subject]:
        if not manifest.is_index:
            if platform is not None:
                self._check_single_platform(repo, manifest, platform)
            return [_Subject(SUBJECT_MANIFEST, manifest.digest, str(platform) if platform else None)]
        entries = [m for m in manifest.document.get("manifests", []) if isinstance(m, dict)]
        subjects = []
        if platform is not None:
            match = next((m for m in entries if platform.matches(m.get("platform") or {})), None)
            if match is None:
                offered = ", ".join(_platform_text(m.get("platform")) for m in entries) or "none"
                raise PlatformNotFoundError(f"no manifest for platform {platform} in the image index "
                                            f"(it has: {offered})")
            subjects.append(_Subject(SUBJECT_PLATFORM_MANIFEST, check_digest(str(match.get("digest", ""))),
                                     _platform_text(match.get("platform"))))
        subjects.append(_Subject(SUBJECT_INDEX, manifest.digest, None))
        if all_platforms:
            subjects.extend(_Subject(SUBJECT_PLATFORM_MANIFEST, check_digest(str(m.get("digest", ""))),
                                     _platform_text(m.get("platform"))) for m in entries)
        return subjects

    def _check_single_platform(self, repo: Repository, manifest: Manifest, platform: Platform) -> None:
        """NFD compares a single-platform image's config with --platform; so do we (config cached by digest)."""
        config = manifest.document.get("config") or {}
        if config.get("mediaType") not in _IMAGE_CONFIG_TYPES:
            return  # not a container image config: nothing to compare
        digest = check_digest(str(config.get("digest", "")))

        def load() -> dict:
            data = self.cache.get_blob(digest)
            if data is None:
                data = self.client.get_blob(repo, config)
                self.cache.put_blob(digest, data)
            try:
                doc = json.loads(data)
            except ValueError:
                raise RegistryError(f"image config {digest} is not JSON") from None
            return doc if isinstance(doc, dict) else {}

        doc = self._configs.get((repo, digest), load)
        if doc.get("os") and doc.get("architecture") and not platform.matches(doc):
            raise PlatformNotFoundError(f"the image is for {_platform_text(doc)}, not {platform}")

    def _list(self, repo: Repository, subject: _Subject) -> list[ArtifactInfo]:
        def listing() -> Referrers:
            with self._probing(repo.endpoint):
                return self.client.list_referrers(repo, subject.digest, ARTIFACT_TYPE)

        referrers = self._listings.get((repo, subject.digest), listing)
        return [_artifact_info(d, subject, referrers.source) for d in referrers.descriptors]

    @contextlib.contextmanager
    def _probing(self, endpoint: str) -> Iterator[None]:
        """While it is unknown whether `endpoint` has the referrers API (not learnt in this run nor remembered by
        the cache), listings on it run one at a time, so the API is probed once, not once per thread."""
        with self._probe_lock:
            if endpoint not in self.client.referrers_api:
                known = self.cache.referrers_api(endpoint, self.options.referrers_probe_ttl)
                if known is not None:
                    self.client.referrers_api[endpoint] = known
            lock = self._endpoint_locks.setdefault(endpoint, threading.Lock())
        if endpoint in self.client.referrers_api:
            yield
            return
        with lock:
            known_before = endpoint in self.client.referrers_api
            yield
            if not known_before and endpoint in self.client.referrers_api:
                self.cache.put_referrers_api(endpoint, self.client.referrers_api[endpoint])

    def _artifact(self, repo: Repository, image: ImageReference, chosen: ArtifactInfo) -> _Artifact:
        def load() -> _Artifact:
            cached = self._artifact_from_cache(image, chosen.digest)
            if cached is not None:
                return cached
            if chosen.size > self.options.max_bytes:
                raise RegistryError(f"artifact manifest {chosen.digest} is {chosen.size} bytes, "
                                    f"over the {self.options.max_bytes}-byte limit")
            manifest = self.client.get_manifest(repo, chosen.digest, (OCI_MANIFEST, DOCKER_MANIFEST))
            layer, warnings = pick_layer(manifest)
            if int(layer.get("size") or 0) > self.options.max_bytes:
                raise RegistryError(f"spec layer {layer.get('digest')} is {layer.get('size')} bytes, "
                                    f"over the {self.options.max_bytes}-byte limit")
            layer_digest = str(layer["digest"])
            data = self._blobs.get((repo, layer_digest), lambda: self.cache.get_blob(layer_digest)
                                   or self.client.get_blob(repo, layer))
            spec = parse_spec(data, f"{image} artifact {chosen.digest}")
            self.cache.put_blob(manifest.digest, manifest.data)
            self.cache.put_blob(str(layer["digest"]), data)
            return _Artifact(spec, str(layer["digest"]), warnings, cached=False)

        return self._artifacts.get(chosen.digest, load)

    def _artifact_from_cache(self, image: ImageReference, artifact_digest: str) -> _Artifact | None:
        data = self.cache.get_blob(artifact_digest)
        if data is None:
            return None
        manifest = parse_manifest(data, artifact_digest, "", f"cached artifact {artifact_digest}")
        layer, warnings = pick_layer(manifest)
        spec_bytes = self.cache.get_blob(check_digest(str(layer.get("digest", ""))))
        if spec_bytes is None:
            return None
        spec = parse_spec(spec_bytes, f"{image} artifact {artifact_digest}")
        return _Artifact(spec, str(layer["digest"]), warnings, cached=True)

    @staticmethod
    def _nothing_found(manifest: Manifest, platform: Platform | None) -> str:
        where = "image manifest" if not manifest.is_index else (
            f"{platform} manifest or the image index" if platform else "image index")
        hint = "; pass --platform to look at a platform's manifest" if manifest.is_index and not platform else ""
        return f"compatibility artifact not found (no {ARTIFACT_TYPE} referrer on the {where}){hint}"


class PlatformNotFoundError(RegistryError):
    """The image has no manifest for the wanted platform: it cannot run there at all."""


class NoCompatibilityArtifactError(RegistryError):
    """The image was found but has no compatibility artifact where one is looked for: it has no spec (a fleet
    reports it as `no-spec`; `validate --image` cannot decide and exits 2 like for any registry error)."""


def newest(artifacts: list[ArtifactInfo]) -> ArtifactInfo:
    """NFD's choice: sort ascending by creation time (stable: ties keep registry order) and take the last."""
    return sorted(artifacts, key=lambda a: created_key(a.created))[-1]


def pick_layer(manifest: Manifest) -> tuple[dict, tuple[str, ...]]:
    """The spec layer: the one with the NFD spec media type, else layers[0] (what NFD reads) with a warning."""
    doc = manifest.document
    what = f"artifact {manifest.digest}"
    if manifest.media_type not in (OCI_MANIFEST, DOCKER_MANIFEST):
        raise RegistryError(f"{what} is a {manifest.media_type}, not an image manifest")
    warnings = []
    artifact_type = doc.get("artifactType") or (doc.get("config") or {}).get("mediaType")
    if artifact_type != ARTIFACT_TYPE:
        warnings.append(f"{what} has artifactType {artifact_type!r}, expected {ARTIFACT_TYPE}")
    layers = [layer for layer in doc.get("layers") or [] if isinstance(layer, dict)]
    if not layers:
        raise RegistryError(f"compatibility layer not found: {what} has no layers")
    layer = next((layer for layer in layers if layer.get("mediaType") == SPEC_MEDIA_TYPE), None)
    if layer is None:
        layer = layers[0]
        warnings.append(f"{what}: no layer has media type {SPEC_MEDIA_TYPE}; reading layers[0] "
                        f"({layer.get('mediaType')!r}) as NFD does")
    elif len(layers) > 1:
        warnings.append(f"{what} has {len(layers)} layers; using the first {SPEC_MEDIA_TYPE} one")
    check_digest(str(layer.get("digest", "")))
    return layer, tuple(warnings)


def _artifact_info(descriptor: dict, subject: _Subject, source: str) -> ArtifactInfo:
    annotations = descriptor.get("annotations") if isinstance(descriptor.get("annotations"), dict) else {}
    size = descriptor.get("size")
    return ArtifactInfo(
        digest=check_digest(str(descriptor.get("digest", ""))), media_type=str(descriptor.get("mediaType", "")),
        size=size if isinstance(size, int) else 0, created=str(annotations.get(CREATED_ANNOTATION, "")),
        subject=subject.kind, subject_digest=subject.digest, platform=subject.platform, source=source,
        annotations={str(k): str(v) for k, v in annotations.items()},
    )


def _platform_text(platform: object) -> str:
    if not isinstance(platform, dict):
        return "unknown"
    text = f"{platform.get('os', '?')}/{platform.get('architecture', '?')}"
    return text + (f"/{platform['variant']}" if platform.get("variant") else "")
