"""`fleetcompat gate RESULT.json`: decide a deployment from a fleet result, with one line of reason.

Exit 0: every required image is compatible on every audited host (or on at least --min-compatible of them).
Exit 1: the requirement is definitely not met (enough hosts are incompatible that no unknown host could help).
Exit 2: undecidable: unreachable hosts, gathering/registry/spec/evaluation errors or images without a spec could
        change the answer (unreachable hosts stop counting with --allow-unreachable), or the input is bad.
Waived cells pass; expired waivers that would have covered cells are named. With --baseline OLD the check is the
blast radius instead (fleetcompat.drift.gate): at most --max-new-incompatible hosts leave an image's eligible set.
An image that definitely fails wins over one that is undecidable: exit 1 is an answer, exit 2 is not.

The decision itself is library code: `fleetcompat.results.gate`.
"""

from __future__ import annotations

import argparse

from fleetcompat.errors import FleetcompatError
from fleetcompat.results.fleet import FleetResult
from fleetcompat.results.gate import Threshold, decide
from fleetcompat.waivers.apply import apply_waivers_file


def threshold_argument(text: str) -> Threshold:
    """argparse type for N|PCT% options: the parse error becomes argparse's usage error, message kept."""
    try:
        return Threshold.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    # Imported here: the gate decision is imported by renderers, which must not load the history store.
    from fleetcompat.cli.history import BASELINE_HELP, add_history_arguments

    p = subparsers.add_parser(
        "gate",
        help="decide a deployment from a fleet result (exit 0 pass, 1 incompatible, 2 undecidable)",
        description="Decide from a fleet result whether the required images can run on the audited hosts. "
        "Exit 0 pass, 1 some host incompatible (or threshold missed), 2 undecidable (unreachable hosts, "
        "registry/spec/evaluation errors, images without spec) or bad input. Prints one line.",
    )
    p.add_argument("result", metavar="RESULT.json", help="fleet result written by `fleetcompat audit`")
    p.add_argument("--require", action="append", default=[], metavar="IMAGE",
                   help="image alias that must be compatible (repeatable; default: every image in the result)")
    p.add_argument("--min-compatible", type=threshold_argument, metavar="N|PCT%",
                   help="pass when at least N hosts (or PCT%% of the audited hosts) can run each required image")
    p.add_argument("--allow-unreachable", action="store_true",
                   help="leave unreachable hosts out instead of treating them as undecidable")
    p.add_argument("--waivers", metavar="FILE",
                   help="waivers YAML: covered cells are `waived` and pass; expired waivers are named")
    p.add_argument("--baseline", metavar="OLD.json",
                   help="an earlier fleet result: gate on the hosts that leave each image's eligible set since then "
                   "(" + BASELINE_HELP + ")")
    p.add_argument("--max-new-incompatible", type=threshold_argument, metavar="N|PCT%",
                   help="with --baseline: at most N hosts (or PCT%% of those eligible in the baseline) may become "
                   "incompatible per image (default 0)")
    add_history_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.max_new_incompatible is not None and not args.baseline:
        raise FleetcompatError("--max-new-incompatible needs --baseline OLD.json (the result to compare with)")
    result = FleetResult.load(args.result)
    if args.waivers:
        result = apply_waivers_file(result, args.waivers)
    for alias in args.require:
        if alias not in result.aliases():
            raise FleetcompatError(f"--require {alias}: no such image (images: {', '.join(result.aliases())})",
                                   where=args.result)
    if args.baseline:
        from fleetcompat.cli.history import load_baseline
        from fleetcompat.drift.gate import decide_against_baseline  # here: it builds on this module's decisions

        decision = decide_against_baseline(result, load_baseline(args.baseline, result, args.history), args.require,
                                           args.max_new_incompatible or Threshold(0, False), args.min_compatible,
                                           args.allow_unreachable)
    else:
        decision = decide(result, args.require, args.min_compatible, args.allow_unreachable)
    print(f"fleetcompat {decision.verdict}", flush=True)
    return decision.code
