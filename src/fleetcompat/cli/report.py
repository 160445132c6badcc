"""`fleetcompat report RESULT.json`: render a fleet result as HTML, JUnit XML, Markdown, JSON and a terminal matrix.

Renderers read the validated result only; nothing is evaluated again. The exit code is the gate's default
verdict (every image on every host: 0 pass, 1 incompatible, 2 undecidable), so a report step fails like a gate.
"""

from __future__ import annotations

import argparse
import sys

from fleetcompat._format.html import HtmlFormat
from fleetcompat._format.interface import ReportContext
from fleetcompat._format.junit import JunitFormat
from fleetcompat._format.markdown import MarkdownFormat
from fleetcompat._format.prometheus import PrometheusFormat
from fleetcompat._format.style import use_colour
from fleetcompat._format.terminal import TerminalFormat
from fleetcompat.cli.history import BASELINE_HELP, add_history_arguments, load_baseline
from fleetcompat.drift import diff_results
from fleetcompat.errors import EXIT_COMPATIBLE, FleetcompatError
from fleetcompat.files import STDOUT, write_file, write_files
from fleetcompat.results.fleet import FleetResult, dumps
from fleetcompat.results.gate import decide
from fleetcompat.waivers.apply import apply_waivers_file


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="render a fleet result: HTML, JUnit XML, Markdown, JSON, terminal matrix",
        description="Render a fleet result written by `fleetcompat audit`. Prints the terminal matrix unless "
        "--quiet. Exit code: the default gate verdict (0 all compatible, 1 some incompatible, 2 undecidable) "
        "unless --exit-zero; see `fleetcompat gate` for --require/--min-compatible.",
    )
    p.add_argument("result", metavar="RESULT.json", help="fleet result (validated against its JSON Schema)")
    p.add_argument("--html", metavar="FILE", help="self-contained interactive HTML report ('-': standard output)")
    p.add_argument("--junit", metavar="FILE", help="JUnit XML: a testsuite per image, a testcase per host")
    p.add_argument("--junit-compact", action="store_true",
                   help="JUnit with a testcase per image × hardware profile, hosts listed (for upload caps)")
    p.add_argument("--markdown", metavar="FILE", help="Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    p.add_argument("--json", metavar="FILE", help="the validated result, re-emitted")
    p.add_argument("--prometheus", metavar="FILE", help="node_exporter textfile-collector metrics (e.g. "
                   "/var/lib/node_exporter/textfile/fleetcompat.prom), written atomically")
    p.add_argument("--quiet", "-q", action="store_true", help="do not print the terminal matrix")
    p.add_argument("--rows", type=int, default=40, metavar="N", help="profile rows in the terminal matrix (40)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 after rendering, whatever the verdict")
    p.add_argument("--waivers", metavar="FILE", help="waivers YAML: covered cells are shown (and pass) as waived")
    p.add_argument("--baseline", metavar="OLD.json",
                   help="an earlier fleet result: the HTML marks and filters the cells changed since then ("
                   + BASELINE_HELP + ")")
    add_history_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = FleetResult.load(args.result)
    if args.waivers:
        result = apply_waivers_file(result, args.waivers)
    drift = diff_results(load_baseline(args.baseline, result, args.history), result) if args.baseline else None
    decision = decide(result)
    context = ReportContext(decision, drift)
    render = {
        args.html: lambda: HtmlFormat().render(result, context),
        args.junit: lambda: JunitFormat(compact=args.junit_compact).render(result),
        args.markdown: lambda: MarkdownFormat().render(result, context),
        args.json: lambda: dumps(result.to_dict()),
        args.prometheus: lambda: PrometheusFormat().render(result),
    }
    wanted = [path for path in (args.html, args.junit, args.markdown, args.json, args.prometheus) if path]
    if len(set(wanted)) < len(wanted):
        raise FleetcompatError("two outputs name the same file; give each its own")
    # Files are written as a set (none replaced unless all could be written); `-` goes to standard output.
    write_files({path: render[path]() for path in wanted if path != STDOUT})
    for path in wanted:
        if path == STDOUT:
            write_file(STDOUT, render[path]())
    if not args.quiet:
        sys.stdout.write(TerminalFormat(colour=use_colour(sys.stdout), max_rows=args.rows).render(result))
        print(decision.verdict)
    sys.stdout.flush()
    return EXIT_COMPATIBLE if args.exit_zero else decision.code
