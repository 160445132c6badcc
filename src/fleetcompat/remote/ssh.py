"""The paramiko direct mode: gather hosts over SSH with no Ansible and no OpenSSH client.

For each host: connect (keys from --identity, the agent and ~/.ssh; the host key must be in known_hosts unless
new keys are accepted explicitly), run `python3 -c BOOTSTRAP` with the zipped gatherer on stdin, read one JSON
document. Hosts run in parallel on a bounded thread pool, each under its own deadline. The statuses are the ones
the Ansible path records: `unreachable` (no SSH session: refused, timeout, DNS, authentication, host key) and
`error` (reached, but gathering failed), each with the reason; nothing is dropped.

A host is not trusted to behave: what it prints is read in chunks up to STDOUT_LIMIT/STDERR_LIMIT, the deadline
covers the whole exchange (a watchdog closes the connection when it passes, whatever paramiko is waiting for),
the document must be NFD features in the gatherer's envelope, and the features pass the gatherer's own bounds
again. Everything a host says that reaches the terminal is made one printable line. paramiko's own logging
(tracebacks about garbage banners) is silenced: each host ends as one status with one reason.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import select
import shlex
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import paramiko

from fleetcompat.errors import FeaturesError
from fleetcompat.features.load import parse_features_document
from fleetcompat.files import read_input
from fleetcompat.hostfeatures import summarize
from fleetcompat.hostfeatures.limits import MIB, bounded_features, bounded_warnings, one_line
from fleetcompat.limits import KEY_BYTES, LIST_BYTES
from fleetcompat.progress import NO_PROGRESS, Progress
from fleetcompat.remote.options import RemoteHost, SshOptions
from fleetcompat.remote.payload import BOOTSTRAP, package_zip
from fleetcompat.remote.target import Target, TargetError
from fleetcompat.results.fleet import HostStatus

_READ_CHUNK = 65536
_STDERR_SHOWN = 300
# What one host may print. The gatherer's document is 55 KB for this machine; its own limits (4 MiB kernel config,
# 4 MiB module lists, 64 Ki directory entries, 4 KiB values) keep even a very large host a few MiB.
STDOUT_LIMIT = 16 * MIB
# The gatherer prints nothing on stderr unless Python itself fails (a traceback of a few KB).
STDERR_LIMIT = 1 * MIB

# paramiko logs handshake failures with tracebacks (and Python prints them when no handler is configured);
# the reason reaches the user as the host's one-line status instead.
_paramiko_log = logging.getLogger("paramiko")
_paramiko_log.addHandler(logging.NullHandler())
_paramiko_log.propagate = False


class _Unreachable(Exception):
    pass


class _GatherFailed(Exception):
    pass


class _UnknownHostKey(paramiko.SSHException):
    pass


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Reject unknown host keys with a clear message, or (explicitly asked) record them like accept-new."""

    _file_lock = threading.Lock()

    def __init__(self, known_hosts: Path, accept_new: bool) -> None:
        self.known_hosts = known_hosts
        self.accept_new = accept_new

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if not self.accept_new:
            raise _UnknownHostKey(
                f"host key ({key.get_name()} SHA256:{key.fingerprint.split(':', 1)[-1]}) is not in "
                f"{self.known_hosts}: verify it and add it (e.g. ssh-keyscan), or pass --accept-new-host-keys")
        with self._file_lock:
            self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.known_hosts, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a") as out:
                out.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
        client.get_host_keys().add(hostname, key.get_name(), key)


@dataclass(frozen=True)
class _Trust:
    """What every session of a run shares, read once before the first one: the known host keys and the checked
    identity files (through the bounded reader: paramiko's own loading would block on a FIFO and read any size)."""

    known_hosts: Path
    keys: dict[str, dict[str, paramiko.PKey]]
    identity_files: tuple[str, ...]


