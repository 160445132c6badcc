"""Fixtures every test folder shares.

- The fleet lab (tests/support/lab.py: real sshd hosts) and a real registry with a counting front, once per session
  for every folder that audits them; the hwloc captures (tests/support/trees.py), unpacked once per session.
- A real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) for the HTML report tests
  (tests/format, tests/history): the fixtures live here rather than in each folder's conftest,
  because Playwright's sync API cannot start a second instance while one runs.
- History: `fleetcompat audit` and playbooks/audit.yml record their runs in a history store by default
  (docs/history.md). The tests' runs go to stores of their own, never into the user's ~/.local/share: one for the
  session (audits in session-scoped fixtures) and one per test module, so that a module's unreachable hosts never
  get a last known status from another module's runs. (Not per test: Hypothesis refuses function-scoped fixtures
  around its tests.)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support import registry_servers
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.lab import SPECS, UBUNTU_OS_RELEASE, Lab, Registry, modern_cpuinfo, older_cpuinfo, push_client
from tests.support.registry_images import push_image
from tests.support.sshlab import LabUnavailable, SshLab
from tests.support.trees import extract_hwloc_tree, hwloc_tree_names

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


# Per module, not per session: two Playwright sync instances cannot be alive at once in one thread.
@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test (it apt-installs chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class PageProblems(list):
    """Console errors, uncaught exceptions and any network request other than the report file itself."""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = PageProblems()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: None if r.url.startswith("file://") else problems.append(f"request {r.url}"))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


_VARIABLES = ("XDG_DATA_HOME", "FLEETCOMPAT_HISTORY")


def _own_store(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[None]:
    saved = {variable: os.environ.get(variable) for variable in _VARIABLES}
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp(name))
    os.environ.pop("FLEETCOMPAT_HISTORY", None)
    yield
    for variable, value in saved.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value


@pytest.fixture(scope="session", autouse=True)
def _session_history_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield from _own_store(tmp_path_factory, "xdg-data-session")


@pytest.fixture(scope="module", autouse=True)
def _module_history_store(tmp_path_factory: pytest.TempPathFactory, _session_history_store: None) -> Iterator[None]:
    yield from _own_store(tmp_path_factory, "xdg-data")


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    try:
        ssh_lab = SshLab()
    except LabUnavailable as exc:
        pytest.skip(str(exc))
    try:
        modern = {"/proc/cpuinfo": modern_cpuinfo()}
        names = {
            "node1": ssh_lab.add_host("node1", files=modern),
            "node2": ssh_lab.add_host("node2", files=modern),
            "node3": ssh_lab.add_host("node3", files={"/proc/cpuinfo": older_cpuinfo(),
                                                      "/etc/os-release": UBUNTU_OS_RELEASE}),
            "down": ssh_lab.add_unreachable("down"),
        }
        names["broken"] = names["node1"]
        inventory = tmp_path_factory.mktemp("inventory") / "lab.yml"
        doc = yaml.safe_load(ssh_lab.inventory_yaml("lab"))
        hosts = doc["all"]["children"]["lab"]["hosts"]
        hosts["broken"] = {**hosts["node1"], "fleetcompat_gather_root": "/nonexistent-root"}
        inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
        yield Lab(ssh_lab, inventory, names)
    finally:
        ssh_lab.close()


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """A real docker-registry behind a counting referrers-API front, with two images; None if unavailable."""
    if not shutil.which(registry_servers.REGISTRY_BINARY):
        yield None
        return
    from fleetcompat.registry import ImageReference, attach_spec
    from fleetcompat.registry.client import Repository

    process = registry_servers.RegistryProcess(tmp_path_factory.mktemp("fleet-registry"))
    front = registry_servers.RegistryFront(process.host, referrers=True)
    try:
        client = push_client(front)
        push_image(client, Repository(front.host, "fleet/x86app"), "v1")
        push_image(client, Repository(front.host, "fleet/noart"), "v1")
        with_spec = f"{front.host}/fleet/x86app:v1"
        attach_spec(client, ImageReference.parse(with_spec), (SPECS / "x86-64-v3.yaml").read_bytes(), "x86-64-v3.yaml")
        front.reset_counts()
        yield Registry(front, with_spec, f"{front.host}/fleet/noart:v1")
    finally:
        front.stop()
        process.stop()


@pytest.fixture(scope="session")
def hwloc_trees(tmp_path_factory) -> dict[str, Path]:
    """Tree name -> its root folder (the single folder inside the tarball; 3 differ from the tarball name)."""
    base = tmp_path_factory.mktemp("hwloc")
    return {name: extract_hwloc_tree(name, base) for name in hwloc_tree_names()}
