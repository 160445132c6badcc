"""FleetEvaluator: grouping by what the specs read must never change a result."""

from __future__ import annotations

import random

from fleetcompat.engine import FleetEvaluator, evaluate_spec
from tests.support.builders import features, spec

SPECS = {
    "nic": spec("""
        version: v1alpha1
        compatibilities:
        - rules:
          - name: nic
            matchFeatures:
            - feature: pci.device
              matchExpressions: {vendor: {op: In, value: ['8086', '15b3']}, sriov_totalvfs: {op: Ge, value: ['8']}}
            - feature: kernel.loadedmodule
              matchExpressions: {vfio_pci: {op: Exists}}
        """),
    "avx": spec("""
        version: v1alpha1
        compatibilities:
        - weight: 2
          rules:
          - name: avx
            matchFeatures:
            - feature: cpu.cpuid
              matchName: {op: InRegexp, value: ['^AVX512']}
        - weight: 1
          rules:
          - name: kernel
            matchFeatures:
            - feature: kernel.version
              matchExpressions: {full: {op: Ge, value: ['5.15'], type: version}}
        """),
}


def random_host(rng: random.Random):
    flags = {"cpu.cpuid": rng.sample(["AVX", "AVX2", "AVX512F", "SSE4", "SSE42"], rng.randint(0, 5)),
             "kernel.loadedmodule": rng.sample(["vfio_pci", "i40e", "overlay"], rng.randint(0, 3))}
    attrs = {"kernel.version": {"full": rng.choice(["5.4.0", "5.15.0-91-generic", "6.8.0"])},
             "system.name": {"nodename": f"n{rng.randint(0, 10**9)}"},  # never read by the specs
             "kernel.config": {f"K{i}": "y" for i in range(rng.randint(0, 3))}}
    pci = [{"vendor": rng.choice(["8086", "15b3", "10de"]), "class": "0200",
            "sriov_totalvfs": rng.choice(["0", "8", "64"]), "subsystem_device": str(rng.randint(0, 9))}
           for _ in range(rng.randint(0, 3))]
    return features(flags=flags, attrs=attrs, instances={"pci.device": pci})


def test_grouped_results_equal_direct_evaluation():
    rng = random.Random(7)
    hosts = {f"h{i}": random_host(rng) for i in range(400)}
    evaluator = FleetEvaluator(SPECS)
    for name, feats in hosts.items():
        evaluator.add(name, feats)
    results = evaluator.results()
    assert evaluator.group_count < len(hosts)
    for name, feats in hosts.items():
        for image, spec_ in SPECS.items():
            direct = evaluate_spec(spec_, feats).to_dict()
            grouped = results[name][image].to_dict()
            direct.pop("durationSeconds")
            grouped.pop("durationSeconds")
            assert grouped == direct, (name, image)


def test_unread_features_do_not_split_groups_and_read_ones_do():
    base = dict(flags={"kernel.loadedmodule": ["vfio_pci"]}, attrs={"kernel.version": {"full": "6.8.0"}},
                instances={"pci.device": [{"vendor": "8086", "sriov_totalvfs": "64"}]})
    evaluator = FleetEvaluator(SPECS)
    a = evaluator.add("a", features(**base))
    b = evaluator.add("b", features(**{**base, "attrs": {**base["attrs"], "system.name": {"nodename": "b"}}}))
    c = evaluator.add("c", features(**{**base, "flags": {"kernel.loadedmodule": []}}))
    assert a == b != c


def test_evaluation_errors_stay_with_their_host_and_spec():
    bad_spec = spec("""
        version: v1alpha1
        compatibilities:
        - rules:
          - name: rev
            matchFeatures:
            - feature: kernel.version
              matchExpressions: {revision: {op: Gt, value: ['1']}}
        """)
    evaluator = FleetEvaluator({"rev": bad_spec, **SPECS})
    evaluator.add("ok", features(attrs={"kernel.version": {"revision": "3", "full": "6.8.3"}}))
    evaluator.add("bad", features(attrs={"kernel.version": {"revision": "", "full": "6.8"}}))
    results = evaluator.results()
    assert results["ok"]["rev"].compatible is True
    assert "host value '' is not an integer" in str(results["bad"]["rev"])
    assert results["bad"]["avx"].compatible is True  # other specs of that host are still evaluated

