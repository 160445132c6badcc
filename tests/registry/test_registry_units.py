"""Registry logic that needs no server: references, platforms, selection, the oras manifest shape, credentials."""

from __future__ import annotations

import base64
import io
import json
import stat

import pytest

from fleetcompat.registry import ImageReference, Platform, RegistryError, RegistryOptions
from fleetcompat.registry.client import fallback_tag, parse_challenge
from fleetcompat.registry.credentials import Credential, CredentialStore, default_auth_files, read_secret
from fleetcompat.registry.fetch import ArtifactInfo, created_key, newest
from fleetcompat.registry.publish import artifact_manifest, go_descriptor, go_json, oras_title
from tests.support.registry_images import oras_artifact_manifest, oras_fallback_index, sha256, spec_yaml

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(("text", "canonical", "endpoint"), [
    ("ubuntu:22.04", "docker.io/library/ubuntu:22.04", "registry-1.docker.io"),
    ("ubuntu", "docker.io/library/ubuntu:latest", "registry-1.docker.io"),
    ("bitnami/redis", "docker.io/bitnami/redis:latest", "registry-1.docker.io"),
    ("index.docker.io/library/ubuntu:1", "docker.io/library/ubuntu:1", "registry-1.docker.io"),
    ("localhost/app", "localhost/app:latest", "localhost"),
    ("localhost:5000/team/app:v1", "localhost:5000/team/app:v1", "localhost:5000"),
    ("127.0.0.1:5000/app@" + DIGEST, "127.0.0.1:5000/app@" + DIGEST, "127.0.0.1:5000"),
    ("ghcr.io/org/app:v1@" + DIGEST, "ghcr.io/org/app:v1@" + DIGEST, "ghcr.io"),
    ("[::1]:5000/app:v2", "[::1]:5000/app:v2", "[::1]:5000"),
])
def test_references_normalise_like_docker(text, canonical, endpoint):
    ref = ImageReference.parse(text)
    assert str(ref) == canonical
    assert ref.endpoint == endpoint
    assert ImageReference.parse(canonical) == ref  # canonical forms are fixed points


def test_pinned_reference_uses_the_digest():
    ref = ImageReference.parse("ghcr.io/org/app:v1@" + DIGEST)
    assert ref.reference == DIGEST and ref.tag == "v1"


@pytest.mark.parametrize("text", ["", "UPPER/Case:1", "app:bad tag", "app@sha256:1234", "app@md5:" + "a" * 32,
                                  "ghcr.io/org/app:" + "x" * 200, "reg.io//app"])
def test_bad_references_are_one_line_errors(text):
    with pytest.raises(RegistryError) as info:
        ImageReference.parse(text)
    assert "\n" not in str(info.value)


def test_platforms_parse_and_match():
    assert str(Platform.parse("linux/arm64/v8")) == "linux/arm64/v8"
    assert Platform.parse("linux/x86_64") == Platform("linux", "amd64")
    assert Platform.from_uname("Linux", "aarch64") == Platform("linux", "arm64")
    assert Platform.from_uname("Linux", "armv7l") == Platform("linux", "arm", "v7")
    assert Platform.parse("linux").architecture == Platform.local().architecture  # NFD: bare OS = own arch
    arm64 = {"os": "linux", "architecture": "arm64"}
    assert Platform.parse("linux/arm64").matches(arm64)
    assert Platform.parse("linux/arm64/v8").matches(arm64)  # arm64's variant defaults to v8
    assert not Platform.parse("linux/arm/v6").matches({"os": "linux", "architecture": "arm", "variant": "v7"})
    assert Platform.parse("linux/arm").matches({"os": "linux", "architecture": "arm", "variant": "v7"})
    assert not Platform.parse("linux/amd64").matches(arm64)
    with pytest.raises(RegistryError):
        Platform.parse("linux//x/y")


def test_created_parsing_and_newest_wins_like_nfd():
    assert created_key("2025-01-01T00:00:00Z") < created_key("2025-01-01T00:00:00.000000001Z")
    assert created_key("2025-01-01T01:00:00+02:00") < created_key("2025-01-01T00:00:00Z")
    assert created_key("yesterday") == created_key(None) == created_key("2025-01-01 00:00:00")

    def info(digest_char, created):
        return ArtifactInfo("sha256:" + digest_char * 64, "m", 1, created, "manifest", DIGEST, None, "tag-fallback")

    old, new, bad = info("a", "2024-01-01T00:00:00Z"), info("b", "2025-06-01T00:00:00Z"), info("c", "garbage")
    assert newest([bad, new, old]) is new
    assert newest([bad]) is bad
    tie1, tie2 = info("d", "2025-01-01T00:00:00Z"), info("e", "2025-01-01T00:00:00Z")
    assert newest([tie1, tie2]) is tie2  # ties keep registry order; the last wins


