"""`fleetcompat spec lint FILE`: strict parse (errors, exit 2) and portability/sanity warnings; `--fleet` adds
what each expression does on real hosts. `fleetcompat spec from-hosts`: see `cli/spec_from_hosts.py`."""

from __future__ import annotations

import argparse
import hashlib
import sys

from fleetcompat.cli import spec_from_hosts
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_INCOMPATIBLE, SpecError
from fleetcompat.files import read_input
from fleetcompat.limits import SPEC_BYTES
from fleetcompat.spec import parse_spec
from fleetcompat.spec.lint import lint_spec


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("spec", help="work with compatibility spec files")
    verbs = p.add_subparsers(dest="spec_command", metavar="VERB", required=True)
    lint = verbs.add_parser("lint", help="check a spec: errors exit 2; warnings exit 0 (1 with --strict)")
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    lint.add_argument("--fleet", nargs="+", action="extend", metavar="HOSTS",
                      help="also warn about expressions no host or every host satisfies on this fleet: an Ansible "
                      "fact cache directory, features files, or a fleet result of an audit with this spec file")
    lint.set_defaults(func=run_lint)
    spec_from_hosts.register(verbs)


def run_lint(args: argparse.Namespace) -> int:
    from fleetcompat.authoring import fleet_lint
    from fleetcompat.authoring.hosts import fleet_input

    fleet = fleet_input(args.fleet) if args.fleet else None
    for name, reason in fleet.left_out.items() if fleet else ():
        print(f"{fleet.source}: {name}: left out: {reason}", file=sys.stderr)
    warned = False
    for path in args.files:
        raw = read_input(path, "spec file", SpecError, SPEC_BYTES)
        spec = parse_spec(raw, path)
        warnings = lint_spec(spec)
        fleet_note = ""
        if fleet is not None:
            if fleet.result is not None:
                digest = "sha256:" + hashlib.sha256(raw).hexdigest()
                more, count = fleet_lint.result_warnings(spec, digest, fleet.result, fleet.source)
            else:
                more, count = fleet_lint.fleet_warnings(spec, fleet.hosts)
            warnings += more
            fleet_note = f", against {count} host{'s' * (count != 1)}"
        for warning in warnings:
            warned = True
            print(warning.format(path), file=sys.stderr)
        sets = len(spec.compatibilities)
        rules = sum(len(c.rules) for c in spec.compatibilities)
        print(f"{path}: ok ({sets} compatibility set{'s' * (sets != 1)}, {rules} rule{'s' * (rules != 1)}"
              f"{fleet_note})")
    return EXIT_INCOMPATIBLE if warned and args.strict else EXIT_COMPATIBLE
