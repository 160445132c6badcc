"""`fleetcompat merge PART.json... -o fleet-result.json`: combine the fleet results of job slices, sites or
controllers into one, which every renderer and `gate` read like any other result.

Exit 0 when merged (the verdict is `gate`'s business), 2 on a conflict the user has to resolve or a bad part.
What the merge decided (superseded hosts, a preferred spec) is printed on stderr and kept in `run.parts`.
"""

from __future__ import annotations

import argparse
import socket
import sys

from fleetcompat.cli._progress import progress_line
from fleetcompat.errors import EXIT_COMPATIBLE
from fleetcompat.files import write_file
from fleetcompat.merge.combine import Part, merge
from fleetcompat.results.fleet import FleetResult, dumps


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "merge",
        help="combine fleet results of slices, sites or controllers into one",
        description="Combine fleet results. An image must have the same spec in every part (else an error, "
        "unless --prefer newest); a host in several parts: the newest run's entry wins and the merge says so; "
        "run.parts keeps every part's controller, time, inventory and limit.",
    )
    p.add_argument("parts", nargs="+", metavar="PART.json", help="fleet results (each validated on load)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the merged fleet result ('-': stdout)")
    p.add_argument("--prefer", choices=["newest"],
                   help="images audited with different specs: keep the newest part's spec; the other parts' "
                   "cells for that image become errors")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="do not print what the merge decided nor, on a terminal, the progress line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with progress_line("merge", args.quiet) as progress:
        progress.begin("reading", len(args.parts), "parts")
        parts = []
        for path in args.parts:
            parts.append(Part(path, FleetResult.load(path)))
            progress.advance()
        merged = merge(parts, prefer_newest=args.prefer == "newest", controller=socket.gethostname(),
                       progress=progress)
        progress.begin("writing the result", None)
        write_file(args.output, dumps(merged.result.to_dict()))
    if not args.quiet:
        for note in merged.notes:
            print(f"fleetcompat merge: {note}", file=sys.stderr)
        result = merged.result
        print(f"fleetcompat merge: {len(result.hosts)} hosts × {len(result.images)} images from "
              f"{len(result.run.parts)} runs -> {args.output}", file=sys.stderr)
    return EXIT_COMPATIBLE
