"""The fleet-facing API as the fleet code uses it: many hosts, several images, one fetcher, worker threads.
A broken image fails alone; every image costs the registry the same few requests whatever the host count."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fleetcompat.engine import evaluate_spec
from fleetcompat.features.model import Features
from fleetcompat.registry import ImageReference, Platform, PlatformNotFoundError, RegistryError, SpecFetcher
from fleetcompat.registry.publish import attach_spec
from tests.support.net import free_port
from tests.support.registry_images import features_json, push_image, push_index, spec_yaml


def test_fleet_audit_one_broken_image(counting_front, fault_server, repo_name, pusher, make_options):
    client, repo = pusher(counting_front.host, repo_name)
    good = []
    for tag, flag in (("a", "AVX2"), ("b", "AVX512F"), ("c", "SSE4")):
        push_image(client, repo, tag, note=tag)
        ref = f"{counting_front.host}/{repo_name}:{tag}"
        attach_spec(client, ImageReference.parse(ref), spec_yaml(flag), "spec.yaml")
        good.append(ref)
    push_index(client, repo, "multi")
    multi = f"{counting_front.host}/{repo_name}:multi"
    attach_spec(client, ImageReference.parse(multi), spec_yaml("AVX2"), "spec.yaml")
    push_index(client, repo, "no-spec", note="no spec")
    broken = {
        f"{counting_front.host}/{repo_name}:no-spec": "compatibility artifact not found",
        f"{fault_server.host}/error500/app:v1": "HTTP 500",
        f"127.0.0.1:{free_port()}/gone/app:v1": "cannot connect",
    }
    images = [*good, multi, *broken]
    hosts = [(f"host{i:03d}", Platform.from_uname("Linux", "aarch64" if i % 4 == 0 else "x86_64"),
              Features.from_nfd(features_json("AVX2", "SSE4") if i % 2 else features_json("SSE4")))
             for i in range(200)]
    hosts_by_name = {name: features for name, _, features in hosts}
    options = make_options(counting_front.host, fault_server.host, *[ref.split("/")[0] for ref in broken],
                           cache_dir=None, timeout=2.0)
    fetcher = SpecFetcher(options)
    counting_front.reset_counts()

    def audit(job):
        (host, platform, _), image = job
        try:
            fetched = fetcher.fetch(image, platform)
        except PlatformNotFoundError:
            return host, image, "wrong-platform", ""  # the image cannot run there at all
        except RegistryError as exc:
            return host, image, "error", str(exc)
        verdict = evaluate_spec(fetched.spec, hosts_by_name[host])
        return host, image, "compatible" if verdict.compatible else "incompatible", fetched.subject

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(audit, [(h, i) for h in hosts for i in images]))

    by_image: dict[str, set[str]] = {}
    for _, image, verdict, detail in results:
        by_image.setdefault(image, set()).add(verdict)
        if verdict == "error":
            assert image in broken and broken[image] in detail and detail.startswith(image), detail
    for image in broken:
        assert by_image[image] == {"error"}
    # The single-platform images are amd64: arm64 hosts cannot run them whatever their CPU flags.
    assert by_image[good[0]] == {"compatible", "incompatible", "wrong-platform"}  # AVX2: half the amd64 hosts
    assert by_image[good[2]] == {"compatible", "wrong-platform"}  # SSE4: every amd64 host
    assert by_image[good[1]] == {"incompatible", "wrong-platform"}
    assert {detail for _, image, _, detail in results if image == multi} == {"index"}  # amd64 and arm64 hosts

    # Registry cost is per image, not per host (200 hosts here):
    #   3 single-platform images × (resolve, config for the platform check, listing, artifact manifest) = 12
    #   + their 3 spec blobs (the multi-platform image's spec is the same blob as image a's: fetched once)
    #   + multi-platform with a spec: resolve, listings of the amd64 and arm64 manifests and the index, manifest = 5
    #   + multi-platform without a spec: resolve + 3 listings = 4
    #   + the registry's referrers-API probe, once = 1
    assert counting_front.counts["total"] == 25, "\n".join(f"{m} {p}" for m, p in counting_front.log)
