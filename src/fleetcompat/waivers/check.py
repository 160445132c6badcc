"""`check_waivers`: what `fleetcompat waivers check` reports about a waivers file: malformed entries, entries
naming images the fleet does not have, expired entries, and entries expiring within N days."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from fleetcompat.results.fleet import ImageInfo
from fleetcompat.waivers.model import WaiverFile


class FindingKind(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_IMAGE = "unknown-image"
    EXPIRED = "expired"
    EXPIRING = "expiring"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    where: str  # file:line of the entry
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.message}"


def check_waivers(waivers: WaiverFile, today: datetime.date, within_days: int,
                  images: Iterable[ImageInfo] | None = None) -> list[Finding]:
    """Findings in file order; `images` (e.g. a fleet result's) enables the unknown-image check."""
    findings = [Finding(FindingKind.MALFORMED, *problem.split(": ", 1)) if ": " in problem
                else Finding(FindingKind.MALFORMED, waivers.source, problem) for problem in waivers.problems]
    known = list(images) if images is not None else None
    soon = today + datetime.timedelta(days=within_days)
    for waiver in waivers.entries:
        where = waiver.source or waivers.source
        if known is not None and not any(waiver.names_image(i) for i in known):
            findings.append(Finding(FindingKind.UNKNOWN_IMAGE, where, f"no image {waiver.image!r} in the fleet "
                                    f"(images: {', '.join(i.alias for i in known) or 'none'})"))
        if waiver.expired_on(today):
            days = (today - waiver.expires).days
            findings.append(Finding(FindingKind.EXPIRED, where, f"{waiver.describe()}: expired {days} day"
                                    f"{'s' if days != 1 else ''} ago; it no longer applies"))
        elif waiver.expires <= soon:
            days = (waiver.expires - today).days
            when = "today is its last day" if days == 0 else f"expires in {days} day{'s' if days != 1 else ''}"
            findings.append(Finding(FindingKind.EXPIRING, where, f"{waiver.describe()}: {when}"))
    return findings
