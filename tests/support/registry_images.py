"""Test content: minimal OCI images, multi-platform indexes, specs, and artifacts laid out byte for byte as the
Go ORAS CLI (1.2/1.3) writes them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import requests

from fleetcompat.registry.client import OCI_INDEX, OCI_MANIFEST, RegistryClient, Repository

ARTIFACT_TYPE = "application/vnd.nfd.image-compatibility.v1alpha1"
SPEC_TYPE = "application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def spec_yaml(flag: str = "AVX2", description: str = "needs the flag") -> bytes:
    """A one-rule spec: host must have cpu.cpuid `flag`."""
    return (f"version: v1alpha1\ncompatibilities:\n- description: {description}\n  rules:\n"
            f"  - name: {flag.lower()}\n    matchFeatures:\n    - feature: cpu.cpuid\n"
            f"      matchExpressions:\n        {flag}: {{op: Exists}}\n").encode()


def features_json(*flags: str) -> dict:
    return {"flags": {"cpu.cpuid": {"elements": {f: {} for f in flags}}},
            "attributes": {"kernel.version": {"elements": {"major": "6", "minor": "1"}}}, "instances": {}}


def _layer(text: str) -> tuple[bytes, str]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256(tar_bytes)


def push_image(client: RegistryClient, repo: Repository, tag: str | None, arch: str = "amd64",
               os_name: str = "linux", variant: str = "", note: str = "") -> dict:
    """A minimal runnable-shaped OCI image (one gzip layer, image config); returns its descriptor with platform.
    The same arguments give the same digest; `note` makes otherwise equal images differ."""
    layer, diff_id = _layer(f"hello from {os_name}/{arch}{variant}\n{note}")
    config = {"architecture": arch, "os": os_name, "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "config": {"Cmd": ["/hello"]}}
    if variant:
        config["variant"] = variant
    config_bytes = json.dumps(config).encode()
    layer_desc = client.push_blob(repo, layer)
    config_desc = client.push_blob(repo, config_bytes)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc}],
    }).encode()
    digest = sha256(manifest)
    client.put_manifest(repo, tag or digest, manifest, OCI_MANIFEST)
    platform = {"architecture": arch, "os": os_name, **({"variant": variant} if variant else {})}
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest), "platform": platform}


def push_index(client: RegistryClient, repo: Repository, tag: str,
               platforms: tuple[tuple[str, str], ...] = (("linux", "amd64"), ("linux", "arm64")),
               note: str = "") -> tuple[dict, dict]:
    """Per-platform manifests by digest plus an OCI index tagged `tag`; returns (index descriptor, {arch: desc})."""
    entries = {arch: push_image(client, repo, None, arch, os_name, note=note) for os_name, arch in platforms}
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list(entries.values())}).encode()
    client.put_manifest(repo, tag, index, OCI_INDEX)
    return {"mediaType": OCI_INDEX, "digest": sha256(index), "size": len(index)}, entries


def oras_artifact_manifest(subject: dict, spec: bytes, title: str, created: str) -> bytes:
    """What `oras attach --artifact-type <NFD> IMAGE title:<spec type>` PUTs (oras 1.2/1.3, written out by hand)."""
    return (
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
        f'"artifactType":"{ARTIFACT_TYPE}",'
        f'"config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{EMPTY_DIGEST}","size":2,'
        '"data":"e30="},'
        f'"layers":[{{"mediaType":"{SPEC_TYPE}","digest":"{sha256(spec)}","size":{len(spec)},'
        f'"annotations":{{"org.opencontainers.image.title":"{title}"}}}}],'
        f'"subject":{{"mediaType":"{subject["mediaType"]}","digest":"{subject["digest"]}","size":{subject["size"]}}},'
        f'"annotations":{{"org.opencontainers.image.created":"{created}"}}}}'
    ).encode()


def oras_fallback_index(entries: list[tuple[bytes, str]]) -> bytes:
    """The referrers tag-schema index oras writes on registries without the referrers API."""
    manifests = ",".join(
        f'{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{sha256(m)}","size":{len(m)},'
        f'"annotations":{{"org.opencontainers.image.created":"{created}"}},"artifactType":"{ARTIFACT_TYPE}"}}'
        for m, created in entries)
    head = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
    return f"{head}{manifests}]}}".encode()


def raw_push_blob(base: str, name: str, data: bytes) -> None:
    """Monolithic blob upload with plain requests (an independent client, for hand-built content)."""
    start = requests.post(f"{base}/v2/{name}/blobs/uploads/", timeout=5)
    assert start.status_code == 202, start.text
    location = requests.compat.urljoin(f"{base}/", start.headers["Location"])
    sep = "&" if "?" in location else "?"
    done = requests.put(f"{location}{sep}digest={sha256(data)}", data=data,
                        headers={"Content-Type": "application/octet-stream"}, timeout=5)
    assert done.status_code == 201, done.text


def raw_put_manifest(base: str, name: str, reference: str, data: bytes, media_type: str) -> requests.Response:
    reply = requests.put(f"{base}/v2/{name}/manifests/{reference}", data=data,
                         headers={"Content-Type": media_type}, timeout=5)
    assert reply.status_code == 201, reply.text
    return reply
