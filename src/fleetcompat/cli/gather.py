"""`fleetcompat gather`: this host's features as `nfd export features` prints them.

The same code as the Ansible module `fleetcompat.audit.node_features` (fleetcompat.hostfeatures), so the CLI,
the module and `validate` without `--features` see one and the same host.
"""

from __future__ import annotations

import argparse
import json
import sys

from fleetcompat.cli import _remote_args as remote
from fleetcompat.cli._direct import gather_command
from fleetcompat.cli._progress import progress_line
from fleetcompat.errors import EXIT_COMPATIBLE, FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.files import emit
from fleetcompat.hostfeatures import SOURCE_NAMES, SourceSelectionError, dumps, gather, summarize


class GatherError(FleetcompatError):
    """The gather could not run (bad --sources, --root not a directory, output not writable)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "gather",
        help="print this host's features in NFD's JSON form (like `nfd export features`)",
        description="Read this host's /proc, /sys and /etc (or a tree under --root) and print its Node Feature "
        "Discovery features as JSON. Unreadable files and failing sources are warnings on stderr.",
    )
    p.add_argument("--root", default="/", metavar="DIR",
                   help="read the host's files below DIR: a host mounted at /host, or a captured tree (default /)")
    p.add_argument("--sources", action="append", metavar="LIST",
                   help="sources to run, comma-separated or repeated: all, NAME, or -NAME to exclude "
                   f"(default all; names: {', '.join(SOURCE_NAMES)})")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--summary", action="store_true", help="print the compact report summary instead")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line on a terminal (with --host/--hosts)")
    remote.add_host_arguments(p)
    p.set_defaults(func=run)


def gather_host(root: str = "/", sources: list[str] | None = None) -> dict:
    """NFD-form features of the host below `root`; warnings go to stderr."""
    try:
        features, warnings = gather(root, sources)
    except SourceSelectionError as exc:
        raise GatherError(str(exc), where="--sources") from None
    except NotADirectoryError:
        raise GatherError("not a directory", where=root) from None
    for warning in warnings:
        print(f"fleetcompat: warning: {warning}", file=sys.stderr)
    return features


def local_host() -> tuple[Features, str]:
    """This machine's features and its name, for commands that evaluate "this host"."""
    features = gather_host()
    name = features["attributes"].get("system.name", {}).get("elements", {}).get("nodename") or "localhost"
    return Features.from_nfd(features), name


def run(args: argparse.Namespace) -> int:
    if remote.wants_remote(args):  # direct mode over SSH, --root and --sources apply on the hosts
        with progress_line("gather", args.quiet) as progress:
            return gather_command(args, dumps, progress)
    features = gather_host(args.root, args.sources)
    text = json.dumps(summarize(features), indent=4) + "\n" if args.summary else dumps(features)
    emit(text, args.output)
    return EXIT_COMPATIBLE
