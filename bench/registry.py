"""Benchmark: registry requests to audit 20 images for a 1,000-host fleet, cold and warm (issue 4).

A real registry (Debian's docker-registry, distribution 2.8) runs on 127.0.0.1 behind a counting reverse proxy —
once as is (no referrers API: the referrers tag fallback), once with the tests' referrers-API front. The 20
images: 14 single-platform (linux/amd64), 3 multi-platform with the spec attached to the index, 3 multi-platform
with a spec per platform manifest. The fleet: 1,000 hosts (80% linux/amd64, 20% linux/arm64) drawn from a few
CPU profiles. Each host asks the fetcher for each image with its own platform, like the fleet code does; the
specs are evaluated with `evaluate_spec` once per distinct (platform, features) and image.

Cold = new fetcher, empty cache. Warm = new fetcher (a new run), same cache. Goal: warm <= 2 requests per image
(tag HEAD + one referrers listing) independent of host count; cold = a fixed number per image, never per host.
Multi-platform images need one listing per platform manifest the fleet uses (and the index when that is where
the spec is), so they cost more; the table shows each kind.

Usage: python -m bench.registry [--hosts 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from fleetcompat.engine import evaluate_spec
from fleetcompat.features.model import Features
from fleetcompat.registry import (
    ImageReference,
    Platform,
    PlatformNotFoundError,
    RegistryClient,
    RegistryOptions,
    SpecFetcher,
    attach_spec,
)
from fleetcompat.registry.client import Repository
from tests.support.registry_images import features_json, push_image, push_index, spec_yaml
from tests.support.registry_servers import RegistryFront, RegistryProcess

FLAGS = ("AVX2", "AVX512F", "SSE4", "AMXTILE", "SHA", "VAES")
PROFILES = (("SSE4",), ("SSE4", "AVX2"), ("SSE4", "AVX2", "SHA"), ("SSE4", "AVX2", "AVX512F", "VAES"),
            ("SSE4", "AVX2", "AVX512F", "AMXTILE", "SHA", "VAES"))
AMD64, ARM64 = Platform.parse("linux/amd64"), Platform.parse("linux/arm64")


def publish(front: RegistryFront, prefix: str) -> dict[str, str]:
    """Push the 20 images and attach their specs; returns {ref: kind}."""
    client = RegistryClient(RegistryOptions(plain_http_registries=frozenset({front.host}), cache_dir=None))
    kinds = {}
    for i in range(20):
        repo = Repository(front.host, f"{prefix}/app{i:02d}")
        ref = f"{front.host}/{repo.name}:v1"
        image = ImageReference.parse(ref)
        if i < 14:
            push_image(client, repo, "v1", note=str(i))
            attach_spec(client, image, spec_yaml(FLAGS[i % len(FLAGS)], f"image {i}"), "spec.yaml")
            kinds[ref] = "single-platform"
        elif i < 17:
            push_index(client, repo, "v1", note=str(i))
            attach_spec(client, image, spec_yaml(FLAGS[i % len(FLAGS)], f"image {i}"), "spec.yaml")
            kinds[ref] = "multi, spec on index"
        else:
            push_index(client, repo, "v1", note=str(i))
            for platform in (AMD64, ARM64):
                attach_spec(client, image, spec_yaml(FLAGS[i % len(FLAGS)], f"image {i} {platform}"), "spec.yaml",
                            platform=platform)
            kinds[ref] = "multi, spec per platform"
    return kinds


def make_fleet(hosts: int, seed: int) -> list[tuple[str, Platform, int]]:
    rng = random.Random(seed)
    return [(f"host{n:05d}", ARM64 if rng.random() < 0.2 else AMD64, rng.randrange(len(PROFILES)))
            for n in range(hosts)]


def audit(front: RegistryFront, options: RegistryOptions, refs: list[str],
          fleet: list[tuple[str, Platform, int]]) -> tuple[Counter, Counter, int, float]:
    """One run: requests per image ref, verdicts, evaluations done, seconds."""
    fetcher = SpecFetcher(options)
    features = {p: Features.from_nfd(features_json(*flags)) for p, flags in enumerate(PROFILES)}
    front.reset_counts()
    started = time.perf_counter()
    verdicts: Counter = Counter()
    evaluated: dict[tuple[str, str, int], bool] = {}
    for _, platform, profile in fleet:
        for ref in refs:
            try:
                fetched = fetcher.fetch(ref, platform)
            except PlatformNotFoundError:
                verdicts["wrong platform"] += 1
                continue
            key = (ref, str(platform), profile)  # identical hosts are evaluated once
            if key not in evaluated:
                evaluated[key] = evaluate_spec(fetched.spec, features[profile]).compatible
            verdicts["compatible" if evaluated[key] else "incompatible"] += 1
    elapsed = time.perf_counter() - started
    per_ref: Counter = Counter()
    for _, path in front.log:
        for ref in refs:
            if f"/v2/{ref.split('/', 1)[1].rsplit(':', 1)[0]}/" in path:
                per_ref[ref] += 1
    return per_ref, verdicts, len(evaluated), elapsed


def report(title: str, kinds: dict[str, str], cold: Counter, warm: Counter, warm_small: Counter) -> None:
    print(f"\n{title}")
    print(f"  {'images':<26}{'n':>3}{'cold req':>10}{'cold/img':>10}{'warm req':>10}{'warm/img':>10}"
          f"{'warm/img, 100 hosts':>21}")
    groups = [*sorted(set(kinds.values()), key=list(kinds.values()).index), "all"]
    for group in groups:
        refs = [r for r, k in kinds.items() if group in ("all", k)]
        c, w, s = (sum(counter[r] for r in refs) for counter in (cold, warm, warm_small))
        print(f"  {group:<26}{len(refs):>3}{c:>10}{c / len(refs):>10.2f}{w:>10}{w / len(refs):>10.2f}"
              f"{s / len(refs):>21.2f}")
    print("  (cold includes the registry's one referrers-API probe, counted for whichever image listed first)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    fleet = make_fleet(args.hosts, args.seed)
    small = fleet[:100]
    distinct = len({(str(p), prof) for _, p, prof in fleet})
    print(f"fleet: {len(fleet)} hosts ({sum(p == AMD64 for _, p, _ in fleet)} linux/amd64, "
          f"{sum(p == ARM64 for _, p, _ in fleet)} linux/arm64), {distinct} distinct (platform, features)")
    with tempfile.TemporaryDirectory() as tmp:
        registry = RegistryProcess(Path(tmp) / "registry")
        try:
            for title, referrers_api in (("docker-registry 2.8, no referrers API (tag fallback)", False),
                                         ("same registry behind the referrers-API front", True)):
                front = RegistryFront(registry.host, referrers=referrers_api)
                try:
                    kinds = publish(front, "api" if referrers_api else "tags")
                    refs = list(kinds)
                    cache = Path(tmp) / f"cache-{referrers_api}"
                    options = RegistryOptions(plain_http_registries=frozenset({front.host}), cache_dir=cache)
                    cold, verdicts, evaluations, cold_s = audit(front, options, refs, fleet)
                    warm, _, _, warm_s = audit(front, options, refs, fleet)
                    warm_small, _, _, _ = audit(front, options, refs, small)
                    report(title, kinds, cold, warm, warm_small)
                    print(f"  host×image pairs {len(fleet) * len(refs)}: {dict(verdicts)}; "
                          f"{evaluations} evaluate_spec calls (identical hosts deduplicated)")
                    print(f"  wall time: cold {cold_s:.2f}s, warm {warm_s:.2f}s (fetch + evaluate, {len(fleet)} hosts)")
                finally:
                    front.stop()
        finally:
            registry.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
