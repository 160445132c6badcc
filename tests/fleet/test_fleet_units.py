"""Controller-side fleet pieces without hosts: image lists, run records, shared evaluation, the audit CLI."""

from __future__ import annotations

import json
import os
import time

import pytest

from fleetcompat.features import load_features_file
from fleetcompat.features.model import Features
from fleetcompat.fleet import rundir
from fleetcompat.fleet.codec import evaluation_from_dict
from fleetcompat.fleet.evaluate import evaluate_fleet, evaluate_host
from fleetcompat.fleet.hosts import HostRecord
from fleetcompat.fleet.images import ImageListError, load_images_file, parse_images
from fleetcompat.fleet.report import build_result
from fleetcompat.fleet.resolve import (
    Resolution,
    ResolvedImage,
    host_platform,
    nfd_platform,
    resolve_images,
    spec_document,
)
from fleetcompat.results.fleet import (
    FleetResult,
    HostStatus,
    PlatformStatus,
    RunMeta,
    SpecStatus,
    Status,
    cell_from_evaluation,
)
from fleetcompat.spec import parse_spec
from tests.support.lab import SPECS, run_fleetcompat

EXAMPLE_FEATURES = SPECS.parent / "features" / "xeon-sriov-node.json"


# ---------------------------------------------------------------------------------------------- image lists


@pytest.mark.parametrize(("entry", "message"), [
    ({"spec": "a.yaml", "image": "r/x:1"}, "exactly one of 'image'"),
    ({}, "exactly one of 'image'"),
    ({"spec": "a.yaml", "colour": "red"}, "unknown key 'colour'"),
    ({"spec": "a.yaml", "platform": "linux/amd64"}, "no meaning for a local spec file"),
    ({"spec": "a.yaml", "alias": "-bad"}, "alias '-bad'"),
    ({"spec": "a.yaml", "required": "yes"}, "required: expected true or false"),
    ({"image": 7}, "image: expected a non-empty string, got integer"),
    ("a.yaml", "expected a mapping"),
])
def test_bad_image_entries_are_named(entry, message):
    with pytest.raises(ImageListError) as err:
        parse_images([{"spec": "ok.yaml"}, entry])
    assert message in str(err.value) and str(err.value).startswith("images[1]: ")


def test_aliases_default_from_the_name_and_must_be_unique():
    images = parse_images([{"spec": "specs/cuda-app.yaml"}, {"image": "reg:5000/ml/cuda-app:12.4", "alias": "cuda"},
                           {"image": "reg:5000/ml/dpdk@sha256:" + "a" * 64, "tags": "x, y"}])
    assert [i.alias for i in images] == ["cuda-app", "cuda", "dpdk"]
    assert images[2].tags == ("x", "y") and images[0].group_suffix == "cuda_app"
    with pytest.raises(ImageListError, match="already used by entry 0"):
        parse_images([{"spec": "a/x-y.yaml"}, {"image": "r/x_y:1"}])  # same group name fleetcompat_compatible_x_y


def test_image_list_file_errors_carry_the_line(tmp_path):
    path = tmp_path / "vars.yml"
    path.write_text("fleetcompat_images:\n  - spec: a.yaml\n  - image: r/x:1\n    spec: b.yaml\n")
    with pytest.raises(ImageListError) as err:
        load_images_file(str(path))
    assert f"{path}:3" in str(err.value)
    path.write_text("- spec: a.yaml\n")
    assert [i.alias for i in load_images_file(str(path))] == ["a"]


# ---------------------------------------------------------------------------------------------- specs and runs


@pytest.mark.parametrize("spec_file", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.name)
def test_run_records_carry_the_spec_faithfully(spec_file, tmp_path):
    [resolved] = resolve_images(parse_images([{"spec": str(spec_file), "tags": []}]))
    assert resolved.reason is None, resolved.reason
    again = ResolvedImage.from_record(json.loads(json.dumps(resolved.to_record())))
    assert spec_document(again.spec) == spec_document(resolved.spec)
    assert spec_document(parse_spec(json.dumps(spec_document(resolved.spec)), "x")) == spec_document(resolved.spec)
    assert again.spec_digest == resolved.spec_digest and again.spec_source == f"file {spec_file}"


