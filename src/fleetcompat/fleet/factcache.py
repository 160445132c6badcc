"""Read a fleet's features from Ansible's fact cache (the `jsonfile` plugin) without touching the hosts.

`fleetcompat.audit.node_features` returns its features as facts, so a playbook run with
`fact_caching = jsonfile` leaves one file per host. The file format is Ansible's own (2.19+ wraps it in a
schema-versioned payload), so the cache is listed through its plugin; each entry is read with the bounded reader.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from fleetcompat.errors import FeaturesError, FleetcompatError
from fleetcompat.files import load_json, read_input, refuse_special
from fleetcompat.fleet.hosts import HostRecord, record_from_facts
from fleetcompat.limits import FEATURES_BYTES
from fleetcompat.progress import NO_PROGRESS, Progress
from fleetcompat.results.fleet import HostStatus

DEFAULT_TIMEOUT = 86400  # Ansible's fact_caching_timeout default; 0 = entries never expire


class FactCacheError(FleetcompatError):
    """The fact cache directory cannot be read."""


def _open_cache(directory: str, prefix: str, timeout: int) -> Any:
    if not Path(directory).is_dir():
        raise FactCacheError("not a directory (expected Ansible's jsonfile fact cache)", where=directory)
    try:
        from ansible.plugins.loader import cache_loader, init_plugin_loader
    except ImportError:
        raise FactCacheError("reading Ansible's fact cache needs ansible-core on this Python "
                             "(requirements/controller.txt)", where=directory) from None
    init_plugin_loader()
    return cache_loader.get("ansible.builtin.jsonfile", _uri=directory, _prefix=prefix, _timeout=timeout)


def _read_entry(cache: Any, name: str) -> Any:
    """One host's cached facts, read with fleetcompat's bounded reader instead of the plugin's `get()`, which
    would block on a FIFO, read any size, and delete an entry it cannot decode (Ansible erases "corrupt" cache
    files). The file name and the payload wrapping are the plugin's own (ansible-core 2.19+ wraps the jsonfile
    plugin in an interposer that prefixes keys with a schema id and stores the facts as a JSON payload)."""
    path = _entry_path(cache, name)
    stored = load_json(read_input(path, "fact cache entry", FeaturesError, FEATURES_BYTES), path, FeaturesError)
    return cache._decode(stored) if getattr(cache, "__wrapped__", cache) is not cache else stored


def _entry_path(cache: Any, name: str) -> str | None:
    """The file of `name`'s entry in a file-backed cache plugin (jsonfile, yaml, pickle); None for one that keeps
    no files (memory, redis)."""
    plugin = getattr(cache, "__wrapped__", cache)
    if not hasattr(plugin, "_get_cache_file_name"):
        return None
    return plugin._get_cache_file_name(cache._get_key(name) if plugin is not cache else name)


def check_entry(cache: Any, name: str) -> None:
    """FeaturesError (one line) when `name`'s entry is a FIFO, a device or another special file: the plugin's own
    `get()`, which the collection's report stage uses, would block on it forever."""
    path = _entry_path(cache, name)
    if path is not None:
        refuse_special(path, "fact cache entry", FeaturesError)


def _host(cache: Any, name: str, directory: str, seen: dict) -> HostRecord:
    try:
        facts = _read_entry(cache, name)
    except FeaturesError as exc:
        return HostRecord(name, HostStatus.ERROR, str(exc))
    except Exception as exc:  # Ansible's decoder raises its own error types for damaged payloads
        return HostRecord(name, HostStatus.ERROR, f"fact cache entry unreadable: {type(exc).__name__}: {exc}")
    if not isinstance(facts, dict):
        return HostRecord(name, HostStatus.ERROR, "fact cache entry is not a mapping of facts")
    return record_from_facts(name, facts, directory, datetime.datetime.now(datetime.UTC), seen=seen)


def read_fact_cache(directory: str, prefix: str = "", timeout: int = DEFAULT_TIMEOUT,
                    progress: Progress = NO_PROGRESS) -> list[HostRecord]:
    """Every cached host, sorted by name; hosts without usable features are `error` with the reason (and count
    as errors in `progress`, as do unreachable ones)."""
    cache = _open_cache(directory, prefix, timeout)
    names = sorted(cache.keys())
    if not names:
        raise FactCacheError("no hosts in the fact cache (set fact_caching = jsonfile and "
                             "fact_caching_connection to this directory, then run playbooks/audit.yml)",
                             where=directory)
    seen: dict = {}  # packed features already unpacked
    progress.begin("reading facts", len(names))
    records = []
    for name in names:
        records.append(_host(cache, name, directory, seen))
        progress.advance(errors=records[-1].status is not HostStatus.OK)
    return records
