"""Reading inputs and writing outputs with one-line errors that name the file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fleetcompat.errors import FleetcompatError


def read_input(path: str | os.PathLike[str], what: str, error_cls: type[FleetcompatError]) -> bytes:
    """The bytes of an input file (`what` names it in the error: "spec file", "features file", ...)."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise error_cls(f"cannot read {what}: {exc.strerror}", where=str(path)) from None


def write_file(path: str | os.PathLike[str], text: str) -> None:
    """Write atomically (a reader never sees half a report), or fail with one line naming the file."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise FleetcompatError(f"cannot write: {exc.strerror}", where=str(path)) from None


def emit(text: str, path: str | None) -> None:
    """A command's output: to `path` when given (`--output FILE`), else to standard output."""
    if path:
        write_file(path, text)
    else:
        sys.stdout.write(text)
