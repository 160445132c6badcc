"""Fixtures for the host feature gatherer: real captured trees (hwloc, NFD testdata), extracted once per session."""

from __future__ import annotations

import re
import shutil
import tarfile
from pathlib import Path

import pytest

FIXTURES = Path("/work/shared/fixtures")
HWLOC = FIXTURES / "hwloc"
NFD_TESTDATA = FIXTURES / "nfd-testdata"
REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "collections"


def hwloc_tree_names() -> list[str]:
    return sorted(p.name[: -len(".tar.bz2")] for p in HWLOC.glob("*.tar.bz2"))


@pytest.fixture(scope="session")
def hwloc_trees(tmp_path_factory) -> dict[str, Path]:
    """Tree name -> its root folder (the single folder inside the tarball; 3 differ from the tarball name)."""
    base = tmp_path_factory.mktemp("hwloc")
    return {name: extract_hwloc_tree(name, base) for name in hwloc_tree_names()}


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


@pytest.fixture
def make_root(tmp_path):
    """Build a root directory from {relative path: text | bytes | Path (copied tree)}."""

    def build(files: dict) -> Path:
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copytree(content, path, symlinks=True)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return tmp_path

    return build
