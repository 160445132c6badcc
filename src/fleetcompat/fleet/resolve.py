"""Turn the image list into parsed specs, once per run: local files are read, registry references fetched.

A registry image is fetched once per platform the fleet has (each host's own, from its gathered `cpu.info` arch;
an image entry's explicit `platform` overrides it for every host), never per host: a spec attached to a platform
manifest applies to that platform's hosts only, and an image without a manifest for a host's platform cannot run
there. Each (image, platform) becomes a `Resolution`: a spec, or why not — no compatibility artifact (`no-spec`),
no manifest for the platform (`no-manifest`: the host is incompatible), or an error (registry down, bad YAML, `tags`
that keep no set). None of these is fatal: the fleet result states the image's reason once and every host is
reported. Resolved images serialise to JSON records (with the spec as a document), so a run directory can hand them
from the one controller step that fetched them to the per-host steps in other processes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fleetcompat.engine import select_sets
from fleetcompat.errors import FleetcompatError, SpecError
from fleetcompat.features.model import Features
from fleetcompat.files import read_input
from fleetcompat.fleet.images import ImageEntry
from fleetcompat.fleet.isolate import internal_error
from fleetcompat.limits import SPEC_BYTES
from fleetcompat.oci_platform import platform_of_arch
from fleetcompat.results.fleet import PlatformStatus, SpecStatus
from fleetcompat.spec import FeatureMatcherTerm, Spec, parse_spec

RECORD_VERSION = 2

# Resolution.status: PlatformStatus (OK, NO_SPEC: no compatibility artifact for this platform nor on its index,
# NO_MANIFEST: no manifest for this platform, so it cannot run there, ERROR); ResolvedImage.status: SpecStatus.


def host_platform(features: Features | None) -> str | None:
    """The host's OCI platform (`linux/arm64`) from its gathered `cpu.info` arch; None when not gathered."""
    return platform_of_arch(features.attribute("cpu.info", "arch")) if features is not None else None


def nfd_platform(document: Mapping[str, Any]) -> str | None:
    """`host_platform` of a features document in NFD's JSON shape, read without converting the whole document
    (Ansible hands the controller every host's facts as stored)."""
    info = ((document.get("attributes") or {}).get("cpu.info") or {}).get("elements") or {}
    arch = info.get("arch")
    return platform_of_arch(str(arch)) if arch else None


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
class Resolution:
    """An image's spec for one platform, or why there is none."""

    platform: str | None  # what was asked for: os/arch, or None (the index / single manifest; any spec file)
    status: PlatformStatus
    spec: Spec | None = None
    digest: str | None = None  # image manifest digest (the index of a multi-platform image)
    spec_digest: str | None = None  # compatibility artifact digest, or sha256 of the spec file
    spec_source: str | None = None  # human-readable origin, e.g. "referrers-api: artifact sha256:.. on the index .."
    subject: str | None = None  # registry: what the artifact is attached to (index / platform-manifest / manifest)
    reason: str | None = None  # why there is no spec (one line; names the image or file unless NO_MANIFEST)
    warnings: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        return {"platform": self.platform, "status": self.status,
                "spec": spec_document(self.spec) if self.spec is not None else None, "digest": self.digest,
                "specDigest": self.spec_digest, "specSource": self.spec_source, "subject": self.subject,
                "reason": self.reason, "warnings": list(self.warnings)}

    @classmethod
    def from_record(cls, record: dict[str, Any], source: str) -> Resolution:
        spec = None if record["spec"] is None else parse_spec(json.dumps(record["spec"]), source)
        return cls(record["platform"], PlatformStatus(record["status"]), spec, record["digest"], record["specDigest"],
                   record["specSource"], record["subject"], record["reason"], tuple(record["warnings"]))


