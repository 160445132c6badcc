"""`fleetcompat gather --root` on trees built to hurt it: links out of the root, FIFOs, devices, huge files.

Every gather runs as the real CLI in a subprocess with its address space limited (RLIMIT_AS) and a wall-clock
timeout, so a hang or a memory blow-up fails the test instead of the test run.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import stat
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from fleetcompat.hostfeatures import gather
from fleetcompat.hostfeatures.core import HostFS
from fleetcompat.hostfeatures.limits import (
    CPUINFO_LIMIT,
    DIRECTORY_ENTRY_LIMIT,
    ELEMENT_VALUE_LIMIT,
    KCONFIG_LIMIT,
    SYMLINK_LIMIT,
)

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 512 * 1024 * 1024
WALL_LIMIT = 20.0  # seconds for one gather of a small tree; a healthy one takes well under 1 s
SHADOW_START = Path("/etc/shadow").read_text().split("\n", 1)[0]  # e.g. "root:*:20228:0:99999:7:::"


def gather_cli(root: Path, *args: str, env: dict | None = None) -> tuple[dict, list[str], float]:
    """(features, warning lines, seconds) of `fleetcompat gather --root root` under RLIMIT_AS and a timeout."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    started = time.monotonic()
    result = subprocess.run([str(BIN / "fleetcompat"), "gather", "--root", str(root), *args], capture_output=True,
                            timeout=WALL_LIMIT * 3, preexec_fn=limit_memory, env=env, check=False)
    seconds = time.monotonic() - started
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, stderr
    return json.loads(result.stdout), stderr.splitlines(), seconds


def write(root: Path, rel: str, content: str | bytes = "") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def link(root: Path, rel: str, target: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def special(root: Path, rel: str, kind: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:  # /dev/zero's numbers: reading it never ends
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))
    return path


@pytest.fixture
def outside(tmp_path) -> Path:
    """A secret next to the root (not below it), and the root itself."""
    write(tmp_path, "outside/secret", "SECRET-OUTSIDE-THE-ROOT\n")
    root = tmp_path / "root"
    root.mkdir()
    return root


# --- the root is a chroot --------------------------------------------------------------------------------------

def test_absolute_and_dotdot_links_stay_inside_the_root(outside):
    root, secret = outside, outside.parent / "outside/secret"
    depth = "../" * 12
    link(root, "proc/sys/kernel/hostname", "/etc/hostname")  # this machine's name must not become the host's
    link(root, "etc/os-release", "/etc/shadow")
    link(root, "proc/sys/kernel/osrelease", f"{depth}{secret.relative_to('/')}")  # `..` far above the root
    link(root, "sys/devices/virtual/dmi/id/product_name", str(secret))
    link(root, "sys/devices/virtual/dmi/id/sys_vendor", "../../../../../../../../etc/shadow")
    link(root, "sys/devices/virtual/dmi/id/board_name", "/sys/devices/virtual/dmi/id/product_name")  # link to a link
    write(root, "sys/devices/virtual/dmi/id/bios_vendor", "inside\n")
    link(root, "sys/class/net/eth0", "/sys/class/net/lo")  # absolute directory link: re-rooted
    write(root, "sys/class/net/lo/mtu", "65536\n")
    features, warnings, _ = gather_cli(root)
    text = json.dumps(features)
    assert "SECRET-OUTSIDE-THE-ROOT" not in text and SHADOW_START not in text and "root:" not in text
    assert features["attributes"]["system.name"]["elements"] == {"nodename": ""}
    assert "system.osrelease" not in features["attributes"] and "kernel.version" not in features["attributes"]
    assert features["attributes"]["system.dmiid"]["elements"] == {"bios_vendor": "inside"}
    assert {"name": "eth0", "mtu": "65536"}.items() <= features["instances"]["network.virtual"]["elements"][0][
        "attributes"].items()
    assert not [w for w in warnings if "SECRET" in w or SHADOW_START in w]


def test_links_inside_the_root_still_resolve_like_sysfs(outside):
    root = outside
    write(root, "sys/devices/pci0000:00/0000:00:01.0/vendor", "0x10de\n")
    link(root, "sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0")  # as in sysfs
    link(root, "usr/lib/os-release-dir", "/usr/lib")
    write(root, "usr/lib/os-release", "ID=inside\n")
    link(root, "etc/os-release", "../usr/lib/os-release-dir/./../lib/os-release")
    fs = HostFS(str(root))
    assert fs.value("sys/bus/pci/devices/0000:00:01.0/vendor") == "0x10de"
    assert fs.value("sys/bus/pci/devices/0000:00:01.0/../../../bus/pci/devices/0000:00:01.0/vendor") == "0x10de"
    assert fs.read("etc/os-release") == "ID=inside\n"
    assert fs.link_name("sys/bus/pci/devices/0000:00:01.0") == "0000:00:01.0"
    assert fs.isdir("sys/bus/pci/devices/0000:00:01.0") and fs.exists("etc/os-release")
    assert fs.listdir("sys/bus/pci/devices/0000:00:01.0") == ["vendor"]
    assert fs.warnings == []


