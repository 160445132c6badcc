"""Registry settings (`RegistryOptions`); the command-line flags that fill them are `fleetcompat.cli._registry_args`."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleetcompat.registry.credentials import Credential
from fleetcompat.registry.errors import RegistryError

MAX_CONTENT_BYTES = 4 * 1024 * 1024  # oras' default cap for manifests and blobs


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "fleetcompat"


@dataclass(frozen=True)
class RegistryOptions:
    """Everything the registry code needs to know; the defaults are safe and fast-failing.

    `timeout` is the deadline for one image: everything `SpecFetcher.fetch`/`discover` or `attach_spec` asks
    of registries for it (connects, headers, bodies, retries, redirects, token fetches, referrers pages) ends
    within it. `connect_timeout`/`read_timeout` bound each connect and each wait for data within that. A
    stalled, trickling or unreachable registry therefore costs at most `timeout` seconds per image, and an
    unreachable host is not tried again in the same run. Nonsensical values (`nan`, `inf`, zero or negative
    times) are refused when the options are made.
    """

    credentials: Mapping[str, Credential] = field(default_factory=dict)  # registry host -> explicit credential
    auth_files: tuple[Path, ...] | None = None  # None: the Docker/Podman defaults (see credentials.py)
    plain_http: bool = False
    plain_http_registries: frozenset[str] = frozenset()
    ca_file: str | None = None
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    timeout: float = 8.0
    retries: int = 2
    backoff: float = 0.2
    max_bytes: int = MAX_CONTENT_BYTES
    cache_dir: Path | None = field(default_factory=default_cache_dir)  # None: no disk cache
    offline: bool = False
    referrers_probe_ttl: float = 24 * 3600.0  # how long "this registry has no referrers API" is remembered

    def __post_init__(self) -> None:
        for name in ("timeout", "connect_timeout", "read_timeout"):
            check_seconds(f"registry option {name}", getattr(self, name))
        if self.backoff != 0:  # no pause between retries is fine; anything else must be a sane time
            check_seconds("registry option backoff", self.backoff)

    def uses_plain_http(self, endpoint: str) -> bool:
        return self.plain_http or endpoint in self.plain_http_registries


def check_seconds(what: str, value: object) -> float:
    """`value` if it is a positive, finite number of seconds, else a one-line RegistryError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise RegistryError(f"{what}: expected a positive number of seconds, got {value!r}")
    return float(value)
