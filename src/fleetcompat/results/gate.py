"""The gate decision: whether a fleet result lets the required images deploy, as an exit code and one line.

Exit 0: every required image is compatible on every audited host (or on at least `min_compatible` of them).
Exit 1: the requirement is definitely not met (enough hosts are incompatible that no unknown host could help).
Exit 2: undecidable: unreachable hosts, gathering/registry/spec/evaluation errors or images without a spec could
        change the answer (unreachable hosts stop counting with `allow_unreachable`).
Waived cells pass; expired waivers that would have covered cells are named. An image that definitely fails wins
over one that is undecidable: exit 1 is an answer, exit 2 is not.

`decide()` is the one implementation of these codes: `fleetcompat gate`, `fleetcompat audit`, the report writer,
the Ansible gate and report actions all call it; the baseline gate (`fleetcompat.drift.gate`) builds on its parts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_ERROR, EXIT_INCOMPATIBLE
from fleetcompat.results.fleet import FleetResult, SpecStatus, Status

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
            raise ValueError(f"expected a host count N or a percentage N%, got {text!r}")
        value = float(match[1])
        if match[2] and value > 100:
            raise ValueError(f"a percentage must be at most 100%, got {text!r}")
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

    @property
    def verdict(self) -> str:
        """`gate: fail: app: 2 of 10 hosts incompatible (a, b)`: the line reports show."""
        return f"gate: {self.word}: {self.reason}"


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
