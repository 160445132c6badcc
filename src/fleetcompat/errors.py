"""Errors that end a command with a one-line message and a documented exit code."""

from __future__ import annotations

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
