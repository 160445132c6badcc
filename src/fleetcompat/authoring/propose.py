"""`spec from-hosts`: from good and bad hosts to a proposed spec that is verified before anyone sees it.

Each host is reduced to the features a candidate can read (every section of those feature names, so the engine
evaluates the reduced host exactly as the whole one) and hosts with equal reductions are kept once; a fleet of
thousands stays a few hundred small objects. The proposal is emitted as YAML, parsed back with the strict parser,
linted, and every distinct reduced host is evaluated with the engine: each good host must be compatible and each
bad one incompatible, or nothing is printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fleetcompat.authoring.candidates import FLAG_FEATURES, KERNEL, OS_RELEASE, PCI, StableView
from fleetcompat.authoring.emit import name_list, spec_yaml
from fleetcompat.authoring.learn import Inseparable, LearnedSet, learn
from fleetcompat.engine import evaluate_spec
from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.spec import Spec, parse_spec
from fleetcompat.spec.lint import lint_spec

READ_FEATURES = frozenset({*FLAG_FEATURES, PCI, KERNEL, OS_RELEASE})
SOURCE = "proposed spec"


class NoSeparatingSpec(FleetcompatError):
    """No spec from stable features tells the good hosts from the bad ones (or there is nothing to tell)."""


def reduce(features: Features) -> Features:
    """Only the features a proposal can read, in all three sections (a file may put a name in any of them)."""
    return Features(
        flags={k: v for k, v in features.flags.items() if k in READ_FEATURES},
        attributes={k: v for k, v in features.attributes.items() if k in READ_FEATURES},
        instances={k: v for k, v in features.instances.items() if k in READ_FEATURES},
    )


def _canonical(small: Features) -> tuple:
    """Equal for equal reduced features (element order aside): the key hosts are kept once by."""
    return (tuple(sorted((k, frozenset(v)) for k, v in small.flags.items())),
            tuple(sorted((k, frozenset(v.items())) for k, v in small.attributes.items())),
            tuple(sorted((k, tuple(frozenset(i.items()) for i in v)) for k, v in small.instances.items())))


@dataclass
class Side:
    """The good or the bad hosts: distinct reduced hosts, and the stable profiles they fall into."""

    label: str
    reduced: dict[tuple, Features] = field(default_factory=dict)  # canonical form -> reduced features
    host_key: dict[str, tuple] = field(default_factory=dict)  # host -> canonical form
    profiles: dict[StableView, list[str]] = field(default_factory=dict)  # view -> host names
    _views: dict[tuple, StableView] = field(default_factory=dict)  # canonical form -> its view

    def add(self, name: str, features: Features) -> None:
        small = reduce(features)
        key = _canonical(small)
        self.host_key[name] = key
        if key not in self.reduced:
            self.reduced[key] = small
            self._views[key] = StableView.of(small)
        self.profiles.setdefault(self._views[key], []).append(name)

    def add_all(self, hosts: Iterable[tuple[str, Features]]) -> Side:
        for name, features in hosts:
            self.add(name, features)
        return self


@dataclass(frozen=True, slots=True)
class Proposal:
    text: str
    spec: Spec
    sets: int
    conditions: int


def propose(good: Side, bad: Side) -> Proposal:
    if not good.host_key or not bad.host_key:
        missing = good.label if not good.host_key else bad.label
        raise NoSeparatingSpec(f"no {missing} hosts: a spec is learned from at least one good and one bad host")
    both = [view for view in good.profiles if view in bad.profiles]
    if both:
        pairs = [f"{name_list(good.profiles[v])} = {name_list(bad.profiles[v])}" for v in both]
        raise NoSeparatingSpec("good and bad hosts with the same kernel modules, PCI devices, CPU flags, kernel "
                               f"version and OS release cannot be told apart: {'; '.join(pairs[:3])}"
                               + (f" (+{len(pairs) - 3} more groups)" if len(pairs) > 3 else ""))
    good_views, bad_views = list(good.profiles), list(bad.profiles)
    learned = learn(good_views, bad_views)
    if isinstance(learned, Inseparable):
        bad_names = [n for i in learned.bad for n in bad.profiles[bad_views[i]]]
        good_names = good.profiles[good_views[learned.good]]
        raise NoSeparatingSpec(f"no stable feature holds on good host {name_list(good_names)} and fails on bad "
                               f"host {name_list(bad_names)} (they have its PCI devices, CPU flags, kernel modules, "
                               "kernel version and OS release, and more)")
    text = spec_yaml(_header(good, bad, learned), [
        [(c.condition, _motivation(c.bad, c.good & s.covers, good, bad, good_views, bad_views))
         for c in s.conditions] for s in learned])
    spec = _verified(text, good, bad)
    return Proposal(text, spec, len(learned), sum(len(s.conditions) for s in learned))


def _names(mask: int, views: list[StableView], profiles: dict[StableView, list[str]]) -> list[str]:
    return [name for i, view in enumerate(views) if mask >> i & 1 for name in profiles[view]]


def _motivation(holds_bad: int, holds_good: int, good: Side, bad: Side, good_views: list[StableView],
                bad_views: list[StableView]) -> str:
    ruled_out = _names(~holds_bad & ((1 << len(bad_views)) - 1), bad_views, bad.profiles)
    kept = _names(holds_good, good_views, good.profiles)
    return (f"rules out bad host{'s' * (len(ruled_out) != 1)} {name_list(ruled_out)}; "
            f"holds on good host{'s' * (len(kept) != 1)} {name_list(kept)}")


def _header(good: Side, bad: Side, learned: list[LearnedSet]) -> list[str]:
    conditions = sum(len(s.conditions) for s in learned)
    return [f"Proposed by `fleetcompat spec from-hosts` from {len(good.host_key)} good and {len(bad.host_key)} bad "
            f"hosts: {len(learned)} compatibility set{'s' * (len(learned) != 1)}, {conditions} "
            f"condition{'s' * (conditions != 1)} (greedy set cover over stable features).",
            "Verified with fleetcompat's engine: every good host satisfies a set, every bad host fails every set."]


def _verified(text: str, good: Side, bad: Side) -> Spec:
    """The proposal as the parser reads it, after the engine has confirmed it on every input host."""
    spec = parse_spec(text, SOURCE)
    warnings = lint_spec(spec)
    if warnings:
        raise FleetcompatError(f"internal error: the proposed spec does not lint clean: {warnings[0].format(SOURCE)}")
    for side, expected in ((good, True), (bad, False)):
        verdicts = {}
        for key, features in side.reduced.items():
            try:
                verdicts[key] = evaluate_spec(spec, features).compatible
            except FleetcompatError as exc:
                host = next(h for h, k in side.host_key.items() if k == key)
                raise NoSeparatingSpec(f"the proposed spec cannot be evaluated on {side.label} host {host}: "
                                       f"{exc}") from None
        wrong = [host for host, key in side.host_key.items() if verdicts[key] != expected]
        if wrong:
            # Features only a hand-made file has (e.g. pci.device as attributes as well) read differently
            raise NoSeparatingSpec(f"the proposed spec is {'in' * expected}compatible with {side.label} host "
                                   f"{name_list(wrong)} when the engine evaluates it; these hosts' features are "
                                   "not shaped as NFD reports them")
    return spec