def test_unusable_specs_become_image_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: v1alpha1\ncompatibilities:\n- rules:\n  - name: r\n    matchFeatures:\n"
                   "    - feature: cpu.cpuid\n      matchExpressions:\n        AVX: {op: Gt, value: [x]}\n")
    images = parse_images([{"spec": str(bad)}, {"spec": str(tmp_path / "none.yaml")},
                           {"spec": str(SPECS / "x86-64-v3.yaml"), "tags": ["no-such-tag"]},
                           {"image": "reg.invalid/x:1"}])
    errors = [r.reason for r in resolve_images(images)]
    assert f"{bad}:8" in errors[0]
    assert "cannot read spec file" in errors[1]
    assert "no compatibility set has tag no-such-tag" in errors[2]
    assert "reg.invalid/x:1" in errors[3] and "registry" in errors[3]


@pytest.mark.parametrize(("arch", "platform"), [
    ("amd64", "linux/amd64"), ("x86_64", "linux/amd64"), ("arm64", "linux/arm64"), ("aarch64", "linux/arm64"),
    ("armv7l", "linux/arm/v7"), ("arm", "linux/arm"), ("ppc64le", "linux/ppc64le"), ("s390x", "linux/s390x"),
    ("i686", "linux/386"), ("i386", "linux/386"), ("", None),
])
def test_host_platform_comes_from_the_gathered_arch(arch, platform):
    features = Features(attributes={"cpu.info": {"arch": arch}} if arch else {})
    assert host_platform(features) == platform
    assert nfd_platform(features.to_nfd()) == platform


def test_image_status_summarises_its_platforms():
    entry = parse_images([{"image": "reg.example/app:1"}])[0]
    spec = parse_spec((SPECS / "x86-64-v3.yaml").read_bytes(), "x.yaml")
    ok = Resolution("linux/amd64", PlatformStatus.OK, spec, "sha256:i", "sha256:a", "index sha256:i", "index")
    no_arm = Resolution("linux/arm64", PlatformStatus.NO_MANIFEST, reason="image has no linux/arm64 manifest")
    no_spec = Resolution(None, PlatformStatus.NO_SPEC, reason="reg.example/app:1: compatibility artifact not found")
    failed = Resolution("linux/s390x", PlatformStatus.ERROR, reason="reg.example/app:1: HTTP 500")
    image = ResolvedImage(entry, (no_spec, ok, no_arm))
    assert (image.status, image.reason, image.spec_digest) == (SpecStatus.OK, None, "sha256:a")
    assert image.for_platform("linux/arm64") is no_arm and image.for_platform(None) is no_spec
    assert "not resolved for platform linux/riscv64" in image.for_platform("linux/riscv64").reason
    assert ResolvedImage(entry, (no_arm,)).status is SpecStatus.OK  # no host can run it: every host incompatible
    assert (ResolvedImage(entry, (no_spec, no_arm)).status, ResolvedImage(entry, (no_spec, failed)).reason) == (
        SpecStatus.NO_SPEC, failed.reason)
    again = ResolvedImage.from_record(json.loads(json.dumps(image.to_record())))
    assert again.resolutions[1].subject == "index" and spec_document(again.spec) == spec_document(spec)
    pinned = ResolvedImage(parse_images([{"image": "reg.example/app:1", "platform": "linux/amd64"}])[0], (ok,))
    assert pinned.for_platform("linux/arm64") is ok  # an explicit platform applies to every host


