"""Real sshd hosts for the fleet tests and bench/fleet.py.

Each host is its own sshd: in a network namespace with its own address on a bridge (10.213.N.0/24) where that
works, else on a 127.0.0.1 port. A host can be given its own view of files such as /proc/cpuinfo or
/etc/os-release: its sshd runs in a private mount namespace with those files bind-mounted over, so every login
(and every gatherer) on that host sees them. Logins use a dedicated clean user (not root: root's shell rc files
run pyenv, which costs ~0.13 s per remote command). Everything is started here and stopped by PID in `close()`,
including whatever still runs inside the namespaces.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.net import free_port

SSHD = "/usr/sbin/sshd"
LOGIN_USER = "fcaudit"
SUBNET_PREFIX = "10.213"
FIRST_SUBNET = 7  # 10.213.7.0/24; the VM's own network is 192.0.2.0/24


class LabUnavailable(RuntimeError):
    """sshd hosts cannot be made here (not root, no sshd)."""


@dataclass
class SshHost:
    name: str
    address: str
    port: int
    netns: str | None = None
    process: subprocess.Popen | None = None  # None: deliberately unreachable (nothing listens)
    files: dict[str, str] = field(default_factory=dict)  # path on the host -> fake content bind-mounted over it

    @property
    def target(self) -> str:
        """`user@host:port` as the paramiko direct mode takes it."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{LOGIN_USER}@{host}:{self.port}"

    @property
    def known_hosts_name(self) -> str:
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True)


def _quiet(*args: str) -> None:
    subprocess.run(args, capture_output=True, check=False)


def ensure_login_user(name: str = LOGIN_USER) -> bool:
    """A clean login user: no pyenv rc files; unlocked (`*`) so sshd accepts keys with UsePAM no. True if created."""
    created = False
    try:
        pwd.getpwnam(name)
    except KeyError:
        _run("useradd", "-m", "-s", "/bin/sh", name)
        created = True
    _run("usermod", "-p", "*", name)
    return created