def _trust(options: SshOptions) -> _Trust:
    known_hosts = Path(options.known_hosts).expanduser()
    keys = paramiko.HostKeys()
    if known_hosts.exists():
        data = read_input(known_hosts, "known_hosts file", TargetError, LIST_BYTES)
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
            except paramiko.SSHException:  # a malformed line is skipped, as OpenSSH and paramiko's load do
                continue
            for name in entry.hostnames if entry is not None and entry.key is not None else ():
                keys.add(name, entry.key.get_name(), entry.key)
    identities = []
    for raw in options.identity_files:
        path = str(Path(raw).expanduser())
        read_input(path, "identity file", TargetError, KEY_BYTES)
        identities.append(path)
    return _Trust(known_hosts, {name: dict(by_type) for name, by_type in keys.items()}, tuple(identities))


def _connect(client: paramiko.SSHClient, target: Target, options: SshOptions, trust: _Trust,
             deadline: float) -> None:
    known_hosts = trust.known_hosts
    client.get_host_keys().update(trust.keys)
    client.set_missing_host_key_policy(_HostKeyPolicy(known_hosts, options.accept_new_host_keys))
    user = target.user or options.user or getpass.getuser()
    remaining = max(0.1, deadline - time.monotonic())
    where = f"{target.host}:{target.port}"
    try:
        client.connect(target.host, target.port, username=user,
                       key_filename=list(trust.identity_files) or None,
                       timeout=remaining, banner_timeout=remaining, auth_timeout=remaining,
                       channel_timeout=remaining, allow_agent=True, look_for_keys=True)
    except _UnknownHostKey as exc:
        raise _Unreachable(f"{where}: {exc}") from None
    except paramiko.BadHostKeyException as exc:
        raise _Unreachable(f"{where}: host key mismatch: the host sent {exc.key.get_name()} "
                           f"SHA256:{exc.key.fingerprint.split(':', 1)[-1]}, {known_hosts} has another key "
                           "(host reinstalled, or someone in the middle)") from None
    except paramiko.AuthenticationException as exc:
        raise _Unreachable(f"{where}: authentication failed for user {user!r} ({exc})") from None
    except TimeoutError:
        raise _Unreachable(f"{where}: timed out after {options.timeout:g}s") from None
    except socket.gaierror as exc:
        raise _Unreachable(f"{target.host}: cannot resolve host name ({exc.strerror})") from None
    except paramiko.ssh_exception.NoValidConnectionsError as exc:
        reasons = sorted({e.strerror or str(e) for e in exc.errors.values()})
        raise _Unreachable(f"{where}: cannot connect ({'; '.join(reasons)})") from None
    except (OSError, paramiko.SSHException, EOFError, ValueError) as exc:  # garbage peers raise all of these
        if time.monotonic() >= deadline:  # a silent peer (or the watchdog's close) looks like a lost session
            raise _Unreachable(f"{where}: timed out after {options.timeout:g}s (no SSH handshake)") from None
        if isinstance(exc, OSError):
            raise _Unreachable(f"{where}: cannot connect ({exc.strerror or exc})") from None
        reason = str(exc) or "the host closed the connection during the SSH handshake"  # EOFError says nothing
        raise _Unreachable(f"{where}: ssh: {one_line(reason, _STDERR_SHOWN)}") from None


def _run_gatherer(client: paramiko.SSHClient, options: SshOptions, deadline: float) -> tuple[bytes, bytes, int]:
    args = json.dumps({"root": options.root, "sources": list(options.sources) if options.sources else None})
    command = f"{shlex.quote(options.python)} -c {shlex.quote(BOOTSTRAP)} {shlex.quote(args)}"
    transport = client.get_transport()
    assert transport is not None
    channel = transport.open_session(timeout=max(0.1, deadline - time.monotonic()))
    try:
        channel.settimeout(max(0.1, deadline - time.monotonic()))  # sendall into a window the host never opens
        channel.exec_command(command)
        channel.sendall(package_zip())
        channel.shutdown_write()
        out, err = bytearray(), bytearray()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _GatherFailed(f"gathering did not finish within {options.timeout:g}s")
            select.select([channel], [], [], min(remaining, 1.0))
            while channel.recv_ready():
                _append_limited(out, channel.recv(_READ_CHUNK), STDOUT_LIMIT, "stdout")
            while channel.recv_stderr_ready():
                _append_limited(err, channel.recv_stderr(_READ_CHUNK), STDERR_LIMIT, "stderr")
            if channel.exit_status_ready() and not channel.recv_ready() and not channel.recv_stderr_ready():
                return bytes(out), bytes(err), channel.recv_exit_status()
    finally:
        channel.close()


