"""How long-running stages report how far they got, without knowing who (if anyone) is watching.

Gathering over SSH, reading a fact cache, evaluating a fleet and merging results take a `Progress` and call
`begin` once per stage and `advance` as hosts (or parts) are done. The command line hands them a progress line on
the terminal (`fleetcompat.cli._progress`); every other caller (the Ansible collection, tests, library users) gets
`NO_PROGRESS`, which does nothing. Stages never write to the terminal themselves.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Implementations must accept `advance` from worker threads (the SSH gather calls it from its pool)."""

    def begin(self, stage: str, total: int | None, unit: str = "hosts") -> None:
        """A new stage (e.g. "gathering") of `total` units; None: a stage that counts nothing."""

    def advance(self, done: int = 1, errors: int = 0) -> None:
        """`done` more units finished, `errors` of them failed (unreachable, gathering or evaluation errors)."""


class _NoProgress:
    def begin(self, stage: str, total: int | None, unit: str = "hosts") -> None:
        pass

    def advance(self, done: int = 1, errors: int = 0) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()
