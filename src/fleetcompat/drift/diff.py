"""`diff_results(old, new) -> Drift`: what changed between two fleet results, and why each cell flipped.

Stable API (the what-if report of issue 13 shows its flips in this style):

    from fleetcompat.drift import diff_results
    drift = diff_results(FleetResult.load("previous/fleet-result.json"), FleetResult.load("fleet-result.json"))
    for change in drift.regressions():          # CellChange(host, image, old, new, kind, causes)
        print(change.host, change.image, *map(str, change.causes))
        # node-7 api kernel.loadedmodule vfio-pci: present → (absent)

Both arguments are loaded `FleetResult`s (from a file, a history store, a what-if evaluation); nothing here does
I/O. Only hosts and images present in both results have cells; the others are listed as added/removed.

Causes of a flip, from what the results store (a fleet result keeps only the expressions that failed):
- `host-status`: the host became unreachable or its gathering failed (or recovered);
- `spec`: the image's spec digest (for the outcome's platform) changed; with it, `expected` for an expression
  whose expected value changed;
- `host-value`: an expression that fails in one result and not in the other, where the host's value changed.
  The value on the side where the expression matched is taken from that host's other failing expressions (any
  image, any set) when one of them reads the same feature element; otherwise it is what the match implies
  (`Exists` matched: present; `DoesNotExist` matched: absent) or "(matched <op> [values])". With an unchanged
  spec, any newly failing or newly matching expression is a host-value cause; with a changed spec only those
  whose value provably differs are, and the other newly failing (passing) ones are `newly-failing`
  (`newly-passing`): host or spec, the result cannot tell;
- `reason`: the cell's own reason changed (e.g. a platform manifest appeared);
- `waiver`: the cell is waived in one result and not in the other (a waiver added, expired or removed).
"""

from __future__ import annotations

from collections.abc import Iterable

from fleetcompat.drift.model import Cause, CauseKind, CellChange, Drift, SpecChange, change_kind
from fleetcompat.results.fleet import (
    Cell,
    FailingExpression,
    FleetResult,
    HostResult,
    HostStatus,
    ImageInfo,
    Status,
)

# (set index, rule name, feature, matchAny index, element): one expression of a spec's rule.
_ExprKey = tuple[int, str, str, int | None, str | None]
# (feature, element): what a host has, whichever rule reads it.
_ValueKey = tuple[str, str | None]


def diff_results(old: FleetResult, new: FleetResult) -> Drift:
    """Every cell whose status differs between `old` (the baseline) and `new`, with causes; hosts and images added
    or removed; spec digest changes. Pure: neither result is modified."""
    old_images = {i.alias: i for i in old.images}
    new_images = {i.alias: i for i in new.images}
    common = [a for a in new_images if a in old_images]
    old_hosts = {h.name: h for h in old.hosts}
    new_names = {h.name for h in new.hosts}
    differ = _CauseFinder(old_images, new_images)
    by_image: dict[str, list[CellChange]] = {a: [] for a in common}
    for new_host in new.hosts:
        old_host = old_hosts.get(new_host.name)
        if old_host is None:
            continue
        for alias in common:
            before, after = old_host.outcomes[alias], new_host.outcomes[alias]
            if before.status is after.status:
                continue
            by_image[alias].append(CellChange(new_host.name, alias, before.status, after.status,
                                              change_kind(before.status, after.status),
                                              differ.causes(alias, old_host, new_host)))
    cells = tuple(change for alias in common for change in sorted(by_image[alias], key=lambda c: c.host))
    return Drift(
        old.run, new.run, cells,
        hosts_added=tuple(sorted(new_names - old_hosts.keys())),
        hosts_removed=tuple(sorted(old_hosts.keys() - new_names)),
        images_added=tuple(a for a in new_images if a not in old_images),
        images_removed=tuple(a for a in old_images if a not in new_images),
        spec_changes=tuple(c for a in common for c in _spec_changes(old_images[a], new_images[a])),
    )


def _spec_changes(old: ImageInfo, new: ImageInfo) -> Iterable[SpecChange]:
    if old.spec_digest != new.spec_digest:
        yield SpecChange(new.alias, None, old.spec_digest, new.spec_digest)
    old_platforms = {p.platform: p.spec_digest for p in old.platforms}
    for entry in new.platforms:
        if entry.platform in old_platforms and old_platforms[entry.platform] != entry.spec_digest:
            yield SpecChange(new.alias, entry.platform, old_platforms[entry.platform], entry.spec_digest)


