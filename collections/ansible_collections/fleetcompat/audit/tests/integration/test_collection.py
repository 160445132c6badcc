"""The fleetcompat.audit collection as a collection: docs render, it builds and installs, lint is clean."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from fleetcompat.fleet.images import parse_images
from tests.support import REPO

COLLECTION = REPO / "collections" / "ansible_collections" / "fleetcompat" / "audit"
BIN = Path(sys.executable).parent
PLUGINS = ("node_features", "image_specs", "image_compat", "fleet_report", "fleet_gate")
ROLES = ("gather", "evaluate", "report", "gate")


def ansible(tool: str, *args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, env={**base, **(env or {})}, capture_output=True,
                          text=True, timeout=300)


def test_ansible_doc_renders_every_plugin_and_role():
    proc = ansible("ansible-doc", *(f"fleetcompat.audit.{p}" for p in PLUGINS))
    assert proc.returncode == 0, proc.stderr
    for plugin in PLUGINS:
        assert f"fleetcompat.audit.{plugin}" in proc.stdout
    assert "ERROR" not in proc.stderr
    for role in ROLES:
        proc = ansible("ansible-doc", "-t", "role", f"fleetcompat.audit.{role}")
        assert proc.returncode == 0 and "ENTRY POINT:" in proc.stdout and "main" in proc.stdout, proc.stderr
        assert "fleetcompat_" in proc.stdout


def test_collection_builds_and_installs(tmp_path):
    proc = ansible("ansible-galaxy", "collection", "build", "--output-path", str(tmp_path), str(COLLECTION))
    assert proc.returncode == 0, proc.stderr
    tarball = tmp_path / "fleetcompat-audit-0.1.0.tar.gz"
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/action/image_compat.py" in names and "roles/gate/meta/argument_specs.yml" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/output")]
    installed = tmp_path / "installed"
    # --force: the source tree on the configured collections path already "has" this collection.
    proc = ansible("ansible-galaxy", "collection", "install", "--offline", "--force", "-p", str(installed),
                   str(tarball))
    assert proc.returncode == 0, proc.stderr
    empty_config = tmp_path / "ansible.cfg"
    empty_config.write_text("[defaults]\n")
    proc = ansible("ansible-doc", "fleetcompat.audit.image_compat",
                   env={"ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_CONFIG": str(empty_config)})
    assert proc.returncode == 0 and str(installed) in proc.stdout, proc.stderr


@pytest.mark.slow
def test_ansible_lint_production_profile_is_clean():
    env = {"ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections")}
    proc = ansible("ansible-lint", "--nocolor", cwd=COLLECTION, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Profile 'production' was required, and it passed" in proc.stderr
    proc = ansible("ansible-lint", "--nocolor", "-c", str(COLLECTION / ".ansible-lint"), "playbooks", "inventories",
                   env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.parametrize("inventory", ["local", "example"])
def test_playbooks_and_inventories_are_valid(inventory):
    for playbook in ("audit.yml", "gate.yml", "deploy-where-compatible.yml"):
        proc = ansible("ansible-playbook", "-i", f"inventories/{inventory}", f"playbooks/{playbook}", "--syntax-check")
        assert proc.returncode == 0, proc.stderr
    inventory_dir = str(REPO / "inventories" / inventory)
    variables = yaml.safe_load(Path(inventory_dir, "group_vars", "all", "fleetcompat.yml").read_text())
    entries = [{k: v.replace("{{ inventory_dir }}", inventory_dir) if isinstance(v, str) else v for k, v in e.items()}
               for e in variables["fleetcompat_images"]]
    for image in parse_images(entries, "fleetcompat_images"):
        assert image.image or Path(image.spec).is_file(), image
