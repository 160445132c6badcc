"""`fleetcompat spec lint FILE`: strict parse (errors, exit 2) and portability/sanity warnings."""

from __future__ import annotations

import argparse
import sys

from fleetcompat.cli import spec_from_hosts
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_INCOMPATIBLE
from fleetcompat.spec import load_spec_file
from fleetcompat.spec.lint import lint_spec


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("spec", help="work with compatibility spec files")
    verbs = p.add_subparsers(dest="spec_command", metavar="VERB", required=True)
    lint = verbs.add_parser("lint", help="check a spec: errors exit 2; warnings exit 0 (1 with --strict)")
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    lint.set_defaults(func=run_lint)
    spec_from_hosts.register(verbs)


def run_lint(args: argparse.Namespace) -> int:
    warned = False
    for path in args.files:
        spec = load_spec_file(path)
        for warning in lint_spec(spec):
            warned = True
            print(warning.format(path), file=sys.stderr)
        sets = len(spec.compatibilities)
        rules = sum(len(c.rules) for c in spec.compatibilities)
        print(f"{path}: ok ({sets} compatibility set{'s' * (sets != 1)}, {rules} rule{'s' * (rules != 1)})")
    return EXIT_INCOMPATIBLE if warned and args.strict else EXIT_COMPATIBLE
