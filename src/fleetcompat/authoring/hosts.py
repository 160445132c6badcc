"""The hosts a spec is written from or linted against: features files, hosts of Ansible's fact cache, or (lint
only) a fleet result.

A features file is read with the bounded loader (`load_features_file`) and named by its file name without the
extension (the path as given when two files would get the same name). Fact cache hosts are named as Ansible names
them and chosen by name or shell-style pattern.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fleetcompat.errors import FeaturesError, FleetcompatError
from fleetcompat.features.load import load_features, load_features_file
from fleetcompat.features.model import Features
from fleetcompat.files import load_json, read_input
from fleetcompat.limits import FEATURES_BYTES, RESULT_BYTES
from fleetcompat.results.fleet import SCHEMA_ID, FleetResult, FleetResultError

# A fleet result starts with its schema name (`results.fleet.dumps` writes it first); a features file never has it.
_RESULT_MARK = f'"schema":"{SCHEMA_ID}"'.encode()
_RESULT_MARK_WITHIN = 200


class HostSelectionError(FleetcompatError):
    """The hosts named on the command line cannot be had (no such host, no features, nothing given)."""


@dataclass(frozen=True, slots=True)
class NamedPath:
    name: str
    path: str


def file_names(paths: Sequence[str]) -> list[NamedPath]:
    stems = [Path(p).stem or p for p in paths]
    unique = len(set(stems)) == len(stems)
    return [NamedPath(stem if unique else path, path) for stem, path in zip(stems, paths, strict=True)]


def features_files(paths: Sequence[str]) -> Iterator[tuple[str, Features]]:
    """(name, features) per file, loaded one at a time (a caller keeps only what it needs of each)."""
    for named in file_names(paths):
        yield named.name, load_features_file(named.path)


@dataclass(frozen=True, slots=True)
class CachedHosts:
    hosts: dict[str, Features]  # every cached host with usable features, by name
    unusable: dict[str, str]  # host -> why it has no features (expired, gathering failed, ...)


def fact_cache(directory: str) -> CachedHosts:
    from fleetcompat.fleet.factcache import read_fact_cache  # imports Ansible: only when a cache is used

    hosts, unusable = {}, {}
    for record in read_fact_cache(directory):
        if record.features is None:
            unusable[record.name] = record.reason or "no features"
        else:
            hosts[record.name] = record.features
    return CachedHosts(hosts, unusable)


def select(cache: CachedHosts, patterns: Sequence[str], directory: str, what: str) -> list[str]:
    """The cached hosts matching any of `patterns` (names or shell-style globs), in cache order; a pattern that
    matches nothing, or names a host without usable features, is an error naming it."""
    chosen: dict[str, None] = {}
    for pattern in patterns:
        matched = [name for name in cache.hosts if fnmatch.fnmatchcase(name, pattern)]
        if pattern in cache.unusable:
            raise HostSelectionError(f"{what} host {pattern!r} has no usable features: {cache.unusable[pattern]}",
                                     where=directory)
        if not matched:
            raise HostSelectionError(f"{what}: no cached host matches {pattern!r}", where=directory)
        chosen.update(dict.fromkeys(matched))
    return list(chosen)


@dataclass(frozen=True, slots=True)
class FleetInput:
    """What `spec lint --fleet` was given: hosts with features, or a fleet result (which holds none)."""

    hosts: list[tuple[str, Features]]
    result: FleetResult | None = None
    source: str = ""
    left_out: dict[str, str] = field(default_factory=dict)  # fact cache hosts without usable features: why


def fleet_input(paths: Sequence[str]) -> FleetInput:
    """One directory: a fact cache (hosts without usable features are left out); one file that is a fleet result:
    that result; otherwise features files."""
    if len(paths) == 1 and Path(paths[0]).is_dir():
        cache = fact_cache(paths[0])
        return FleetInput(list(cache.hosts.items()), source=paths[0], left_out=cache.unusable)
    if len(paths) == 1:
        data = read_input(paths[0], "fleet result or features file", FeaturesError, RESULT_BYTES)
        if _RESULT_MARK in data[:_RESULT_MARK_WITHIN]:
            doc = load_json(data, paths[0], FleetResultError)
            return FleetInput([], FleetResult.from_dict(doc, paths[0]), paths[0])
        if len(data) > FEATURES_BYTES.value():  # the loader's own cap, which the larger read above skipped
            load_features_file(paths[0])
        return FleetInput([(file_names(paths)[0].name, load_features(data, paths[0]))], source=paths[0])
    return FleetInput(list(features_files(paths)), source=", ".join(paths))
