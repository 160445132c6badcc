"""The `fleetcompat` command line: one module per verb, each exposing `register(subparsers)`.

Verbs: `validate` one host, `spec lint`, `gather`, `discover`/`attach` (registry), `audit` a fleet, `report`
renders a result, `gate` decides, `merge` combines results. Exit codes everywhere: 0 compatible, 1 incompatible,
2 error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from fleetcompat import __version__
from fleetcompat.errors import EXIT_ERROR, FleetcompatError

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


DEBUG_VARIABLE = "FLEETCOMPAT_DEBUG"


def one_line(text: str, limit: int = 500) -> str:
    """An error message as one bounded line (a hostile input may put newlines or megabytes into it)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def internal_error(exc: BaseException) -> str:
    """The line for a bug: never mistaken for a verdict, and the traceback one variable away."""
    return (f"fleetcompat: internal error: {type(exc).__name__}: {one_line(str(exc), 300)}; "
            f"{DEBUG_VARIABLE}=1 shows the traceback")


def main(argv: list[str] | None = None) -> int:
    """Exit codes are a contract CI gates rely on: 0 compatible, 1 incompatible, 2 anything else. An unexpected
    exception is a bug of ours or an input we did not foresee; it must never exit 1 (Python's default), which
    every gate reads as "incompatible"."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser(_verb(argv)).parse_args(argv)
        return args.func(args)
    except FleetcompatError as exc:
        print(f"fleetcompat: error: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fleetcompat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE) == "1":
            traceback.print_exc()
        print(internal_error(exc), file=sys.stderr)
        return EXIT_ERROR
