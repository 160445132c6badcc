"""Errors that end a command with a one-line message and a documented exit code."""

from __future__ import annotations

import os

# One implementation of "one printable, bounded line" for host text and for our own messages (a spec or a host
# can put newlines, terminal escape sequences or megabytes into what ends up in an error).
from fleetcompat.hostfeatures.limits import one_line

EXIT_COMPATIBLE = 0
EXIT_INCOMPATIBLE = 1
EXIT_ERROR = 2


class FleetcompatError(Exception):
    """A user-facing error: one line, naming what and where (file:line, YAML path, host, image)."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class SpecError(FleetcompatError):
    """The compatibility spec is malformed (unknown key, wrong type, bad op, bad regex, ...)."""


class FeaturesError(FleetcompatError):
    """A features document is malformed or unreadable."""


class EvaluationError(FleetcompatError):
    """NFD would abort evaluation here, e.g. a host value that is not an integer for `Gt`."""


DEBUG_VARIABLE = "FLEETCOMPAT_DEBUG"
MESSAGE_LIMIT = 500  # characters of an error line
EXCEPTION_TEXT_LIMIT = 300  # characters of an unexpected exception's own message within its line


def debugging() -> bool:
    """FLEETCOMPAT_DEBUG=1: tracebacks are shown alongside the one-line internal errors."""
    return os.environ.get(DEBUG_VARIABLE) == "1"


def internal_error(exc: BaseException, where: str | None = None) -> str:
    """The line for an unexpected exception (a bug, or an input nobody foresaw): never mistaken for a verdict,
    `internal error: <Type>: <message> (<where>); FLEETCOMPAT_DEBUG=1 shows the traceback`."""
    text = one_line(" ".join(str(exc).split()), EXCEPTION_TEXT_LIMIT)
    place = f" ({where})" if where else ""
    return f"internal error: {type(exc).__name__}{': ' + text if text else ''}{place}; {DEBUG_VARIABLE}=1 shows the " \
        "traceback"
