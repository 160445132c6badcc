"""The `fleetcompat` command line: one module per verb, each exposing `register(subparsers)`.

Verbs: `validate` one host, `spec lint`, `gather`, `discover`/`attach` (registry), `audit` a fleet, `report`
renders a result, `gate` decides. Exit codes everywhere: 0 compatible, 1 incompatible, 2 error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from fleetcompat import __version__
from fleetcompat.errors import EXIT_ERROR, FleetcompatError

# Each module defines `register(subparsers) -> None`; the parser it adds sets `func(args) -> int`.
COMMAND_MODULES = (
    "fleetcompat.cli.validate",
    "fleetcompat.cli.spec",
    "fleetcompat.cli.gather",
    "fleetcompat.cli.discover",
    "fleetcompat.cli.attach",
    "fleetcompat.cli.report",
    "fleetcompat.cli.gate",
    "fleetcompat.cli.audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleetcompat",
        description="Which hosts can run which container images (NFD image compatibility, fleet-wide).",
        epilog="Exit codes: 0 compatible, 1 incompatible, 2 error (bad input, unreachable, undecidable).",
    )
    parser.add_argument("--version", action="version", version=f"fleetcompat {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except FleetcompatError as exc:
        print(f"fleetcompat: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fleetcompat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
