"""Controller-side evaluation of resolved images against hosts, each distinct feature set once per spec.

Two callers: the CLI (`fleetcompat audit`) has the whole fleet in one process and uses the engine's
`FleetEvaluator`; Ansible evaluates one host per worker process (`fleetcompat.audit.image_compat`), so hosts that
look the same to a spec share one evaluation through a run directory on disk (a lock file per key, first
writer wins).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from fleetcompat.engine import FleetEvaluator, ProfileKey, evaluate_spec
from fleetcompat.errors import FleetcompatError
from fleetcompat.features.model import Features
from fleetcompat.fleet.codec import evaluation_from_dict
from fleetcompat.fleet.resolve import ResolvedImage
from fleetcompat.results.model import SpecEvaluation

COMPATIBLE, INCOMPATIBLE, ERROR = "compatible", "incompatible", "error"

Outcome = SpecEvaluation | FleetcompatError  # an evaluation, or why the engine could not decide


def evaluate_fleet(resolved: Sequence[ResolvedImage],
                   hosts: Iterable[tuple[str, Features]]) -> dict[str, dict[str, Outcome]]:
    """host -> alias -> outcome, for every image that has a spec."""
    usable = [r for r in resolved if r.spec is not None]
    evaluator = FleetEvaluator({r.alias: r.spec for r in usable}, {r.alias: r.entry.tags for r in usable})
    for name, features in hosts:
        evaluator.add(name, features)
    return evaluator.results()


# ---------------------------------------------------------------------------------------------- one host (Ansible)


def _canonical(value: Any) -> Any:
    """ProfileKey parts -> JSON-able, order-independent (frozensets iterate in hash order)."""
    if isinstance(value, frozenset):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    return value


def evaluation_key(image: ResolvedImage, features: Features) -> str:
    """Equal for two hosts exactly when this spec cannot tell them apart."""
    assert image.spec is not None
    profile = _canonical(ProfileKey([image.spec])(features))
    material = json.dumps([image.alias, image.spec_digest, list(image.entry.tags), profile], separators=(",", ":"))
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


def outcome_entry(outcome: Outcome) -> dict[str, Any]:
    """One image on one host as JSON: status, reason or best set, and the full evaluation."""
    if isinstance(outcome, FleetcompatError):
        return {"status": ERROR, "reason": str(outcome), "bestSet": None, "evaluation": None}
    doc = outcome.to_dict()
    return {"status": COMPATIBLE if outcome.compatible else INCOMPATIBLE, "reason": None,
            "bestSet": doc["bestSet"], "evaluation": doc}


def entry_outcome(entry: dict[str, Any]) -> Outcome:
    """The inverse of `outcome_entry` (the report step's view)."""
    if entry["status"] == ERROR:
        return FleetcompatError(entry["reason"] or "evaluation failed")
    return evaluation_from_dict(entry["evaluation"])


def evaluate_host(resolved: Sequence[ResolvedImage], features: Features,
                  memo_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """alias -> outcome entry for one host; images without a spec are `error` with the spec's reason."""
    out: dict[str, dict[str, Any]] = {}
    for image in resolved:
        spec = image.spec
        if spec is None:
            out[image.alias] = {"status": ERROR, "reason": image.error, "bestSet": None, "evaluation": None}
            continue

        def compute(spec=spec, tags=image.entry.tags) -> dict[str, Any]:
            try:
                return outcome_entry(evaluate_spec(spec, features, tags))
            except FleetcompatError as exc:
                return outcome_entry(exc)

        out[image.alias] = _memoised(memo_dir, evaluation_key(image, features), compute)
    return out
