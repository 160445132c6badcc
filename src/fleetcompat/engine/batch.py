"""Evaluate many specs against many hosts, evaluating each distinct feature set once per spec.

Real fleets fall into a few hundred hardware profiles. Two hosts whose features agree on everything the specs
read (the elements named in matchExpressions, every element name where matchName is used, and the identity
attributes of instance features shown in results) get identical results, so each such group is evaluated once
and its results are shared (treat them as read-only). Hosts are consumed one at a time, so a 10,000-host fleet
never has to be held in memory as parsed features.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fleetcompat.engine.evaluate import INSTANCE_IDENTITY, evaluate_spec
from fleetcompat.errors import EvaluationError, FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.progress import NO_PROGRESS, Progress
from fleetcompat.results.model import SpecEvaluation
from fleetcompat.spec.model import RULE_MATCHED, Spec

EvaluationOutcome = SpecEvaluation | FleetcompatError  # an evaluation, or why the engine could not decide


@dataclass
class _FeatureReads:
    """What the specs read of one feature: named elements, or every element name (matchName / `{}`)."""

    keys: set[str] = field(default_factory=set)
    all_names: bool = False


def feature_reads(specs: Iterable[Spec]) -> dict[str, _FeatureReads]:
    reads: dict[str, _FeatureReads] = {}
    for spec in specs:
        for term in spec.terms():
            name = term.feature.lower()
            if name == RULE_MATCHED:
                continue
            read = reads.setdefault(name, _FeatureReads())
            read.keys.update(element for element, _ in term.match_expressions or ())
            if term.match_name is not None:
                read.all_names = True
    return reads


class ProfileKey:
    """Computes the grouping key of a host: its values for everything the specs read."""

    def __init__(self, specs: Iterable[Spec]) -> None:
        reads = feature_reads(specs)
        self._plan = [
            (name, tuple(sorted(read.keys)), read.all_names,
             tuple(sorted(read.keys | INSTANCE_IDENTITY)))
            for name, read in sorted(reads.items())
        ]

    def __call__(self, features: Features) -> tuple:
        key = []
        flags_map, attrs_map, inst_map = features.flags, features.attributes, features.instances
        for name, keys, all_names, inst_keys in self._plan:
            flags = flags_map.get(name)
            attrs = attrs_map.get(name)
            instances = inst_map.get(name)
            if flags is None:
                flag_part = None
            elif all_names:
                flag_part = frozenset(flags)
            else:
                flag_part = tuple([k in flags for k in keys])
            if attrs is None:
                attr_part = None
            elif all_names:
                attr_part = frozenset(attrs.items())
            else:
                attr_part = tuple([attrs.get(k) for k in keys])
            if instances is None:
                inst_part = None
            elif all_names:
                inst_part = tuple(frozenset(i.items()) for i in instances)
            else:
                inst_part = tuple(tuple([i.get(k) for k in inst_keys]) for i in instances)
            key.append((flag_part, attr_part, inst_part))
        return tuple(key)


class FleetEvaluator:
    """Feed hosts with `add`, then `results()`; each spec is compiled once and each profile evaluated once."""

    def __init__(self, specs: Mapping[str, Spec], tags: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.specs = dict(specs)
        self.tags = dict(tags or {})
        self.profile_key = ProfileKey(self.specs.values())
        self._groups: dict[tuple, int] = {}
        self._representatives: list[Features] = []
        self.host_group: dict[str, int] = {}

    def add(self, host: str, features: Features) -> int:
        """Record a host; returns its group number (hosts with equal numbers get identical results)."""
        key = self.profile_key(features)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = len(self._representatives)
            self._representatives.append(features)
        self.host_group[host] = group
        return group

    @property
    def group_count(self) -> int:
        return len(self._representatives)

    def evaluate_groups(self, progress: Progress = NO_PROGRESS) -> list[dict[str, EvaluationOutcome]]:
        """Per group, per spec name: the evaluation, or the error NFD would abort with (kept per host×spec).
        `progress` advances by the hosts of each group evaluated (errors: hosts with an undecided cell)."""
        hosts = Counter(self.host_group.values())
        out = []
        for group, features in enumerate(self._representatives):
            per_spec: dict[str, EvaluationOutcome] = {}
            for name, spec in self.specs.items():
                try:
                    per_spec[name] = evaluate_spec(spec, features, self.tags.get(name))
                except FleetcompatError as exc:
                    per_spec[name] = exc
                except Exception as exc:  # a bug or an input nobody foresaw: this cell's error, not the fleet's
                    per_spec[name] = EvaluationError(f"internal error: {type(exc).__name__}: {exc}")
            out.append(per_spec)
            failed = any(isinstance(outcome, FleetcompatError) for outcome in per_spec.values())
            progress.advance(hosts[group], hosts[group] if failed else 0)
        return out

    def results(self, progress: Progress = NO_PROGRESS) -> dict[str, dict[str, EvaluationOutcome]]:
        groups = self.evaluate_groups(progress)
        return {host: groups[group] for host, group in self.host_group.items()}
