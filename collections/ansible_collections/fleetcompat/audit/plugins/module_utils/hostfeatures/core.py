"""Host file access confined to a root, and the helpers every feature source shares.

Stdlib only, Python 3.9+: this package also runs on managed hosts as Ansible module_utils.
Every read goes through `HostFS`, so a captured tree or a host mounted at /host is read exactly like `/`, and
nothing outside the root is ever opened: paths are resolved inside the root one component at a time, as if the
gatherer ran chrooted there.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from .limits import ATTRIBUTE_LIMIT, DIRECTORY_ENTRY_LIMIT, SYMLINK_LIMIT

# Errors that mean "this thing is not there" in sysfs/procfs: absent, never worth a warning.
# EINVAL/ENODEV/ENXIO/EOPNOTSUPP come from attributes a driver does not implement (e.g. `speed` of a down link).
_ABSENT_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EINVAL, errno.ENODEV, errno.ENXIO, errno.EOPNOTSUPP,
     errno.ENODATA, errno.ELOOP}
)

# Go's strings.TrimSpace plus NUL: some captured sysfs files end with "\n\0".
_TRIM = " \t\n\r\v\f\0"

# O_PATH (Linux): an fd that only names a directory, for walking; needs no read permission, like a path lookup.
_O_PATH = getattr(os, "O_PATH", os.O_RDONLY)
_WALK_FLAGS = _O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# A FIFO must not block the open, a terminal must not become ours; the type is checked on the open fd.
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_LIST_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
# procfs/sysfs files report st_size 0 or 4096 whatever their content: read in chunks up to the limit.
_READ_CHUNK = 65536

_FILE_TYPES = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def trimmed(text: str) -> str:
    return text.strip(_TRIM)


def _file_type(mode: int) -> str:
    return next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")


class _Skipped(Exception):
    """A file that is there but is not read (wrong type, over its limit); the message is the warning."""


class HostFS:
    """Reads files of one host below `root`; records a warning for anything present but unreadable or refused.

    Below a root other than `/`, every path is resolved inside it one component at a time with directory fds
    (openat with O_NOFOLLOW): an absolute symlink starts again at the root, `..` stops at the root, more than
    SYMLINK_LIMIT links is ELOOP. Holding an fd per resolved directory leaves no window in which a renamed or
    replaced directory leads outside. What remains: the last component is checked with lstat before it is opened
    (so a device node is never opened) and again with fstat after; a file swapped for a device in between is
    opened but refused unread. With root `/` there is no outside, and the kernel's own lookup resolves exactly as
    the walk would, so paths are opened directly and checked with fstat only (the files are the running host's,
    its root's to place; O_NONBLOCK keeps a FIFO from blocking the open).
    """

    def __init__(self, root: str = "/") -> None:
        self.root = os.path.abspath(root)
        self._prefix = "" if self.root == "/" else self.root
        self.warnings: list[str] = []
        self._warned: set[str] = set()
        self._cache: dict[str, str | None] = {}

    def path(self, rel: str) -> str:
        """Host path of `rel` (relative to the root, no leading slash), for messages."""
        return self._prefix + "/" + rel

    def warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self.warnings.append(message)

    def _failed(self, rel: str, exc: OSError) -> None:
        if exc.errno not in _ABSENT_ERRNOS:
            self.warn(f"cannot read {self.path(rel)}: {exc.strerror or exc}")

    # --- resolution ---------------------------------------------------------------------------------------------

    def _lookup(self, rel: str, follow: bool = True) -> tuple[int | None, str, os.stat_result]:
        """(directory fd or None, name, lstat of name): where `rel` is, resolved inside the root.

        The caller opens or reads `name` relative to the fd (os.* `dir_fd=`) and closes the fd. With `follow`,
        a last component that is a symlink is resolved as well, so `name` is not a symlink (when it was checked).
        """
        if "\0" in rel:
            raise OSError(errno.ENOENT, "NUL in path", rel)
        if not self._prefix:
            path = "/" + rel
            return None, path, (os.stat(path) if follow else os.lstat(path))
        todo = [part for part in reversed(rel.split("/")) if part and part != "."]
        dirs = [os.open(self.root, _O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)]  # the walk so far, root first
        links = 0
        try:
            while todo:
                part = todo.pop()
                if part == "..":
                    if len(dirs) > 1:  # `..` of the root is the root, as in a chroot
                        os.close(dirs.pop())
                    continue
                if todo:
                    try:
                        dirs.append(os.open(part, _WALK_FLAGS, dir_fd=dirs[-1]))
                        continue
                    except OSError as exc:
                        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
                            raise
                        target = self._link_target(part, dirs[-1], exc)
                else:
                    info = os.stat(part, dir_fd=dirs[-1], follow_symlinks=False)
                    if not (follow and stat.S_ISLNK(info.st_mode)):
                        return self._found(dirs, part, info)
                    target = os.readlink(part, dir_fd=dirs[-1])
                links += 1
                if links > SYMLINK_LIMIT:
                    raise OSError(errno.ELOOP, f"more than {SYMLINK_LIMIT} symbolic links", rel)
                if target.startswith("/"):  # absolute: from the root of the host, i.e. our root
                    while len(dirs) > 1:
                        os.close(dirs.pop())
                todo.extend(part for part in reversed(target.split("/")) if part and part != ".")
            # `rel` named a directory (or the root): it is `.` of the last fd
            return self._found(dirs, ".", os.stat(".", dir_fd=dirs[-1]))
        except BaseException:
            for fd in dirs:
                os.close(fd)
            raise

    @staticmethod
    def _found(dirs: list[int], name: str, info: os.stat_result) -> tuple[int, str, os.stat_result]:
        for fd in dirs[:-1]:
            os.close(fd)
        return dirs[-1], name, info

    @staticmethod
    def _link_target(part: str, dir_fd: int, not_a_dir: OSError) -> str:
        """Target of `part` when it is a symlink; else `not_a_dir` (a file where a directory was needed)."""
        try:
            return os.readlink(part, dir_fd=dir_fd)
        except OSError:
            raise not_a_dir from None

    # --- reads --------------------------------------------------------------------------------------------------

    def _check_file(self, rel: str, info: os.stat_result, limit: int) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise OSError(errno.EISDIR, "is a directory", rel)  # "not there" for a file read, as before
        if not stat.S_ISREG(info.st_mode):
            raise _Skipped(f"{self.path(rel)}: {_file_type(info.st_mode)}, not read")
        if info.st_size > limit:
            raise _Skipped(f"{self.path(rel)}: larger than {limit} bytes ({info.st_size}), not read")

    def _read_limited(self, rel: str, limit: int) -> bytes:
        if self._prefix:
            dir_fd, name, info = self._lookup(rel)
            try:
                self._check_file(rel, info, limit)  # before the open: a device or FIFO in a tree is never opened
                fd = os.open(name, _READ_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)
            finally:
                os.close(dir_fd)
        else:  # the running host's own files, owned by its root: checked on the open fd only (one stat less)
            fd = os.open("/" + rel, _READ_FLAGS)
        try:
            self._check_file(rel, os.fstat(fd), limit)  # what is read is what this fd is
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - size))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                size += len(chunk)
            raise _Skipped(f"{self.path(rel)}: larger than {limit} bytes, not read")
        finally:
            os.close(fd)

    def read_bytes(self, rel: str, limit: int = ATTRIBUTE_LIMIT) -> bytes | None:
        """Whole regular file, None if missing, unreadable, not a regular file or over `limit` bytes."""
        try:
            return self._read_limited(rel, limit)
        except _Skipped as skipped:
            self.warn(str(skipped))
        except OSError as exc:
            self._failed(rel, exc)
        return None

    def read(self, rel: str, limit: int = ATTRIBUTE_LIMIT) -> str | None:
        """Whole file as text (undecodable bytes replaced), None if missing or unreadable."""
        data = self.read_bytes(rel, limit)
        return None if data is None else data.decode("utf-8", "replace")

    def read_cached(self, rel: str, limit: int = ATTRIBUTE_LIMIT) -> str | None:
        """`read` for files several sources use (cpuinfo, DMI); read once per gather."""
        if rel not in self._cache:
            self._cache[rel] = self.read(rel, limit)
        return self._cache[rel]

    def value(self, rel: str) -> str | None:
        """A one-value sysfs/procfs file, trimmed like NFD does (Go strings.TrimSpace)."""
        text = self.read(rel)
        return None if text is None else trimmed(text)

    def listdir(self, rel: str) -> list[str] | None:
        """Sorted entry names (Go os.ReadDir order), None if the directory is missing or unreadable."""
        return self.listdir_error(rel)[0]

    def _list_limited(self, rel: str) -> list[str]:
        dir_fd, name, _ = self._lookup(rel)
        try:
            fd = os.open(name, _LIST_FLAGS if dir_fd is None else _LIST_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
        names = []
        try:
            with os.scandir(fd) as entries:  # one entry at a time: a huge directory is never held whole
                for entry in entries:
                    if len(names) == DIRECTORY_ENTRY_LIMIT:
                        raise _Skipped(f"{self.path(rel)}: more than {DIRECTORY_ENTRY_LIMIT} entries, not listed")
                    names.append(entry.name)
        finally:
            os.close(fd)
        names.sort()
        return names

    def listdir_error(self, rel: str) -> tuple[list[str] | None, OSError | None]:
        """Like `listdir`, but also says why it failed (NFD treats "missing" and "unreadable" differently)."""
        try:
            return self._list_limited(rel), None
        except _Skipped as skipped:
            self.warn(str(skipped))
            return None, OSError(errno.E2BIG, str(skipped))
        except OSError as exc:
            self._failed(rel, exc)
            return None, exc

    # --- existence and links ------------------------------------------------------------------------------------

    def _stat(self, rel: str, follow: bool) -> os.stat_result | None:
        try:
            dir_fd, _, info = self._lookup(rel, follow)
        except OSError:
            return None
        if dir_fd is not None:
            os.close(dir_fd)
        return info

    def exists(self, rel: str) -> bool:
        """os.Stat succeeds (symlinks followed, so a dangling link does not exist)."""
        return self._stat(rel, True) is not None

    def lexists(self, rel: str) -> bool:
        return self._stat(rel, False) is not None

    def isdir(self, rel: str) -> bool:
        info = self._stat(rel, True)
        return info is not None and stat.S_ISDIR(info.st_mode)

    def link_name(self, rel: str) -> str | None:
        """Last component of a symlink's target (works for dangling links too), None if not a link."""
        try:
            dir_fd, name, info = self._lookup(rel, follow=False)
        except OSError:
            return None
        try:
            target = os.readlink(name, dir_fd=dir_fd) if stat.S_ISLNK(info.st_mode) else ""
        except OSError:
            return None
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
        return os.path.basename(target.rstrip("/")) or None


def parse_key_values(text: str) -> list[tuple[str, str]]:
    """`key : value` lines (cpuinfo, sysinfo) as trimmed pairs; lines without a colon are skipped."""
    pairs = []
    for line in text.split("\n"):
        key, sep, value = line.partition(":")
        if sep:
            pairs.append((key.strip(), value.strip()))
    return pairs


_NODE_DIR = re.compile(r"^node\d+$")


def is_node_dir(name: str) -> bool:
    return bool(_NODE_DIR.match(name))


class FeatureSink:
    """One source's output in NFD's three maps; merged like NFD's `MergeInto`."""

    def __init__(self) -> None:
        self.flags: dict[str, set[str]] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self.instances: dict[str, list[dict[str, str]]] = {}

    # `None` means "absent" (NFD leaves the feature out), distinct from an empty collection ("present, empty").
    def flag(self, name: str, keys) -> None:
        if keys is not None:
            self.flags.setdefault(name, set()).update(keys)

    def attribute(self, name: str, elements: dict[str, str] | None) -> None:
        if elements is not None:
            self.attributes.setdefault(name, {}).update(elements)

    def instance(self, name: str, elements: list[dict[str, str]] | None) -> None:
        if elements is not None:
            self.instances.setdefault(name, []).extend(elements)

    def merge(self, other: FeatureSink) -> None:
        for name, keys in other.flags.items():
            self.flag(name, keys)
        for name, elements in other.attributes.items():
            self.attribute(name, elements)
        for name, instances in other.instances.items():
            self.instance(name, instances)

    def to_nfd(self) -> dict:
        """NFD's JSON form (`nfd export features`): map keys sorted, instances in discovery order."""
        return {
            "flags": {n: {"elements": {k: {} for k in sorted(self.flags[n])}} for n in sorted(self.flags)},
            "attributes": {
                n: {"elements": dict(sorted(self.attributes[n].items()))} for n in sorted(self.attributes)
            },
            "instances": {
                n: {"elements": [{"attributes": dict(sorted(i.items()))} for i in self.instances[n]]}
                for n in sorted(self.instances)
            },
        }
