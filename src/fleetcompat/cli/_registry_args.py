"""The registry flags of every verb that reads a registry, and the `RegistryOptions` they fill."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from fleetcompat.registry.credentials import Credential, read_secret
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.options import RegistryOptions, check_seconds, default_cache_dir
from fleetcompat.registry.reference import ImageReference


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
