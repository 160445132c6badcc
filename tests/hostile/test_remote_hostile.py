"""The SSH direct mode against peers that misbehave: real TCP and real SSH servers on 127.0.0.1.

Garbage peers are raw TCP servers. Misbehaving SSH hosts are paramiko's own server (`paramiko.ServerInterface`)
running in this process: a real SSH handshake, authentication and exec request, after which the "host" prints
forever, never answers, or prints documents of the wrong shape. The client is the real CLI in a subprocess under
RLIMIT_AS, so an unbounded read or a hang fails the test instead of the test run.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paramiko
import pytest

from fleetcompat.hostfeatures.limits import ELEMENT_NAME_LIMIT, ELEMENT_VALUE_LIMIT
from fleetcompat.remote.options import MAX_TIMEOUT
from fleetcompat.remote.ssh import STDERR_LIMIT, STDOUT_LIMIT

BIN = Path(sys.executable).parent
MEMORY_LIMIT = 512 * 1024 * 1024
TIMEOUT = 8.0  # --ssh-timeout of the hosts that are expected to end before it
# glibc reserves 64 MiB of address space per thread arena, which RLIMIT_AS counts although nothing is used; two
# arenas keep the limit about memory. HOME: no ~/.ssh keys of whoever runs the tests.
ENV = {**os.environ, "MALLOC_ARENA_MAX": "2", "HOME": "/nonexistent"}

Behaviour = Callable[[paramiko.Channel], None]


def reply(stdout: bytes, status: int = 0, stderr: bytes = b"") -> Behaviour:
    def behave(channel: paramiko.Channel) -> None:
        while channel.recv(65536):  # take the payload first, as the real bootstrap does
            pass
        channel.sendall(stdout)
        channel.sendall_stderr(stderr)
        channel.send_exit_status(status)
        channel.close()

    return behave


def flood(stream: str) -> Behaviour:
    def behave(channel: paramiko.Channel) -> None:
        send = channel.sendall if stream == "stdout" else channel.sendall_stderr
        chunk = b"y" * 32768
        try:
            while True:
                send(chunk)
        except (OSError, EOFError, paramiko.SSHException):
            return  # the client hung up, as it should

    return behave


def envelope(features: dict, warnings: list[str] | None = None) -> bytes:
    return json.dumps({"features": features, "warnings": warnings or []}).encode()


class _Host(paramiko.ServerInterface):
    def __init__(self, behave: Behaviour | None, stop: threading.Event) -> None:
        self.behave, self.stop = behave, stop

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        if self.behave is None:  # never answer the exec request: the client's exec_command waits for it
            self.stop.wait()
            return False
        threading.Thread(target=self.behave, args=(channel,), daemon=True).start()
        return True


class Servers:
    """TCP listeners on 127.0.0.1, each serving one behaviour to every connection; all stopped on close()."""

    def __init__(self) -> None:
        self.host_key = paramiko.RSAKey.generate(2048)
        self.stop = threading.Event()
        self.sockets: list[socket.socket] = []
        self.transports: list[paramiko.Transport] = []

    def _listen(self, serve: Callable[[socket.socket], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        self.sockets.append(listener)

        def accept() -> None:
            while not self.stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                self.sockets.append(conn)
                serve(conn)

        threading.Thread(target=accept, daemon=True).start()
        return listener.getsockname()[1]

    def raw(self, data: bytes) -> int:
        def serve(conn: socket.socket) -> None:
            try:
                conn.sendall(data)
            finally:
                conn.close()

        return self._listen(serve)

    def ssh(self, behave: Behaviour | None) -> int:
        def serve(conn: socket.socket) -> None:
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            self.transports.append(transport)
            transport.start_server(server=_Host(behave, self.stop))

        return self._listen(serve)

    def close(self) -> None:
        self.stop.set()
        for transport in self.transports:
            transport.close()
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def servers():
    lab = Servers()
    yield lab
    lab.close()


@pytest.fixture
def ssh_args(tmp_path) -> list[str]:
    key = paramiko.RSAKey.generate(2048)
    key.write_private_key_file(str(tmp_path / "id_rsa"))
    return ["--identity", str(tmp_path / "id_rsa"), "--known-hosts", str(tmp_path / "known_hosts"),
            "--accept-new-host-keys", "--ssh-user", "tester"]


def fleetcompat(*args: str, wall: float = 60.0) -> tuple[subprocess.CompletedProcess, float]:
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    started = time.monotonic()
    result = subprocess.run([str(BIN / "fleetcompat"), *args], capture_output=True, text=True, errors="replace",
                            timeout=wall, preexec_fn=limit_memory, env=ENV, check=False)
    return result, time.monotonic() - started


def error_lines(stderr: str) -> dict[str, str]:
    """host -> 'status: reason' from `fleetcompat: error: HOST: STATUS: REASON` lines (the only lines expected)."""
    lines = stderr.splitlines()
    assert all(line.startswith("fleetcompat: error: 127.0.0.1:") for line in lines), stderr
    return dict(line[len("fleetcompat: error: "):].split(": ", 1) for line in lines)


def test_garbage_peers_end_as_one_line_each(servers, ssh_args):
    ports = [servers.raw(os.urandom(4096)), servers.raw(b"SSH-2.0-x\r\n" + os.urandom(4096)),
             servers.raw(b"HTTP/1.1 400 Bad Request\r\n\r\n"), servers.raw(b"SSH-2.0-\x1b[2J\x1b]0;pwned\x07\r\n")]
    result, _ = fleetcompat("gather", *[a for p in ports for a in ("--host", f"127.0.0.1:{p}")], *ssh_args,
                            "--ssh-timeout", str(TIMEOUT))
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert sorted(errors) == sorted(f"127.0.0.1:{p}" for p in ports)
    assert all(reason.startswith("unreachable: ") for reason in errors.values())
    assert "\x1b" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("stream", "limit"), [("stdout", STDOUT_LIMIT), ("stderr", STDERR_LIMIT)])
def test_a_host_that_prints_forever_is_cut_at_the_limit(servers, ssh_args, stream, limit):
    port = servers.ssh(flood(stream))
    result, seconds = fleetcompat("gather", "--host", f"127.0.0.1:{port}", *ssh_args, "--ssh-timeout", "60")
    assert result.returncode == 2
    assert error_lines(result.stderr) == {
        f"127.0.0.1:{port}": f"error: the host printed more than {limit} bytes on {stream}; stopped reading"}
    assert seconds < 50


def test_the_deadline_covers_an_exec_request_never_answered(servers, ssh_args):
    port = servers.ssh(None)
    result, seconds = fleetcompat("gather", "--host", f"127.0.0.1:{port}", *ssh_args, "--ssh-timeout", "3")
    assert error_lines(result.stderr) == {f"127.0.0.1:{port}": "error: gathering did not finish within 3s"}
    assert seconds < 3 + 10  # the deadline plus start-up; without the watchdog it waits forever


def test_documents_of_the_wrong_shape_are_host_errors(servers, ssh_args):
    not_envelope = 'error: gatherer printed JSON that is not its document ({"features": {...}, ...})'
    cases = {
        "not json": (reply(b"hello"), "error: gatherer printed no JSON document: no output on stderr"),
        "a list": (reply(b"[1, 2]"), not_envelope),
        "features not a map": (reply(b'{"features": "x"}'), not_envelope),
        "a number value": (reply(envelope({"attributes": {"a": {"elements": {"k": 1}}}})),
                           "error: gatherer printed features that are not NFD's form: "
                           "features: attributes.a.elements.k: expected a string value, got integer"),
        "nested deeply": (reply(b"[" * 200_000), "error: gatherer printed no JSON document: no output on stderr"),
        "warnings not strings": (reply(b'{"features": {}, "warnings": [1]}'),
                                 "error: gatherer printed a document whose warnings are not a list of strings"),
        "a NodeFeature": (reply(envelope({"kind": "NodeFeature", "spec": {"features": {}}})), not_envelope),
        "escapes on stderr": (reply(b"", 1, b"Traceback\n\x1b]0;pwned\x07\r\n"),
                              "error: gatherer failed with exit status 1: \\x1b]0;pwned\\x07"),
    }
    ports = {name: servers.ssh(behave) for name, (behave, _) in cases.items()}
    result, _ = fleetcompat("gather", *[a for p in ports.values() for a in ("--host", f"127.0.0.1:{p}")], *ssh_args,
                            "--ssh-timeout", str(TIMEOUT))
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert {name: errors[f"127.0.0.1:{port}"] for name, port in ports.items()} == {
        name: expected for name, (_, expected) in cases.items()}


def test_what_a_host_reports_is_bounded_and_printable(servers, ssh_args):
    features = {"attributes": {"system.name": {"elements": {"nodename": "n" * 5_000_000}},
                               "kernel.version": {"elements": {"full": "6.1.0"}},
                               "f" * 2000: {"elements": {}}},
                "flags": {"cpu.cpuid": {"elements": {"X86_64_V\u00b2": {}}}}}  # "²": isdigit, but not int()
    port = servers.ssh(reply(envelope(features, ["\x1b]0;pwned\x07 file\nline"])))
    result, _ = fleetcompat("gather", "--host", f"127.0.0.1:{port}", *ssh_args, "--ssh-timeout", str(TIMEOUT))
    assert result.returncode == 0, result.stderr
    gathered = json.loads(result.stdout)
    assert gathered["attributes"] == {"system.name": {"elements": {}},
                                      "kernel.version": {"elements": {"full": "6.1.0"}}}
    summary, _ = fleetcompat("gather", "--summary", "--host", f"127.0.0.1:{port}", *ssh_args)
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["cpu"]["x86_64_level"] is None
    assert result.stderr.splitlines() == [
        f"fleetcompat: warning: 127.0.0.1:{port}: \\x1b]0;pwned\\x07 file\\nline",
        f"fleetcompat: warning: 127.0.0.1:{port}: attributes 'system.name' element 'nodename': value of 5000000 "
        f"characters is longer than {ELEMENT_VALUE_LIMIT}, left out",
        f"fleetcompat: warning: 127.0.0.1:{port}: attributes: a feature name of 2000 characters is longer than "
        f"{ELEMENT_NAME_LIMIT}, left out"]


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e300"])
def test_timeouts_that_are_not_a_positive_number_of_seconds_are_refused(value):
    result, _ = fleetcompat("gather", "--host", "127.0.0.1:1", f"--ssh-timeout={value}")
    assert result.returncode == 2
    assert result.stderr == (f"fleetcompat: error: --ssh-timeout must be a number of seconds above 0 and at most "
                             f"{MAX_TIMEOUT:g}, not {float(value):g}\n")
