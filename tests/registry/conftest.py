"""Fixtures for the registry tests: real docker-registry processes (no auth, htpasswd, token), a token server,
a referrers-API front, a misbehaving registry; each started once per session and stopped by PID / shutdown."""

from __future__ import annotations

import io
import itertools
import json
import shutil
import sys
from pathlib import Path

import pytest

from fleetcompat.cli import main
from fleetcompat.registry import RegistryClient, RegistryOptions
from fleetcompat.registry.client import Repository
from tests.support.registry_images import features_json, spec_yaml
from tests.support.registry_servers import (
    PASSWORD,
    REFRESH_TOKEN,
    REGISTRY_BINARY,
    USER,
    FaultServer,
    RegistryFront,
    RegistryProcess,
    TokenServer,
    htpasswd_auth,
    tls_material,
)

if not shutil.which(REGISTRY_BINARY):
    pytest.skip("docker-registry is not installed (scripts/setup.sh --test installs it)", allow_module_level=True)


@pytest.fixture(autouse=True)
def isolated_credentials(tmp_path, monkeypatch):
    """No test reads the real user's docker/podman auth files or cache."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory):
    registry = RegistryProcess(tmp_path_factory.mktemp("registry-plain"))
    yield registry
    registry.stop()


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("registry-basic")
    registry = RegistryProcess(workdir, auth=htpasswd_auth(workdir, {USER: PASSWORD}))
    yield registry
    registry.stop()


@pytest.fixture(scope="session")
def token_server(tmp_path_factory):
    server = TokenServer(tmp_path_factory.mktemp("token"), {USER: PASSWORD}, {REFRESH_TOKEN: USER})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory, token_server):
    registry = RegistryProcess(tmp_path_factory.mktemp("registry-token"), auth=token_server.registry_auth())
    yield registry
    registry.stop()


@pytest.fixture(scope="session")
def referrers_front(plain_registry):
    """The referrers API (spec-faithful shim) in front of the plain registry."""
    front = RegistryFront(plain_registry.host, referrers=True)
    yield front
    front.stop()


@pytest.fixture
def counting_front(plain_registry):
    """A plain counting proxy (no referrers API) in front of the plain registry."""
    front = RegistryFront(plain_registry.host, referrers=False)
    yield front
    front.stop()


@pytest.fixture(scope="session")
def fault_server():
    server = FaultServer()
    yield server
    server.stop()


_repo_counter = itertools.count()


@pytest.fixture
def repo_name(request):
    """A fresh repository name per test (registries are shared by the session)."""
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower()).strip("-")[:40].strip("-")
    return f"t{next(_repo_counter)}/{base}"


@pytest.fixture
def make_options(tmp_path):
    """RegistryOptions for loopback registries: plain HTTP for the given hosts, a per-test cache, fast timeouts."""

    def make(*hosts: str, **overrides) -> RegistryOptions:
        settings = {"plain_http_registries": frozenset(hosts), "cache_dir": tmp_path / "cache",
                    "timeout": 5.0, "read_timeout": 3.0, "connect_timeout": 2.0, "backoff": 0.05}
        settings.update(overrides)
        return RegistryOptions(**settings)

    return make


@pytest.fixture
def pusher(make_options):
    """(client, Repository) for pushing test content to a host, with optional explicit credentials."""

    def make(host: str, name: str, credentials=None) -> tuple[RegistryClient, Repository]:
        options = make_options(host, credentials=credentials or {}, cache_dir=None)
        return RegistryClient(options), Repository(host, name)

    return make


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run the real CLI in-process: (exit code, stdout, stderr); `stdin` feeds the *-stdin flags."""

    def run(*args, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def features_file(tmp_path):
    """Write a features file with the given cpu.cpuid flags; returns its path."""

    def make(*flags: str) -> Path:
        path = tmp_path / f"features-{'-'.join(flags) or 'none'}.json"
        path.write_text(json.dumps(features_json(*flags)))
        return path

    return make


@pytest.fixture
def spec_file(tmp_path):
    def make(flag: str = "AVX2", name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_bytes(spec_yaml(flag))
        return path

    return make


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory):
    """HTTPS registry with a certificate from a private CA (`registry.verify` is the CA bundle)."""
    workdir = tmp_path_factory.mktemp("registry-tls")
    registry = RegistryProcess(workdir, tls=tls_material(workdir / "tls"))
    yield registry
    registry.stop()
