"""Controller-side evaluation of resolved images against hosts, each distinct feature set once per spec.

Each host is evaluated with the spec for its own platform (`ResolvedImage.for_platform`); hosts for which an image
has no spec get nothing here (the fleet result derives those cells from the image's resolutions). Two callers:
the CLI (`fleetcompat audit`) has the whole fleet in one process and uses the engine's `FleetEvaluator`; Ansible
evaluates one host per worker process (`fleetcompat.audit.image_compat`), so hosts that look the same to a spec
share one evaluation through a run directory on disk (a lock file per key, first writer wins).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fleetcompat.engine import FleetEvaluator, ProfileKey, evaluate_spec
from fleetcompat.engine.batch import EvaluationOutcome
from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.fleet.codec import evaluation_from_dict
from fleetcompat.fleet.resolve import Resolution, ResolvedImage, host_platform
from fleetcompat.progress import NO_PROGRESS, Progress
from fleetcompat.results.fleet import PlatformStatus, Status

# The cell status of a host whose platform has no spec for the image, by why it has none (entries are JSON:
# plain strings).
_UNEVALUATED = {PlatformStatus.NO_MANIFEST: Status.INCOMPATIBLE.value, PlatformStatus.NO_SPEC: Status.NO_SPEC.value,
                PlatformStatus.ERROR: Status.ERROR.value}


def evaluate_fleet(resolved: Sequence[ResolvedImage], hosts: Sequence[tuple[str, Features]],
                   progress: Progress = NO_PROGRESS) -> dict[str, dict[str, EvaluationOutcome]]:
    """host -> alias -> outcome, for every image that has a spec for the host's platform. Hosts are grouped by
    platform, and within a platform each distinct feature set is evaluated once per spec (`progress` counts
    hosts as their group is evaluated)."""
    evaluators: dict[str | None, FleetEvaluator] = {}
    progress.begin("evaluating", len(hosts))
    for name, features in hosts:
        platform = host_platform(features)
        evaluator = evaluators.get(platform)
        if evaluator is None:
            specs = {r.alias: r.for_platform(platform).spec for r in resolved}
            usable = {alias: spec for alias, spec in specs.items() if spec is not None}
            evaluator = evaluators[platform] = FleetEvaluator(
                usable, {r.alias: r.entry.tags for r in resolved if r.alias in usable})
        evaluator.add(name, features)
    return {host: outcomes for evaluator in evaluators.values()
            for host, outcomes in evaluator.results(progress).items()}


# ---------------------------------------------------------------------------------------------- one host (Ansible)


def _canonical(value: Any) -> Any:
    """ProfileKey parts -> JSON-able, order-independent (frozensets iterate in hash order)."""
    if isinstance(value, frozenset):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    return value


def evaluation_key(image: ResolvedImage, resolution: Resolution, features: Features) -> str:
    """Equal for two hosts exactly when this spec cannot tell them apart."""
    assert resolution.spec is not None
    profile = _canonical(ProfileKey([resolution.spec])(features))
    material = json.dumps([image.alias, resolution.spec_digest, list(image.entry.tags), profile],
                          separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def _memoised(directory: Path | None, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    if directory is None:
        return compute()
    path = directory / f"{key}.json"
    with contextlib.suppress(FileNotFoundError):
        return json.loads(path.read_text(encoding="utf-8"))
    with (directory / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            return json.loads(path.read_text(encoding="utf-8"))
        value = compute()
        partial = directory / f"{key}.{os.getpid()}.tmp"
        partial.write_text(json.dumps(value, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, path)
        return value


def outcome_entry(outcome: EvaluationOutcome) -> dict[str, Any]:
    """One image on one host as JSON: status, reason or best set, and the full evaluation."""
    if isinstance(outcome, FleetcompatError):
        return {"status": Status.ERROR.value, "reason": str(outcome), "bestSet": None, "evaluation": None}
    doc = outcome.to_dict()
    return {"status": (Status.COMPATIBLE if outcome.compatible else Status.INCOMPATIBLE).value, "reason": None,
            "bestSet": doc["bestSet"], "evaluation": doc}


def entry_outcome(entry: dict[str, Any]) -> EvaluationOutcome | None:
    """The inverse of `outcome_entry` (the report step's view); None for a cell decided without evaluating (no
    spec or no manifest for the host's platform), which the fleet result derives from the image's resolutions."""
    if entry.get("evaluation") is not None:
        return evaluation_from_dict(entry["evaluation"])
    return FleetcompatError(entry["reason"] or "evaluation failed") if entry["status"] == Status.ERROR else None


def evaluate_host(resolved: Sequence[ResolvedImage], features: Features,
                  memo_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """alias -> outcome entry for one host, evaluated with the spec for the host's platform; where an image has
    none, the status says why (`incompatible`: no manifest for the platform, `no-spec`, `error`) with the reason."""
    platform = host_platform(features)
    out: dict[str, dict[str, Any]] = {}
    for image in resolved:
        resolution = image.for_platform(platform)
        spec = resolution.spec
        if spec is None:
            out[image.alias] = {"status": _UNEVALUATED[resolution.status], "reason": resolution.reason,
                                "bestSet": None, "evaluation": None}
            continue

        def compute(spec=spec, tags=image.entry.tags) -> dict[str, Any]:
            try:
                return outcome_entry(evaluate_spec(spec, features, tags))
            except FleetcompatError as exc:
                return outcome_entry(exc)

        out[image.alias] = _memoised(memo_dir, evaluation_key(image, resolution, features), compute)
    return out