def test_fleet_result_cells_follow_each_hosts_platform():
    """Cells without a spec for the host's platform: no-spec / error with that platform's reason, unless it is the
    image's own reason (stated once, on the image)."""
    spec = parse_spec((SPECS / "x86-64-v3.yaml").read_bytes(), "x.yaml")
    entry = parse_images([{"image": "reg.example/app:1"}, {"image": "reg.example/down:1"}])
    ok = Resolution("linux/amd64", PlatformStatus.OK, spec, "sha256:i", "sha256:a", "src", "platform-manifest")
    no_spec = Resolution("linux/arm64", PlatformStatus.NO_SPEC,
                         reason="reg.example/app:1: compatibility artifact not found")
    down = [Resolution(p, PlatformStatus.ERROR, reason=f"reg.example/down:1: {p}: HTTP 500")
            for p in (None, "linux/arm64")]
    resolved = [ResolvedImage(entry[0], (ok, no_spec)), ResolvedImage(entry[1], tuple(down))]
    hosts = {name: Features(attributes={"cpu.info": {"arch": arch}} if arch else {})
             for name, arch in (("amd", "x86_64"), ("arm", "aarch64"), ("odd", None))}
    outcomes = evaluate_fleet(resolved, hosts.items())
    assert set(outcomes["amd"]) == {"app"} and outcomes["arm"] == {} and outcomes["odd"] == {}
    result = build_result(resolved, [HostRecord(n, features=f) for n, f in hosts.items()], outcomes, RunMeta.now())
    cells = {h.name: h.outcomes for h in result.hosts}
    assert (cells["amd"]["app"].status, cells["amd"]["app"].platform) == (Status.INCOMPATIBLE, "linux/amd64")
    assert (cells["arm"]["app"].status, cells["arm"]["app"].reason) == (Status.NO_SPEC, no_spec.reason)
    assert "not resolved for platform unknown" in cells["odd"]["app"].reason
    assert result.image("down").spec_error == down[0].reason  # the image's reason, once
    assert (cells["odd"]["down"].status, cells["odd"]["down"].reason) == (Status.ERROR, None)
    assert (cells["arm"]["down"].status, cells["arm"]["down"].reason) == (Status.ERROR, down[1].reason)


def test_a_failing_registry_fetch_is_an_error_for_its_image_only(monkeypatch):
    """Anything a fetch raises (here a RecursionError) becomes that image's one-line reason; the traceback only with
    FLEETCOMPAT_DEBUG=1."""
    def fetch(entry, platform):
        if entry.alias == "deep":
            raise RecursionError("maximum recursion depth exceeded")
        return Resolution(platform, PlatformStatus.NO_SPEC, reason="no artifact")

    images = parse_images([{"image": "reg.example/deep:1"}, {"image": "reg.example/fine:1"}])
    monkeypatch.delenv("FLEETCOMPAT_DEBUG", raising=False)
    deep, fine = resolve_images(images, fetch)
    assert deep.reason == ("reg.example/deep:1: internal error: RecursionError: maximum recursion depth exceeded "
                           "(resolving its spec); FLEETCOMPAT_DEBUG=1 shows the traceback")
    assert fine.status is SpecStatus.NO_SPEC
    monkeypatch.setenv("FLEETCOMPAT_DEBUG", "1")
    deep, _ = resolve_images(images, fetch)
    assert deep.reason.splitlines()[1] == "Traceback (most recent call last):" and "in fetch" in deep.reason


def test_long_host_reasons_are_capped():
    result = build_result([], [HostRecord("h", HostStatus.ERROR, "gathering failed: " + "x" * 5000)], {},
                          RunMeta.now())
    assert result.hosts[0].reason == ("gathering failed: " + "x" * 5000)[:1024] + "… (5018 characters)"


def test_evaluations_round_trip_to_the_same_outcome():
    features = load_features_file(str(EXAMPLE_FEATURES))
    for spec_file in SPECS.glob("*.yaml"):
        [resolved] = resolve_images(parse_images([{"spec": str(spec_file)}]))
        outcome = evaluate_fleet([resolved], [("h", features)])["h"][resolved.alias]
        rebuilt = evaluation_from_dict(json.loads(json.dumps(outcome.to_dict())))
        assert cell_from_evaluation(rebuilt) == cell_from_evaluation(outcome), spec_file.name


