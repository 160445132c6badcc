"""The on-disk spec cache: content-addressed blobs plus two small indexes.

Layout under the cache directory (default `$XDG_CACHE_HOME/fleetcompat` or `~/.cache/fleetcompat`):

    blobs/<alg>/<hex>         verified bytes of artifact manifests, spec layers, image manifests/indexes and
                              image configs, keyed by their digest (immutable, so never stale)
    refs/<sha256(key)>.json   last result per (image reference, platform): image digest, subject and artifact
                              digest, so `--offline` works from a tag and a warm run can HEAD instead of GET
    registries/<host>.json    whether that registry serves the referrers API, with the time it was checked

Every read re-verifies the digest (a damaged file is dropped); every write is atomic (temp file + rename), so
concurrent runs never see half a file. A cache that cannot be written (read-only disk) only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from fleetcompat.errors import FleetcompatError
from fleetcompat.files import load_json, read_input
from fleetcompat.limits import CACHE_ENTRY_BYTES
from fleetcompat.registry.reference import check_digest, digest_matches


class CacheEntryError(FleetcompatError):
    """A cache entry that cannot be used: it is treated as a miss."""


def _read_entry(path: Path) -> bytes | None:
    """A cache entry's bytes through the bounded reader; a missing, special or oversized file is a miss."""
    try:
        return read_input(path, "cache entry", CacheEntryError, CACHE_ENTRY_BYTES)
    except CacheEntryError as exc:
        if path.exists():
            log.debug("cache: ignoring %s (%s)", path, exc.message)
        return None

log = logging.getLogger("fleetcompat.registry")


class SpecCache:
    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._warned = False
        self._lock = threading.Lock()

    def _blob_path(self, digest: str) -> Path | None:
        if self.root is None:
            return None
        algorithm, _, hexpart = check_digest(digest).partition(":")
        return self.root / "blobs" / algorithm / hexpart

    def get_blob(self, digest: str) -> bytes | None:
        path = self._blob_path(digest)
        if path is None:
            return None
        data = _read_entry(path)
        if data is None:
            return None
        if digest_matches(data, digest):
            return data
        log.debug("cache: dropping damaged blob %s", digest)
        path.unlink(missing_ok=True)
        return None

    def put_blob(self, digest: str, data: bytes) -> None:
        path = self._blob_path(digest)
        if path is not None and not path.exists():
            self._write(path, data)

    def get_ref(self, ref: str, platform: str | None) -> dict | None:
        path = self._ref_path(ref, platform)
        return self._read_json(path) if path else None

    def put_ref(self, ref: str, platform: str | None, entry: dict) -> None:
        path = self._ref_path(ref, platform)
        if path is not None:
            self._write(path, json.dumps({"ref": ref, "platform": platform, **entry}, indent=1).encode())

    def referrers_api(self, endpoint: str, max_age: float) -> bool | None:
        """What we learnt about this registry's referrers API, if learnt less than `max_age` seconds ago."""
        path = self._registry_path(endpoint)
        entry = self._read_json(path) if path else None
        if not entry or not isinstance(entry.get("referrers_api"), bool):
            return None
        if time.time() - float(entry.get("checked", 0)) > max_age:
            return None
        return entry["referrers_api"]

    def put_referrers_api(self, endpoint: str, supported: bool) -> None:
        path = self._registry_path(endpoint)
        if path is not None:
            self._write(path, json.dumps({"endpoint": endpoint, "referrers_api": supported,
                                          "checked": time.time()}).encode())

    def _ref_path(self, ref: str, platform: str | None) -> Path | None:
        if self.root is None:
            return None
        key = hashlib.sha256(f"{ref}\n{platform or ''}".encode()).hexdigest()
        return self.root / "refs" / f"{key}.json"

    def _registry_path(self, endpoint: str) -> Path | None:
        if self.root is None:
            return None
        safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in endpoint)
        return self.root / "registries" / f"{safe}.json"

    @staticmethod
    def _read_json(path: Path) -> dict | None:
        data = _read_entry(path)
        try:
            entry = load_json(data, str(path), CacheEntryError) if data is not None else None
        except CacheEntryError:
            return None
        return entry if isinstance(entry, dict) else None

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            with self._lock:
                if not self._warned:
                    self._warned = True
                    log.warning("fleetcompat: warning: spec cache %s is not writable (%s); continuing without it",
                                self.root, exc.strerror or type(exc).__name__)