@dataclass(frozen=True, slots=True)
class ResolvedImage:
    """One image of the list with its spec per platform of the fleet (one resolution for a spec file or an entry
    with an explicit platform)."""

    entry: ImageEntry
    resolutions: tuple[Resolution, ...]

    @property
    def alias(self) -> str:
        return self.entry.alias

    @property
    def per_platform(self) -> bool:
        """Whether hosts get the spec of their own platform (a registry image without an explicit platform)."""
        return self.entry.image is not None and self.entry.platform is None

    def for_platform(self, platform: str | None) -> Resolution:
        """What a host of `platform` is audited with."""
        if not self.per_platform:
            return self.resolutions[0]
        found = next((r for r in self.resolutions if r.platform == platform), None)
        if found is None:  # a host that was not among those the images were resolved for
            return Resolution(platform, PlatformStatus.ERROR,
                              reason=f"{self.entry.reference}: not resolved for platform "
                                     f"{platform or 'unknown'} (resolve with every audited host)")
        return found

    @property
    def status(self) -> SpecStatus:
        """The image as a whole: OK when some platform has a spec (or none can run it at all: every host is then
        incompatible), else ERROR if some platform failed, else NO_SPEC."""
        statuses = {r.status for r in self.resolutions}
        if PlatformStatus.OK in statuses or statuses == {PlatformStatus.NO_MANIFEST}:
            return SpecStatus.OK
        return SpecStatus.ERROR if PlatformStatus.ERROR in statuses else SpecStatus.NO_SPEC

    @property
    def reason(self) -> str | None:
        """Why the image as a whole has no spec (None when `status` is OK), stated once for all its hosts."""
        status = self.status
        return None if status is SpecStatus.OK else next(r.reason for r in self.resolutions if r.status == status)

    def _usable(self) -> list[Resolution]:
        return [r for r in self.resolutions if r.spec is not None]

    @property
    def spec(self) -> Spec | None:
        """The spec every platform shares; None when there is none or the platforms' specs differ."""
        digests = {r.spec_digest for r in self._usable()}
        return self._usable()[0].spec if len(digests) == 1 else None

    @property
    def spec_digest(self) -> str | None:
        return next(iter({r.spec_digest for r in self._usable()}), None) if self.spec is not None else None

    @property
    def spec_source(self) -> str | None:
        sources = {r.spec_source for r in self._usable()}
        return next(iter(sources)) if self.spec is not None and len(sources) == 1 else None

    @property
    def digest(self) -> str | None:
        return next((r.digest for r in self.resolutions if r.digest), None)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for r in self.resolutions for w in r.warnings))

    def to_record(self) -> dict[str, Any]:
        return {"version": RECORD_VERSION, "entry": self.entry.to_dict(),
                "resolutions": [r.to_record() for r in self.resolutions]}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ResolvedImage:
        """Rebuild (and re-parse the specs) in another process."""
        if record.get("version") != RECORD_VERSION:
            raise FleetcompatError(f"resolved-image record version {record.get('version')!r} is not "
                                   f"{RECORD_VERSION} (mixed fleetcompat versions on the controller?)")
        e = record["entry"]
        entry = ImageEntry(e["alias"], e["image"], e["spec"], tuple(e["tags"]), e["platform"], e["required"])
        return cls(entry, tuple(Resolution.from_record(r, entry.reference) for r in record["resolutions"]))


# A registry lookup of one image for one platform (None: the index / single manifest); never raises.
RegistryFetch = Callable[[ImageEntry, str | None], Resolution]


def _check_tags(entry: ImageEntry, resolution: Resolution) -> Resolution:
    """Check now that `tags` keep a set: otherwise every host would fail the same way."""
    if resolution.spec is None:
        return resolution
    try:
        select_sets(resolution.spec, entry.tags)
    except FleetcompatError as exc:
        return Resolution(resolution.platform, PlatformStatus.ERROR, digest=resolution.digest,
                          reason=_naming(entry, exc))
    return resolution


def _naming(entry: ImageEntry, exc: FleetcompatError) -> str:
    message = str(exc)
    return message if entry.reference in message else f"{entry.reference}: {message}"


def _resolve_file(entry: ImageEntry) -> Resolution:
    assert entry.spec is not None
    try:
        raw = read_input(entry.spec, "spec file", SpecError, SPEC_BYTES)
        spec = parse_spec(raw, entry.spec)
    except FleetcompatError as exc:
        return Resolution(None, PlatformStatus.ERROR, reason=str(exc))
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    return _check_tags(entry, Resolution(None, PlatformStatus.OK, spec, None, digest, f"file {entry.spec}"))


