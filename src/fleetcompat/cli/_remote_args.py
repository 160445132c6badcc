"""The direct-mode flags (`--host`, `--hosts`, SSH settings) shared by `gather`, `validate` and `audit`."""

from __future__ import annotations

import argparse

from fleetcompat.errors import FleetcompatError
from fleetcompat.progress import NO_PROGRESS, Progress
from fleetcompat.remote.options import (
    DEFAULT_KNOWN_HOSTS,
    DEFAULT_PARALLEL,
    DEFAULT_PYTHON,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    RemoteHost,
    SshOptions,
)
from fleetcompat.remote.target import Target, collect_targets


def add_host_arguments(parser: argparse.ArgumentParser, *, many: bool = True) -> None:
    """`--host`/`--hosts` (direct mode over SSH with paramiko: no Ansible, no OpenSSH client) and its settings."""
    group = parser.add_argument_group("remote hosts (direct SSH mode)")
    group.add_argument("--host", action="append", metavar="[USER@]HOST[:PORT]",
                       help="gather this host over SSH (repeatable)" if many else "gather this host over SSH")
    group.add_argument("--hosts", action="append", metavar="FILE",
                       help="file with one [user@]host[:port] per line ('#' comments)")
    group.add_argument("--ssh-user", metavar="USER", help="login user for hosts given without USER@ "
                       "(default: the local user)")
    group.add_argument("--identity", "-i", action="append", default=[], metavar="KEYFILE",
                       help="private key to try first (repeatable); the SSH agent and ~/.ssh/id_* are tried too")
    group.add_argument("--known-hosts", default=DEFAULT_KNOWN_HOSTS, metavar="FILE",
                       help=f"known_hosts file that host keys are verified against (default {DEFAULT_KNOWN_HOSTS})")
    group.add_argument("--accept-new-host-keys", action="store_true",
                       help="trust and record keys of hosts not yet in known_hosts (changed keys are still refused)")
    group.add_argument("--ssh-timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"per-host limit for connecting and gathering (default {DEFAULT_TIMEOUT:g})")
    group.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, metavar="N",
                       help=f"hosts gathered at the same time (default {DEFAULT_PARALLEL})")
    group.add_argument("--remote-python", default=DEFAULT_PYTHON, metavar="PATH",
                       help="Python 3.9+ interpreter on the hosts (default python3)")


def wants_remote(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "host", None) or getattr(args, "hosts", None))


def ssh_options(args: argparse.Namespace, root: str = "/", sources: tuple[str, ...] | None = None) -> SshOptions:
    if not 0 < args.ssh_timeout <= MAX_TIMEOUT:  # also false for nan; inf is over the maximum
        raise FleetcompatError(f"--ssh-timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
                               f"not {args.ssh_timeout:g}")
    if args.parallel < 1:
        raise FleetcompatError("--parallel must be at least 1")
    return SshOptions(user=args.ssh_user, identity_files=tuple(args.identity), known_hosts=args.known_hosts,
                      accept_new_host_keys=args.accept_new_host_keys, timeout=args.ssh_timeout,
                      python=args.remote_python, root=root, sources=sources, parallel=args.parallel)


def targets(args: argparse.Namespace) -> list[Target]:
    return collect_targets(args.host, args.hosts)


def gather_remote(args: argparse.Namespace, root: str = "/", sources: tuple[str, ...] | None = None,
                  progress: Progress = NO_PROGRESS) -> list[RemoteHost]:
    """Gather every `--host`/`--hosts` target; each result carries its status (ok, unreachable, error)."""
    from fleetcompat.remote.ssh import gather_hosts  # paramiko: imported only when a host is contacted

    return gather_hosts(targets(args), ssh_options(args, root, sources), progress)
