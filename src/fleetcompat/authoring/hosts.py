"""The hosts a spec is written from or linted against: features files, or hosts of Ansible's fact cache.

A features file is read with the bounded loader (`load_features_file`) and named by its file name without the
extension (the path as given when two files would get the same name). Fact cache hosts are named as Ansible names
them and chosen by name or shell-style pattern.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from fleetcompat.errors import FleetcompatError
from fleetcompat.features.load import load_features_file
from fleetcompat.features.model import Features


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
