"""A run directory on the controller: the resolved images of one Ansible run, shared by its worker processes.

Ansible forks a worker per host and task, so memory is not shared between hosts. The `image_specs` step resolves
every image once and writes `images.json` here; each per-host `image_compat` step reads it and keeps the
evaluations it makes under `evaluations/` so that hosts that look the same to a spec are evaluated once. The
report step removes the directory; runs whose report step never came are removed a day later by the next run.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from fleetcompat.errors import FleetcompatError
from fleetcompat.fleet.resolve import ResolvedImage

IMAGES_FILE = "images.json"
STARTED_FILE = "started"
EVALUATIONS_DIR = "evaluations"
PREFIX = "fleetcompat-run-"


class RunDirError(FleetcompatError):
    """The run directory is missing or unreadable (a step ran without `image_specs` before it)."""


STALE_AFTER_S = 24 * 3600  # a run whose report step never came (interrupted, failed play)


def create(base: str | Path | None, resolved: Sequence[ResolvedImage]) -> Path:
    if base is not None:
        Path(base).mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
    _remove_stale(run_dir.parent)
    (run_dir / EVALUATIONS_DIR).mkdir()
    (run_dir / STARTED_FILE).write_text(repr(time.time()), encoding="utf-8")
    partial = run_dir / f"{IMAGES_FILE}.tmp"
    partial.write_text(json.dumps([r.to_record() for r in resolved]), encoding="utf-8")
    os.replace(partial, run_dir / IMAGES_FILE)
    return run_dir


def read_images(run_dir: str | Path) -> list[ResolvedImage]:
    path = Path(run_dir) / IMAGES_FILE
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"cannot read the run's resolved images ({getattr(exc, 'strerror', None) or exc}); "
                          "run fleetcompat.audit.image_specs first", where=str(path)) from None
    return [ResolvedImage.from_record(r) for r in records]


def started(run_dir: str | Path) -> tuple[str, float]:
    """When the run directory was made: (RFC 3339 UTC, seconds since then)."""
    try:
        epoch = float((Path(run_dir) / STARTED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        epoch = time.time()
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return stamp, max(0.0, time.time() - epoch)


def evaluations_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / EVALUATIONS_DIR


def _remove_stale(base: Path) -> None:
    cutoff = time.time() - STALE_AFTER_S
    for old in base.glob(f"{PREFIX}*"):
        try:
            if old.stat().st_mtime < cutoff:
                remove(old)
        except OSError:
            continue


def remove(run_dir: str | Path) -> None:
    """Delete a run directory (only one this module made: the name must carry our prefix)."""
    path = Path(run_dir)
    if path.name.startswith(PREFIX) and (path / IMAGES_FILE).exists():
        shutil.rmtree(path, ignore_errors=True)
