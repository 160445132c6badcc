"""`fleetcompat gate RESULT.json`: decide a deployment from a fleet result, with one line of reason.

Exit 0: every required image is compatible on every audited host (or on at least --min-compatible of them).
Exit 1: the requirement is definitely not met (enough hosts are incompatible that no unknown host could help).
Exit 2: undecidable: unreachable hosts, gathering/registry/spec/evaluation errors or images without a spec could
        change the answer (unreachable hosts stop counting with --allow-unreachable), or the input is bad.
Waived cells pass; expired waivers that would have covered cells are named. With --baseline OLD the check is the
blast radius instead (fleetcompat.drift.gate): at most --max-new-incompatible hosts leave an image's eligible set.
An image that definitely fails wins over one that is undecidable: exit 1 is an answer, exit 2 is not.

`decide()` is the one implementation of these codes; `fleetcompat audit` calls it too.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_ERROR, EXIT_INCOMPATIBLE, FleetcompatError
from fleetcompat.results.fleet import FleetResult, SpecStatus, Status
from fleetcompat.waivers.apply import apply_waivers_file

_SHOWN_HOSTS = 3


@dataclass(frozen=True, slots=True)
class Threshold:
    """--min-compatible: a host count (`N`) or a share of the audited hosts (`N%`)."""

    value: float
    percent: bool

    @classmethod
    def parse(cls, text: str) -> Threshold:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text)
        if not match or (not match[2] and "." in match[1]):
            raise argparse.ArgumentTypeError(f"expected a host count N or a percentage N%, got {text!r}")
        value = float(match[1])
        if match[2] and value > 100:
            raise argparse.ArgumentTypeError(f"a percentage must be at most 100%, got {text!r}")
        return cls(value, bool(match[2]))

    def needed(self, audited: int) -> int:
        return math.ceil(self.value * audited / 100 - 1e-9) if self.percent else int(self.value)

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{int(self.value)} hosts"


@dataclass(frozen=True, slots=True)
class Decision:
    code: int  # EXIT_COMPATIBLE, EXIT_INCOMPATIBLE or EXIT_ERROR
    reason: str  # one line

    @property
    def word(self) -> str:
        return {EXIT_COMPATIBLE: "pass", EXIT_INCOMPATIBLE: "fail"}.get(self.code, "undecidable")


def host_names(hosts: list[str]) -> str:
    shown = ", ".join(hosts[:_SHOWN_HOSTS])
    return f"{shown}, +{len(hosts) - _SHOWN_HOSTS} more" if len(hosts) > _SHOWN_HOSTS else shown


def decide_image(result: FleetResult, alias: str, threshold: Threshold | None,
                 allow_unreachable: bool) -> Decision:
    image = result.image(alias)
    if image.spec_status is SpecStatus.ERROR:
        return Decision(EXIT_ERROR, f"{alias}: spec error: {image.spec_error}")
    if image.spec_status is SpecStatus.NO_SPEC:
        return Decision(EXIT_ERROR, f"{alias}: the image has no compatibility spec")
    by_status: dict[Status, list[str]] = {s: [] for s in Status}
    for host in result.hosts:
        by_status[host.outcomes[alias].status].append(host.name)
    if allow_unreachable:
        by_status[Status.UNREACHABLE] = []
    waived = len(by_status[Status.WAIVED])
    compatible = len(by_status[Status.COMPATIBLE]) + waived
    incompatible = by_status[Status.INCOMPATIBLE]
    unknown = by_status[Status.UNREACHABLE] + by_status[Status.ERROR] + by_status[Status.NO_SPEC]
    audited = compatible + len(incompatible) + len(unknown)
    if audited == 0:
        return Decision(EXIT_ERROR, f"{alias}: no audited hosts")
    unknown_text = ", ".join(f"{len(by_status[s])} {s}" for s in (Status.UNREACHABLE, Status.ERROR, Status.NO_SPEC)
                             if by_status[s])
    hint = "" if allow_unreachable or not by_status[Status.UNREACHABLE] else \
        " (--allow-unreachable ignores unreachable hosts)"
    if threshold is None:
        if incompatible:
            return Decision(EXIT_INCOMPATIBLE, f"{alias}: {len(incompatible)} of {audited} hosts incompatible "
                                               f"({host_names(incompatible)})")
        if unknown:
            return Decision(EXIT_ERROR, f"{alias}: {unknown_text} of {audited} hosts ({host_names(unknown)}){hint}")
        return Decision(EXIT_COMPATIBLE, f"{alias}: compatible on all {audited} hosts"
                        + (f" ({waived} waived)" if waived else ""))
    needed = threshold.needed(audited)
    have = f"{alias}: {compatible} of {audited} hosts compatible, {threshold} required ({needed})"
    if compatible >= needed:
        return Decision(EXIT_COMPATIBLE, have)
    if compatible + len(unknown) >= needed:
        return Decision(EXIT_ERROR, f"{have}; {unknown_text} could change that{hint}")
    return Decision(EXIT_INCOMPATIBLE, have)


def decide(result: FleetResult, require: Iterable[str] = (), min_compatible: Threshold | None = None,
           allow_unreachable: bool = False) -> Decision:
    """The gate's verdict over the required images (all images in the result if none are named)."""
    aliases = list(dict.fromkeys(require)) or result.aliases()
    if not aliases:
        return Decision(EXIT_ERROR, "the result has no images")
    decisions = [decide_image(result, a, min_compatible, allow_unreachable) for a in aliases]
    scope = f"at least {min_compatible} of the" if min_compatible else "all"
    return with_expired_waivers(combine(decisions, f"{len(aliases)} images compatible on {scope} audited hosts"),
                                result, aliases)


def combine(decisions: list[Decision], all_passed: str) -> Decision:
    """One verdict from several: a definite failure wins over undecidable; `all_passed` when several pass."""
    for code in (EXIT_INCOMPATIBLE, EXIT_ERROR):
        failed = [d for d in decisions if d.code == code]
        if failed:
            more = f" (+{len(failed) - 1} more images)" if len(failed) > 1 else ""
            return Decision(code, failed[0].reason + more)
    return decisions[0] if len(decisions) == 1 else Decision(EXIT_COMPATIBLE, all_passed)


def with_expired_waivers(decision: Decision, result: FleetResult, aliases: Iterable[str]) -> Decision:
    """The gate names expired waivers that would have covered cells of the decided images."""
    note = result.waivers.expired_note(aliases) if result.waivers is not None else ""
    return Decision(decision.code, decision.reason + note) if note else decision


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
    p.add_argument("--min-compatible", type=Threshold.parse, metavar="N|PCT%",
                   help="pass when at least N hosts (or PCT%% of the audited hosts) can run each required image")
    p.add_argument("--allow-unreachable", action="store_true",
                   help="leave unreachable hosts out instead of treating them as undecidable")
    p.add_argument("--waivers", metavar="FILE",
                   help="waivers YAML: covered cells are `waived` and pass; expired waivers are named")
    p.add_argument("--baseline", metavar="OLD.json",
                   help="an earlier fleet result: gate on the hosts that leave each image's eligible set since then "
                   "(" + BASELINE_HELP + ")")
    p.add_argument("--max-new-incompatible", type=Threshold.parse, metavar="N|PCT%",
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
    print(f"fleetcompat gate: {decision.word}: {decision.reason}", flush=True)
    return decision.code
