"""Image references (Docker's normalisation), platforms, and content digests.

`ImageReference.parse("ubuntu:22.04")` gives `docker.io/library/ubuntu:22.04` exactly like `docker pull`
(distribution/reference `ParseNormalizedNamed`): a first path component without `.`/`:` that is not `localhost`
is a Docker Hub namespace, single-component Hub names get `library/`, and no tag and no digest means `latest`.
NFD itself (oras-go `ParseReference`) accepts only fully qualified references; every reference it accepts
normalises to itself here.
"""

from __future__ import annotations

import hashlib
import platform as _platform
import re
from dataclasses import dataclass

from fleetcompat.oci_platform import normalise_arch
from fleetcompat.registry.errors import RegistryError

DOCKER_HUB = "docker.io"
DOCKER_HUB_ENDPOINT = "registry-1.docker.io"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}\Z")
_DIGEST = re.compile(r"^(?P<alg>[a-z0-9]+(?:[.+_-][a-z0-9]+)*):(?P<hex>[a-zA-Z0-9=_-]+)\Z")
_HOST = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]+)?\Z")
_HASHES = {"sha256": (hashlib.sha256, 64), "sha512": (hashlib.sha512, 128)}


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{_HASHES[algorithm][0](data).hexdigest()}"


def check_digest(digest: str) -> str:
    """Return `digest` if it is a supported, well-formed digest (sha256/sha512, lowercase hex); else raise."""
    match = _DIGEST.match(digest)
    if not match or match["alg"] not in _HASHES:
        raise RegistryError(f"unsupported or malformed digest {digest!r} (expected sha256:<64 hex>)")
    if not re.fullmatch(rf"[0-9a-f]{{{_HASHES[match['alg']][1]}}}", match["hex"]):
        raise RegistryError(f"malformed digest {digest!r}")
    return digest


def digest_matches(data: bytes, digest: str) -> bool:
    algorithm = check_digest(digest).split(":", 1)[0]
    return compute_digest(data, algorithm) == digest


@dataclass(frozen=True, slots=True)
class ImageReference:
    """`registry/repository[:tag][@digest]`, normalised. `str()` gives the canonical form."""

    registry: str  # as written by the user after normalisation: "docker.io", "127.0.0.1:5000"
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        original = text
        text = text.strip()
        if not text or any(c.isspace() for c in text):
            raise RegistryError(f"invalid image reference {original!r}")
        name, digest = text, None
        if "@" in text:
            name, digest = text.split("@", 1)
            check_digest(digest)
        registry, remainder = DOCKER_HUB, name
        first, sep, rest = name.partition("/")
        if sep and (any(c in first for c in ".:") or first == "localhost" or first.lower() != first):
            registry, remainder = first, rest
        if registry == "index.docker.io":
            registry = DOCKER_HUB
        tag = None
        last_slash = remainder.rfind("/")
        colon = remainder.rfind(":")
        if colon > last_slash:
            remainder, tag = remainder[:colon], remainder[colon + 1:]
            if not _TAG.match(tag):
                raise RegistryError(f"invalid tag {tag!r} in image reference {original!r}")
        if registry == DOCKER_HUB and "/" not in remainder:
            remainder = f"library/{remainder}"
        if not _HOST.match(registry):
            raise RegistryError(f"invalid registry host {registry!r} in image reference {original!r}")
        if not _PATH.match(remainder):
            raise RegistryError(
                f"invalid repository {remainder!r} in image reference {original!r} "
                "(lowercase letters, digits and . _ - separators)"
            )
        if tag is None and digest is None:
            tag = "latest"
        return cls(registry, remainder, tag, digest)

    @property
    def endpoint(self) -> str:
        """host[:port] to connect to (Docker Hub's API lives on registry-1.docker.io)."""
        return DOCKER_HUB_ENDPOINT if self.registry == DOCKER_HUB else self.registry

    @property
    def reference(self) -> str:
        """What goes after `/manifests/`: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"

    def with_digest(self, digest: str) -> ImageReference:
        return ImageReference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


@dataclass(frozen=True, slots=True)
class Platform:
    """An OCI platform. Parsed from NFD's `--platform` syntax `os[/arch[/variant]][:os_version]`."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        spec, _, os_version = text.strip().partition(":")
        parts = spec.split("/")
        if len(parts) > 3 or not parts[0] or (len(parts) > 1 and not parts[1]):
            raise RegistryError(f"invalid platform {text!r} (expected os/arch[/variant], e.g. linux/amd64)")
        os_name = parts[0].lower()
        if len(parts) > 1:
            arch, variant = normalise_arch(parts[1])
        else:  # NFD: a bare OS means this machine's architecture
            local = cls.local()
            arch, variant = local.architecture, local.variant
        if len(parts) == 3:
            variant = parts[2].lower()
        return cls(os_name, arch, variant, os_version)

    @classmethod
    def from_uname(cls, system: str, machine: str) -> Platform:
        """A host's platform from `uname -s`/`uname -m` (what gathering reports), e.g. Linux/x86_64 -> linux/amd64."""
        arch, variant = normalise_arch(machine)
        return cls(system.lower(), arch, variant)

    @classmethod
    def local(cls) -> Platform:
        return cls.from_uname(_platform.system(), _platform.machine())

    def matches(self, candidate: dict) -> bool:
        """Does an index entry's `platform` object match? (containerd/oras rules: os+arch equal, variant and
        os.version compared only when asked for; arm64's variant defaults to v8.)"""
        if not isinstance(candidate, dict):
            return False
        if str(candidate.get("os", "")).lower() != self.os:
            return False
        arch, default_variant = normalise_arch(str(candidate.get("architecture", "")))
        if arch != self.architecture:
            return False
        if self.variant:
            variant = str(candidate.get("variant", "") or default_variant).lower()
            wanted = self.variant
            if arch == "arm64":
                variant, wanted = variant or "v8", wanted or "v8"
            if variant != wanted:
                return False
        return not self.os_version or candidate.get("os.version", "") == self.os_version

    def __str__(self) -> str:
        out = f"{self.os}/{self.architecture}" + (f"/{self.variant}" if self.variant else "")
        return out + (f":{self.os_version}" if self.os_version else "")
