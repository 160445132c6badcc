"""execution-environment.yml (ansible-builder schema v3) as AWX would build it: `ansible-builder create` writes
the build context without a container engine; the context's galaxy stage installs the collection and its copy of
the repository installs the fleetcompat package, both offline; the EE's pins are the project's pins."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support import REPO

BIN = Path(sys.executable).parent


def _pin(requirements: Path, package: str) -> str:
    match = re.search(rf"^{re.escape(package)}==(\S+)", requirements.read_text(), re.M)
    assert match, f"{package} is not pinned in {requirements}"
    return f"{package}=={match[1]}"


def _run(*args, cwd=REPO, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def test_ansible_builder_creates_a_context_that_installs_offline(tmp_path):
    definition = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    deps = definition["dependencies"]
    assert definition["version"] == 3
    assert deps["ansible_core"]["package_pip"] == _pin(REPO / "requirements" / "controller.txt", "ansible-core")
    assert deps["ansible_runner"]["package_pip"] == _pin(REPO / "requirements" / "test.txt", "ansible-runner")

    context = tmp_path / "context"
    _run(BIN / "ansible-builder", "create", "-f", "execution-environment.yml", "-c", context,
         "--output-filename", "Containerfile")
    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/fedora/fedora:41"' in containerfile
    assert "ansible-core==2.21.5 ansible-runner==2.4.3" in containerfile
    build = context / "_build"
    assert (build / "requirements.txt").read_text() == (REPO / "requirements" / "controller.txt").read_text()
    assert "openssh-clients" in (build / "bindep.txt").read_text()

    # The galaxy stage (COPY _build /build; WORKDIR /build; ansible-galaxy collection install -r requirements.yml)
    collections = tmp_path / "collections"
    _run(BIN / "ansible-galaxy", "collection", "install", "-r", "requirements.yml", "-p", collections, cwd=build)
    installed = collections / "ansible_collections" / "fleetcompat" / "audit"
    assert (installed / "plugins" / "action" / "cached_fleet_report.py").is_file()
    assert (installed / "MANIFEST.json").is_file()

    # The final stage's `pip install --no-deps /tmp/fleetcompat-src` (the gatherer reached through src's symlink
    # must have been copied as files).
    site = tmp_path / "site"
    _run(BIN / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", site, build / "fleetcompat")
    proc = _run(BIN / "python", "-c", "import fleetcompat.hostfeatures, fleetcompat.cli.merge, fleetcompat; "
                "print(fleetcompat.__file__)", cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin"})
    assert proc.stdout.startswith(str(site))