def test_symlink_loops_end_like_eloop(outside):
    root = outside
    link(root, "proc", "/proc")  # the root's proc is itself, forever
    link(root, "sys/a", "b")
    link(root, "sys/b", "a")
    chain = [f"sys/chain{i}" for i in range(SYMLINK_LIMIT + 2)]
    write(root, "sys/end", "end\n")
    for here, there in zip(chain, [*chain[1:], "sys/end"], strict=True):
        link(root, here, "/" + there)
    fs = HostFS(str(root))
    assert fs.read("proc/cpuinfo") is None and fs.read("sys/a") is None
    assert fs.read(chain[0]) is None  # 42 links: one too many
    assert fs.read(chain[2]) == "end\n"  # 40 links: allowed
    features, _, seconds = gather_cli(root)
    assert seconds < WALL_LIMIT
    assert "cpu.model" in features["attributes"]


# --- what is opened and how much is read --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["fifo", "chardev"])
def test_fifos_and_devices_are_refused_without_blocking(outside, kind):
    root = outside
    paths = [special(root, rel, kind) for rel in (
        "proc/cpuinfo", "etc/os-release", "proc/sys/kernel/hostname", "sys/devices/virtual/dmi/id/bios_vendor",
        "etc/kubernetes/node-feature-discovery/features.d/feature", "proc/modules")]
    features, warnings, seconds = gather_cli(root)
    assert seconds < WALL_LIMIT
    name = "a FIFO" if kind == "fifo" else "a character device"
    for path in paths:
        assert f"fleetcompat: warning: {path}: {name}, not read" in warnings
    assert features["attributes"]["system.name"]["elements"] == {"nodename": ""}
    assert features["attributes"]["local.feature"]["elements"] == {}


def test_huge_sparse_cpuinfo_is_refused_before_reading(outside):
    root = outside
    cpuinfo = write(root, "proc/cpuinfo")
    os.truncate(cpuinfo, 2 * 1024**3)  # 2 GiB of holes: reading it all would take seconds and 2 GiB
    write(root, "proc/sys/kernel/hostname", "node-1\n")
    features, warnings, seconds = gather_cli(root)
    assert seconds < WALL_LIMIT
    assert f"fleetcompat: warning: {cpuinfo}: larger than {CPUINFO_LIMIT} bytes ({2 * 1024**3}), not read" in warnings
    assert features["attributes"]["system.name"]["elements"] == {"nodename": "node-1"}


def test_cpuinfo_of_a_512_cpu_host_is_read(outside):
    block = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    text = "".join(block.replace("processor\t: 0", f"processor\t: {i}", 1) + "\n\n" for i in range(512))
    write(outside, "proc/cpuinfo", text)
    features, warnings, _ = gather_cli(outside, "--sources", "cpu")
    assert features["attributes"]["cpu.info"]["elements"]["cpus"] == "512"
    assert not [w for w in warnings if "cpuinfo" in w]


def test_gzip_bomb_config_stops_at_the_limit(outside):
    root = outside
    write(root, "proc/sys/kernel/osrelease", "6.1.0\n")
    member = gzip.compress(b"\0" * (16 * 1024 * 1024), 9)
    write(root, "proc/config.gz", member * 64)  # 1 GiB decompressed from about 1 MiB
    write(root, "boot/config-6.1.0", "CONFIG_NEXT_CANDIDATE=y\n")
    features, warnings, _ = gather_cli(root, "--sources", "kernel")
    assert (f"fleetcompat: warning: {root}/proc/config.gz: decompresses to more than {KCONFIG_LIMIT} bytes, "
            "not read") in warnings
    assert features["attributes"]["kernel.config"]["elements"] == {"NEXT_CANDIDATE": "y"}
    assert not [w for w in warnings if "failed" in w]