def test_hosts_that_look_alike_to_a_spec_share_one_evaluation(tmp_path):
    resolved = resolve_images(parse_images([{"spec": str(SPECS / "x86-64-v3.yaml")}]))
    run = rundir.create(tmp_path, resolved)
    doc = json.loads(EXAMPLE_FEATURES.read_text())
    base = load_features_file(str(EXAMPLE_FEATURES))
    renamed = json.loads(json.dumps(doc))
    renamed["attributes"]["system.name"]["elements"]["nodename"] = "another-host"  # not read by the spec
    older = json.loads(json.dumps(doc))
    del older["flags"]["cpu.cpuid"]["elements"]["X86_64_V3"]
    outcomes = [evaluate_host(rundir.read_images(run), f, rundir.evaluations_dir(run))
                for f in (base, Features.from_nfd(renamed), Features.from_nfd(older))]
    assert [o["x86-64-v3"]["status"] for o in outcomes] == ["compatible", "compatible", "incompatible"]
    assert len(list(rundir.evaluations_dir(run).glob("*.json"))) == 2
    rundir.remove(tmp_path)  # not a run directory: left alone
    assert run.exists()
    rundir.remove(run)
    assert not run.exists()


def test_fact_cache_errors(tmp_path):
    # Through the CLI: reading the cache initialises Ansible's plugin loader, process-wide state that would leak
    # into the in-process module tests.
    spec = SPECS / "x86-64-v3.yaml"
    for directory, message in ((tmp_path / "nope", "not a directory"), (tmp_path, "no hosts in the fact cache")):
        proc = run_fleetcompat("audit", "--facts-cache", directory, "--spec", spec, "--output-dir", tmp_path / "r")
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert f"fleetcompat: error: {directory}: " in proc.stderr and message in proc.stderr


# ---------------------------------------------------------------------------------------------- audit CLI


def test_audit_cli_with_features_files(tmp_path):
    other = tmp_path / "other-node.json"
    doc = json.loads(EXAMPLE_FEATURES.read_text())
    del doc["flags"]["cpu.cpuid"]["elements"]["X86_64_V3"]
    other.write_text(json.dumps(doc))
    broken = tmp_path / "broken.json"
    broken.write_text('{"flags": 7}')
    out = tmp_path / "reports"
    proc = run_fleetcompat("audit", "--features", EXAMPLE_FEATURES, "--features", other, "--features", broken,
                           "--spec", SPECS / "x86-64-v3.yaml", "--spec", tmp_path / "missing.yaml",
                           "--output-dir", out, "--format", "json", "--format", "markdown")
    assert proc.returncode == 1, proc.stderr
    assert "gate: fail: x86-64-v3: 1 of 3 hosts incompatible (other-node)" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["fleet-report.md", "fleet-result.json"]
    result = FleetResult.load(out / "fleet-result.json")
    hosts = {h.name: h for h in result.hosts}
    assert hosts["broken"].status is HostStatus.ERROR and "expected a mapping" in hosts["broken"].reason
    assert hosts["xeon-sriov-node"].outcomes["missing"].status is Status.ERROR


@pytest.mark.parametrize(("args", "message"), [
    (["--spec", "x.yaml"], "no hosts"),
    (["--features", "f.json"], "no images to check"),
    (["--features", "f.json", "--spec", "x.yaml", "--format", "pdf"], "invalid choice"),
    (["--host", "a b", "--spec", "x.yaml"], "is not [user@]host[:port]"),
])
def test_audit_cli_bad_input_is_one_line(args, message, tmp_path):
    proc = run_fleetcompat("audit", *args, "--output-dir", tmp_path / "r", cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_directories_left_by_interrupted_runs_are_removed_a_day_later(tmp_path):
    resolved = resolve_images(parse_images([{"spec": str(SPECS / "x86-64-v3.yaml")}]))
    stale, recent = rundir.create(tmp_path, resolved), rundir.create(tmp_path, resolved)
    day_ago = time.time() - rundir.STALE_AFTER_S - 60
    os.utime(stale, (day_ago, day_ago))
    current = rundir.create(tmp_path, resolved)
    assert not stale.exists() and recent.exists() and current.exists()
