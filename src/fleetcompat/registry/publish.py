"""Attach a compatibility spec to an image, byte-compatible with `oras attach`.

`oras attach --artifact-type application/vnd.nfd.image-compatibility.v1alpha1 REF SPEC.yaml:<spec media type>`
(oras 1.2/1.3, oras-go v2 `PackManifest` version 1.1) pushes the empty config blob `{}` and the spec blob, then an
OCI image manifest, untagged, by digest:

    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
     "artifactType":"application/vnd.nfd.image-compatibility.v1alpha1",
     "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa3…","size":2,"data":"e30="},
     "layers":[{"mediaType":"application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml","digest":…,"size":…,
                "annotations":{"org.opencontainers.image.title":"spec.yaml"}}],
     "subject":{"mediaType":…,"digest":…,"size":…},
     "annotations":{"org.opencontainers.image.created":"2025-01-01T00:00:00Z"}}

serialised the way Go's encoding/json does (struct field order, compact, sorted map keys, `<>&` escaped). If the
registry's answer has no `OCI-Subject` header it has no referrers API, and the referrers tag schema is maintained
like oras-go does: read `sha256-<hex>` (an OCI index), add the new descriptor (with artifactType and annotations),
push the index under that tag and delete the superseded index (ignored where deletes are disabled). Like oras,
there is no locking: two concurrent attaches to one image may lose one index entry (the artifact itself stays).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import oras.defaults

from fleetcompat.registry.client import OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, RegistryClient, Repository, fallback_tag
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.fetch import CREATED_ANNOTATION, PlatformNotFoundError
from fleetcompat.registry.reference import ImageReference, Platform, compute_digest
from fleetcompat.spec import ARTIFACT_TYPE, SPEC_MEDIA_TYPE, parse_spec

TITLE_ANNOTATION = oras.defaults.annotation_title
EMPTY_CONFIG = b"{}"
# Go's ocispec.Descriptor field order.
_DESCRIPTOR_FIELDS = ("mediaType", "digest", "size", "urls", "annotations", "data", "platform", "artifactType")


@dataclass(frozen=True, slots=True)
class AttachResult:
    image_ref: str
    subject: dict
    artifact_digest: str
    artifact_size: int
    manifest: bytes
    referrers: str  # "referrers-api" (the registry indexed it) or "tag-fallback" (we wrote the index tag)
    fallback_tag: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.image_ref, "subject": self.subject,
                "artifact": {"mediaType": OCI_MANIFEST, "digest": self.artifact_digest, "size": self.artifact_size,
                             "artifactType": ARTIFACT_TYPE},
                "referrers": self.referrers, "fallbackTag": self.fallback_tag}


def go_json(value: Any) -> bytes:
    """Go encoding/json output for already ordered data: compact, UTF-8, with <, >, & escaped as \\u003c etc."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text.encode()


def go_descriptor(descriptor: Mapping[str, Any]) -> dict[str, Any]:
    """A descriptor with Go's field order and sorted annotations (what oras-go would serialise)."""
    out = {k: descriptor[k] for k in _DESCRIPTOR_FIELDS if descriptor.get(k) not in (None, "", [], {})}
    if "annotations" in out:
        out["annotations"] = dict(sorted(out["annotations"].items()))
    if "platform" in out:
        platform = out["platform"]
        out["platform"] = {k: platform[k] for k in ("architecture", "os", "os.version", "os.features", "variant")
                           if platform.get(k)}
    return out


def artifact_manifest(subject: dict, spec_descriptor: dict, title: str, annotations: Mapping[str, str]) -> bytes:
    layer = {"mediaType": SPEC_MEDIA_TYPE, **spec_descriptor, "annotations": {TITLE_ANNOTATION: title}}
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": OCI_EMPTY, "digest": oras.defaults.blank_config_hash, "size": 2, "data": "e30="},
        "layers": [go_descriptor(layer)],
        "subject": go_descriptor(subject),
        "annotations": dict(sorted(annotations.items())),
    }
    return go_json(manifest)


def oras_title(path: str) -> str:
    """oras names a file by its cleaned relative path as given. It refuses absolute paths unless told otherwise
    and then publishes the whole path; we publish only the file name rather than a local directory layout."""
    cleaned = os.path.normpath(path)
    return os.path.basename(cleaned) if os.path.isabs(cleaned) else cleaned.replace(os.sep, "/")


def attach_spec(client: RegistryClient, image: ImageReference, spec_bytes: bytes, title: str, *,
                platform: Platform | None = None, annotations: Mapping[str, str] | None = None,
                source: str | None = None) -> AttachResult:
    """Validate the spec (errors name `source`, default `title`), then publish it as a compatibility artifact of
    `image` (its platform manifest if `platform` is given and the image is multi-platform, like
    `oras attach --platform`), all within one deadline (`RegistryOptions.timeout`)."""
    parse_spec(spec_bytes, source or title)
    with client.deadline():
        return _attach(client, image, spec_bytes, title, platform, annotations)


def _attach(client: RegistryClient, image: ImageReference, spec_bytes: bytes, title: str, platform: Platform | None,
            annotations: Mapping[str, str] | None) -> AttachResult:
    repo = Repository(image.endpoint, image.repository)
    resolved = client.get_manifest(repo, image.reference)
    subject = resolved.descriptor()
    if platform is not None and resolved.is_index:
        entries = [m for m in resolved.document.get("manifests", []) if isinstance(m, dict)]
        match = next((m for m in entries if platform.matches(m.get("platform") or {})), None)
        if match is None:
            raise PlatformNotFoundError(f"no manifest for platform {platform} in the image index", where=str(image))
        subject = dict(match)
    annotations = dict(annotations or {})
    annotations.setdefault(CREATED_ANNOTATION, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    client.push_blob(repo, EMPTY_CONFIG)
    spec_descriptor = client.push_blob(repo, spec_bytes)
    manifest = artifact_manifest(subject, spec_descriptor, title, annotations)
    digest = compute_digest(manifest)
    reply = client.put_manifest(repo, digest, manifest, OCI_MANIFEST)
    if reply.headers.get("OCI-Subject"):
        return AttachResult(str(image), go_descriptor(subject), digest, len(manifest), manifest, "referrers-api", None)
    referrer = go_descriptor({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest),
                              "annotations": annotations, "artifactType": ARTIFACT_TYPE})
    tag = update_fallback_index(client, repo, str(subject["digest"]), referrer)
    return AttachResult(str(image), go_descriptor(subject), digest, len(manifest), manifest, "tag-fallback", tag)


def update_fallback_index(client: RegistryClient, repo: Repository, subject_digest: str, referrer: dict) -> str:
    """Add `referrer` to the referrers tag-schema index of `subject_digest`; returns the tag."""
    tag = fallback_tag(subject_digest)
    old = client.get_manifest(repo, tag, (OCI_INDEX,), missing_ok=True)
    entries = [m for m in (old.document.get("manifests", []) if old else []) if isinstance(m, dict)]
    if any(m.get("digest") == referrer["digest"] for m in entries):
        return tag
    index = go_json({"schemaVersion": 2, "mediaType": OCI_INDEX,
                     "manifests": [go_descriptor(m) for m in entries] + [referrer]})
    client.put_manifest(repo, tag, index, OCI_INDEX)
    if old is not None:
        with contextlib.suppress(RegistryError):  # oras-go also treats a failed clean-up as harmless
            client.delete_manifest(repo, old.digest)
    return tag
