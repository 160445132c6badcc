"""Root-prefixed host file access and the per-gather context every feature source reads through.

Stdlib only, Python 3.9+: this package also runs on managed hosts as Ansible module_utils.
Every read goes through `HostFS`, so a captured tree or a host mounted at /host is read exactly like `/`.
"""

from __future__ import annotations

import errno
import os
import re

# Errors that mean "this thing is not there" in sysfs/procfs: absent, never worth a warning.
# EINVAL/ENODEV/ENXIO/EOPNOTSUPP come from attributes a driver does not implement (e.g. `speed` of a down link).
_ABSENT_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EINVAL, errno.ENODEV, errno.ENXIO, errno.EOPNOTSUPP,
     errno.ENODATA, errno.ELOOP}
)

# Go's strings.TrimSpace plus NUL: some captured sysfs files end with "\n\0".
_TRIM = " \t\n\r\v\f\0"


def trimmed(text: str) -> str:
    return text.strip(_TRIM)


class HostFS:
    """Reads files of one host below `root`; records a warning for anything present but unreadable."""

    def __init__(self, root: str = "/") -> None:
        self.root = os.path.abspath(root)
        self._prefix = "" if self.root == "/" else self.root
        self.warnings: list[str] = []
        self._cache: dict[str, str | None] = {}

    def path(self, rel: str) -> str:
        """Host path of `rel` (relative to the root, no leading slash)."""
        return self._prefix + "/" + rel

    def _failed(self, rel: str, exc: OSError) -> None:
        if exc.errno not in _ABSENT_ERRNOS:
            message = f"cannot read {self.path(rel)}: {exc.strerror or exc}"
            if message not in self.warnings:
                self.warnings.append(message)

    def read_bytes(self, rel: str) -> bytes | None:
        try:
            with open(self.path(rel), "rb") as handle:
                return handle.read()
        except OSError as exc:
            self._failed(rel, exc)
            return None

    def read(self, rel: str) -> str | None:
        """Whole file as text (undecodable bytes replaced), None if missing or unreadable."""
        data = self.read_bytes(rel)
        return None if data is None else data.decode("utf-8", "replace")

    def read_cached(self, rel: str) -> str | None:
        """`read` for files several sources use (cpuinfo, DMI); read once per gather."""
        if rel not in self._cache:
            self._cache[rel] = self.read(rel)
        return self._cache[rel]

    def value(self, rel: str) -> str | None:
        """A one-value sysfs/procfs file, trimmed like NFD does (Go strings.TrimSpace)."""
        text = self.read(rel)
        return None if text is None else trimmed(text)

    def listdir(self, rel: str) -> list[str] | None:
        """Sorted entry names (Go os.ReadDir order), None if the directory is missing or unreadable."""
        return self.listdir_error(rel)[0]

    def listdir_error(self, rel: str) -> tuple[list[str] | None, OSError | None]:
        """Like `listdir`, but also says why it failed (NFD treats "missing" and "unreadable" differently)."""
        try:
            return sorted(os.listdir(self.path(rel))), None
        except OSError as exc:
            self._failed(rel, exc)
            return None, exc

    def exists(self, rel: str) -> bool:
        """os.Stat succeeds (symlinks followed, so a dangling link does not exist)."""
        try:
            os.stat(self.path(rel))
            return True
        except OSError:
            return False

    def lexists(self, rel: str) -> bool:
        return os.path.lexists(self.path(rel))

    def isdir(self, rel: str) -> bool:
        return os.path.isdir(self.path(rel))

    def link_name(self, rel: str) -> str | None:
        """Last component of a symlink's target (works for dangling links too), None if not a link."""
        try:
            target = os.readlink(self.path(rel))
        except OSError:
            return None
        return os.path.basename(target.rstrip("/")) or None

    def in_root(self, rel: str) -> str:
        """`rel` with its symlinks resolved inside the root (an absolute link target is re-rooted).

        Only needed for /etc files under a non-/ root: /etc/os-release is often an absolute symlink,
        which would otherwise escape a tree mounted at /host.
        """
        if not self._prefix:
            return rel
        parts = [p for p in rel.split("/") if p]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            if part == ".":
                continue
            candidate = "/".join([*resolved, part])
            try:
                target = os.readlink(self.path(candidate))
            except OSError:
                resolved.append(part)
                continue
            hops += 1
            if hops > 40:
                return rel
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
        return "/".join(resolved)


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
