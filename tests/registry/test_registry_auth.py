"""Auth and transport against real registries: htpasswd Basic, token auth (RS256 JWT), anonymous tokens, bearer
tokens per scope, Docker/Podman auth files and credential helpers, NFD's stdin flags, TLS with a private CA.
Credentials never show in output, errors or logs."""

from __future__ import annotations

import base64
import json
import logging
import stat

import pytest
import requests

from fleetcompat.registry import (
    Credential,
    ImageReference,
    RegistryClient,
    RegistryError,
    RegistryOptions,
    SpecFetcher,
)
from fleetcompat.registry.client import Repository
from fleetcompat.registry.publish import attach_spec
from tests.support.registry_images import push_image, spec_yaml
from tests.support.registry_servers import PASSWORD, REFRESH_TOKEN, USER

BASIC_B64 = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture
def transcript(caplog):
    """Everything a run printed or logged, to check no secret leaks anywhere."""
    caplog.set_level(logging.DEBUG, logger="fleetcompat")
    seen: list[str] = []

    def record(*parts: str) -> None:
        seen.extend(parts)

    yield record
    text = "\n".join(seen) + caplog.text
    for secret in (PASSWORD, BASIC_B64, REFRESH_TOKEN):
        assert secret not in text


def _image(registry, repo_name, pusher) -> tuple[str, RegistryClient]:
    client, repo = pusher(registry.host, repo_name, {registry.host: Credential(USER, PASSWORD)})
    push_image(client, repo, "v1")
    return f"{registry.host}/{repo_name}:v1", client


@pytest.fixture(params=["basic", "token"])
def auth_registry(request, basic_registry, token_registry):
    return basic_registry if request.param == "basic" else token_registry


def test_attach_and_validate_with_stdin_credentials(auth_registry, repo_name, pusher, cli, spec_file,
                                                    features_file, transcript):
    ref, _ = _image(auth_registry, repo_name, pusher)
    flags = ["--plain-http-registry", auth_registry.host, "--registry-username", USER, "--registry-password-stdin"]
    code, out, err = cli("attach", ref, spec_file(), *flags, stdin=PASSWORD + "\n")
    transcript(out, err)
    assert (code, err) == (0, "") and "referrers tag sha256-" in out
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--output", "json",
                         *flags, stdin=PASSWORD + "\r\n")
    transcript(out, err)
    assert (code, err) == (0, "")
    assert json.loads(out)["image"]["source"] == "tag-fallback"

    code, out, err = cli("discover", ref, *flags, stdin=PASSWORD)
    transcript(out, err)
    assert code == 0 and "sha256:" in out

    # No credentials, wrong credentials, both stdin flags: one line, exit 2, no secret.
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"),
                         "--plain-http-registry", auth_registry.host)
    transcript(out, err)
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"fleetcompat: error: {ref}: ")
    assert "no credentials found" in err or "requires a username and password" in err
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), *flags,
                         stdin=PASSWORD + "-wrong")
    transcript(out, err)
    assert code == 2 and err.count("\n") == 1 and "--registry-username was not accepted" in err
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), *flags,
                         "--registry-token-stdin", stdin=PASSWORD)
    assert code == 2 and "not both" in err


def test_credentials_from_docker_config(auth_registry, repo_name, pusher, isolated_credentials, make_options,
                                        transcript):
    ref, client = _image(auth_registry, repo_name, pusher)
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml")
    docker = isolated_credentials / ".docker"
    docker.mkdir()
    (docker / "config.json").write_text(json.dumps({"auths": {auth_registry.host: {"auth": BASIC_B64}}}))
    fetched = SpecFetcher(make_options(auth_registry.host)).fetch(ref)
    transcript(repr(fetched), json.dumps(fetched.to_dict()))
    assert fetched.source == "tag-fallback"


