"""The waivers a fleet result was checked against, as recorded in it (`fleet-result/v1`'s optional `waivers`).

A waived cell has status `waived` and keeps its original verdict (`Cell.original`) and failing expressions;
`Cell.waiver` is the index of the entry below that waived it. Entries that had expired on `date` waive
nothing, but `cells` still counts the cells they would have covered, so the gate can name them. Which entries
match which cells is decided by `fleetcompat.waivers.apply`; this module is only the record and its JSON form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class WaiverRecord:
    image: str  # image alias or reference, as written
    hosts: tuple[str, ...]  # host names, globs or inventory groups, as written
    justification: str
    owner: str
    expires: str  # ISO date; the waiver applies through that day (UTC)
    set: str | int | None = None  # a set's tag or description, or its 1-based number
    rule: str | None = None
    statuses: tuple[str, ...] = ("incompatible",)  # cell statuses it may waive
    ticket: str | None = None
    source: str | None = None  # file:line of the entry
    expired: bool = False  # on AppliedWaivers.date
    cells: int = 0  # cells waived (expired: cells it would have waived)

    def describe(self) -> str:
        """One line naming the entry: `api on gpu-*, rule 'avx2' (alice, expires 2026-12-31, OPS-12)`."""
        scope = [f"{self.image} on {', '.join(self.hosts)}"]
        if self.set is not None:
            scope.append(f"set {self.set!r}" if isinstance(self.set, str) else f"set #{self.set}")
        if self.rule is not None:
            scope.append(f"rule {self.rule!r}")
        who = [self.owner, f"{'expired' if self.expired else 'expires'} {self.expires}"]
        if self.ticket:
            who.append(self.ticket)
        return f"{', '.join(scope)} ({', '.join(who)})"

    def to_dict(self) -> dict[str, Any]:
        return {"image": self.image, "hosts": list(self.hosts), "set": self.set, "rule": self.rule,
                "statuses": list(self.statuses), "justification": self.justification, "owner": self.owner,
                "expires": self.expires, "ticket": self.ticket, "source": self.source, "expired": self.expired,
                "cells": self.cells}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> WaiverRecord:
        return cls(doc["image"], tuple(doc["hosts"]), doc["justification"], doc["owner"], doc["expires"],
                   doc["set"], doc["rule"], tuple(doc["statuses"]), doc["ticket"], doc["source"], doc["expired"],
                   doc["cells"])


@dataclass(frozen=True, slots=True)
class AppliedWaivers:
    source: str  # the waivers file (or "fleetcompat_waivers" for the Ansible role variable)
    date: str  # ISO date the entries were checked against for expiry
    entries: tuple[WaiverRecord, ...]

    def expired_matching(self, aliases: Iterable[str] | None = None) -> list[WaiverRecord]:
        """Expired entries that would have waived cells (of `aliases`' images, if given): the gate names them."""
        wanted = None if aliases is None else set(aliases)
        return [w for w in self.entries if w.expired and w.cells and (wanted is None or w.image in wanted)]

    def expired_note(self, aliases: Iterable[str]) -> str:
        """For the gate's line: "; expired waivers no longer apply: api on node-7 (alice, expired ...): 2 cells"."""
        lapsed = self.expired_matching(aliases)
        if not lapsed:
            return ""
        shown = "; ".join(f"{w.describe()}: {w.cells} cell{'s' if w.cells != 1 else ''}" for w in lapsed[:2])
        more = f"; +{len(lapsed) - 2} more" if len(lapsed) > 2 else ""
        return f"; expired waiver{'s' if len(lapsed) > 1 else ''} no longer appl{'y' if len(lapsed) > 1 else 'ies'}: " \
            f"{shown}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "date": self.date, "entries": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> AppliedWaivers:
        return cls(doc["source"], doc["date"], tuple(WaiverRecord.from_dict(e) for e in doc["entries"]))