def _isolated(entry: ImageEntry, platform: str | None, resolve_one: Callable[[], Resolution]) -> Resolution:
    """One image's resolution, or an `error` for it alone when something nobody foresaw goes wrong with it (a
    spec that exhausts the parser's recursion or memory): the other images are still resolved."""
    try:
        return resolve_one()
    except Exception as exc:  # one image's failure must not end the audit of the others
        return Resolution(platform, PlatformStatus.ERROR,
                          reason=f"{entry.reference}: {internal_error(exc, 'resolving its spec')}")


def _resolve_registry(entry: ImageEntry, platform: str | None, fetch: RegistryFetch | None) -> Resolution:
    if fetch is None:
        return Resolution(platform, PlatformStatus.ERROR,
                          reason=f"{entry.image}: registry images need the registry client "
                                 "(fleetcompat.registry), which is not available")
    return _check_tags(entry, fetch(entry, platform))


def _platform_order(platform: str | None) -> tuple[bool, str]:
    return platform is not None, platform or ""


def resolve_images(images: Sequence[ImageEntry], fetch: RegistryFetch | None = None,
                   platforms: Iterable[str | None] = (None,), parallel: int = 8) -> list[ResolvedImage]:
    """Resolve every image once per platform of `platforms` (the fleet's; None: hosts of unknown platform),
    registry fetches in parallel; order follows `images`, then the platforms sorted."""
    fleet = sorted(set(platforms), key=_platform_order) or [None]
    jobs = [(entry, platform) for entry in images if entry.image is not None
            for platform in ([entry.platform] if entry.platform else fleet)]
    fetched: dict[str, list[Resolution]] = {}
    if jobs:
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(jobs)))) as pool:
            def fetch_one(job: tuple[ImageEntry, str | None]) -> Resolution:
                entry, platform = job
                return _isolated(entry, platform, lambda: _resolve_registry(entry, platform, fetch))

            for (entry, _), resolution in zip(jobs, pool.map(fetch_one, jobs), strict=True):
                fetched.setdefault(entry.alias, []).append(resolution)
    return [ResolvedImage(i, tuple(fetched[i.alias]) if i.image is not None
                          else (_isolated(i, None, lambda i=i: _resolve_file(i)),))
            for i in images]


def resolve(images: Sequence[ImageEntry], registry_options: Any = None,
            platforms: Iterable[str | None] = (None,)) -> list[ResolvedImage]:
    """Resolve with a fresh `SpecFetcher` (made only when some image is a registry reference), once per image and
    platform of `platforms` (see `resolve_images`).

    `registry_options`: a `fleetcompat.registry.RegistryOptions`, or None for the defaults.
    """
    if not any(i.image is not None for i in images):
        return resolve_images(images, platforms=platforms)
    from fleetcompat.registry import NoCompatibilityArtifactError, PlatformNotFoundError, SpecFetcher

    fetcher = SpecFetcher(registry_options)

    def fetch(entry: ImageEntry, platform: str | None) -> Resolution:
        try:
            got = fetcher.fetch(entry.image, platform)
        except PlatformNotFoundError as exc:
            return Resolution(platform, PlatformStatus.NO_MANIFEST,
                              reason=f"image has no {platform} manifest ({exc.message})")
        except NoCompatibilityArtifactError as exc:
            return Resolution(platform, PlatformStatus.NO_SPEC, reason=_naming(entry, exc))
        except FleetcompatError as exc:  # registry errors, and SpecError for a malformed spec
            return Resolution(platform, PlatformStatus.ERROR, reason=_naming(entry, exc))
        source = f"{got.source}: artifact {got.artifact_digest} on the {got.subject} {got.subject_digest}"
        return Resolution(platform, PlatformStatus.OK, got.spec, got.image_digest, got.artifact_digest, source,
                          got.subject, warnings=tuple(got.warnings))

    return resolve_images(images, fetch, platforms)