def test_credentials_from_podman_auth_file_and_helper(basic_registry, repo_name, pusher, tmp_path, monkeypatch,
                                                      make_options):
    ref, client = _image(basic_registry, repo_name, pusher)
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml")
    auth_file = tmp_path / "podman-auth.json"
    auth_file.write_text(json.dumps({"auths": {f"{basic_registry.host}/{repo_name.split('/')[0]}":
                                               {"auth": BASIC_B64}}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file))
    assert SpecFetcher(make_options(basic_registry.host)).fetch(ref).spec

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-fleettest"
    helper.write_text(f'#!/bin/sh\nread server\n[ "$server" = "{basic_registry.host}" ] || exit 1\n'
                      f"echo '{{\"ServerURL\":\"{basic_registry.host}\",\"Username\":\"{USER}\","
                      f"\"Secret\":\"{PASSWORD}\"}}'\n")
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(json.dumps({"credHelpers": {basic_registry.host: "fleettest"}}))
    monkeypatch.delenv("REGISTRY_AUTH_FILE")
    monkeypatch.setenv("DOCKER_CONFIG", str(config_dir))
    assert SpecFetcher(make_options(basic_registry.host, cache_dir=None)).fetch(ref).spec


def test_bearer_tokens_are_cached_per_scope(token_registry, token_server, repo_name, pusher, make_options):
    """oras-py keeps one token for everything; here a second repository and a push after a pull both work, and
    each scope is asked for once."""
    ref_a, _ = _image(token_registry, f"{repo_name}-a", pusher)
    _image(token_registry, f"{repo_name}-b", pusher)
    client = RegistryClient(make_options(token_registry.host, credentials={
        token_registry.host: Credential(USER, PASSWORD)}))
    token_server.issued.clear()
    repo_a, repo_b = Repository(token_registry.host, f"{repo_name}-a"), Repository(token_registry.host,
                                                                                  f"{repo_name}-b")
    for _ in range(3):
        client.get_manifest(repo_a, "v1")
        client.get_manifest(repo_b, "v1")
    attach_spec(client, ImageReference.parse(ref_a), spec_yaml(), "spec.yaml")
    client.get_manifest(repo_a, "v1")
    requested = [scopes for scopes, _ in token_server.issued]
    assert requested == [f"repository:{repo_name}-a:pull", f"repository:{repo_name}-b:pull",
                         f"repository:{repo_name}-a:pull repository:{repo_name}-a:pull,push"]


def test_anonymous_token_exchange(token_registry, token_server, pusher, make_options, cli, features_file):
    """Public repositories: the anonymous token is enough to read; private ones say what is missing."""
    ref, client = _image(token_registry, "public/app", pusher)
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml")
    fetched = SpecFetcher(make_options(token_registry.host, cache_dir=None)).fetch(ref)
    assert fetched.spec
    assert ("repository:public/app:pull", "") in token_server.issued
    private, _ = _image(token_registry, "private/app", pusher)
    code, _, err = cli("validate", "--image", private, "--features", features_file("AVX2"),
                       "--plain-http-registry", token_registry.host)
    assert code == 2 and err.count("\n") == 1 and "unauthorized" in err and "no credentials found" in err


def test_static_token_from_stdin_and_identity_token(token_registry, token_server, repo_name, pusher, cli,
                                                    features_file, isolated_credentials, make_options, transcript):
    ref, client = _image(token_registry, repo_name, pusher)
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml")
    token = requests.get(token_server.url + "/token", auth=(USER, PASSWORD), timeout=5,
                         params={"service": "fleetcompat-test-registry",
                                 "scope": f"repository:{repo_name}:pull"}).json()["token"]
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--registry-token-stdin",
                         "--plain-http-registry", token_registry.host, stdin=token + "\n")
    transcript(out, err)
    assert (code, err) == (0, "") and token not in out
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--registry-token-stdin",
                         "--plain-http-registry", token_registry.host, stdin="x" + token[1:])
    assert code == 2 and token[1:] not in err

    docker = isolated_credentials / ".docker"
    docker.mkdir()
    (docker / "config.json").write_text(json.dumps({"auths": {token_registry.host: {
        "auth": base64.b64encode(f"{USER}:".encode()).decode(), "identitytoken": REFRESH_TOKEN}}}))
    fetched = SpecFetcher(make_options(token_registry.host, cache_dir=None)).fetch(ref)
    transcript(json.dumps(fetched.to_dict()))
    assert fetched.spec


def test_error_text_from_the_registry_is_redacted(basic_registry, repo_name, pusher, make_options):
    """Even if a server echoed a credential back, the message shows ***."""
    ref, _ = _image(basic_registry, repo_name, pusher)
    fetcher = SpecFetcher(make_options(basic_registry.host, credentials={
        basic_registry.host: Credential(USER, PASSWORD)}))
    assert fetcher.client.redact(f"echo {PASSWORD} and {BASIC_B64}") == "echo *** and ***"
    with pytest.raises(RegistryError) as info:
        fetcher.fetch(ref)  # no artifact attached
    assert PASSWORD not in str(info.value) and "compatibility artifact not found" in str(info.value)


def test_tls_verification_with_private_ca(tls_registry, repo_name, cli, features_file, tmp_path):
    ca = tls_registry.verify
    client = RegistryClient(RegistryOptions(ca_file=ca, cache_dir=None))
    push_image(client, Repository(tls_registry.host, repo_name), "v1")
    ref = f"{tls_registry.host}/{repo_name}:v1"
    code, _, err = cli("attach", ref, _write(tmp_path / "spec.yaml", spec_yaml()), "--registry-ca", ca)
    assert (code, err) == (0, "")
    code, _, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--registry-ca", ca,
                       "--cache-dir", tmp_path / "c")
    assert (code, err) == (0, "")
    code, _, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--cache-dir",
                       tmp_path / "c2")
    assert code == 2 and err.count("\n") == 1 and "TLS verification failed" in err and "--registry-ca" in err
    code, _, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--registry-ca",
                       tmp_path / "missing.pem")
    assert code == 2 and "--registry-ca" in err


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
