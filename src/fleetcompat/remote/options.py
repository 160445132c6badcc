"""Settings and results of the direct mode (kept apart from ssh.py so that parsers need not import paramiko)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleetcompat.remote.target import Target
from fleetcompat.results.fleet import HostStatus

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
DEFAULT_TIMEOUT = 30.0
# A day: far above any gather, and below what socket and thread timeouts can represent (inf, 1e300 fail there).
MAX_TIMEOUT = 86400.0
DEFAULT_PARALLEL = 16
DEFAULT_PYTHON = "python3"


@dataclass(frozen=True, slots=True)
class SshOptions:
    user: str | None = None  # login user for targets without `user@` (default: the local user)
    identity_files: tuple[str, ...] = ()  # tried before the agent and ~/.ssh/id_*
    known_hosts: str = DEFAULT_KNOWN_HOSTS
    accept_new_host_keys: bool = False  # like OpenSSH's StrictHostKeyChecking=accept-new
    timeout: float = DEFAULT_TIMEOUT  # per host: connect, authenticate, gather
    python: str = DEFAULT_PYTHON  # the interpreter on the host
    root: str = "/"  # gather below this prefix on the host (a test root, a mounted image)
    sources: tuple[str, ...] | None = None  # gatherer sources; None = all
    parallel: int = DEFAULT_PARALLEL


@dataclass(slots=True)
class RemoteHost:
    target: Target
    status: HostStatus
    reason: str | None = None
    features: dict[str, Any] | None = None  # NFD `Features` JSON
    summary: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return self.target.name
