"""The progress line of long runs: `audit: gathering 1,234/10,000 hosts · 3 errors · ETA 0:42` on stderr.

Only on a terminal (never in a file or a pipe) and without --quiet. The line is redrawn in place at most
`REDRAWS_PER_S` times a second (a stage's first and last counts always), erased as soon as its stage is complete
and when the command ends, also on errors: whatever the command prints is exactly what it prints without a
terminal. A stage that counts nothing ("writing reports") shows its name until the next stage or the end.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

from fleetcompat.progress import NO_PROGRESS, Progress

REDRAWS_PER_S = 10
ETA_AFTER_S = 1.0  # the rate of a stage's first second says little (connections, caches, imports)
_ERASE = "\r\x1b[K"  # to the start of the line, clear to its end


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


class TerminalProgress:
    """`Progress` drawn on a terminal stream; thread-safe (the SSH gather advances it from its pool)."""

    def __init__(self, verb: str, stream: TextIO) -> None:
        self._verb = verb
        self._stream = stream
        self._lock = threading.Lock()
        self._stage = ""
        self._total: int | None = None
        self._unit = "hosts"
        self._done = self._errors = 0
        self._started = self._drawn_at = 0.0
        self._shown = False
        self._broken = False  # the terminal went away: stop drawing, never fail the run for it

    def begin(self, stage: str, total: int | None, unit: str = "hosts") -> None:
        with self._lock:
            self._stage, self._total, self._unit = stage, total, unit
            self._done = self._errors = 0
            self._started = time.monotonic()
            if total == 0:
                self._write(_ERASE)
            else:
                self._draw(self._started)

    def advance(self, done: int = 1, errors: int = 0) -> None:
        with self._lock:
            self._done += done
            self._errors += errors
            now = time.monotonic()
            if self._done == self._total:  # the final count, then the line goes: the stage is complete
                self._draw(now)
                self._write(_ERASE)
            elif now - self._drawn_at >= 1 / REDRAWS_PER_S:
                self._draw(now)

    def clear(self) -> None:
        with self._lock:
            self._write(_ERASE)

    def line(self, now: float) -> str:
        """The text of the line at monotonic time `now`."""
        if self._total is None:
            return f"{self._verb}: {self._stage}"
        errors = f"{self._errors:,} error{'' if self._errors == 1 else 's'}"
        return (f"{self._verb}: {self._stage} {self._done:,}/{self._total:,} {self._unit} · {errors} · "
                f"ETA {self._eta(now)}")

    def _eta(self, now: float) -> str:
        assert self._total is not None
        elapsed = now - self._started
        if self._done >= self._total:
            return _clock(0)
        if self._done == 0 or elapsed < ETA_AFTER_S:
            return "--"
        return _clock(elapsed / self._done * (self._total - self._done))

    def _draw(self, now: float) -> None:
        text = self.line(now)
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        if columns > 1:  # a longer line would wrap, and \r would then erase only its last row
            text = text[: columns - 1]
        self._drawn_at = now
        self._write("\r" + text + "\x1b[K")

    def _write(self, text: str) -> None:
        if self._broken or (text == _ERASE and not self._shown):
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError:
            self._broken = True
            return
        self._shown = text != _ERASE


def shows_progress(stream: TextIO, quiet: bool) -> bool:
    """A terminal that can redraw a line (not TERM=dumb), and no --quiet."""
    return not quiet and stream.isatty() and os.environ.get("TERM") != "dumb"


@contextlib.contextmanager
def progress_line(verb: str, quiet: bool) -> Iterator[Progress]:
    """The progress of the stages run in the block on stderr, erased when the block ends (also by an exception);
    `NO_PROGRESS` with --quiet or when stderr is not a terminal."""
    if not shows_progress(sys.stderr, quiet):
        yield NO_PROGRESS
        return
    progress = TerminalProgress(verb, sys.stderr)
    try:
        yield progress
    finally:
        progress.clear()