def _spec_digest(image: ImageInfo, outcome: Cell) -> str | None:
    entry = image.platform_spec(outcome.platform) if image.platforms else None
    return entry.spec_digest if entry is not None and entry.spec_digest else image.spec_digest


def _short(digest: str | None) -> str:
    if not digest:
        return "(none)"
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}" if hexdigits else digest[:19]


def _host_state(host: HostResult) -> str:
    return str(host.status) if host.status is HostStatus.OK else f"{host.status} ({host.reason})"


def _expressions(outcome: Cell) -> dict[_ExprKey, FailingExpression]:
    return {(rule.set_index, rule.rule, term.feature, term.any_of, e.element): e
            for rule in outcome.failing for term in rule.terms for e in term.expressions}


def _label(key: _ExprKey) -> str:
    feature, element = key[2], key[4]
    return feature if element is None else f"{feature} {element}"


def _any_of_rules(exprs: dict[_ExprKey, FailingExpression]) -> dict[tuple[int, str], list[str]]:
    """(set, rule) of every failing matchAny, with its failing alternatives in words."""
    rules: dict[tuple[int, str], list[str]] = {}
    for key, expression in exprs.items():
        if key[3] is not None:
            rules.setdefault(key[:2], []).append(f"{_label(key)} {expression.actual_text()}")
    return rules


def _alternatives(parts: list[str]) -> str:
    return "none of " + "; ".join(parts)


def _comparable(key: _ExprKey, other: dict[_ExprKey, FailingExpression]) -> bool:
    """Whether the other side's failing expressions say anything about `key`: a matchFeatures expression missing
    there matched; a matchAny alternative only if that side's matchAny failed as well (else it is unrecorded)."""
    return key[3] is None or any(k[:2] == key[:2] and k[3] is not None for k in other)


def _waiver_state(outcome: Cell) -> str:
    return f"waived ({outcome.original})" if outcome.status is Status.WAIVED else f"not waived ({outcome.status})"


def _implied(expression: FailingExpression) -> str:
    """What a host had for an expression that matched, when no failing expression recorded its value."""
    op = expression.expected.op
    if op == "Exists":
        return "present"
    if op == "DoesNotExist":
        return "(absent)"
    return f"(matched {expression.expected.describe()})"


