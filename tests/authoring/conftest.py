"""Hosts to learn from and lint against: the hwloc fixture trees and NFD's PCI testdata, gathered with
`fleetcompat gather --root` once per session, plus trees built from them with a kernel, modules and an OS."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleetcompat.cli import main
from tests.support.trees import NFD_TESTDATA, extract_hwloc_tree

PCI_ROOTFS = NFD_TESTDATA / "testdata/source/pci/rootfs-1"


def gather_root(root: Path, output: Path) -> Path:
    assert main(["gather", "--root", str(root), "--output", str(output)]) == 0
    return output


# The captures used here (the three largest, all with PCI trees much like 2pa/32intel64's, are left out: unpacking
# is most of these tests' time): x86 Intel and AMD, ARM (v7 and Grace), s390, POWER and a fake topology.
TREES = ("16amd64-4n4c-cgroup-distance-merge", "16amd64-8n2c", "16em64t-4s2c2t", "20s390-2g6s4c", "2arm-2c",
         "2pa-pcidomain32bits", "2ps3-2t", "32intel64-2p8co2t+8ve", "48amd64-4pa2n6c-sparse", "4fake-4gr1nu1pu",
         "8em64t-2s2ca2c-buggynuma", "nvidia-dgx-gb10")


@pytest.fixture(scope="session")
def tree_features(tmp_path_factory) -> dict[str, Path]:
    """hwloc tree name -> its features, gathered from the unpacked capture (the file is named after the tree)."""
    base = tmp_path_factory.mktemp("hwloc-authoring")
    return {name: gather_root(extract_hwloc_tree(name, base), base / f"{name}.json") for name in TREES}


@pytest.fixture(scope="session")
def software_hosts(tmp_path_factory) -> dict[str, Path]:
    """NFD's PCI rootfs with a kernel release, loaded modules and an os-release each: host -> features file."""
    hosts = {
        "k68-vfio": ("6.8.0-45-generic", ["vfio_pci", "vfio", "ixgbe"], "ubuntu", "24.04"),
        "k515-vfio": ("5.15.0-91-generic", ["vfio_pci", "vfio", "i40e"], "ubuntu", "22.04"),
        "k54-vfio": ("5.4.0-150-generic", ["vfio_pci", "vfio", "i40e"], "ubuntu", "20.04"),
        "k68-novfio": ("6.8.0-45-generic", ["ixgbe"], "ubuntu", "24.04"),
        "k514-rhel": ("5.14.0-427.el9", ["vfio_pci", "vfio"], "rhel", "9.4"),
    }
    base = tmp_path_factory.mktemp("software-hosts")
    files = {}
    for name, (release, modules, os_id, version) in hosts.items():
        root = base / name
        shutil.copytree(PCI_ROOTFS, root, symlinks=True)
        (root / "proc/sys/kernel").mkdir(parents=True)
        (root / "proc/sys/kernel/osrelease").write_text(release + "\n")
        (root / "proc/modules").write_text("".join(f"{m} 16384 0 - Live 0x0\n" for m in modules))
        (root / "etc").mkdir()
        (root / "etc/os-release").write_text(f'ID={os_id}\nVERSION_ID="{version}"\nPRETTY_NAME="{name}"\n')
        files[name] = gather_root(root, base / f"{name}.json")
    return files


def write_fact_cache(directory: Path, hosts: dict[str, Path | None]) -> Path:
    """An Ansible jsonfile fact cache written by Ansible's own cache plugin: host -> features file (None: a host
    whose facts hold no node_features)."""
    facts = {name: ({"node_features": json.loads(path.read_text())} if path else {"ansible_hostname": name})
             for name, path in hosts.items()}
    code = ("import json, sys\n"
            "from ansible.plugins.loader import cache_loader, init_plugin_loader\n"
            "init_plugin_loader()\n"
            "cache = cache_loader.get('ansible.builtin.jsonfile', _uri=sys.argv[1], _timeout=0)\n"
            "for name, facts in json.load(sys.stdin).items():\n"
            "    cache.set(name, facts)\n")
    subprocess.run([sys.executable, "-c", code, str(directory)], input=json.dumps(facts), text=True, check=True,
                   timeout=120)
    return directory
