"""NFD `Features` (api/nfd/v1alpha1): three maps keyed by `<source>.<feature>`.

The maps hold NFD's JSON shapes directly (`nfd export features` form) so that loading a host is no more than a
JSON decode: flags `{name: {key: {}}}`, attributes `{name: {key: value}}`, instances `{name: [{attr: value}]}`.
A name absent from a map is different from a name present with no elements ("present but empty").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Features:
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    instances: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def from_nfd(cls, doc: dict[str, Any]) -> Features:
        """Build from an already validated NFD JSON object (`{"flags": {..}, "attributes": {..}, ...}`)."""
        return cls(
            flags={k: (v or {}).get("elements") or {} for k, v in (doc.get("flags") or {}).items()},
            attributes={k: (v or {}).get("elements") or {} for k, v in (doc.get("attributes") or {}).items()},
            instances={
                k: [(i or {}).get("attributes") or {} for i in ((v or {}).get("elements") or [])]
                for k, v in (doc.get("instances") or {}).items()
            },
        )

    def to_nfd(self) -> dict[str, Any]:
        """NFD's JSON form, as `nfd export features` prints it."""
        return {
            "flags": {k: {"elements": {e: {} for e in v}} for k, v in sorted(self.flags.items())},
            "attributes": {k: {"elements": dict(sorted(v.items()))} for k, v in sorted(self.attributes.items())},
            "instances": {
                k: {"elements": [{"attributes": dict(sorted(i.items()))} for i in v]}
                for k, v in sorted(self.instances.items())
            },
        }

    def names(self) -> set[str]:
        return set(self.flags) | set(self.attributes) | set(self.instances)

    def attribute(self, name: str, key: str) -> str | None:
        return self.attributes.get(name, {}).get(key)
