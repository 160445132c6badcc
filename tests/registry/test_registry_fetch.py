"""attach -> discover -> validate --image against a real registry (distribution 2.8: referrers tag fallback) and
through the referrers-API front; multi-platform images; oras-made artifacts; selection; cache and offline."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest
import requests

from fleetcompat.registry import (
    ImageReference,
    NoCompatibilityArtifactError,
    Platform,
    PlatformNotFoundError,
    RegistryError,
    SpecFetcher,
)
from fleetcompat.registry.client import OCI_INDEX, OCI_MANIFEST, fallback_tag
from fleetcompat.registry.publish import attach_spec, update_fallback_index
from tests.support.registry_images import (
    ARTIFACT_TYPE,
    oras_artifact_manifest,
    oras_fallback_index,
    push_image,
    push_index,
    raw_push_blob,
    raw_put_manifest,
    sha256,
    spec_yaml,
)
from tests.support.registry_servers import RegistryFront


@pytest.fixture(params=["tag-fallback", "referrers-api"])
def registry(request, plain_registry, referrers_front):
    """Each test runs against distribution 2.8 alone (no referrers API) and behind the referrers-API front."""
    return plain_registry if request.param == "tag-fallback" else referrers_front


def test_attach_then_validate_image(registry, repo_name, pusher, cli, spec_file, features_file, tmp_path):
    client, repo = pusher(registry.host, repo_name)
    image = push_image(client, repo, "v1")
    ref = f"{registry.host}/{repo_name}:v1"
    flags = ["--plain-http-registry", registry.host]
    source = "referrers-api" if isinstance(registry, RegistryFront) else "tag-fallback"

    code, out, err = cli("attach", ref, spec_file("AVX2"), *flags, "--output", "json")
    assert (code, err) == (0, "")
    attached = json.loads(out)
    assert attached["referrers"] == source
    assert attached["subject"] == {"mediaType": OCI_MANIFEST, "digest": image["digest"], "size": image["size"]}

    # What was pushed is oras' artifact, byte for byte (apart from the creation time we cannot fix here).
    served = requests.get(f"{registry.url}/v2/{repo_name}/manifests/{attached['artifact']['digest']}",
                          headers={"Accept": OCI_MANIFEST}, timeout=5)
    manifest = served.json()
    created = manifest["annotations"]["org.opencontainers.image.created"]
    assert served.content == oras_artifact_manifest(attached["subject"], spec_yaml("AVX2"), "spec.yaml", created)
    fallback = requests.get(f"{registry.url}/v2/{repo_name}/manifests/{fallback_tag(image['digest'])}",
                            headers={"Accept": OCI_INDEX}, timeout=5)
    if source == "tag-fallback":
        assert fallback.content == oras_fallback_index([(served.content, created)])
    else:
        assert fallback.status_code == 404  # the registry indexes referrers itself: no tag written, like oras

    cache = tmp_path / "cli-cache"
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--output", "json",
                         "--cache-dir", cache, *flags)
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["verdict"] == "compatible"
    assert result["spec"] == ref
    assert result["image"]["ref"] == ref
    assert result["image"]["digest"] == image["digest"]
    assert result["image"]["artifactDigest"] == attached["artifact"]["digest"]
    assert result["image"]["source"] == source
    assert result["image"]["subject"] == "manifest"

    code, out, _ = cli("validate", "--image", ref, "--features", features_file("SSE4"), "--cache-dir", cache, *flags)
    assert code == 1 and "NOT SATISFIED" in out
    code, out, _ = cli("validate", "--image", ref, "--features", features_file("AVX2"), "--output", "nfd-json",
                       "--cache-dir", cache, *flags)
    assert code == 0 and json.loads(out)[0]["rules"][0]["isMatch"] is True

    if source == "referrers-api":
        # The artifactType filter is URL-encoded on the wire.
        assert any("artifactType=application%2Fvnd.nfd.image-compatibility.v1alpha1" in path
                   for _, path in registry.log)


def test_invalid_spec_is_refused_before_anything_is_pushed(registry, repo_name, pusher, cli, tmp_path):
    client, repo = pusher(registry.host, repo_name)
    image = push_image(client, repo, "v1")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: v1alpha1\ncompatibilities:\n- rules:\n  - name: x\n    matchFeatures:\n"
                   "    - feature: cpu.cpuid\n      matchExpressions:\n        AVX: {op: Sometimes}\n")
    code, out, err = cli("attach", f"{registry.host}/{repo_name}:v1", bad, "--plain-http-registry", registry.host)
    assert code == 2 and out == ""
    assert err.startswith("fleetcompat: error: ") and str(bad) in err and err.count("\n") == 1
    listing = requests.get(f"{registry.url}/v2/{repo_name}/manifests/{fallback_tag(image['digest'])}", timeout=5)
    assert listing.status_code == 404


def test_artifact_made_by_oras_is_discovered_and_used(registry, repo_name, pusher, make_options, cli):
    """An artifact laid out by hand exactly as `oras attach` writes it (and on a registry without the referrers
    API, the fallback index oras maintains) is found, verified and evaluated."""
    client, repo = pusher(registry.host, repo_name)
    image = push_image(client, repo, "v1")
    subject = {k: image[k] for k in ("mediaType", "digest", "size")}
    spec = spec_yaml("AVX512F", "made by oras")
    manifest = oras_artifact_manifest(subject, spec, "compat/spec.yaml", "2025-03-01T10:00:00Z")
    raw_push_blob(registry.url, repo_name, b"{}")
    raw_push_blob(registry.url, repo_name, spec)
    put = raw_put_manifest(registry.url, repo_name, sha256(manifest), manifest, OCI_MANIFEST)
    if not put.headers.get("OCI-Subject"):
        raw_put_manifest(registry.url, repo_name, fallback_tag(image["digest"]),
                         oras_fallback_index([(manifest, "2025-03-01T10:00:00Z")]), OCI_INDEX)

    fetched = SpecFetcher(make_options(registry.host)).fetch(f"{registry.host}/{repo_name}:v1")
    assert fetched.artifact_digest == sha256(manifest)
    assert fetched.created == "2025-03-01T10:00:00Z"
    assert fetched.spec.compatibilities[0].description == "made by oras"
    assert fetched.warnings == ()
    code, out, _ = cli("discover", f"{registry.host}/{repo_name}:v1", "--plain-http-registry", registry.host)
    assert code == 0 and sha256(manifest) in out and "2025-03-01T10:00:00Z" in out


def test_newest_artifact_wins_and_discover_lists_all(registry, repo_name, pusher, make_options, cli, spec_file):
    client, repo = pusher(registry.host, repo_name)
    push_image(client, repo, "v1")
    ref = f"{registry.host}/{repo_name}:v1"
    digests = {}
    for created, flag in (("2026-01-01T00:00:00Z", "AVX2"), ("2024-06-01T00:00:00Z", "SSE4"),
                          ("not a time", "AVX512F")):
        code, out, _ = cli("attach", ref, spec_file(flag, f"{flag}.yaml"), "--plain-http-registry", registry.host,
                           "--annotation", f"org.opencontainers.image.created={created}", "--output", "json")
        assert code == 0
        digests[created] = json.loads(out)["artifact"]["digest"]

    fetched = SpecFetcher(make_options(registry.host)).fetch(ref)
    assert fetched.artifact_digest == digests["2026-01-01T00:00:00Z"]
    assert {a.digest for a in fetched.others} == {digests["2024-06-01T00:00:00Z"], digests["not a time"]}
    assert any("3 compatibility artifacts" in w for w in fetched.warnings)

    code, out, err = cli("discover", ref, "--plain-http-registry", registry.host)
    assert (code, err) == (0, "")
    starred = [line for line in out.splitlines() if line.startswith("*")]
    assert len(starred) == 1 and digests["2026-01-01T00:00:00Z"] in starred[0]
    assert all(d in out for d in digests.values())
    code, out, _ = cli("discover", ref, "--plain-http-registry", registry.host, "--output", "json")
    listed = json.loads(out)
    assert listed["selected"] == digests["2026-01-01T00:00:00Z"]
    assert len(listed["artifacts"]) == 3 and {a["subject"] for a in listed["artifacts"]} == {"manifest"}


def test_multi_platform_image(registry, repo_name, pusher, make_options, cli, features_file):
    """On the index: A. On the amd64 manifest: B. amd64 hosts get B, arm64 hosts fall back to A."""
    client, repo = pusher(registry.host, repo_name)
    index, platforms = push_index(client, repo, "multi")
    image = ImageReference.parse(f"{registry.host}/{repo_name}:multi")
    on_index = attach_spec(client, image, spec_yaml("AVX2", "on the index"), "a.yaml")
    on_amd64 = attach_spec(client, image, spec_yaml("AVX512F", "on amd64"), "b.yaml",
                           platform=Platform.parse("linux/amd64"))
    assert on_index.subject["digest"] == index["digest"]
    assert on_amd64.subject["digest"] == platforms["amd64"]["digest"]
    assert on_amd64.subject["platform"] == {"architecture": "amd64", "os": "linux"}  # oras keeps the index entry

    fetcher = SpecFetcher(make_options(registry.host))
    amd64 = fetcher.fetch(image, Platform.from_uname("Linux", "x86_64"))
    assert (amd64.subject, amd64.platform, amd64.artifact_digest) == (
        "platform-manifest", "linux/amd64", on_amd64.artifact_digest)
    arm64 = fetcher.fetch(image, "linux/arm64")
    assert (arm64.subject, arm64.subject_digest, arm64.artifact_digest) == (
        "index", index["digest"], on_index.artifact_digest)
    assert fetcher.fetch(image).artifact_digest == on_index.artifact_digest
    assert amd64.image_digest == arm64.image_digest == index["digest"]
    with pytest.raises(PlatformNotFoundError, match=r"linux/s390x .*it has: linux/amd64, linux/arm64"):
        fetcher.fetch(image, "linux/s390x")

    code, out, _ = cli("validate", "--image", image, "--platform", "linux/amd64", "--features",
                       features_file("AVX512F"), "--output", "json", "--plain-http-registry", registry.host)
    assert code == 0 and json.loads(out)["image"]["subject"] == "platform-manifest"
    code, out, _ = cli("discover", image, "--plain-http-registry", registry.host, "--output", "json")
    listed = json.loads(out)
    assert listed["platforms"] == ["linux/amd64", "linux/arm64"]
    assert {(a["subject"], a["platform"]) for a in listed["artifacts"]} == {
        ("index", None), ("platform-manifest", "linux/amd64")}
    assert listed["selected"] == on_index.artifact_digest

    push_image(client, repo, "single", arch="amd64")
    with pytest.raises(PlatformNotFoundError, match="the image is for linux/amd64, not linux/arm64"):
        fetcher.fetch(f"{registry.host}/{repo_name}:single", "linux/arm64")


def test_index_without_artifact_asks_for_a_platform(registry, repo_name, pusher, make_options, cli, features_file):
    client, repo = pusher(registry.host, repo_name)
    push_index(client, repo, "multi")
    ref = f"{registry.host}/{repo_name}:multi"
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "s.yaml", platform=Platform.parse("linux/arm64"))
    fetcher = SpecFetcher(make_options(registry.host))
    for _ in range(2):  # the memoised answer keeps its type
        with pytest.raises(NoCompatibilityArtifactError, match=r"compatibility artifact not found.*pass --platform"
                           ) as info:
            fetcher.fetch(ref)
        assert info.value.where == ref
    assert fetcher.fetch(ref, "linux/arm64").subject == "platform-manifest"
    with pytest.raises(NoCompatibilityArtifactError, match=r"linux/amd64 manifest or the image index"):
        fetcher.fetch(ref, "linux/amd64")
    # validate cannot decide without a spec: exit 2, one line naming the image (not a verdict).
    code, out, err = cli("validate", "--image", ref, "--features", features_file("AVX2"),
                         "--plain-http-registry", registry.host)
    assert (code, out) == (2, "")
    assert err.startswith(f"fleetcompat: error: {ref}: compatibility artifact not found") and err.count("\n") == 1


def _push_artifact(client, repo, subject: dict, layers: list[tuple[bytes, str]], created: str) -> str:
    """An artifact with arbitrary layers (for odd shapes oras would not make); returns its digest."""
    client.push_blob(repo, b"{}")
    descriptors = [{"mediaType": media_type, **client.push_blob(repo, data)} for data, media_type in layers]
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2},
        "layers": descriptors, "subject": {k: subject[k] for k in ("mediaType", "digest", "size")},
        "annotations": {"org.opencontainers.image.created": created}}).encode()
    digest = sha256(manifest)
    reply = client.put_manifest(repo, digest, manifest, OCI_MANIFEST)
    if not reply.headers.get("OCI-Subject"):
        update_fallback_index(client, repo, subject["digest"], {
            "mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest),
            "annotations": {"org.opencontainers.image.created": created}, "artifactType": ARTIFACT_TYPE})
    return digest


def test_layer_media_types(registry, repo_name, pusher, make_options):
    client, repo = pusher(registry.host, repo_name)
    image = push_image(client, repo, "v1")
    ref = f"{registry.host}/{repo_name}:v1"
    _push_artifact(client, repo, image, [(spec_yaml("AVX2", "plain text layer"), "text/plain")],
                   "2025-01-01T00:00:00Z")
    fetched = SpecFetcher(make_options(registry.host)).fetch(ref)
    assert fetched.spec.compatibilities[0].description == "plain text layer"
    assert any("no layer has media type" in w and "'text/plain'" in w for w in fetched.warnings)

    preferred = _push_artifact(client, repo, image, [(b"README", "text/markdown"),
                                                     (spec_yaml("AVX2", "second layer"),
                                                      "application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml")],
                               "2025-02-01T00:00:00Z")
    fetched = SpecFetcher(make_options(registry.host, cache_dir=None)).fetch(ref)
    assert fetched.artifact_digest == preferred
    assert fetched.spec.compatibilities[0].description == "second layer"

    _push_artifact(client, repo, image, [], "2025-03-01T00:00:00Z")
    with pytest.raises(RegistryError, match="compatibility layer not found"):
        SpecFetcher(make_options(registry.host, cache_dir=None)).fetch(ref)


def test_spec_that_does_not_parse_names_image_and_artifact(registry, repo_name, pusher, make_options, cli):
    client, repo = pusher(registry.host, repo_name)
    image = push_image(client, repo, "v1")
    digest = _push_artifact(client, repo, image, [(b"version: v1alpha1\ncompatibilities: 7\n",
                                                   "application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml")],
                            "2025-01-01T00:00:00Z")
    code, out, err = cli("validate", "--image", f"{registry.host}/{repo_name}:v1", "--features", "/dev/null",
                         "--plain-http-registry", registry.host)
    assert code == 2 and out == ""
    assert f"{registry.host}/{repo_name}:v1 artifact {digest}" in err and err.count("\n") == 1


def test_warm_run_costs_two_requests_and_offline_none(counting_front, repo_name, pusher, make_options, tmp_path):
    """Cold: resolve, referrers probe + fallback tag, artifact manifest, spec blob. Warm (new process, same cache):
    HEAD for the tag + the listing. Pinned digest: the listing only. Offline: nothing."""
    client, repo = pusher(counting_front.host, repo_name)
    image = push_image(client, repo, "v1")
    ref = f"{counting_front.host}/{repo_name}:v1"
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml")
    options = make_options(counting_front.host, cache_dir=tmp_path / "warm-cache")

    counting_front.reset_counts()
    cold = SpecFetcher(options).fetch(ref)
    assert counting_front.counts["total"] == 5, counting_front.log
    assert not cold.cached

    counting_front.reset_counts()
    warm = SpecFetcher(options).fetch(ref)
    assert counting_front.log == [("HEAD", f"/v2/{repo_name}/manifests/v1"),
                                  ("GET", f"/v2/{repo_name}/manifests/{fallback_tag(image['digest'])}")]
    assert warm.cached and warm.artifact_digest == cold.artifact_digest and warm.source == "tag-fallback"

    counting_front.reset_counts()
    SpecFetcher(options).fetch(f"{ref}@{image['digest']}")
    SpecFetcher(options).fetch(f"{ref}@{image['digest']}")
    assert counting_front.counts["total"] == 1 + 1  # the listing, per run; the pinned manifest is cached

    counting_front.reset_counts()
    offline = SpecFetcher(replace(options, offline=True))
    got = offline.fetch(ref)
    assert counting_front.counts["total"] == 0
    assert (got.source, got.artifact_digest, got.image_digest) == ("cache", cold.artifact_digest, image["digest"])
    with pytest.raises(RegistryError, match="not in the spec cache"):
        offline.fetch(f"{counting_front.host}/{repo_name}:other")


def test_fetch_is_once_per_image_across_threads(counting_front, repo_name, pusher, make_options):
    client, repo = pusher(counting_front.host, repo_name)
    push_image(client, repo, "v1")
    ref = f"{counting_front.host}/{repo_name}:v1"
    attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml")
    counting_front.reset_counts()
    fetcher = SpecFetcher(make_options(counting_front.host, cache_dir=None))
    results = []
    threads = [threading.Thread(target=lambda: results.append(fetcher.fetch(ref, "linux/amd64"))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(r) for r in results}) == 1 and len(results) == 16
    requests_once = counting_front.counts["total"]
    assert requests_once <= 6  # resolve, config (platform check), probe, fallback tag, manifest, blob
    fetcher.fetch(ref, "linux/amd64")
    fetcher.fetch(ref)  # another platform choice reuses the resolution and the listing
    assert counting_front.counts["total"] == requests_once


def test_referrers_api_pagination_and_client_side_filter(referrers_front, repo_name, pusher, make_options, cli):
    client, repo = pusher(referrers_front.host, repo_name)
    image = push_image(client, repo, "v1")
    ref = f"{referrers_front.host}/{repo_name}:v1"
    # Another tool's referrer (an SBOM) next to ours; the front then ignores the filter and pages by one.
    sbom = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/spdx+json",
                       "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"),
                                  "size": 2},
                       "layers": [{"mediaType": "application/spdx+json", **client.push_blob(repo, b"{}")}],
                       "subject": {k: image[k] for k in ("mediaType", "digest", "size")},
                       "annotations": {"org.opencontainers.image.created": "2030-01-01T00:00:00Z"}}).encode()
    client.put_manifest(repo, sha256(sbom), sbom, OCI_MANIFEST)
    for created in ("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"):
        attach_spec(client, ImageReference.parse(ref), spec_yaml(), "spec.yaml",
                    annotations={"org.opencontainers.image.created": created})
    referrers_front.apply_filter, referrers_front.page_size = False, 1
    try:
        referrers_front.reset_counts()
        fetched = SpecFetcher(make_options(referrers_front.host, cache_dir=None)).fetch(ref)
        assert fetched.created == "2025-02-01T00:00:00Z" and len(fetched.others) == 1
        assert referrers_front.counts["referrers"] == 3  # three pages of one
        code, out, _ = cli("discover", ref, "--plain-http-registry", referrers_front.host, "--output", "json")
        assert code == 0 and len(json.loads(out)["artifacts"]) == 2
    finally:
        referrers_front.apply_filter, referrers_front.page_size = True, None
