"""Image compatibility artifacts in OCI registries: discover, fetch (verified, cached) and attach.

Fleet-facing API (thread-safe; one fetcher per run)::

    from fleetcompat.registry import RegistryOptions, SpecFetcher, RegistryError

    fetcher = SpecFetcher(RegistryOptions(cache_dir=..., plain_http_registries=frozenset({"reg:5000"})))
    fetched = fetcher.fetch("reg:5000/app:v1", platform="linux/amd64")   # platform: str | Platform | None
    fetched.spec               # fleetcompat.spec.Spec, ready for fleetcompat.engine.evaluate_spec
    fetched.image_ref          # normalised reference ("docker.io/library/ubuntu:22.04" for "ubuntu:22.04")
    fetched.image_digest       # what the reference resolved to (the index of a multi-platform image)
    fetched.artifact_digest    # the compatibility artifact manifest used
    fetched.source             # "referrers-api" | "tag-fallback" | "cache" (--offline)
    fetched.subject            # "index" | "platform-manifest" | "manifest" (single-platform image)
    fetched.warnings           # tuple[str, ...] to show the user (unexpected layer type, several artifacts, ...)
    fetched.to_dict()          # JSON-ready, for reports

- `fetch` is memoised per (image, platform) for the fetcher's lifetime, errors included: call it once per
  host if that is convenient; the registry is asked once per image (plus one listing per extra platform).
  Concurrent calls for the same image wait for the first. Pass each host's own platform
  (`Platform.from_uname("Linux", "x86_64")` or "linux/amd64"), or None to use the index / single manifest.
- Each `fetch`/`discover` (and `attach_spec`) has one deadline, `RegistryOptions.timeout`, for everything it
  asks of registries; see client.py for the limits and the rule for where credentials may go.
- Errors are `RegistryError` (a `FleetcompatError`, exit code 2) with `where` = the image reference and a
  one-line message; `PlatformNotFoundError` (a RegistryError) means the image has no manifest for that platform
  at all, `NoCompatibilityArtifactError` (a RegistryError) that it has no compatibility artifact (no spec). A
  malformed spec raises `SpecError` naming the image and artifact. Credentials never appear in messages.
- `SpecFetcher.discover(ref, platform=None) -> Discovery` lists every compatibility artifact;
  `attach_spec(client, image, spec_bytes, title, platform=None)` publishes one like `oras attach`.

Why this package has its own transport rather than oras-py's: docs/architecture.md. Modules: reference, credentials,
client (HTTP, auth per scope, the per-image deadline, retries, redirects, limits), watchdog, cache, fetch
(SpecFetcher), publish (attach), options (RegistryOptions).
"""

from fleetcompat.registry.client import RegistryClient
from fleetcompat.registry.credentials import Credential
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.fetch import (
    ArtifactInfo,
    Discovery,
    FetchedSpec,
    NoCompatibilityArtifactError,
    PlatformNotFoundError,
    SpecFetcher,
)
from fleetcompat.registry.options import RegistryOptions
from fleetcompat.registry.publish import AttachResult, attach_spec
from fleetcompat.registry.reference import ImageReference, Platform

__all__ = [
    "ArtifactInfo",
    "AttachResult",
    "Credential",
    "Discovery",
    "FetchedSpec",
    "ImageReference",
    "NoCompatibilityArtifactError",
    "Platform",
    "PlatformNotFoundError",
    "RegistryClient",
    "RegistryError",
    "RegistryOptions",
    "SpecFetcher",
    "attach_spec",
]
