"""`fleetcompat remediate RESULT.json --image IMG -o plan.yml`: a reviewable draft playbook for the
configuration-class hints of one image's incompatible hosts (ansible.builtin modules only).

Exit 0: written; 2: bad input, an unknown image, or nothing a configuration change can fix.
"""

from __future__ import annotations

import argparse

from fleetcompat.errors import EXIT_COMPATIBLE
from fleetcompat.files import emit
from fleetcompat.planning.playbook import render_playbook
from fleetcompat.results.fleet import FleetResult


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "remediate",
        help="write a draft Ansible playbook for an image's configuration fixes (modules, hugepages)",
        description="From a fleet result's remediation hints, write a reviewable draft playbook (ansible.builtin "
        "modules only) that makes the configuration changes the image's incompatible hosts need. Software and "
        "hardware hints are listed as comments. Run it with --check --diff first.",
    )
    p.add_argument("result", metavar="RESULT.json", help="fleet result written by `fleetcompat audit` or `whatif`")
    p.add_argument("--image", required=True, metavar="IMG", help="image alias in the result")
    p.add_argument("-o", "--output", default="-", metavar="FILE", help="playbook file ('-': standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = FleetResult.load(args.result)
    emit(render_playbook(result, args.image, args.result), args.output)
    return EXIT_COMPATIBLE
