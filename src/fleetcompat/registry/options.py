"""Registry settings (`RegistryOptions`) and the command-line flags that fill them, shared by every verb."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleetcompat.registry.credentials import Credential, read_secret
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.reference import ImageReference

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


def add_registry_arguments(parser: argparse.ArgumentParser, *, cache: bool = True,
                           platform_help: str = "platform of a multi-platform image (NFD's --platform)") -> None:
    """The registry flags (NFD's names where NFD has the flag) on a verb's parser; `platform_help` says what
    `--platform` means for this verb."""
    group = parser.add_argument_group("registry")
    group.add_argument("--platform", metavar="OS/ARCH[/VARIANT]", help=platform_help)
    group.add_argument("--plain-http", action="store_true", help="use HTTP instead of HTTPS for every registry")
    group.add_argument("--plain-http-registry", action="append", default=[], metavar="HOST:PORT",
                       help="use HTTP for this registry only (repeatable)")
    group.add_argument("--registry-ca", metavar="FILE", help="CA bundle (PEM) to verify registry TLS certificates")
    group.add_argument("--registry-username", metavar="NAME", help="registry user (with --registry-password-stdin)")
    group.add_argument("--registry-password-stdin", action="store_true", help="read the registry password from stdin")
    group.add_argument("--registry-token-stdin", action="store_true",
                       help="read a registry bearer token from stdin")
    group.add_argument("--registry-timeout", type=float, default=RegistryOptions.timeout, metavar="SECONDS",
                       help="give up on an image after this long: all its registry requests, retries, redirects, "
                       f"token fetches and referrers pages included (default {RegistryOptions.timeout:g})")
    if cache:
        group.add_argument("--cache-dir", metavar="DIR",
                           help="spec cache (default $XDG_CACHE_HOME/fleetcompat or ~/.cache/fleetcompat)")
        group.add_argument("--offline", action="store_true",
                           help="use only the spec cache; never contact a registry")


def explicit_credentials(args: argparse.Namespace, hosts: Iterable[str]) -> dict[str, Credential]:
    """The stdin flags, for the registries of the images on the command line (never sent anywhere else)."""
    if args.registry_password_stdin and args.registry_token_stdin:
        raise RegistryError("use either --registry-password-stdin or --registry-token-stdin, not both")
    if args.registry_password_stdin:
        if not args.registry_username:
            raise RegistryError("--registry-password-stdin needs --registry-username")
        password = read_secret(sys.stdin, "--registry-password-stdin")
        credential = Credential(username=args.registry_username, password=password, source="--registry-username")
    elif args.registry_token_stdin:
        credential = Credential(token=read_secret(sys.stdin, "--registry-token-stdin"),
                                source="--registry-token-stdin")
    else:
        return {}  # NFD: a username without a password means anonymous
    return dict.fromkeys(hosts, credential)


def options_from_args(args: argparse.Namespace, refs: Iterable[ImageReference]) -> RegistryOptions:
    timeout = check_seconds("--registry-timeout", args.registry_timeout)
    if args.registry_ca and not os.access(args.registry_ca, os.R_OK):
        raise RegistryError(f"--registry-ca {args.registry_ca}: no such readable file")
    cache_dir = getattr(args, "cache_dir", None)
    return RegistryOptions(
        credentials=explicit_credentials(args, {ref.registry for ref in refs}),
        plain_http=args.plain_http,
        plain_http_registries=frozenset(args.plain_http_registry),
        ca_file=args.registry_ca,
        timeout=timeout,
        cache_dir=Path(cache_dir) if cache_dir else default_cache_dir(),
        offline=getattr(args, "offline", False),
    )
