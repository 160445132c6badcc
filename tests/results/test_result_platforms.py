"""Registry images audited per platform: per-platform spec records, incompatible cells without an evaluation
(no manifest for the host's platform), no-spec cells with their reason; JSON round trip and every renderer."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

from fleetcompat.cli import main
from fleetcompat.engine import evaluate_spec
from fleetcompat.results.fleet import (
    FleetResult,
    FleetResultBuilder,
    PlatformStatus,
    RunMeta,
    SpecStatus,
    Status,
    dumps,
    schema,
)
from fleetcompat.spec import parse_spec
from tests.support.fleet_synthetic import BAD, GOOD, spec_text

AMD64, ARM64 = "linux/amd64", "linux/arm64"
NO_ARM64 = "image has no linux/arm64 manifest (the image is for linux/amd64, not linux/arm64)"
NO_ARTIFACT = "reg/noart:1: compatibility artifact not found (no referrer on the image manifest)"


def platform_fleet() -> FleetResult:
    """amd64 hosts a1 (GOOD), a2 (BAD); arm64 host r1 (GOOD). `multi`: a different spec per platform; `x86`: an
    amd64-only image; `noart`: no artifact anywhere; `local`: a spec file (no platforms)."""
    on_amd64 = parse_spec(spec_text(description="from the amd64 manifest"), "a.yaml")
    on_index = parse_spec(spec_text(description="from the index", vendor="ARM"), "b.yaml")
    builder = FleetResultBuilder(RunMeta.now())
    builder.add_image("multi", "reg/multi:1", digest="sha256:" + "1" * 64, spec_status=SpecStatus.OK)
    builder.add_platform("multi", AMD64, PlatformStatus.OK, spec=on_amd64, subject="platform-manifest",
                         spec_digest="sha256:" + "a" * 64, spec_source="referrers-api: artifact on the manifest")
    builder.add_platform("multi", ARM64, PlatformStatus.OK, spec=on_index, subject="index",
                         spec_digest="sha256:" + "b" * 64, spec_source="referrers-api: artifact on the index")
    builder.add_image("x86", "reg/x86:1", spec=on_amd64, spec_digest="sha256:" + "a" * 64)
    builder.add_platform("x86", AMD64, PlatformStatus.OK, spec=on_amd64, subject="manifest",
                         spec_digest="sha256:" + "a" * 64, spec_source="tag-fallback: artifact on the manifest")
    builder.add_platform("x86", ARM64, PlatformStatus.NO_MANIFEST, reason=NO_ARM64)
    builder.add_image("noart", "reg/noart:1", spec_status=SpecStatus.NO_SPEC, spec_error=NO_ARTIFACT)
    builder.add_platform("noart", AMD64, PlatformStatus.NO_SPEC, reason=NO_ARTIFACT)
    builder.add_image("local", "specs/a.yaml", spec=on_amd64)
    for name, hardware, platform in (("a1", GOOD, AMD64), ("a2", BAD, AMD64), ("r1", GOOD, ARM64)):
        features = hardware.features()
        builder.add_host(name, ["all"], hardware.summary(), features=features)
        builder.add_evaluation(name, "multi", evaluate_spec(on_amd64 if platform == AMD64 else on_index, features),
                               platform=platform)
        if platform == AMD64:
            builder.add_evaluation(name, "x86", evaluate_spec(on_amd64, features), platform=AMD64)
        else:
            builder.add_incompatible(name, "x86", NO_ARM64, platform=ARM64)
        builder.add_evaluation(name, "local", evaluate_spec(on_amd64, features))
    return builder.build()


def cell(result: FleetResult, host: str, alias: str):
    return next(h for h in result.hosts if h.name == host).outcomes[alias]


def test_platform_records_round_trip_and_name_the_spec_of_each_outcome():
    doc = platform_fleet().to_dict()
    Draft202012Validator(schema()).validate(doc)
    loaded = FleetResult.from_dict(json.loads(dumps(doc)))
    assert loaded.to_dict() == doc

    multi = loaded.image("multi")
    assert [(p.platform, p.status, p.subject) for p in multi.platforms] == [
        (AMD64, PlatformStatus.OK, "platform-manifest"), (ARM64, PlatformStatus.OK, "index")]
    assert multi.sets == () and multi.spec_digest is None  # the platforms' specs differ
    arm = cell(loaded, "r1", "multi")
    assert arm.status is Status.COMPATIBLE and arm.platform == ARM64
    assert multi.set_info(arm.best_set, arm.platform).description == "from the index"
    assert multi.set_info(0, AMD64).description == "from the amd64 manifest"

    no_arm = cell(loaded, "r1", "x86")
    assert (no_arm.status, no_arm.reason, no_arm.failing, no_arm.platform) == (
        Status.INCOMPATIBLE, NO_ARM64, (), ARM64)
    assert loaded.status_counts("x86")[Status.INCOMPATIBLE] == 2  # a2's hardware, r1's platform
    assert loaded.outcome_reasons("x86") == {NO_ARM64: 1}

    noart = loaded.image("noart")
    assert (noart.spec_status, noart.spec_error) == (SpecStatus.NO_SPEC, NO_ARTIFACT)
    assert {h.outcomes["noart"] for h in loaded.hosts} == {cell(loaded, "a1", "noart")}
    assert cell(loaded, "a1", "noart").status is Status.NO_SPEC and cell(loaded, "a1", "noart").reason is None
    assert loaded.image("local").platforms == () and "platforms" not in doc["images"][3]
    assert cell(loaded, "a1", "local").platform is None


def test_v1_documents_without_platform_fields_still_load():
    doc = platform_fleet().to_dict()
    for image in doc["images"]:
        image.pop("platforms", None)
    for outcome in doc["outcomes"]:
        outcome.pop("platform", None)
    result = FleetResult.from_dict(doc)
    assert result.image("multi").platforms == () and cell(result, "r1", "x86").reason == NO_ARM64


def test_builder_rules_for_platforms():
    spec = parse_spec(spec_text(), "a.yaml")
    builder = FleetResultBuilder(RunMeta.now())
    builder.add_image("x86", "reg/x86:1", spec=spec)
    builder.add_platform("x86", AMD64, PlatformStatus.OK, spec=spec)
    builder.add_platform("x86", ARM64, PlatformStatus.NO_MANIFEST, reason=NO_ARM64)
    with pytest.raises(ValueError, match="added twice"):
        builder.add_platform("x86", ARM64, PlatformStatus.NO_MANIFEST, reason=NO_ARM64)
    builder.add_host("r1", (), GOOD.summary(), features=GOOD.features())
    with pytest.raises(ValueError, match="no spec for linux/arm64"):
        builder.add_evaluation("r1", "x86", evaluate_spec(spec, GOOD.features()), platform=ARM64)
    builder.add_incompatible("r1", "x86", NO_ARM64, platform=ARM64)
    with pytest.raises(ValueError, match="outcome added twice"):
        builder.add_error("r1", "x86", "again")
    builder.add_image("noart", "reg/noart:1", spec_status=SpecStatus.NO_SPEC, spec_error=NO_ARTIFACT)
    with pytest.raises(ValueError, match="has no spec"):
        builder.add_evaluation("r1", "noart", evaluate_spec(spec, GOOD.features()))


def test_renderers_state_why_a_cell_is_incompatible_without_failing_rules(tmp_path, capsys):
    path, junit, md = tmp_path / "result.json", tmp_path / "junit.xml", tmp_path / "summary.md"
    platform_fleet().dump(path)
    assert main(["report", str(path), "--junit", str(junit), "--markdown", str(md)]) == 1
    terminal = capsys.readouterr().out
    assert f"1 host: {NO_ARM64}" in terminal and NO_ARTIFACT in terminal

    suites = {s.get("name"): s for s in ET.parse(junit).getroot().iter("testsuite")}
    cases = {c.get("name"): c for c in suites["x86"].iter("testcase")}
    failure = cases["r1"].find("failure")
    assert failure.get("message") == f"incompatible: {NO_ARM64}" and failure.text == NO_ARM64
    assert "cpu.cpuid.AVX512F: expected Exists" in cases["a2"].find("failure").text
    multi_props = {p.get("name"): p.get("value") for p in suites["multi"].iter("property")}
    assert multi_props[f"platform {ARM64}"] == "ok (index): referrers-api: artifact on the index"
    x86_props = {p.get("name"): p.get("value") for p in suites["x86"].iter("property")}
    assert x86_props[f"platform {ARM64}"] == f"no-manifest: {NO_ARM64}"
    skipped = {c.get("name"): c for c in suites["noart"].iter("testcase")}["a1"].find("skipped")
    assert skipped.get("message") == f"the image has no compatibility spec: {NO_ARTIFACT}"
    # set headings come from the spec the host was audited with
    multi_cases = {c.get("name"): c for c in suites["multi"].iter("testcase")}
    assert "from the index" in multi_cases["r1"].findtext("system-out")

    text = md.read_text()
    assert "**x86**: image has no linux/arm64 manifest" in text
    assert "noart (reg/noart:1: compatibility artifact not found" in text


def test_html_drilldown_shows_the_platform_its_spec_and_the_reason(tmp_path, page):
    path, html = tmp_path / "result.json", tmp_path / "report.html"
    result = platform_fleet()
    result.dump(path)
    assert main(["report", str(path), "--html", str(html), "--quiet", "--exit-zero"]) == 0
    page.goto(html.as_uri())
    page.wait_for_selector("html[data-ready]")
    assert f"1 host(s): {NO_ARM64}" in page.locator("table.images").text_content()
    assert f"no compatibility spec: {NO_ARTIFACT}" in page.locator("table.images .nospec").text_content()
    row = next(i for i, g in enumerate(result.profile_groups()) if g.hosts[0].name == "r1")
    x86 = result.aliases().index("x86")
    page.locator("#matrix-body tr.group").nth(row).locator(f"button.cell[data-image='{x86}']").click()
    values = dict(zip(page.eval_on_selector_all("#drill-body dl.kv dt", "es => es.map(e => e.textContent)"),
                      page.eval_on_selector_all("#drill-body dl.kv dd", "es => es.map(e => e.textContent)"),
                      strict=False))
    assert (values["reason"], values["platform"]) == (NO_ARM64, ARM64)
    assert page.locator("#drill-body .status").text_content() == "incompatible"
    multi = result.aliases().index("multi")
    page.locator("#matrix-body tr.group").nth(row).locator(f"button.cell[data-image='{multi}']").click()
    text = page.locator("#drill-body").text_content()
    assert "spec fromindex" in text and "referrers-api: artifact on the index" in text
    assert "from the index" in text  # the best set's description comes from the arm64 spec
    assert page.problems == []
    json.loads(path.read_text())
