# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""A host's features as one compact string for fact caches: `fleetcompat-packed-v1:` + base64(zlib(JSON)).

One host's features are about 50 KB of JSON (most of it kernel config) in about 2,000 strings; Ansible's fact cache
decodes each of them with its own type checks, which is what a report stage over 10,000 cached hosts spends its
time on. Packed, they are one string of about a third of the size, and they unpack to exactly the same value.
Standard library only (this runs on managed hosts too).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

PREFIX = "fleetcompat-packed-v1:"


class PackedFeaturesError(ValueError):
    """Not a packed features value, or one that unpacks to more than the caller allows."""


def pack(features: dict) -> str:
    text = json.dumps(features, ensure_ascii=False, separators=(",", ":"))
    return PREFIX + base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def unpack(value: object, max_bytes: int) -> dict:
    """The features `pack` was given. A value that would inflate beyond `max_bytes` is refused before it is."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        raise PackedFeaturesError(f"not packed features (expected a string starting with {PREFIX!r})")
    try:
        compressed = base64.b64decode(value[len(PREFIX):], validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(compressed, max_bytes)
    except (binascii.Error, zlib.error) as exc:
        raise PackedFeaturesError(f"damaged packed features: {exc}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise PackedFeaturesError(f"packed features inflate to more than {max_bytes} bytes, or are truncated")
    try:
        features = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackedFeaturesError(f"packed features are not JSON: {exc}") from None
    if not isinstance(features, dict):
        raise PackedFeaturesError("packed features are not a JSON object")
    return features
