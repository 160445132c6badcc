"""Fixtures for the host feature gatherer (the hwloc captures, unpacked once per session, are tests/conftest.py's)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import REPO

COLLECTIONS = REPO / "collections"


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
