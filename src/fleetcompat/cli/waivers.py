"""`fleetcompat waivers check FILE`: malformed entries, unknown images, expired entries and those expiring soon.

Exit 0: nothing wrong (entries expiring within --within days are listed). Exit 1: expired entries or entries
naming images the result does not have. Exit 2: malformed entries or an unreadable file.
"""

from __future__ import annotations

import argparse
import datetime

from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_ERROR, EXIT_INCOMPATIBLE
from fleetcompat.results.fleet import FleetResult
from fleetcompat.waivers.check import FindingKind, check_waivers
from fleetcompat.waivers.model import load_waivers


def _days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("waivers", help="work with waiver files")
    verbs = p.add_subparsers(dest="waivers_command", metavar="VERB", required=True)
    check = verbs.add_parser(
        "check", help="report malformed, expired and soon-expiring waivers (exit 1 expired/unknown image, 2 malformed)")
    check.add_argument("file", metavar="FILE", help="waivers YAML")
    check.add_argument("--result", metavar="RESULT.json",
                       help="a fleet result whose images the waivers must name (unknown images are reported)")
    check.add_argument("--within", type=_days, default=14, metavar="DAYS",
                       help="list entries expiring within DAYS days (default 14)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    waivers = load_waivers(args.file)
    images = FleetResult.load(args.result).images if args.result else None
    today = datetime.datetime.now(datetime.UTC).date()
    findings = check_waivers(waivers, today, args.within, images)
    for finding in findings:
        print(f"fleetcompat waivers: {finding}")
    kinds = {f.kind for f in findings}
    valid = len(waivers.entries) - sum(1 for f in findings if f.kind is FindingKind.EXPIRED)
    print(f"fleetcompat waivers: {args.file}: {len(waivers.entries)} entries, {valid} in force"
          + (f", {len(findings)} finding{'s' if len(findings) != 1 else ''}" if findings else ""), flush=True)
    if FindingKind.MALFORMED in kinds:
        return EXIT_ERROR
    if kinds & {FindingKind.EXPIRED, FindingKind.UNKNOWN_IMAGE}:
        return EXIT_INCOMPATIBLE
    return EXIT_COMPATIBLE
