"""Real host trees: the hwloc captures and NFD's testdata (/work/shared/fixtures), and for the planning tests the
same captures plus what a real host also has (kernel release, /proc/modules, os-release, modules.builtin, NFD's
hugepages testdata), gathered by the gatherer."""

from __future__ import annotations

import re
import shutil
import tarfile
from pathlib import Path

from fleetcompat.features.model import Features
from fleetcompat.hostfeatures import gather

FIXTURES = Path("/work/shared/fixtures")
HWLOC = FIXTURES / "hwloc"
NFD_TESTDATA = FIXTURES / "nfd-testdata"
# The planning trees:
TREES = ("16amd64-8n2c", "16em64t-4s2c2t")  # an AMD and an Intel machine
HUGEPAGES = FIXTURES / "nfd-testdata/source/memory/testdata/hugepages"
RELEASE = "5.15.0-91-generic"
MODULES = "ext4 892928 1 - Live 0x0\nnouveau 2342912 0 - Live 0x0\n"
OS_RELEASE = 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n'


def hwloc_tree_names() -> list[str]:
    return sorted(p.name[: -len(".tar.bz2")] for p in HWLOC.glob("*.tar.bz2"))


def extract_hwloc_tree(name: str, base: Path) -> Path:
    """Unpack one capture below `base`; returns its root folder."""
    dest = base / name
    with tarfile.open(HWLOC / f"{name}.tar.bz2") as tar:
        tar.extractall(dest, filter="data")
    (root,) = [p for p in dest.iterdir() if p.is_dir()]
    return root


def hwloc_expected_outputs(name: str) -> list[str]:
    """Texts of the expected lstopo outputs whose `.test` descriptor names this tarball."""
    texts = []
    for test in HWLOC.glob("*.test"):
        fields = dict(re.findall(r"^(\w+):\s*(.*?)\s*$", test.read_text(), re.M))
        if fields.get("source") == f"{name}.tar.bz2":
            texts.append((HWLOC / fields["target"]).read_text())
    return texts


def extract(base: Path, name: str) -> Path:
    """An hwloc capture with NFD's hugepages testdata added (a planning tree)."""
    root = extract_hwloc_tree(name, base)
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