class _CauseFinder:
    """Causes of one cell's flip. Hosts of one hardware profile share their outcome objects, so what is derived
    from a host's outcomes is computed once per distinct set of outcomes and cached."""

    def __init__(self, old_images: dict[str, ImageInfo], new_images: dict[str, ImageInfo]) -> None:
        self.old_images = old_images
        self.new_images = new_images
        self._values: dict[tuple[int, ...], dict[_ValueKey, str]] = {}
        self._causes: dict[tuple, tuple[Cause, ...]] = {}

    def _known_values(self, host: HostResult) -> tuple[tuple[int, ...], dict[_ValueKey, str]]:
        """The host's values for every feature element any of its failing expressions read."""
        key = tuple(id(o) for o in host.outcomes.values())
        values = self._values.get(key)
        if values is None:
            values = {}
            for outcome in dict.fromkeys(host.outcomes.values()):
                for (_, _, feature, _, element), expression in _expressions(outcome).items():
                    if expression.evaluated:
                        values.setdefault((feature, element), expression.actual_text())
            self._values[key] = values
        return key, values

    def causes(self, alias: str, old_host: HostResult, new_host: HostResult) -> tuple[Cause, ...]:
        old_key, old_values = self._known_values(old_host)
        new_key, new_values = self._known_values(new_host)
        cache_key = (alias, old_key, new_key, _host_state(old_host), _host_state(new_host))
        found = self._causes.get(cache_key)
        if found is None:
            found = self._causes[cache_key] = tuple(dict.fromkeys(
                self._find(alias, old_host, new_host, old_values, new_values)))
        return found

    def _find(self, alias: str, old_host: HostResult, new_host: HostResult, old_values: dict[_ValueKey, str],
              new_values: dict[_ValueKey, str]) -> Iterable[Cause]:
        before, after = old_host.outcomes[alias], new_host.outcomes[alias]
        if old_host.status is not new_host.status or (new_host.status is not HostStatus.OK
                                                      and old_host.reason != new_host.reason):
            yield Cause(CauseKind.HOST_STATUS, "host", _host_state(old_host), _host_state(new_host))
            if new_host.status is not HostStatus.OK or old_host.status is not HostStatus.OK:
                return  # one side was not evaluated: nothing else can have caused the flip
        if (before.status is Status.WAIVED) != (after.status is Status.WAIVED):
            yield Cause(CauseKind.WAIVER, "waiver", _waiver_state(before), _waiver_state(after))
        old_digest = _spec_digest(self.old_images[alias], before)
        new_digest = _spec_digest(self.new_images[alias], after)
        spec_changed = old_digest != new_digest
        if spec_changed:
            yield Cause(CauseKind.SPEC, "spec", _short(old_digest), _short(new_digest))
        if before.reason != after.reason and (before.reason or after.reason):
            yield Cause(CauseKind.REASON, "reason", before.reason or "(none)", after.reason or "(none)")
        old_exprs, new_exprs = _expressions(before), _expressions(after)
        yield from self._any_of_changes(old_exprs, new_exprs, spec_changed)
        for key, expression in new_exprs.items():
            previous = old_exprs.get(key)
            if previous is not None:
                if previous.expected != expression.expected:
                    yield Cause(CauseKind.EXPECTED, _label(key), previous.expected.describe(),
                                expression.expected.describe())
                elif previous.actual_text() != expression.actual_text():
                    yield Cause(CauseKind.HOST_VALUE, _label(key), previous.actual_text(), expression.actual_text())
                continue
            if not _comparable(key, old_exprs):
                continue
            # Newly failing: the old value is known from another failing expression, or implied by the match.
            known = old_values.get((key[2], key[4]))
            if known is not None and known != expression.actual_text():
                yield Cause(CauseKind.HOST_VALUE, _label(key), known, expression.actual_text())
            elif known is None and not spec_changed and expression.evaluated:
                yield Cause(CauseKind.HOST_VALUE, _label(key), _implied(expression), expression.actual_text())
            elif known is None and expression.evaluated:
                yield Cause(CauseKind.NEWLY_FAILING, _label(key), "(not failing)",
                            f"{expression.actual_text()} (expected {expression.expected.describe()})")
        for key, expression in old_exprs.items():
            if key in new_exprs or not _comparable(key, new_exprs):
                continue
            # Newly matching: the new value is known from another failing expression, or implied by the match.
            known = new_values.get((key[2], key[4]))
            if known is not None and known != expression.actual_text():
                yield Cause(CauseKind.HOST_VALUE, _label(key), expression.actual_text(), known)
            elif known is None and not spec_changed and expression.evaluated:
                yield Cause(CauseKind.HOST_VALUE, _label(key), expression.actual_text(), _implied(expression))
            elif known is None and expression.evaluated:
                yield Cause(CauseKind.NEWLY_PASSING, _label(key),
                            f"{expression.actual_text()} (expected {expression.expected.describe()})", "(not failing)")

    @staticmethod
    def _any_of_changes(old_exprs: dict[_ExprKey, FailingExpression], new_exprs: dict[_ExprKey, FailingExpression],
                        spec_changed: bool) -> Iterable[Cause]:
        """A rule's matchAny that failed on one side only. The side where it was satisfied records none of its
        alternatives (one matched, the others need not have), so the cause names the whole matchAny."""
        old_any, new_any = _any_of_rules(old_exprs), _any_of_rules(new_exprs)
        for rule in new_any.keys() - old_any.keys():
            kind = CauseKind.NEWLY_FAILING if spec_changed else CauseKind.HOST_VALUE
            yield Cause(kind, f"matchAny of rule {rule[1]!r}", "satisfied", _alternatives(new_any[rule]))
        if not spec_changed:
            for rule in old_any.keys() - new_any.keys():
                yield Cause(CauseKind.HOST_VALUE, f"matchAny of rule {rule[1]!r}", _alternatives(old_any[rule]),
                            "satisfied")
