"""The `fleetcompat` command line: one module per verb, each exposing `register(subparsers)`.

Verbs: `validate` one host, `spec lint`, `gather`, `discover`/`attach` (registry), `audit` a fleet, `report`
renders a result, `gate` decides, `diff` compares two results, `waivers check` lints a waivers file, `merge`
combines results, `history` reads recorded runs, `whatif` and `remediate` plan changes. Exit codes everywhere:
0 compatible, 1 incompatible, 2 error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from fleetcompat import __version__
from fleetcompat.errors import EXIT_ERROR, MESSAGE_LIMIT, FleetcompatError, debugging, internal_error, one_line

# Verb -> module. Each module defines `register(subparsers) -> None`; the parser it adds sets `func(args) -> int`.
# Only the module of the verb being run is imported, so `fleetcompat gather` does not pay for the registry
# client, jsonschema or the report templates.
COMMANDS = {
    "validate": "fleetcompat.cli.validate",
    "spec": "fleetcompat.cli.spec",
    "gather": "fleetcompat.cli.gather",
    "discover": "fleetcompat.cli.discover",
    "attach": "fleetcompat.cli.attach",
    "audit": "fleetcompat.cli.audit",
    "report": "fleetcompat.cli.report",
    "gate": "fleetcompat.cli.gate",
    "whatif": "fleetcompat.cli.whatif",
    "remediate": "fleetcompat.cli.remediate",
    "diff": "fleetcompat.cli.diff",
    "waivers": "fleetcompat.cli.waivers",
    "history": "fleetcompat.cli.history",
    "merge": "fleetcompat.cli.merge",
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or only `verb`'s when it is known (the other verbs are then not imported)."""
    parser = argparse.ArgumentParser(
        prog="fleetcompat",
        description="Which hosts can run which container images (NFD image compatibility, fleet-wide).",
        epilog="Exit codes: 0 compatible, 1 incompatible, 2 error (bad input, unreachable, undecidable).",
    )
    parser.add_argument("--version", action="version", version=f"fleetcompat {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        if verb in (None, name):
            importlib.import_module(module).register(subparsers)
    return parser


def _verb(argv: list[str]) -> str | None:
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    """Exit codes are a contract CI gates rely on: 0 compatible, 1 incompatible, 2 anything else. An unexpected
    exception is a bug of ours or an input we did not foresee; it must never exit 1 (Python's default), which
    every gate reads as "incompatible"."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser(_verb(argv)).parse_args(argv)
        return args.func(args)
    except FleetcompatError as exc:
        print(f"fleetcompat: error: {one_line(' '.join(str(exc).split()), MESSAGE_LIMIT)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fleetcompat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:
        if debugging():
            traceback.print_exc()
        print(f"fleetcompat: {internal_error(exc)}", file=sys.stderr)
        return EXIT_ERROR
