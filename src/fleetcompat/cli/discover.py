"""`fleetcompat discover REF`: list an image's compatibility artifacts (like `oras discover`, NFD's type only)."""

from __future__ import annotations

import argparse
import json
import sys

from tabulate import tabulate

from fleetcompat.cli._registry_args import add_registry_arguments, options_from_args
from fleetcompat.errors import EXIT_COMPATIBLE
from fleetcompat.registry import Discovery, ImageReference, SpecFetcher


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "discover",
        help="list the compatibility artifacts attached to an image",
        description="List the NFD image compatibility artifacts of an image: on a single-platform image its "
        "manifest; on a multi-platform image the index and every platform manifest (only the wanted one with "
        "--platform). `*` marks the one `validate --image` would use. Exit 0 (also when there are none), 2 error.",
    )
    p.add_argument("image", metavar="REF", help="image reference, registry/repo[:tag][@digest]")
    p.add_argument("--output", choices=("table", "json"), default="table", help="table (default) or json")
    add_registry_arguments(p, cache=False, platform_help="list only this platform's manifest and the index "
                           "(default: the index and every platform manifest)")
    p.set_defaults(func=run)


def render_table(discovery: Discovery) -> str:
    head = f"{discovery.image_ref}@{discovery.image_digest} ({discovery.media_type})"
    if not discovery.artifacts:
        return f"{head}\nno compatibility artifacts\n"
    rows = []
    for artifact in discovery.artifacts:
        subject = artifact.subject + (f" {artifact.platform}" if artifact.platform else "")
        mark = "*" if discovery.selected is not None and artifact is discovery.selected else ""
        rows.append([mark, artifact.digest, artifact.created or "(none)", subject, artifact.size, artifact.source])
    table = tabulate(rows, headers=["", "DIGEST", "CREATED", "SUBJECT", "SIZE", "FOUND VIA"], tablefmt="plain")
    return f"{head}\n{table}\n"


def run(args: argparse.Namespace) -> int:
    image = ImageReference.parse(args.image)
    fetcher = SpecFetcher(options_from_args(args, [image]))
    discovery = fetcher.discover(image, args.platform)
    if args.output == "json":
        sys.stdout.write(json.dumps(discovery.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(render_table(discovery))
    return EXIT_COMPATIBLE
