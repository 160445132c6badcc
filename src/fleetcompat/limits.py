"""Every bound fleetcompat puts on what others hand it, in one table (docs/security.md lists them with the sizes
they were chosen from). A user who needs more sets the environment variable named in the table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetcompat.errors import FleetcompatError

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True, slots=True)
class Limit:
    name: str  # the environment variable that overrides it
    default: int
    what: str  # for the error message: "spec files are capped at ..."

    def value(self) -> int:
        raw = os.environ.get(self.name)
        if raw is None or raw == "":
            return self.default
        if not raw.isdigit() or int(raw) <= 0:
            raise FleetcompatError(f"{self.name}={raw!r}: expected a positive whole number ({self.what})")
        return int(raw)


# Input files. Real sizes: a spec is a few KiB (the registry already caps a fetched one at 4 MiB); one host's
# features are about 90 KiB (half of it kernel config); a 10,000-host fleet result is 4.9 MiB, so 100,000 hosts
# x 50 images is about 120 MiB.
SPEC_BYTES = Limit("FLEETCOMPAT_MAX_SPEC_BYTES", 4 * MiB, "a compatibility spec file")
FEATURES_BYTES = Limit("FLEETCOMPAT_MAX_FEATURES_BYTES", 32 * MiB, "one host's features file")
LIST_BYTES = Limit("FLEETCOMPAT_MAX_LIST_BYTES", 16 * MiB, "an image list, host list or known_hosts file")
KEY_BYTES = Limit("FLEETCOMPAT_MAX_KEY_BYTES", 1 * MiB, "an SSH identity file or a registry auth file")
# Cached registry blobs were fetched under the registry's 4 MiB content cap; the cache directory may hold anything.
CACHE_ENTRY_BYTES = Limit("FLEETCOMPAT_MAX_CACHE_ENTRY_BYTES", 4 * MiB, "a registry cache entry")
WAIVERS_BYTES = Limit("FLEETCOMPAT_MAX_WAIVERS_BYTES", 4 * MiB, "a waivers file")
RESULT_BYTES = Limit("FLEETCOMPAT_MAX_RESULT_BYTES", 1024 * MiB, "a fleet result file")
# YAML: a spec or features file has no legitimate use for deep nesting or for aliases that multiply the
# document (a "billion laughs" file of 1 KiB expands to 10^9 nodes).
YAML_ALIAS_NODES = Limit("FLEETCOMPAT_MAX_YAML_ALIAS_NODES", 100_000, "nodes that YAML aliases and merges may add")
NESTING_DEPTH = 64  # the deepest legitimate document (a NodeFeature List of instance features) is 9 levels

# Everything a host says about itself (its hardware summary, the values shown for failing expressions and in
# remediation hints, why it failed) is copied into every report: values longer than HOST_TEXT_LIMIT characters
# (reasons: REASON_LIMIT) are cut there with a marker saying how long they were.
HOST_TEXT_LIMIT = 256
REASON_LIMIT = 1024  # messages name paths, hosts and images


def cap_text(text: str, limit: int = HOST_TEXT_LIMIT) -> str:
    """`text` cut to `limit` characters plus `… (N characters)` when longer."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def cap_strings(value: Any, limit: int = HOST_TEXT_LIMIT) -> Any:
    """`value` (JSON-like: mappings, lists, tuples, scalars) with every string, keys included, capped."""
    if isinstance(value, str):
        return cap_text(value, limit)
    if isinstance(value, Mapping):
        return {cap_strings(k, limit): cap_strings(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(cap_strings(v, limit) for v in value)
    return value
