"""Interop with the Go ORAS CLI, when one is available (dev only: `oras` on PATH or $FLEETCOMPAT_ORAS; Debian
trixie/sid package it). fleetcompat never needs it; this checks against the real thing what the other tests check
against hand-written copies of its output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from fleetcompat.registry import SpecFetcher
from tests.support.registry_images import ARTIFACT_TYPE, SPEC_TYPE, push_image, spec_yaml

ORAS = os.environ.get("FLEETCOMPAT_ORAS") or shutil.which("oras")
pytestmark = pytest.mark.skipif(not ORAS, reason="no Go oras CLI (optional interop oracle)")


def _oras(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([ORAS, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=True)


@pytest.mark.parametrize("via_front", [False, True], ids=["tag-fallback", "referrers-api"])
def test_same_bytes_and_mutual_discovery(plain_registry, referrers_front, via_front, repo_name, pusher, cli,
                                         make_options, tmp_path, monkeypatch):
    registry = referrers_front if via_front else plain_registry
    client, repo = pusher(registry.host, repo_name)
    push_image(client, repo, "v1")
    ref = f"{registry.host}/{repo_name}:v1"
    (tmp_path / "spec.yaml").write_bytes(spec_yaml("AVX2", "same bytes"))
    created = "org.opencontainers.image.created=2025-01-01T00:00:00Z"
    theirs = json.loads(_oras("attach", "--plain-http", "--artifact-type", ARTIFACT_TYPE, "--annotation", created,
                              "--format", "json", ref, f"spec.yaml:{SPEC_TYPE}", cwd=tmp_path).stdout)["digest"]
    monkeypatch.chdir(tmp_path)  # the title is the path as given, as oras names it
    code, out, _ = cli("attach", ref, "spec.yaml", "--annotation", created, "--plain-http-registry", registry.host,
                       "--output", "json")
    assert code == 0 and json.loads(out)["artifact"]["digest"] == theirs  # byte-identical manifests

    (tmp_path / "other.yaml").write_bytes(spec_yaml("SSE4", "by fleetcompat"))
    code, out, _ = cli("attach", ref, "other.yaml", "--plain-http-registry", registry.host, "--output", "json")
    ours = json.loads(out)["artifact"]["digest"]
    listed = json.loads(_oras("discover", "--plain-http", "--format", "json", "--artifact-type", ARTIFACT_TYPE,
                              ref).stdout)
    digests = {m["digest"] for m in listed.get("manifests") or listed.get("referrers") or []}
    assert {theirs, ours} <= digests
    fetched = SpecFetcher(make_options(registry.host)).fetch(ref)
    assert fetched.artifact_digest == ours and fetched.spec.compatibilities[0].description == "by fleetcompat"
