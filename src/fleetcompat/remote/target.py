"""SSH targets for the direct mode: `[user@]host[:port]` on the command line, one per line in a hosts file."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fleetcompat.errors import FleetcompatError
from fleetcompat.files import read_input
from fleetcompat.limits import LIST_BYTES

# user@ is optional; an IPv6 address needs brackets when a port follows ([::1]:2222).
_TARGET = re.compile(r"^(?:(?P<user>[^@\s:/]+)@)?(?:\[(?P<v6>[0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|(?P<host>[^@\s:/\[\]]+))"
                     r"(?::(?P<port>\d{1,5}))?$")
_BARE_V6 = re.compile(r"^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%[\w.-]+)?\Z")


class TargetError(FleetcompatError):
    """A `--host` value or a line of a `--hosts` file is not `[user@]host[:port]`."""


@dataclass(frozen=True, slots=True)
class Target:
    name: str  # as the user wrote it; the host's name in results
    host: str
    port: int = 22
    user: str | None = None  # None: --ssh-user, else the local user name

    @property
    def known_hosts_name(self) -> str:
        """The key OpenSSH's known_hosts uses for this host."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


def parse_target(text: str, where: str | None = None) -> Target:
    value = text.strip()
    if _BARE_V6.match(value) and value.count(":") >= 2:
        return Target(value, value)  # a bare IPv6 address: no port possible without brackets
    match = _TARGET.match(value)
    if not match:
        raise TargetError(f"{value!r} is not [user@]host[:port] (IPv6 with a port: [addr]:port)",
                          where=where or "--host")
    port = int(match["port"]) if match["port"] else 22
    if not 0 < port < 65536:
        raise TargetError(f"{value!r}: port {port} is out of range", where=where or "--host")
    return Target(value, match["v6"] or match["host"], port, match["user"])


def read_hosts_file(path: str) -> list[Target]:
    """One target per line; blank lines and `#` comments are skipped."""
    data = read_input(path, "hosts file", TargetError, LIST_BYTES)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise TargetError(f"hosts file is not UTF-8 text ({exc.reason} at byte {exc.start})", where=path) from None
    targets = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if text:
            targets.append(parse_target(text, where=f"{path}:{number}"))
    if not targets:
        raise TargetError("no hosts in file", where=path)
    return targets


def collect_targets(hosts: list[str] | None, hosts_files: list[str] | None) -> list[Target]:
    """`--host` (repeatable) then every `--hosts FILE`, duplicates (same name) dropped."""
    targets = [parse_target(h) for h in hosts or ()]
    for path in hosts_files or ():
        targets.extend(read_hosts_file(path))
    unique: dict[str, Target] = {}
    for target in targets:
        unique.setdefault(target.name, target)
    return list(unique.values())
