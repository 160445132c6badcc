"""The fleet tests' real sshd lab (node1, node2, node3, broken, down: tests/conftest.py's `lab` fixture starts it) and
the helpers that run the real ansible-playbook and fleetcompat commands against it.

  node1, node2  hosts with an x86-64-v3 CPU: their sshd (each its own, with its own address) sees this machine's
                /proc/cpuinfo with the x86-64-v3 flags ensured, bind-mounted in its own mount namespace
  node3         an older machine: its sshd sees a /proc/cpuinfo without AVX2/BMI2/FMA (x86-64-v2) and an
                Ubuntu /etc/os-release
  broken        node1's sshd under another name, gathering below a root that does not exist (gathering fails)
  down          nothing listens there (unreachable)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from fleetcompat.results.fleet import FleetResult, HostResult, HostStatus, Status
from tests.support import REPO
from tests.support.sshlab import SshHost, SshLab

VENV_BIN = Path(sys.executable).parent
SPECS = REPO / "examples" / "specs"

_X86_64_V3_ONLY = {"avx2", "bmi1", "bmi2", "fma", "movbe", "f16c", "abm", "avx512f", "avx512bw", "avx512cd",
                   "avx512dq", "avx512vl", "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_vnni",
                   "avx512_bitalg", "avx512_vpopcntdq", "avx512_bf16", "avx512_fp16", "avx_vnni"}
UBUNTU_OS_RELEASE = 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n'


# /proc/cpuinfo names of the x86-64-v1..v3 baseline (the gatherer maps them to NFD's cpuid names).
_X86_64_V3_BASELINE = {"fpu", "cmov", "cx8", "fxsr", "mmx", "sse", "sse2", "syscall", "cx16", "lahf_lm", "popcnt",
                       "pni", "sse4_1", "sse4_2", "ssse3", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe",
                       "xsave", "osxsave"}


def _cpuinfo(edit) -> str:
    lines = []
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            key, _, flags = line.partition(":")
            line = f"{key}: " + " ".join(edit(flags.split()))
        lines.append(line)
    return "\n".join(lines) + "\n"


def modern_cpuinfo() -> str:
    """This machine's /proc/cpuinfo with the x86-64-v3 baseline added: the tests do not depend on the CI CPU."""
    return _cpuinfo(lambda flags: flags + sorted(_X86_64_V3_BASELINE - set(flags)))


def older_cpuinfo() -> str:
    """This machine's /proc/cpuinfo without the x86-64-v3 flags: an older CPU (x86-64-v2)."""
    return _cpuinfo(lambda flags: [f for f in flags if f not in _X86_64_V3_ONLY])


@dataclass
class Lab:
    lab: SshLab
    inventory: Path
    names: dict[str, SshHost]  # inventory name -> host

    def targets(self, *names: str) -> list[str]:
        """`--host` values for the direct mode."""
        return [a for n in names for a in ("--host", self.names[n].target)]

    def ssh_args(self) -> list[str]:
        return ["--identity", str(self.lab.client_key), "--known-hosts", str(self.lab.known_hosts)]


def ansible_env(lab: Lab, **extra: str) -> dict[str, str]:
    env = {**os.environ, **lab.lab.ansible_env(), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
           "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    env.update(extra)
    return env


def run_playbook(lab: Lab, playbook: str, *args: str, env: dict[str, str] | None = None,
                 inventory: Path | None = None, wrapper: tuple[str, ...] = (),
                 timeout: float = 300) -> subprocess.CompletedProcess:
    """The real ansible-playbook from the repository root, as the README runs it (`wrapper`: a command it runs
    under, e.g. prlimit; `playbook`: a name in playbooks/ or a path)."""
    return subprocess.run(
        [*wrapper, str(VENV_BIN / "ansible-playbook"), "-i", str(inventory or lab.inventory),
         str(REPO / "playbooks" / playbook), *args],
        cwd=REPO, env=env or ansible_env(lab), capture_output=True, text=True, timeout=timeout,
    )


def run_fleetcompat(*args: object, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """The installed CLI in a child process: as an operator runs it, and with no process-wide state left behind
    (reading a fact cache sets up Ansible's plugin loader). Unbounded in memory: tests/support/hostile.py's
    `fleetcompat` is the bounded runner for hostile input."""
    return subprocess.run([str(VENV_BIN / "fleetcompat"), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def write_vars(path: Path, **variables: object) -> str:
    path.write_text(yaml.safe_dump(variables, sort_keys=False))
    return f"@{path}"


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


@dataclass
class Registry:
    front: object  # registry_servers.RegistryFront (counts every request)
    with_spec: str  # reference of an image with an x86-64-v3 compatibility artifact attached
    without_spec: str  # reference of an image with no artifact


def push_client(front):
    """A registry client for pushing test content through `front`."""
    from fleetcompat.registry import RegistryClient, RegistryOptions

    return RegistryClient(RegistryOptions(plain_http_registries=frozenset({front.host}), cache_dir=None))


def lab_audit_hosts(result: FleetResult) -> dict[str, HostResult]:
    """The hosts of a playbook audit of the whole lab against the x86-64-v3 spec, by name, after checking what the
    lab must give: node1 and node2 compatible, node3 (x86-64-v2) incompatible, broken an error, down unreachable."""
    hosts = {h.name: h for h in result.hosts}
    assert {n: h.status for n, h in hosts.items()} == {
        "node1": HostStatus.OK, "node2": HostStatus.OK, "node3": HostStatus.OK, "broken": HostStatus.ERROR,
        "down": HostStatus.UNREACHABLE}
    assert [hosts[n].outcomes["x86-64-v3"].status for n in ("node1", "node2", "node3")] == [
        Status.COMPATIBLE, Status.COMPATIBLE, Status.INCOMPATIBLE]
    return hosts
