"""Keeping one bad input from taking the whole audit down: unexpected exceptions as one-line reasons, and caps on
what hosts report about themselves.

An audit step that fails for one image (a spec the parser chokes on in a way nobody foresaw) or one task should
say so in one line naming what failed and let the rest of the fleet be audited. `FLEETCOMPAT_DEBUG=1` in the
controller's environment adds the traceback for whoever has to fix it.

What a host says about itself is capped with `fleetcompat.limits.cap_text` / `cap_strings` before it reaches a
report.
"""

from __future__ import annotations

import traceback

from fleetcompat import errors


def internal_error(exc: BaseException, where: str) -> str:
    """The one-line internal error naming `where` (for a task's or a cell's message); with FLEETCOMPAT_DEBUG=1
    the traceback follows on the next lines."""
    line = errors.internal_error(exc, where)
    if errors.debugging():
        return line + "\n" + "".join(traceback.format_exception(exc)).rstrip()
    return line
