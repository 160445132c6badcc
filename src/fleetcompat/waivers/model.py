"""A waivers file: accepted incompatibilities, each with a justification, an owner and an expiry date.

    waivers:
    - image: api                      # image alias (or its reference)
      hosts: [node-7, "gpu-*", legacy]  # host names, shell globs, or inventory groups (`all`: every host)
      set: gpu                        # optional: only failures in this set (tag, description or 1-based number)
      rule: nvidia gpu and avx512     # optional: only failures of this rule
      statuses: [incompatible]        # optional, default [incompatible]; unreachable/error/no-spec only if listed
      justification: waiting for the driver update
      owner: alice@example.com
      expires: 2026-12-31             # applies through that day (UTC); expired entries waive nothing
      ticket: OPS-1234                # optional

`parse_waivers` collects every malformed entry (for `fleetcompat waivers check`); `WaiverFile.require_valid()`
turns the first into an error for the verbs that apply waivers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from fleetcompat.errors import FleetcompatError
from fleetcompat.files import read_input
from fleetcompat.limits import WAIVERS_BYTES
from fleetcompat.results.fleet import HostResult, ImageInfo, Status
from fleetcompat.yamlsrc import LocatedDocument, load_located, type_name

WAIVABLE = (Status.INCOMPATIBLE, Status.UNREACHABLE, Status.ERROR, Status.NO_SPEC)
_REQUIRED = ("image", "hosts", "justification", "owner", "expires")
_OPTIONAL = ("set", "rule", "statuses", "ticket")


class WaiverError(FleetcompatError):
    """A waivers file is unreadable or has a malformed entry."""


@dataclass(frozen=True, slots=True)
class Waiver:
    image: str
    hosts: tuple[str, ...]
    justification: str
    owner: str
    expires: datetime.date
    set: str | int | None = None
    rule: str | None = None
    statuses: tuple[Status, ...] = (Status.INCOMPATIBLE,)
    ticket: str | None = None
    source: str | None = None  # file:line

    def expired_on(self, today: datetime.date) -> bool:
        return today > self.expires

    def names_image(self, image: ImageInfo) -> bool:
        return self.image in (image.alias, image.reference)

    def names_host(self, host: HostResult) -> bool:
        # `all` is every host, as in an Ansible host pattern (Ansible's group_names never lists it).
        return any(pattern == "all" or fnmatchcase(host.name, pattern) or pattern in host.groups
                   for pattern in self.hosts)

    def describe(self) -> str:
        who = [self.owner, f"expires {self.expires.isoformat()}"] + ([self.ticket] if self.ticket else [])
        return f"{self.image} on {', '.join(self.hosts)} ({', '.join(who)})"


@dataclass(frozen=True, slots=True)
class WaiverFile:
    source: str
    entries: tuple[Waiver, ...]
    problems: tuple[str, ...] = ()  # malformed entries, each "file:line: waivers[2].expires: problem"

    def require_valid(self) -> WaiverFile:
        if self.problems:
            more = f" (+{len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
            raise WaiverError(self.problems[0] + more)
        return self


def load_waivers(path: str) -> WaiverFile:
    """A waivers file (YAML or JSON), bounded and located; malformed entries are in `problems`."""
    text = read_input(path, "waivers file", WaiverError, WAIVERS_BYTES)
    return parse_waivers(load_located(text, str(path), WaiverError))


def parse_waivers(doc: LocatedDocument) -> WaiverFile:
    """The entries of `{waivers: [...]}` or of a bare list (the Ansible role variable `fleetcompat_waivers`)."""
    data = doc.data
    prefix: tuple[str | int, ...] = ()
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"waivers"})
        if unknown:
            raise WaiverError(f"unknown key {unknown[0]!r} (a waivers file has only 'waivers')", where=doc.where(()))
        if "waivers" not in data:
            raise WaiverError("missing key 'waivers'", where=doc.where(()))
        data, prefix = data["waivers"], ("waivers",)
    if data is None:
        data = []
    if not isinstance(data, list):
        raise WaiverError(f"expected a list of waivers, got {type_name(data)}", where=doc.where(prefix))
    entries, problems = [], []
    for index, entry in enumerate(data):
        try:
            entries.append(_entry(doc, (*prefix, index), entry))
        except WaiverError as exc:
            problems.append(str(exc))
    return WaiverFile(doc.source, tuple(entries), tuple(problems))


def _entry(doc: LocatedDocument, path: tuple[str | int, ...], entry: Any) -> Waiver:
    def fail(key: str | None, problem: str) -> WaiverError:
        return WaiverError(problem, where=doc.where((*path, key) if key else path))

    if not isinstance(entry, dict):
        raise fail(None, f"expected a mapping, got {type_name(entry)}")
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise fail(unknown[0], f"unknown key {unknown[0]!r} (known: {', '.join(_REQUIRED + _OPTIONAL)})")
    for key in _REQUIRED:
        if key not in entry:
            raise fail(None, f"missing key {key!r}")

    def text(key: str, optional: bool = False) -> str | None:
        value = entry.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"expected a non-empty string, got {type_name(value)}")
        return value

    hosts = entry["hosts"]
    hosts = [hosts] if isinstance(hosts, str) else hosts
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) and h for h in hosts):
        raise fail("hosts", "expected a host name, glob or group, or a non-empty list of them")
    chosen_set = entry.get("set")
    if chosen_set is not None and not (isinstance(chosen_set, str) and chosen_set) and not (
            isinstance(chosen_set, int) and not isinstance(chosen_set, bool) and chosen_set >= 1):
        raise fail("set", f"expected a set's tag or description, or its number (1, 2, ...), got {chosen_set!r}")
    statuses = entry.get("statuses", [str(Status.INCOMPATIBLE)])
    allowed = [str(s) for s in WAIVABLE]
    if isinstance(statuses, str):
        statuses = [statuses]
    if not isinstance(statuses, list) or not statuses or any(s not in allowed for s in statuses):
        raise fail("statuses", f"expected a list of {', '.join(allowed)}")
    line = doc.line_of(path)
    return Waiver(
        image=text("image"), hosts=tuple(hosts), justification=text("justification"), owner=text("owner"),
        expires=_date(entry["expires"], fail), set=chosen_set, rule=text("rule", optional=True),
        statuses=tuple(Status(s) for s in dict.fromkeys(statuses)), ticket=text("ticket", optional=True),
        source=f"{doc.source}:{line}" if line is not None else f"{doc.source}: {_path_text(path)}",
    )


def _path_text(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else p for p in path)


def _date(value: Any, fail) -> datetime.date:
    # YAML reads an unquoted 2026-12-31 as a date already; a quoted one (or JSON) is a string.
    if isinstance(value, datetime.datetime):
        raise fail("expires", "expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise fail("expires", f"expected a date (YYYY-MM-DD), got {value!r}"[:200])
