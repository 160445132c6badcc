"""Candidate expressions for a learned spec: what a host shows of its stable features, and which one-term
conditions could tell good hosts from bad ones.

Stable features are those that describe what a host is and does not change from one gathering to the next:
kernel modules, PCI vendor/class/device, CPU flags, the kernel version and the OS release. Host names, serials,
MAC addresses, UUIDs, dates, sizes and counters are never read here, so they can never end up in a spec.

Hosts are first reduced to their `StableView`; hosts with equal views are one profile (a fleet of thousands has a
few hundred). A candidate's truth is computed as two bit masks over the good and bad profiles, with the semantics
the engine gives that one-term rule (the proposed spec is evaluated by the engine itself before it is shown).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fleetcompat.features.model import Features
from fleetcompat.spec.lint import name_problem, value_problem
from fleetcompat.spec.ops import parse_version

CPU_FLAGS = "cpu.cpuid"
LOADED_MODULES = "kernel.loadedmodule"
ENABLED_MODULES = "kernel.enabledmodule"
FLAG_FEATURES = (ENABLED_MODULES, LOADED_MODULES, CPU_FLAGS)  # also the order candidates are preferred in
PCI = "pci.device"
KERNEL = "kernel.version"
OS_RELEASE = "system.osrelease"
# Which PCI attribute combinations a candidate may require of one device, most specific first.
PCI_SHAPES = (("vendor", "device"), ("vendor", "class"), ("vendor",), ("class",))
_FAMILY_WORDS = {ENABLED_MODULES: "kernel module {} enabled", LOADED_MODULES: "kernel module {} loaded",
                 CPU_FLAGS: "CPU flag {}"}

Version = tuple[int, int, int]
# What a host shows to positive conditions: ("flag", feature, element), ("pci", shape, values), ("os", shape, values)
Key = tuple[str, str | tuple[str, ...], str | tuple[str, ...]]
OS_SHAPES = (("ID",), ("ID", "VERSION_ID"))


@dataclass(frozen=True, slots=True)
class StableView:
    """Everything a candidate can read of one host. Equal views = hosts no candidate can tell apart."""

    flag_features: frozenset[str]  # which of FLAG_FEATURES the host has at all (DoesNotExist needs the feature)
    keys: frozenset[Key]  # every positive condition that holds on the host
    kernel: Version | str | None  # parsed kernel.version.full; the raw text when it is not a version

    @classmethod
    def of(cls, features: Features) -> StableView:
        present = frozenset(f for f in FLAG_FEATURES if f in features.flags)
        keys: set[Key] = {("flag", f, e) for f in present for e in features.flags[f]}
        for device in features.instances.get(PCI) or ():
            for shape in PCI_SHAPES:
                values = tuple(device.get(k, "") for k in shape)
                if all(values):
                    keys.add(("pci", shape, values))
        release = features.attributes.get(OS_RELEASE)
        for shape in OS_SHAPES if release is not None else ():
            values = tuple(release.get(k, "") for k in shape)
            if all(values):
                keys.add(("os", shape, values))
        full = features.attribute(KERNEL, "full")
        kernel = None if full is None else (parse_version(full) or full)
        return cls(present, frozenset(keys), kernel)


@dataclass(frozen=True, slots=True)
class Condition:
    """One term of a learned spec: `feature` with `expressions` (element -> (op, values, type))."""

    feature: str
    expressions: tuple[tuple[str, tuple[str, tuple[str, ...], str]], ...]
    words: str  # for people: "CPU flag AVX512F", "kernel >= 5.15.0"
    positive: bool  # requires something to be there (negative: requires it to be absent)
    key: Key | None = None  # the StableView key it requires (positive) or forbids (negative); None: a kernel range

    def holds(self, view: StableView) -> bool:
        """The engine's verdict on this one-term rule for a host with `view` (see the module docstring)."""
        if self.key is None:  # kernel.version full Ge/Le: false when the host has no (parsable) kernel version
            ((_, (op, values, _)),) = self.expressions
            if not isinstance(view.kernel, tuple):
                return False
            bound = parse_version(values[0])
            return view.kernel >= bound if op == "Ge" else view.kernel <= bound  # type: ignore[operator]
        if self.positive:
            return self.key in view.keys
        return self.feature in view.flag_features and self.key not in view.keys  # absent feature: no DoesNotExist

    def as_dict(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for element, (op, values, kind) in self.expressions:
            expr: dict[str, object] = {"op": op}
            if values:
                expr["value"] = list(values)
            if kind:
                expr["type"] = kind
            out[element] = expr
        return out


def truth(conditions: list[Condition], views: list[StableView]) -> list[int]:
    """Per condition, the bit mask of the views it holds on (`holds`, computed through an index of the keys)."""
    index: dict[Key, int] = {}
    present: dict[str, int] = {}
    for i, view in enumerate(views):
        bit = 1 << i
        for key in view.keys:
            index[key] = index.get(key, 0) | bit
        for feature in view.flag_features:
            present[feature] = present.get(feature, 0) | bit
    masks = []
    for c in conditions:
        if c.key is None:
            masks.append(sum(1 << i for i, view in enumerate(views) if c.holds(view)))
        elif c.positive:
            masks.append(index.get(c.key, 0))
        else:
            masks.append(present.get(c.feature, 0) & ~index.get(c.key, 0))
    return masks


def _lint_clean(feature: str, pairs: Iterable[tuple[str, str | None]]) -> bool:
    """A condition the linter would warn about never becomes part of a proposal (the output must lint clean)."""
    return all(name_problem(feature, element) is None and (value is None or value_problem(feature, element, value)
               is None) for element, value in pairs)


def candidates(good: list[StableView], bad: list[StableView]) -> list[Condition]:
    """Every condition true on at least one good profile (and, for negative ones, false on at least one), in the
    order the learner prefers them on equal merit: flags, PCI, kernel, OS; positive before negative."""
    good_keys = sorted(set().union(*(v.keys for v in good)), key=repr)
    everywhere = frozenset.intersection(*(v.keys for v in good)) if good else frozenset()
    bad_only = sorted({k for v in bad for k in v.keys if k[0] == "flag"} - everywhere, key=repr)
    return [*_flags(good_keys, positive=True), *_shaped(good_keys, "pci", PCI, PCI_SHAPES, "PCI device "),
            *_kernel_ranges(good, bad), *_shaped(good_keys, "os", OS_RELEASE, OS_SHAPES, "OS "),
            *_flags(bad_only, positive=False)]


def _flags(keys: list[Key], *, positive: bool) -> Iterator[Condition]:
    op, prefix = ("Exists", "") if positive else ("DoesNotExist", "no ")
    for feature in FLAG_FEATURES:
        for key in keys:
            element = key[2]
            if key[0] == "flag" and key[1] == feature and isinstance(element, str) and _lint_clean(
                    feature, [(element, None)]):
                yield Condition(feature, ((element, (op, (), "")),), prefix + _FAMILY_WORDS[feature].format(element),
                                positive, key)


def _shaped(keys: list[Key], family: str, feature: str, shapes: tuple[tuple[str, ...], ...],
            label: str) -> Iterator[Condition]:
    """One `In` expression per attribute of the shape, each with the one value a good host has."""
    for shape in shapes:
        for key in keys:
            values = key[2]
            if key[0] != family or key[1] != shape or isinstance(values, str):
                continue
            pairs = list(zip(shape, values, strict=True))
            if _lint_clean(feature, pairs):
                yield Condition(feature, tuple((k, ("In", (v,), "")) for k, v in pairs),
                                label + " ".join(f"{k} {v}" for k, v in pairs), True, key)


def _kernel_ranges(good: list[StableView], bad: list[StableView]) -> list[Condition]:
    if any(isinstance(v.kernel, str) for v in (*good, *bad)):  # `Ge` on a non-version is an engine error
        return []
    out = []
    for version in sorted({v.kernel for v in good if isinstance(v.kernel, tuple)}):
        text = ".".join(map(str, version))
        for op, sign in (("Ge", ">="), ("Le", "<=")):
            out.append(Condition(KERNEL, (("full", (op, (text,), "version")),), f"kernel {sign} {text}", True))
    return out