def test_attach_manifest_is_byte_identical_to_oras():
    subject = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": DIGEST, "size": 528}
    spec = spec_yaml()
    ours = artifact_manifest(subject, {"digest": sha256(spec), "size": len(spec)}, "spec.yaml",
                             {"org.opencontainers.image.created": "2025-01-01T00:00:00Z"})
    assert ours == oras_artifact_manifest(subject, spec, "spec.yaml", "2025-01-01T00:00:00Z")
    referrer = go_descriptor({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(ours),
                              "size": len(ours), "annotations": {"org.opencontainers.image.created":
                                                                 "2025-01-01T00:00:00Z"},
                              "artifactType": "application/vnd.nfd.image-compatibility.v1alpha1"})
    index = go_json({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": [referrer]})
    assert index == oras_fallback_index([(ours, "2025-01-01T00:00:00Z")])


def test_go_json_escapes_like_encoding_json():
    assert go_json({"a": "<&>é"}) == '{"a":"\\u003c\\u0026\\u003eé"}'.encode()
    assert oras_title("./specs/../spec.yaml") == "spec.yaml"
    assert oras_title("dir/spec.yaml") == "dir/spec.yaml"
    assert oras_title("/home/me/specs/spec.yaml") == "spec.yaml"


def test_fallback_tag_and_challenge_parsing():
    assert fallback_tag(DIGEST) == "sha256-" + "ab" * 32
    scheme, params = parse_challenge('Bearer realm="https://auth.example/token",service="reg",'
                                     'scope="repository:a/b:pull,push"')
    assert scheme == "bearer"
    assert params == {"realm": "https://auth.example/token", "service": "reg", "scope": "repository:a/b:pull,push"}
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})


def test_stdin_secret_strips_one_newline_then_one_carriage_return():
    assert read_secret(io.StringIO("pw\r\n"), "x") == "pw"
    assert read_secret(io.StringIO("pw\n\n"), "x") == "pw\n"
    assert read_secret(io.StringIO("p w"), "x") == "p w"
    with pytest.raises(RegistryError):
        read_secret(io.StringIO("\n"), "--registry-password-stdin")


def test_auth_file_locations_follow_docker_and_podman(tmp_path):
    env = {"HOME": "/h", "REGISTRY_AUTH_FILE": "/a/auth.json", "XDG_RUNTIME_DIR": "/run/u", "DOCKER_CONFIG": "/d"}
    assert [str(p) for p in default_auth_files(env)] == [
        "/a/auth.json", "/run/u/containers/auth.json", "/h/.config/containers/auth.json", "/d/config.json"]
    assert [str(p) for p in default_auth_files({"HOME": "/h"})] == [
        "/h/.config/containers/auth.json", "/h/.docker/config.json"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_credentials_from_auth_files(tmp_path):
    podman = tmp_path / "auth.json"
    docker = tmp_path / "config.json"
    podman.write_text(json.dumps({"auths": {
        "reg.example:5000/team": {"auth": _b64("team:teampw")},
        "reg.example:5000": {"auth": _b64("all:allpw")},
    }}))
    docker.write_text(json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": _b64("hub:hubpw")},
        "other.example": {"identitytoken": "refresh-xyz", "auth": _b64("me:")},
        "broken.example": {"auth": "%%%"},
    }}))
    store = CredentialStore(auth_files=[podman, docker])
    assert store.get("reg.example:5000", "team/app").username == "team"  # most specific key wins
    assert store.get("reg.example:5000", "other/app").username == "all"
    assert store.get("registry-1.docker.io", "library/ubuntu").password == "hubpw"
    assert store.get("other.example", "x").identity_token == "refresh-xyz"
    assert store.get("broken.example", "x") is None
    assert store.get("nowhere.example", "x") is None
    explicit = CredentialStore({"reg.example:5000": Credential("cli", "clipw")}, auth_files=[podman])
    assert explicit.get("reg.example:5000", "team/app").username == "cli"
    assert "clipw" not in repr(explicit.get("reg.example:5000", "team/app"))


def test_credentials_from_helpers(tmp_path, monkeypatch):
    """credHelpers and credsStore run `docker-credential-<name> get` (real executables on PATH)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, user in (("pertest", "helper-user"), ("store", "<token>")):
        helper = bin_dir / f"docker-credential-{name}"
        helper.write_text("#!/bin/sh\nread server\n"
                          f'case "$server" in *known*) echo \'{{"Username":"{user}","Secret":"s-{name}"}}\';; '
                          '*) echo "credentials not found in native keychain"; exit 1;; esac\n')
        helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {"known.example": "pertest", "missing.example": "nonexistent"},
                                  "credsStore": "store"}))
    store = CredentialStore(auth_files=[config])
    assert store.get("known.example", "a") == Credential("helper-user", "s-pertest",
                                                         source="credential helper docker-credential-pertest")
    assert store.get("also-known.example", "a").identity_token == "s-store"  # "<token>" = identity token
    assert store.get("nobody.example", "a") is None
    assert store.get("missing.example", "a") is None  # helper not installed, credsStore has nothing


@pytest.mark.parametrize(("field", "value"), [
    ("timeout", float("nan")), ("timeout", float("inf")), ("timeout", 0), ("timeout", -1.0),
    ("connect_timeout", float("nan")), ("read_timeout", float("-inf")), ("read_timeout", "5"),
    ("backoff", float("nan")), ("backoff", -0.1),
])
def test_registry_options_refuse_nonsense_times(field, value):
    """Options made by the API or the Ansible collection are checked too, not only the CLI flag."""
    with pytest.raises(RegistryError) as raised:
        RegistryOptions(**{field: value}, cache_dir=None)
    assert str(raised.value) == f"registry option {field}: expected a positive number of seconds, got {value!r}"


def test_registry_options_accept_sane_times():
    options = RegistryOptions(timeout=1, connect_timeout=0.5, read_timeout=0.5, backoff=0, cache_dir=None)
    assert (options.timeout, options.backoff) == (1, 0)
