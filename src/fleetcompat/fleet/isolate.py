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

import os
import traceback
from collections.abc import Mapping
from typing import Any

DEBUG_ENV = "FLEETCOMPAT_DEBUG"
HOST_TEXT_LIMIT = 256  # characters of one host-provided value kept in a fleet result (summary, failing values)
REASON_LIMIT = 1024  # characters of a host's or a cell's reason (messages name paths, hosts and images)
EXCEPTION_TEXT_LIMIT = 300  # characters of an unexpected exception's message in its one line (as the CLI's)


def internal_error(exc: BaseException, where: str) -> str:
    """`internal error: <Type>: <message> (<where>); FLEETCOMPAT_DEBUG=1 shows the traceback` (the message on one
    line, capped), or with FLEETCOMPAT_DEBUG=1 that line followed by the traceback."""
    text = cap_text(" ".join(str(exc).split()), EXCEPTION_TEXT_LIMIT)  # one bounded line, whatever it held
    line = f"internal error: {type(exc).__name__}{': ' + text if text else ''} ({where})"
    if os.environ.get(DEBUG_ENV) == "1":
        return line + "\n" + "".join(traceback.format_exception(exc)).rstrip()
    return f"{line}; {DEBUG_ENV}=1 shows the traceback"


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
