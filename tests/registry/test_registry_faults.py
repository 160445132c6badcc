"""Registry faults: each ends in one line naming the image, exit code 2, within a bounded time, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from fleetcompat.registry import ImageReference, RegistryError, SpecFetcher
from fleetcompat.registry.client import OCI_MANIFEST
from fleetcompat.registry.publish import attach_spec, update_fallback_index
from tests.support.net import free_port
from tests.support.registry_images import ARTIFACT_TYPE, push_image, sha256, spec_yaml


def _validate(cli, features_file, ref: str, host: str, *extra) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"),
                         "--plain-http-registry", host, *extra)
    return code, out, err, time.monotonic() - started


def _one_line_error(code: int, out: str, err: str, ref: str) -> str:
    assert code == 2 and out == ""
    assert err.startswith(f"fleetcompat: error: {ref}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(("mode", "expected", "attempts"), [
    ("error500", "HTTP 500 (UNKNOWN: injected failure); gave up after 3 attempts", 3),
    ("unauthorized", "requires a username and password", 1),
    ("forbidden", "access denied (DENIED: requested access to the resource is denied)", 1),
    ("garbage", "not JSON", 1),
    ("digest-mismatch", "digest mismatch: the registry says sha256:000", 1),
    ("unknown-repo", "repository not found", 1),
])
def test_misbehaving_registry(fault_server, cli, features_file, tmp_path, mode, expected, attempts):
    ref = f"{fault_server.host}/{mode}/app:v1"
    fault_server.hits[mode] = 0
    code, out, err, elapsed = _validate(cli, features_file, ref, fault_server.host, "--cache-dir", tmp_path)
    assert expected in _one_line_error(code, out, err, ref)
    assert fault_server.hits[mode] == attempts
    assert elapsed < 10  # bounded: oras-py's own retry would stall for minutes here


def test_pinned_digest_is_checked_against_the_content(fault_server, cli, features_file, tmp_path):
    ref = f"{fault_server.host}/no-digest-header/app@sha256:{'1' * 64}"
    code, out, err, _ = _validate(cli, features_file, ref, fault_server.host, "--cache-dir", tmp_path)
    assert f"asked for sha256:{'1' * 64} but the content hashes to" in _one_line_error(code, out, err, ref)


def test_registry_down(cli, features_file, tmp_path, make_options):
    host = f"127.0.0.1:{free_port()}"
    ref = f"{host}/app:v1"
    code, out, err, elapsed = _validate(cli, features_file, ref, host, "--cache-dir", tmp_path)
    assert "cannot connect (Connection refused); gave up after 3 attempts" in _one_line_error(code, out, err, ref)
    assert elapsed < 10
    # In one run, an unreachable registry is not retried image after image.
    fetcher = SpecFetcher(make_options(host))
    with pytest.raises(RegistryError):
        fetcher.fetch(ref)
    with pytest.raises(RegistryError, match="unreachable earlier in this run"):
        fetcher.fetch(f"{host}/other:v1")


@pytest.mark.parametrize(("mode", "timeout", "message"), [
    ("stall", "1", "no complete answer within the 1s deadline; gave up after 1 attempt in"),
    # bytes keep coming (each within the read timeout), but the image's deadline holds
    ("trickle", "1.5", "no complete answer within the 1.5s deadline; gave up after 1 attempt in"),
])
def test_stalling_registry_is_bounded(fault_server, cli, features_file, tmp_path, mode, timeout, message):
    ref = f"{fault_server.host}/{mode}/app:v1"
    code, out, err, elapsed = _validate(cli, features_file, ref, fault_server.host, "--cache-dir", tmp_path,
                                        "--registry-timeout", timeout)
    assert message in _one_line_error(code, out, err, ref)
    assert elapsed < float(timeout) + 5  # the deadline holds (a margin for a loaded CI machine, not minutes)


def test_read_timeout_is_retried_within_the_deadline(fault_server, make_options):
    """A silent server costs `read_timeout` per attempt; retries continue while the image's deadline allows."""
    ref = f"{fault_server.host}/stall/app:v1"
    fetcher = SpecFetcher(make_options(fault_server.host, read_timeout=0.3, timeout=5.0, cache_dir=None))
    started = time.monotonic()
    with pytest.raises(RegistryError, match=r"manifests/v1: no answer within 0.3s; gave up after 3 attempts in"):
        fetcher.fetch(ref)
    assert time.monotonic() - started < 5


def test_transient_503_is_retried(referrers_front, repo_name, pusher, make_options):
    client, repo = pusher(referrers_front.host, repo_name)
    push_image(client, repo, "v1")
    ref = f"{referrers_front.host}/{repo_name}:v1"
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml")
    referrers_front.fail_next = 2
    fetched = SpecFetcher(make_options(referrers_front.host, cache_dir=None)).fetch(ref)
    assert fetched.source == "referrers-api" and referrers_front.fail_next <= 0


def _artifact_with_layer(client, repo, subject: dict, layer: dict) -> None:
    client.push_blob(repo, b"{}")
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2},
        "layers": [layer], "subject": {k: subject[k] for k in ("mediaType", "digest", "size")}}).encode()
    client.put_manifest(repo, sha256(manifest), manifest, OCI_MANIFEST)
    update_fallback_index(client, repo, subject["digest"], {"mediaType": OCI_MANIFEST, "digest": sha256(manifest),
                                                            "size": len(manifest), "artifactType": ARTIFACT_TYPE})


@pytest.mark.parametrize("declared", ["honest", "understated"])
def test_oversize_spec_blob(plain_registry, repo_name, pusher, cli, features_file, tmp_path, declared):
    """A 5 MiB spec layer is refused (4 MiB cap, like oras): from its descriptor, or — when the descriptor lies —
    from the blob's Content-Length."""
    client, repo = pusher(plain_registry.host, repo_name)
    image = push_image(client, repo, "v1")
    big = b"# padding\n" * (512 * 1024 + 1)
    blob = client.push_blob(repo, big)
    size = blob["size"] if declared == "honest" else 100
    _artifact_with_layer(client, repo, image, {"mediaType": "application/vnd.nfd.image-compatibility.spec."
                                               "v1alpha1+yaml", "digest": blob["digest"], "size": size})
    ref = f"{plain_registry.host}/{repo_name}:v1"
    code, out, err, _ = _validate(cli, features_file, ref, plain_registry.host, "--cache-dir", tmp_path)
    assert "over the 4194304-byte limit" in _one_line_error(code, out, err, ref)


def test_cli_process_exits_2_without_traceback(tmp_path):
    """The real entry point in a real process (no in-process shortcuts)."""
    features = tmp_path / "f.json"
    features.write_text('{"flags": {}}')
    host = f"127.0.0.1:{free_port()}"
    proc = subprocess.run([sys.executable, "-m", "fleetcompat", "validate", "--image", f"{host}/app:v1",
                           "--features", str(features), "--plain-http", "--cache-dir", str(tmp_path / "c")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"fleetcompat: error: {host}/app:v1: GET http://{host}/v2/app/manifests/v1: ")
    assert proc.stderr.count("\n") == 1


def test_https_to_a_plain_http_registry_says_what_to_do(plain_registry, cli, features_file, tmp_path):
    ref = f"{plain_registry.host}/app:v1"
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--cache-dir", tmp_path)
    assert "TLS handshake failed" in _one_line_error(code, out, err, ref) and "--plain-http-registry" in err
