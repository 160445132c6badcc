"""Keeping one bad input from taking the whole audit down: unexpected exceptions as one-line reasons, and caps on
what hosts report about themselves.

An audit step that fails for one image (a spec the parser chokes on in a way nobody foresaw) or one task should
say so in one line naming what failed and let the rest of the fleet be audited. `FLEETCOMPAT_DEBUG=1` in the
controller's environment adds the traceback for whoever has to fix it.

Everything a host says about itself (its hardware summary, the values shown for failing expressions, why it
failed) is copied into every report. A host must not be able to blow those up: values longer than
`HOST_TEXT_LIMIT` characters (reasons: `REASON_LIMIT`) are cut there with a marker saying how long they were.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from fleetcompat import errors

HOST_TEXT_LIMIT = 256  # characters of one host-provided value kept in a fleet result (summary, failing values)
REASON_LIMIT = 1024  # characters of a host's or a cell's reason (messages name paths, hosts and images)


def internal_error(exc: BaseException, where: str) -> str:
    """The one-line internal error naming `where` (for a task's or a cell's message); with FLEETCOMPAT_DEBUG=1
    the traceback follows on the next lines."""
    line = errors.internal_error(exc, where)
    if errors.debugging():
        return line + "\n" + "".join(traceback.format_exception(exc)).rstrip()
    return line


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
