"""diff_results on realistic two-run fleets: a module unloaded, a kernel upgrade, a new spec version, an
unreachable host, hosts and images added and removed; and the diff of a result against itself."""

from __future__ import annotations

from dataclasses import replace

from fleetcompat.drift import Cause, CauseKind, ChangeKind, diff_results
from fleetcompat.results.fleet import Status
from tests.support.drift_fleets import (
    CPU_NO_VFIO,
    CPU_VFIO,
    DPDK_SPEC,
    GPU_KERNEL5,
    GPU_NEW_KERNEL,
    GPU_OLD_KERNEL,
    SPEC_V1,
    SPEC_V2,
    digest,
    fleet,
)
from tests.support.fleet_synthetic import GOOD, UNREACHABLE


def causes(drift, host, image="api"):
    change = drift.cell(host, image)
    assert change is not None, f"{host} × {image} did not change"
    return [str(c) for c in change.causes]


def test_module_unloaded_is_a_regression_with_the_module_as_cause():
    images = {"dpdk": DPDK_SPEC, "api": SPEC_V1}
    old = fleet({"cpu-1": CPU_VFIO, "cpu-2": CPU_VFIO, "steady": GOOD}, images)
    new = fleet({"cpu-1": CPU_NO_VFIO, "cpu-2": CPU_VFIO, "steady": GOOD}, images)
    drift = diff_results(old, new)
    assert [(c.host, c.image, c.old, c.new, c.kind) for c in drift.cells] == [
        ("cpu-1", "dpdk", Status.COMPATIBLE, Status.INCOMPATIBLE, ChangeKind.REGRESSION),
        ("cpu-1", "api", Status.COMPATIBLE, Status.INCOMPATIBLE, ChangeKind.REGRESSION)]
    assert causes(drift, "cpu-1", "dpdk") == ["kernel.loadedmodule vfio-pci: present → (absent)"]
    assert drift.cell("cpu-1", "dpdk").causes[0].kind is CauseKind.HOST_VALUE
    # In a matchAny the satisfied side records no alternative (one matched; which, the result does not keep).
    assert causes(drift, "cpu-1", "api") == [
        "matchAny of rule 'avx2': satisfied → none of kernel.loadedmodule vfio-pci (absent); cpu.model vendor_id Other"]
    assert drift.regressions() == list(drift.cells)
    assert not drift.spec_changes and not drift.hosts_added and not drift.hosts_removed


def test_kernel_upgrade_is_an_improvement_with_old_and_new_kernel():
    old = fleet({"gpu-1": GPU_OLD_KERNEL})
    new = fleet({"gpu-1": GPU_NEW_KERNEL})
    drift = diff_results(old, new)
    change = drift.cell("gpu-1", "api")
    assert (change.old, change.new, change.kind) == (Status.INCOMPATIBLE, Status.COMPATIBLE, ChangeKind.IMPROVEMENT)
    # The old value is recorded (it failed); the new one matched and is recorded by no failing expression.
    assert "kernel.version major: 4 → (matched Gt [4])" in causes(drift, "gpu-1")
    assert drift.regressions() == []


def test_kernel_upgrade_that_breaks_a_regexp_names_both_values_when_another_image_recorded_the_old_one():
    # "strict" fails the old kernel's minor version check, so the old full version is on record for the host.
    strict = SPEC_V1.replace("^[0-9]+\\.[0-9]\\.", "^[0-9]+\\.[0-9]{2}\\.")
    assert strict != SPEC_V1
    old = fleet({"gpu-1": replace(GOOD, vfio=False, vendor="Other")}, {"api": SPEC_V1, "strict": strict})
    new = fleet({"gpu-1": replace(GOOD, vfio=False, vendor="Other", kernel_minor=10)},
                {"api": SPEC_V1, "strict": strict})
    drift = diff_results(old, new)
    assert drift.cell("gpu-1", "api").kind is ChangeKind.REGRESSION
    assert causes(drift, "gpu-1") == ["kernel.version full: 6.1.0 → 6.10.0"]
    assert drift.cell("gpu-1", "strict").kind is ChangeKind.IMPROVEMENT
    assert causes(drift, "gpu-1", "strict") == ["kernel.version full: 6.1.0 → 6.10.0"]


def test_new_spec_version_shrinks_the_eligible_set_and_names_the_spec():
    old = fleet({"k5": GPU_KERNEL5, "k6": GOOD, "cpu": CPU_NO_VFIO})
    new = fleet({"k5": GPU_KERNEL5, "k6": GOOD, "cpu": CPU_NO_VFIO}, {"api": SPEC_V2})
    drift = diff_results(old, new)
    assert [c.host for c in drift.regressions()] == ["k5"]
    spec = Cause(CauseKind.SPEC, "spec", digest(SPEC_V1)[:19], digest(SPEC_V2)[:19])
    assert drift.cell("k5", "api").causes[0] == spec
    # The host's kernel did not change, but the result cannot show that it matched before: said as such.
    assert "kernel.version major: (not failing) → 5 (expected Gt [5])" in causes(drift, "k5")
    assert [(s.image, s.platform, s.old_digest, s.new_digest) for s in drift.spec_changes] == [
        ("api", None, digest(SPEC_V1), digest(SPEC_V2))]


def test_unreachable_hosts_added_removed_and_images():
    old = fleet({"a": GOOD, "b": GOOD, "gone": GOOD}, {"api": SPEC_V1, "old-img": SPEC_V1})
    new = fleet({"a": UNREACHABLE, "b": GOOD, "fresh": CPU_NO_VFIO}, {"api": SPEC_V1, "new-img": SPEC_V1})
    drift = diff_results(old, new)
    change = drift.cell("a", "api")
    assert (change.kind, change.new) == (ChangeKind.UNDECIDED, Status.UNREACHABLE)
    assert causes(drift, "a") == ["host: ok → unreachable (ssh: Connection timed out)"]
    assert drift.regressions() == []
    assert (drift.hosts_added, drift.hosts_removed) == (("fresh",), ("gone",))
    assert (drift.images_added, drift.images_removed) == (("new-img",), ("old-img",))
    assert [c.image for c in drift.cells] == ["api"]  # no cells for images that are in one result only


def test_same_result_has_no_drift_and_json_form():
    result = fleet({"a": GOOD, "b": CPU_NO_VFIO, "c": UNREACHABLE})
    assert diff_results(result, result).is_empty()
    drift = diff_results(result, fleet({"a": GOOD, "b": CPU_VFIO, "c": UNREACHABLE}, {"api": SPEC_V1}))
    doc = drift.to_dict()
    assert doc["schema"] == "fleetcompat.drift/v1"
    assert doc["counts"] == {"regression": 0, "undecided": 0, "improvement": 1, "changed": 0}
    assert doc["cells"] == [{"host": "b", "image": "api", "old": "incompatible", "new": "compatible",
                             "kind": "improvement", "causes": [
                                 {"kind": "host-value", "subject": "matchAny of rule 'avx2'",
                                  "old": "none of kernel.loadedmodule vfio-pci (absent); cpu.model vendor_id Other",
                                  "new": "satisfied"}]}]