class SshLab:
    """Start `count` sshd hosts; `close()` stops them all. Use as a context manager."""

    def __init__(self, use_netns: bool | None = None) -> None:
        if os.geteuid() != 0:
            raise LabUnavailable("real sshd hosts need root (to run sshd for another user and make namespaces)")
        if not os.access(SSHD, os.X_OK):
            raise LabUnavailable(f"{SSHD} not found (scripts/setup.sh --test installs openssh-server)")
        self._created_user = ensure_login_user()
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        # sshd reads AuthorizedKeysFile as the login user, so the lab dir must be world-readable (not under a 0700
        # pytest or home directory). Private keys inside are still 0600.
        self.dir = Path(tempfile.mkdtemp(prefix="fleetcompat-sshlab-"))
        self.dir.chmod(0o755)
        self.client_key = self.dir / "id_ed25519"
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleetcompat-test", "-f", str(self.client_key))
        authorized = self.dir / "authorized_keys"
        shutil.copy(self.client_key.with_suffix(".pub"), authorized)
        authorized.chmod(0o644)
        self.known_hosts = self.dir / "known_hosts"
        self.control_path_dir = self.dir / "cp"
        self.control_path_dir.mkdir(mode=0o700)
        self.hosts: list[SshHost] = []
        self.bridge: str | None = None
        self.subnet: str | None = None
        self._veths: list[str] = []
        self._netns: list[str] = []
        self.use_netns = self._make_bridge() if use_netns is None or use_netns else False

    # -- network -------------------------------------------------------------------------------------------------

    def _make_bridge(self) -> bool:
        """Claim the first free 10.213.N.0/24 (bridge `fcbrN`); False if namespaces do not work here."""
        if not shutil.which("ip"):
            return False
        for third in range(FIRST_SUBNET, FIRST_SUBNET + 40):
            bridge = f"fcbr{third}"
            created = subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], capture_output=True, text=True)
            if created.returncode == 0:
                self.bridge, self.subnet = bridge, f"{SUBNET_PREFIX}.{third}"
                _run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", bridge)
                _run("ip", "link", "set", bridge, "up")
                return True
            if "File exists" not in created.stderr:
                return False
        return False

    def _make_netns(self, index: int) -> tuple[str, str]:
        assert self.subnet is not None and self.bridge is not None
        third = self.subnet.rsplit(".", 1)[1]
        ns, veth = f"fc{third}h{index}", f"fc{third}v{index}"
        address = f"{self.subnet}.{10 + index}"
        _run("ip", "netns", "add", ns)
        self._netns.append(ns)
        _run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        self._veths.append(veth)
        _run("ip", "link", "set", veth, "master", self.bridge, "up")
        _run("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        _run("ip", "-n", ns, "link", "set", "eth0", "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")
        return ns, address

    # -- hosts ---------------------------------------------------------------------------------------------------

    def add_host(self, name: str, files: dict[str, str] | None = None) -> SshHost:
        """Start one sshd host; `files` maps host paths (which must exist) to fake contents bind-mounted over."""
        index = len(self.hosts) + 1
        if self.use_netns:
            netns, address = self._make_netns(index)
            port = 22
        else:
            netns, address, port = None, "127.0.0.1", free_port()
        host = SshHost(name, address, port, netns, files=dict(files or {}))
        host_key = self.dir / f"host_{name}_ed25519"
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(host_key))
        config = self.dir / f"sshd_{name}.conf"
        config.write_text(
            f"Port {port}\nListenAddress {address}\nHostKey {host_key}\nPidFile {self.dir}/sshd_{name}.pid\n"
            f"AuthorizedKeysFile {self.dir}/authorized_keys\nAllowUsers {LOGIN_USER}\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin no\n"
            "StrictModes no\nSubsystem sftp /usr/lib/openssh/sftp-server\nLogLevel ERROR\n"
            "MaxStartups 100:30:200\nMaxSessions 100\n"
        )
        mounts = []
        for n, (path, content) in enumerate(sorted(host.files.items())):
            fake = self.dir / f"fake_{name}_{n}"
            fake.write_text(content)
            fake.chmod(0o644)
            mounts.append(f"mount --bind {fake} {path}")
        sshd = f"exec {SSHD} -D -e -f {config}"
        argv = ["sh", "-c", sshd]
        if mounts:
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", " && ".join([*mounts, sshd])]
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        log = (self.dir / f"sshd_{name}.log").open("wb")
        host.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.hosts.append(host)
        self._wait_listening(host)
        public = host_key.with_suffix(".pub").read_text().split()
        with self.known_hosts.open("a") as known:
            known.write(f"{host.known_hosts_name} {public[0]} {public[1]}\n")
        return host

    def add_unreachable(self, name: str) -> SshHost:
        """A host nobody answers for: an address of ours, a port where nothing listens (refused at once)."""
        address = f"{self.subnet}.1" if self.use_netns else "127.0.0.1"
        host = SshHost(name, address, free_port() if not self.use_netns else 9)
        self.hosts.append(host)
        return host

    def _wait_listening(self, host: SshHost, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert host.process is not None
            if host.process.poll() is not None:
                log = (self.dir / f"sshd_{host.name}.log").read_text()
                raise RuntimeError(f"sshd for {host.name} exited: {log.strip()}")
            with contextlib.suppress(OSError), socket.create_connection((host.address, host.port), timeout=0.5):
                return
            time.sleep(0.02)
        raise RuntimeError(f"sshd for {host.name} did not listen on {host.address}:{host.port}")

    # -- views for clients ---------------------------------------------------------------------------------------

    def ansible_env(self) -> dict[str, str]:
        """Environment for ansible runs against the lab: its own ControlPath dir, no host key prompts."""
        return {
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.control_path_dir),
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_PIPELINING": "True",
        }

    def inventory_yaml(self, group: str = "lab", extra_vars: dict[str, object] | None = None) -> str:
        """An Ansible YAML inventory with every lab host (ssh connection, clean user, explicit interpreter)."""
        import yaml

        hosts = {h.name: {"ansible_host": h.address, "ansible_port": h.port} for h in self.hosts}
        group_vars = {
            "ansible_connection": "ssh",
            "ansible_user": LOGIN_USER,
            "ansible_ssh_private_key_file": str(self.client_key),
            "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_ssh_common_args": f"-o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes",
            **(extra_vars or {}),
        }
        return yaml.safe_dump({"all": {"children": {group: {"hosts": hosts, "vars": group_vars}}}}, sort_keys=False)

    # -- teardown ------------------------------------------------------------------------------------------------

    def close(self) -> None:
        for host in self.hosts:
            if host.process is not None and host.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(host.process.pid, signal.SIGTERM)
        for host in self.hosts:
            if host.process is not None:
                try:
                    host.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(host.process.pid, signal.SIGKILL)
                    host.process.wait()
        # Per-connection sshd children (kept alive by clients' ControlPersist masters) outlive the listener and would
        # keep the namespace and its veth alive.
        for ns in self._netns:
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
        for veth in self._veths:
            _quiet("ip", "link", "del", veth)
        for ns in self._netns:
            _quiet("ip", "netns", "del", ns)
        if self.bridge:
            _quiet("ip", "link", "del", self.bridge)
        self._stop_control_masters()
        shutil.rmtree(self.dir, ignore_errors=True)
        # Remove the login user we made, unless another lab (a concurrent test run or benchmark) still uses it.
        if self._created_user and not list(Path(tempfile.gettempdir()).glob("fleetcompat-sshlab-*")):
            _quiet("userdel", "-r", LOGIN_USER)

    def _stop_control_masters(self) -> None:
        """ssh ControlPersist masters started by ansible for this lab (their sockets live in our dir)."""
        for sock in self.control_path_dir.glob("*"):
            _quiet("ssh", "-o", f"ControlPath={sock}", "-O", "exit", "dummy")

    def __enter__(self) -> SshLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