def test_directory_with_too_many_entries_is_not_listed(outside):
    root = outside
    devices = root / "sys/bus/pci/devices"
    devices.mkdir(parents=True)
    for i in range(DIRECTORY_ENTRY_LIMIT + 1):
        os.close(os.open(devices / f"0000:{i // 256:02x}:{i % 256:02x}.0", os.O_CREAT | os.O_WRONLY, 0o644))
    features, warnings, seconds = gather_cli(root, "--sources", "pci")
    assert seconds < WALL_LIMIT
    assert f"fleetcompat: warning: {devices}: more than {DIRECTORY_ENTRY_LIMIT} entries, not listed" in warnings
    assert "pci.device" not in features["instances"]


def test_pseudo_files_over_the_limit_are_refused_while_reading(outside):
    """st_size says nothing for procfs (0): the limit is enforced on what is read."""
    fs = HostFS("/proc/self")
    assert fs.read("cmdline", limit=4) is None
    assert fs.warnings == ["/proc/self/cmdline: larger than 4 bytes, not read"]


# --- what the host says about itself ------------------------------------------------------------------------------

def test_huge_node_name_is_left_out(outside):
    root = outside
    write(root, "proc/sys/kernel/hostname", "h" * (1024 * 1024))  # a 1 MiB "host name" file
    features, warnings, _ = gather_cli(root, "--sources", "system")
    assert features["attributes"]["system.name"]["elements"] == {"nodename": ""}
    assert any("proc/sys/kernel/hostname: larger than" in w for w in warnings)
    huge = "n" * 100_000  # $NODE_NAME: as long as one environment string may be (128 KiB)
    features, warnings, _ = gather_cli(root, "--sources", "system", env={**os.environ, "NODE_NAME": huge})
    assert features["attributes"]["system.name"]["elements"] == {}
    assert (f"fleetcompat: warning: attributes 'system.name' element 'nodename': value of 100000 characters is longer "
            f"than {ELEMENT_VALUE_LIMIT}, left out") in warnings


def test_warnings_are_one_printable_line(outside):
    root = outside
    special(root, "etc/kubernetes/node-feature-discovery/features.d/\x1b]0;pwned\x07\nfake", "fifo")
    _, warnings, _ = gather_cli(root, "--sources", "local")
    assert warnings == [f"fleetcompat: warning: {root}/etc/kubernetes/node-feature-discovery/features.d/"
                        "\\x1b]0;pwned\\x07\\nfake: a FIFO, not read"]


def test_summary_survives_digits_int_refuses(outside):
    root = outside
    write(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "\u00b2\n")  # "²": isdigit, not int()
    result = subprocess.run([str(BIN / "fleetcompat"), "gather", "--root", str(root), "--summary"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hugepages"] == {"2Mi": None}


def test_undecodable_names_become_facts_ansibles_json_cache_stores(outside, tmp_path):
    root = outside
    os.makedirs(os.fsencode(root / "sys/class/net") + b"/eth\xff\xfe")  # not UTF-8, as Linux allows
    write(root, "sys/devices/virtual/dmi/id/product_name", b"Box \xff\xc3\x28\n")
    env = {**os.environ, "NODE_NAME": os.fsdecode(b"node-\xff")}
    features, _ = gather(str(root), ["network", "system"], use_udev=False, environ=env)
    assert features["instances"]["network.virtual"]["elements"][0]["attributes"]["name"] == "eth\ufffd\ufffd"
    assert features["attributes"]["system.name"]["elements"]["nodename"] == "node-\ufffd"
    assert features["attributes"]["system.dmiid"]["elements"]["product_name"] == "Box \ufffd\ufffd("
    # The module's facts go through Ansible's jsonfile fact cache and come back out of it in a second run.
    store = tmp_path / "store.yml"
    store.write_text(f"""- hosts: localhost
  gather_facts: false
  tasks:
    - fleetcompat.audit.node_features: {{root: "{root}", sources: [network, system]}}
""")
    load = tmp_path / "load.yml"
    load.write_text(f"""- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.copy: {{content: "{{{{ node_features | to_json }}}}", dest: "{tmp_path}/cached.json"}}
""")
    ansible_env = {**env, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_CACHE_PLUGIN": "jsonfile",
                   "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "facts")}
    for playbook in (store, load):
        run = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=REPO, env=ansible_env,
                             capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stdout[-2000:]
    assert json.loads((tmp_path / "cached.json").read_text()) == features


def test_raw_inflate_error_is_not_a_crash(outside):
    root = outside
    write(root, "proc/sys/kernel/osrelease", "6.1.0\n")
    write(root, "proc/config.gz", b"\x1f\x8b\x08\x00" + zlib.compress(b"CONFIG_X=y\n")[2:])  # a broken header
    features, warnings, _ = gather_cli(root, "--sources", "kernel")
    assert "kernel.config" not in features["attributes"]
    assert not [w for w in warnings if "failed" in w]
