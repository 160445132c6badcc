"""`fleetcompat diff OLD.json NEW.json`: what changed between two fleet results, and why each cell flipped.

Exit 0: no regressions. Exit 1: some cell that was compatible (or waived) is now incompatible. Exit 2: bad input.
"""

from __future__ import annotations

import argparse
import sys

from fleetcompat._format.drift.json import DriftJsonFormat
from fleetcompat._format.drift.markdown import DriftMarkdownFormat
from fleetcompat._format.drift.terminal import DriftTerminalFormat
from fleetcompat._format.style import use_colour
from fleetcompat.cli.history import BASELINE_HELP, add_history_arguments, load_baseline
from fleetcompat.drift import diff_results
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_INCOMPATIBLE, FleetcompatError
from fleetcompat.files import STDOUT, write_file, write_files
from fleetcompat.results.fleet import FleetResult


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "diff",
        help="what changed between two fleet results, with the cause of each flip (exit 1 on regressions)",
        description="Compare two fleet results: cells that changed status with their causes (host values old → "
        "new, spec changes, unreachable hosts), hosts and images added or removed, spec digest changes. Exit 0 no "
        "regressions, 1 a compatible (or waived) cell became incompatible, 2 bad input.",
    )
    p.add_argument("old", metavar="OLD.json", help=f"the baseline fleet result; {BASELINE_HELP}")
    p.add_argument("new", metavar="NEW.json", help="the fleet result to compare with it")
    p.add_argument("--markdown", metavar="FILE", help="Markdown summary ('-': standard output)")
    p.add_argument("--json", metavar="FILE", help="every changed cell with its causes ('-': standard output)")
    p.add_argument("--quiet", "-q", action="store_true", help="do not print the terminal summary")
    add_history_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    new = FleetResult.load(args.new)
    drift = diff_results(load_baseline(args.old, new, args.history), new)
    outputs = {path: fmt for path, fmt in ((args.markdown, DriftMarkdownFormat()), (args.json, DriftJsonFormat()))
               if path}
    if args.markdown and args.markdown == args.json:
        raise FleetcompatError("--markdown and --json name the same file; give each its own")
    write_files({path: fmt.render(drift) for path, fmt in outputs.items() if path != STDOUT})
    for path, fmt in outputs.items():
        if path == STDOUT:
            write_file(STDOUT, fmt.render(drift))
    if not args.quiet:
        sys.stdout.write(DriftTerminalFormat(colour=use_colour(sys.stdout)).render(drift))
    sys.stdout.flush()
    return EXIT_INCOMPATIBLE if drift.regressions() else EXIT_COMPATIBLE