def _append_limited(buffer: bytearray, chunk: bytes, limit: int, stream: str) -> None:
    if len(buffer) + len(chunk) > limit:
        raise _GatherFailed(f"the host printed more than {limit} bytes on {stream}; stopped reading")
    buffer += chunk


def _document(stdout: bytes, stderr: bytes) -> tuple[dict, list[str]]:
    """(features, warnings) from what the gatherer printed, checked to be the gatherer's envelope and NFD features."""
    try:
        doc = json.loads(stdout)
    except (ValueError, RecursionError):  # RecursionError: a document nested deeper than json can parse
        raise _GatherFailed(f"gatherer printed no JSON document: {_last_line(stderr)}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), dict) or "kind" in doc["features"]:
        raise _GatherFailed("gatherer printed JSON that is not its document ({\"features\": {...}, ...})")
    warnings = doc.get("warnings") or []
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise _GatherFailed("gatherer printed a document whose warnings are not a list of strings")
    try:
        parse_features_document(doc["features"], "features")
    except FeaturesError as exc:
        reason = one_line(str(exc), _STDERR_SHOWN)
        raise _GatherFailed(f"gatherer printed features that are not NFD's form: {reason}") from None
    features, problems = bounded_features(doc["features"])
    return features, bounded_warnings(warnings + problems)


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return one_line(lines[-1].strip(), _STDERR_SHOWN) if lines else "no output on stderr"


def gather_host(target: Target, options: SshOptions, trust: _Trust) -> RemoteHost:
    started = time.monotonic()
    deadline = started + options.timeout
    client = paramiko.SSHClient()
    # Whatever paramiko blocks on (a reply to exec that never comes, a full window), closing the connection at
    # the deadline ends it; the except clauses below then report the timeout.
    watchdog = threading.Timer(options.timeout, client.close)
    watchdog.daemon = True
    watchdog.start()
    try:
        _connect(client, target, options, trust, deadline)
        stdout, stderr, code = _run_gatherer(client, options, deadline)
        if code == 127:
            raise _GatherFailed(f"{options.python} not found on the host (the gatherer needs Python 3.9+; "
                                "see --remote-python)")
        if code != 0:
            raise _GatherFailed(f"gatherer failed with exit status {code}: {_last_line(stderr)}")
        features, warnings = _document(stdout, stderr)
        return RemoteHost(target, HostStatus.OK, None, features, summarize(features), warnings,
                          time.monotonic() - started)
    except _Unreachable as exc:
        return RemoteHost(target, HostStatus.UNREACHABLE, str(exc), seconds=time.monotonic() - started)
    except _GatherFailed as exc:
        return RemoteHost(target, HostStatus.ERROR, str(exc), seconds=time.monotonic() - started)
    except (paramiko.SSHException, OSError, EOFError) as exc:  # the session broke after it was established
        broken = one_line(str(exc) or "the host closed the connection", _STDERR_SHOWN)
        reason = (f"gathering did not finish within {options.timeout:g}s" if time.monotonic() >= deadline
                  else f"ssh session failed: {broken}")
        return RemoteHost(target, HostStatus.ERROR, reason, seconds=time.monotonic() - started)
    finally:
        watchdog.cancel()
        client.close()


def gather_hosts(targets: Sequence[Target], options: SshOptions, progress: Progress = NO_PROGRESS) -> list[RemoteHost]:
    """Every target, in order, each with a status; at most `options.parallel` sessions at a time. `progress`
    advances as each host finishes (unreachable and failed hosts count as errors)."""
    if not targets:
        return []
    package_zip()  # build the payload once, before the threads race for it
    trust = _trust(options)  # a bad known_hosts or identity file is the run's error, said once
    progress.begin("gathering", len(targets))

    def gather_one(target: Target) -> RemoteHost:
        host = gather_host(target, options, trust)
        progress.advance(errors=host.status is not HostStatus.OK)
        return host

    with ThreadPoolExecutor(max_workers=max(1, min(options.parallel, len(targets)))) as pool:
        return list(pool.map(gather_one, targets))
