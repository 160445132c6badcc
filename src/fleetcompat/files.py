"""Reading inputs and writing outputs: bounded, non-blocking, and never destroying what is not ours.

Every input file of every verb (spec, features, image list, host list, known_hosts, identity, fleet result) is
read by `read_input`: it opens without blocking (a FIFO or a terminal would otherwise wait forever), refuses
anything that is not a regular file, and reads at most its limit (`fleetcompat.limits`). Every output goes
through `write_files`: each file is first written in full to a temporary file created exclusively beside it
(random name, O_EXCL, never through a symlink), flushed to disk, and only then renamed over the target; a target
that exists and is not a regular file is refused, and one run's files are renamed only after all are written.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from fleetcompat.errors import FleetcompatError
from fleetcompat.limits import Limit

STDOUT = "-"

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory", stat.S_IFLNK: "a symlink"}


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def read_input(path: str | os.PathLike[str], what: str, error_cls: type[FleetcompatError], limit: Limit) -> bytes:
    """The bytes of an input file (`what` names it in the error: "spec file", "features file", ...)."""
    cap = limit.value()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise error_cls(f"cannot read {what}: {exc.strerror}", where=str(path)) from None
    except ValueError:  # a NUL byte in the name
        raise error_cls(f"cannot read {what}: not a valid file name", where=repr(str(path))) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > cap:
        os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error_cls(_not_regular(what, info.st_mode), where=str(path))
        raise error_cls(_too_big(what, info.st_size, limit, cap), where=str(path))
    with os.fdopen(fd, "rb", buffering=0) as handle:
        chunks, total = [], 0
        try:
            while total <= cap:  # the file may grow while it is read: never more than the cap plus one chunk
                chunk = handle.read(min(1 << 20, cap + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        except OSError as exc:
            raise error_cls(f"cannot read {what}: {exc.strerror}", where=str(path)) from None
    if total > cap:
        raise error_cls(_too_big(what, total, limit, cap), where=str(path))
    return b"".join(chunks)


def refuse_special(path: str | os.PathLike[str], what: str, error_cls: type[FleetcompatError]) -> None:
    """For a file another library will open (Ansible's cache plugins): raise unless it is missing or a regular
    file, so that a FIFO or a device cannot block or flood that reader. Links are followed, as the reader does."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise error_cls(f"cannot read {what}: {exc.strerror}", where=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise error_cls(_not_regular(what, info.st_mode), where=str(path))


def _not_regular(what: str, mode: int) -> str:
    return f"cannot read {what}: {_kind(mode)}, not a regular file"


def _too_big(what: str, size: int, limit: Limit, cap: int) -> str:
    return f"{what} is larger than {_size(cap)} ({_size(size)}); {limit.name} raises the limit"


# -- JSON ---------------------------------------------------------------------------------------------------------

# A JSON escape of a UTF-16 surrogate: legal in a pair (an escaped emoji), but alone it decodes to a string that
# cannot be written as UTF-8, so a report would crash long after the input was accepted.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONG_INTEGER = re.compile(rb"-?\d{%d,}" % (sys.get_int_max_str_digits() + 1))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(data: bytes, source: str, error_cls: type[FleetcompatError]) -> Any:
    """A JSON document as Python values; anything a report could not hold later is refused now, naming where."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise error_cls(f"not JSON: {exc.msg}", where=f"{source}:{exc.lineno}:{exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise error_cls(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=source) from None
    except RecursionError:
        raise error_cls("not JSON that fleetcompat reads: nested too deeply", where=source) from None
    except ValueError as exc:
        problem, line = _value_problem(exc, data)
        raise error_cls(f"not JSON that fleetcompat reads: {problem}", where=source + line) from None
    if _SURROGATE_ESCAPE.search(data):
        _check_tree(value, source, error_cls)
    return value


def _value_problem(exc: ValueError, data: bytes) -> tuple[str, str]:
    """What `json.loads` refused beyond syntax, and its `:line` where that can be found."""
    found = _LONG_INTEGER.search(data)
    if found:
        line = data.count(b"\n", 0, found.start()) + 1
        return f"integer with more than {sys.get_int_max_str_digits()} digits", f":{line}"
    return str(exc), ""


def _check_tree(value: Any, source: str, error_cls: type[FleetcompatError]) -> None:
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                where = f"{path}.{key}" if path else str(key)
                problem = not_unicode(key) if isinstance(key, str) else None
                if problem:
                    raise error_cls(problem, where=f"{source}: {path or '(document)'}")
                stack.append((sub, where))
        elif isinstance(item, list):
            stack.extend((sub, f"{path}[{i}]") for i, sub in enumerate(item))
        elif isinstance(item, str):
            problem = not_unicode(item)
            if problem:
                raise error_cls(problem, where=f"{source}: {path or '(document)'}")


def not_unicode(text: str) -> str | None:
    """Why `text` cannot be written as UTF-8 (a lone UTF-16 surrogate from an escape or a fact cache), or None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"lone UTF-16 surrogate U+{ord(text[exc.start]):04X} in a string (not Unicode text)"
    return None


# -- outputs ------------------------------------------------------------------------------------------------------


def _check_target(target: Path) -> None:
    try:
        info = target.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FleetcompatError(f"cannot write: {exc.strerror}", where=str(target)) from None
    except ValueError:  # a NUL byte in the name
        raise FleetcompatError("cannot write: not a valid file name", where=repr(str(target))) from None
    if not stat.S_ISREG(info.st_mode):
        raise FleetcompatError(f"cannot write: exists and is {_kind(info.st_mode)} (write to '-' for standard "
                               "output)", where=str(target))


def _write_temporary(target: Path, text: str) -> Path:
    """The text in a new file beside `target`, created exclusively with a random name, flushed to disk."""
    _check_target(target)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise FleetcompatError(f"cannot write: {exc.strerror}", where=str(target)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
            os.fchmod(out.fileno(), 0o644 & ~_UMASK)
    except (OSError, UnicodeEncodeError) as exc:
        Path(name).unlink(missing_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) else f"not Unicode text ({exc.reason})"
        raise FleetcompatError(f"cannot write: {reason}", where=str(target)) from None
    return Path(name)


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates 0600; a report gets the mode a plain `open(..., "w")` would give it. Read once, at import,
# because reading the umask means setting it, which would race with other threads later.
_UMASK = _read_umask()


@contextlib.contextmanager
def output_lock(directory: Path) -> Iterator[None]:
    """Serialise runs that write into one directory; a second run fails at once with one line. The lock is
    taken on the directory itself, so no lock file is left among the reports."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise FleetcompatError(f"cannot lock the output directory: {exc.strerror}", where=str(directory)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FleetcompatError("another fleetcompat run is writing reports here; wait for it or choose "
                                   "another directory", where=str(directory)) from None
        yield
    finally:
        os.close(fd)


def write_files(texts: Mapping[str | os.PathLike[str], str], lock: Path | None = None) -> None:
    """Write a set of files atomically as a set: all are written before any is renamed into place. With `lock`
    (a run's output directory), runs that write into it are serialised (`output_lock`)."""
    targets = {Path(path): text for path, text in texts.items()}
    with output_lock(lock) if lock is not None else contextlib.nullcontext():
        written: list[tuple[Path, Path]] = []
        try:
            for target, text in targets.items():
                written.append((_write_temporary(target, text), target))
            for partial, target in written:
                _check_target(target)  # re-checked: it may have been replaced by a FIFO meanwhile
                os.replace(partial, target)
        except OSError as exc:
            raise FleetcompatError(f"cannot write: {exc.strerror}", where=str(exc.filename or "")) from None
        finally:
            for partial, _ in written:
                partial.unlink(missing_ok=True)


def write_file(path: str | os.PathLike[str], text: str) -> None:
    """One output file, atomically; `-` is standard output."""
    if str(path) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_files({path: text})


def emit(text: str, path: str | None) -> None:
    """A command's output: to `path` when given (`--output FILE`), else to standard output."""
    write_file(path or STDOUT, text)
