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

from collections.abc import Iterable
from dataclasses import dataclass

from fleetcompat.engine.ops import parse_version
from fleetcompat.features.model import Features
from fleetcompat.spec.lint import name_problem, value_problem

CPU_FLAGS = "cpu.cpuid"
LOADED_MODULES = "kernel.loadedmodule"
ENABLED_MODULES = "kernel.enabledmodule"
FLAG_FEATURES = (ENABLED_MODULES, LOADED_MODULES, CPU_FLAGS)  # also the order candidates are preferred in
PCI = "pci.device"
PCI_KEYS = ("vendor", "device", "class")
KERNEL = "kernel.version"
OS_RELEASE = "system.osrelease"
# Which PCI attribute combinations a candidate may require of one device, most specific first.
PCI_SHAPES = (("vendor", "device"), ("vendor", "class"), ("vendor",), ("class",))
_FAMILY_WORDS = {ENABLED_MODULES: "kernel module {} enabled", LOADED_MODULES: "kernel module {} loaded",
                 CPU_FLAGS: "CPU flag {}"}

Version = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class StableView:
    """Everything a candidate can read of one host. Equal views = hosts no candidate can tell apart."""

    flag_features: frozenset[str]  # which of FLAG_FEATURES the host has at all (DoesNotExist needs the feature)
    flags: frozenset[tuple[str, str]]  # (feature, element)
    pci: frozenset[tuple[str, str, str]] | None  # (vendor, device, class) per device; None: no pci.device
    kernel: Version | str | None  # parsed kernel.version.full; the raw text when it is not a version
    os: tuple[str | None, str | None] | None  # (ID, VERSION_ID); None: no system.osrelease

    @classmethod
    def of(cls, features: Features) -> StableView:
        present = frozenset(f for f in FLAG_FEATURES if f in features.flags)
        flags = frozenset((f, e) for f in present for e in features.flags[f])
        devices = features.instances.get(PCI)
        pci = None if devices is None else frozenset(
            tuple(d.get(k, "") for k in PCI_KEYS) for d in devices)  # type: ignore[misc]
        full = features.attribute(KERNEL, "full")
        kernel = None if full is None else (parse_version(full) or full)
        release = features.attributes.get(OS_RELEASE)
        os = None if release is None else (release.get("ID"), release.get("VERSION_ID"))
        return cls(present, flags, pci, kernel, os)


@dataclass(frozen=True, slots=True)
class Condition:
    """One term of a learned spec: `feature` with `expressions` (element -> (op, values, type))."""

    feature: str
    expressions: tuple[tuple[str, tuple[str, tuple[str, ...], str]], ...]
    words: str  # for people: "CPU flag AVX512F", "kernel >= 5.15.0"
    positive: bool  # requires something to be there (negative: requires it to be absent)

    def holds(self, view: StableView) -> bool:
        """The engine's verdict on this one-term rule for a host with `view` (see the module docstring)."""
        feature = self.feature
        if feature in FLAG_FEATURES:
            ((element, (op, _, _)),) = self.expressions
            if feature not in view.flag_features:
                return False  # an absent feature fails every term, DoesNotExist included
            return ((feature, element) in view.flags) == (op == "Exists")
        if feature == PCI:
            wanted = [(PCI_KEYS.index(k), values[0]) for k, (_, values, _) in self.expressions]
            return view.pci is not None and any(all(d[i] == v for i, v in wanted) for d in view.pci)
        if feature == KERNEL:
            ((_, (op, values, _)),) = self.expressions
            if not isinstance(view.kernel, tuple):
                return False
            bound = parse_version(values[0])
            return view.kernel >= bound if op == "Ge" else view.kernel <= bound  # type: ignore[operator]
        if feature == OS_RELEASE:
            if view.os is None:
                return False
            have = dict(zip(("ID", "VERSION_ID"), view.os, strict=True))
            return all(have.get(k) == values[0] for k, (_, values, _) in self.expressions)
        raise ValueError(f"no candidate reads {feature}")

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


def _lint_clean(feature: str, pairs: Iterable[tuple[str, str | None]]) -> bool:
    """A condition the linter would warn about never becomes part of a proposal (the output must lint clean)."""
    return all(name_problem(feature, element) is None and (value is None or value_problem(feature, element, value)
               is None) for element, value in pairs)


def _version_text(version: Version) -> str:
    return ".".join(map(str, version))


def candidates(good: list[StableView], bad: list[StableView]) -> list[Condition]:
    """Every condition true on at least one good profile (and, for negative ones, false on at least one), in the
    order the learner prefers them on equal merit: flags, PCI, kernel, OS; positive before negative."""
    out: list[Condition] = []
    good_flags = set().union(*(v.flags for v in good))
    everywhere = set.intersection(*(set(v.flags) for v in good)) if good else set()
    for feature in FLAG_FEATURES:
        for element in sorted(e for f, e in good_flags if f == feature):
            if _lint_clean(feature, [(element, None)]):
                out.append(Condition(feature, ((element, ("Exists", (), "")),),
                                     _FAMILY_WORDS[feature].format(element), True))
    devices = set().union(*(v.pci or () for v in good))
    for shape in PCI_SHAPES:
        seen = set()
        for device in sorted(devices):
            values = tuple(device[PCI_KEYS.index(k)] for k in shape)
            if values in seen or not all(values) or not _lint_clean(PCI, zip(shape, values, strict=True)):
                continue
            seen.add(values)
            words = "PCI device " + " ".join(f"{k} {v}" for k, v in zip(shape, values, strict=True))
            out.append(Condition(PCI, tuple((k, ("In", (v,), "")) for k, v in zip(shape, values, strict=True)),
                                 words, True))
    if not any(isinstance(v.kernel, str) for v in (*good, *bad)):  # `Ge` on a non-version is an engine error
        for version in sorted({v.kernel for v in good if isinstance(v.kernel, tuple)}):
            text = _version_text(version)  # type: ignore[arg-type]
            for op, sign in (("Ge", ">="), ("Le", "<=")):
                out.append(Condition(KERNEL, (("full", (op, (text,), "version")),), f"kernel {sign} {text}", True))
    releases = sorted({v.os for v in good if v.os is not None and v.os[0]}, key=str)
    for shape in (("ID",), ("ID", "VERSION_ID")):
        seen = set()
        for release in releases:
            values = release[: len(shape)]
            if values in seen or not all(values) or not _lint_clean(OS_RELEASE, zip(shape, values, strict=True)):
                continue
            seen.add(values)
            out.append(Condition(OS_RELEASE, tuple((k, ("In", (v,), "")) for k, v in zip(shape, values, strict=True)),
                                 "OS " + " ".join(values), True))  # type: ignore[arg-type]
    bad_flags = set().union(*(v.flags for v in bad))
    for feature in FLAG_FEATURES:
        for element in sorted(e for f, e in bad_flags - everywhere if f == feature):
            if _lint_clean(feature, [(element, None)]):
                out.append(Condition(feature, ((element, ("DoesNotExist", (), "")),),
                                     "no " + _FAMILY_WORDS[feature].format(element), False))
    return out
