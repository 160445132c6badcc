"""The remediation hints of a fleet result, gathered for the text renderers (terminal, Markdown): per image, each
distinct remediation with the hosts that need it, most hosts first. Hints were computed when the result was
built; nothing here evaluates."""

from __future__ import annotations

from dataclasses import dataclass

from fleetcompat.results.fleet import FleetResult, HostStatus, Status
from fleetcompat.results.remediation import Remediation


@dataclass(frozen=True, slots=True)
class Fix:
    alias: str
    remediation: Remediation
    hosts: tuple[str, ...]
    set_label: str  # "set #2 (weight 1, tag cpu)"

    def hosts_text(self, shown: int = 3) -> str:
        names = ", ".join(self.hosts[:shown])
        more = f", +{len(self.hosts) - shown} more" if len(self.hosts) > shown else ""
        return f"{len(self.hosts)} host{'s' if len(self.hosts) != 1 else ''} ({names}{more})"


def fixes(result: FleetResult) -> list[Fix]:
    """Every image's distinct remediations with their hosts; within an image, most hosts first."""
    out = []
    for image in result.images:
        members: dict[tuple[Remediation, str | None], list[str]] = {}
        for host in result.hosts:
            outcome = host.outcomes[image.alias]
            if host.status is HostStatus.OK and outcome.status is Status.INCOMPATIBLE and outcome.remediation:
                members.setdefault((outcome.remediation, outcome.platform), []).append(host.name)
        for (remediation, platform), hosts in sorted(members.items(), key=lambda item: -len(item[1])):
            info = image.set_info(remediation.set_index, platform)
            detail = f" (weight {info.weight}{', tag ' + info.tag if info.tag else ''})" if info else ""
            out.append(Fix(image.alias, remediation, tuple(hosts), f"set #{remediation.set_index + 1}{detail}"))
    return out
