"""Real host trees for the planning tests: hwloc captures (/work/shared/fixtures) plus what a real host also has
(kernel release, /proc/modules, os-release, modules.builtin, NFD's hugepages testdata), gathered by the gatherer."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from fleetcompat.features.model import Features
from fleetcompat.hostfeatures import gather

FIXTURES = Path("/work/shared/fixtures")
TREES = ("16amd64-8n2c", "16em64t-4s2c2t")  # an AMD and an Intel machine
HUGEPAGES = FIXTURES / "nfd-testdata/source/memory/testdata/hugepages"
RELEASE = "5.15.0-91-generic"
MODULES = "ext4 892928 1 - Live 0x0\nnouveau 2342912 0 - Live 0x0\n"
OS_RELEASE = 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n'


def extract(base: Path, name: str) -> Path:
    with tarfile.open(FIXTURES / "hwloc" / f"{name}.tar.bz2") as tar:
        tar.extractall(base, filter="data")
    root = base / name
    shutil.copytree(HUGEPAGES / "kernel", root / "sys/kernel")
    return root


def gathered(root: Path, release: str = RELEASE, modules: str = MODULES, os_release: str = OS_RELEASE,
              hugepages_1g: str = "0", sources=("kernel", "memory", "system")) -> Features:
    """Gather `root` (an hwloc capture) after writing what a real host also has: kernel release, modules, OS
    release, hugepages. Every file is rewritten on each call, so one extracted tree serves every variant."""
    files = {"proc/sys/kernel/osrelease": release + "\n", "proc/modules": modules, "etc/os-release": os_release,
             f"lib/modules/{release}/modules.builtin": "kernel/drivers/pci/vfio.ko\n",
             "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages": hugepages_1g + "\n"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    doc, _ = gather(str(root), list(sources), use_udev=False)
    return Features.from_nfd(doc)
