"""`fleetcompat merge`: slices and sites combine into the result one run would have given; hosts in several parts,
images in some parts only, merged results merged again; every renderer and the gate read the merged result."""

from __future__ import annotations

import json
from dataclasses import replace

from fleetcompat.cli import main
from fleetcompat.engine import evaluate_spec
from fleetcompat.results.fleet import (
    FleetResult,
    FleetResultBuilder,
    HostStatus,
    PlatformStatus,
    RunMeta,
    SpecStatus,
    Status,
)
from fleetcompat.spec import parse_spec
from tests.support.merge_parts import BAD, GOOD, at, build_fleet, cells, mini_fleet, slices, spec_text, write_parts


def test_slices_merge_back_into_the_unsliced_result(tmp_path, capsys):
    whole = at(build_fleet(90, 4, 7, unreachable=3, gather_errors=2, no_spec_images=1), "2026-05-04T10:00:00Z")
    paths = write_parts(tmp_path, [at(s, s.run.started_at, controller=f"awx-node-{n}")
                                   for n, s in enumerate(slices(whole, 4))])
    out = tmp_path / "merged.json"
    assert main(["merge", *paths, "-o", str(out)]) == 0
    merged = FleetResult.load(out)
    assert cells(merged) == cells(whole)
    assert [i.alias for i in merged.images] == [i.alias for i in whole.images]
    assert merged.images == whole.images
    # Every part is kept: controller, time, inventory, limit, and how many hosts it gave.
    assert [(p.source, p.controller, p.limit, p.hosts, p.superseded) for p in merged.run.parts] == [
        (paths[n], f"awx-node-{n}", f"slice{n + 1}of4", len(range(n, 90, 4)), ()) for n in range(4)]
    assert merged.run.limit is None and merged.run.inventory == whole.run.inventory
    assert {merged.run.parts[h.part].limit for h in merged.hosts if h.name == sorted(cells(whole))[1]} == {
        "slice2of4"}
    assert "90 hosts × 4 images from 4 runs" in capsys.readouterr().err
    # Renderers and the gate take the merged result as they take the whole one.
    whole.dump(tmp_path / "whole.json")
    codes = [main(["report", str(path), "--quiet", "--html", f"{path}.html", "--junit", f"{path}.xml",
                   "--markdown", f"{path}.md"]) for path in (out, tmp_path / "whole.json")]
    assert codes == [1, 1]  # some hosts are incompatible, in both
    assert (tmp_path / "merged.json.xml").read_text() == (tmp_path / "whole.json.xml").read_text()
    assert (tmp_path / "merged.json.md").read_text() == (tmp_path / "whole.json.md").read_text()
    capsys.readouterr()
    assert main(["gate", str(out), "--require", "app-01", "--allow-unreachable"]) == main(
        ["gate", str(tmp_path / "whole.json"), "--require", "app-01", "--allow-unreachable"])


def test_merge_order_does_not_matter(tmp_path):
    parts = write_parts(tmp_path, slices(build_fleet(30, 2, 5), 3))
    main(["merge", *parts, "-o", str(tmp_path / "a.json"), "-q"])
    main(["merge", *reversed(parts), "-o", str(tmp_path / "b.json"), "-q"])
    assert cells(FleetResult.load(tmp_path / "a.json")) == cells(FleetResult.load(tmp_path / "b.json"))


def test_a_host_in_two_parts_newest_run_wins_and_the_merge_says_so(tmp_path, capsys):
    old = at(mini_fleet({"n1": GOOD, "n2": BAD, "n3": "unreachable"}), "2026-05-04T10:00:00Z")
    new = at(mini_fleet({"n2": GOOD, "n3": GOOD, "n4": BAD}), "2026-05-04T12:00:30+02:00")
    [old_path, new_path] = write_parts(tmp_path, [old, new])
    out = tmp_path / "m.json"
    assert main(["merge", new_path, old_path, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    # 12:00:30+02:00 is 10:00:30Z: newer than 10:00:00Z by half a minute, whatever the order on the command line.
    assert f"2 hosts of {old_path} superseded by the newer run in {new_path}: n2, n3" in err
    merged = FleetResult.load(out)
    by_name = {h.name: h for h in merged.hosts}
    assert [h.name for h in merged.hosts] == ["n1", "n2", "n3", "n4"]
    assert by_name["n2"].outcomes["app"].status is Status.COMPATIBLE
    assert by_name["n3"].status is HostStatus.OK
    assert merged.run.parts[by_name["n1"].part].source == old_path
    assert merged.run.parts[by_name["n3"].part].source == new_path
    assert {p.source: (p.hosts, p.superseded) for p in merged.run.parts} == {
        new_path: (3, ()), old_path: (1, ("n2", "n3"))}
    assert merged.run.started_at == "2026-05-04T10:00:00Z"


def test_merging_a_merged_result_keeps_each_hosts_own_run(tmp_path, capsys):
    """A merged part is not 'as new as its newest part' for every host: each host keeps its own run's time."""
    site_a = at(mini_fleet({"a1": BAD, "shared": BAD}), "2026-05-04T09:00:00Z", controller="site-a")
    site_b = at(mini_fleet({"b1": GOOD}), "2026-05-04T11:00:00Z", controller="site-b")
    site_c = at(mini_fleet({"shared": GOOD}), "2026-05-04T10:00:00Z", controller="site-c")
    a, b, c = write_parts(tmp_path, [site_a, site_b, site_c])
    main(["merge", a, b, "-o", str(tmp_path / "ab.json"), "-q"])
    assert main(["merge", str(tmp_path / "ab.json"), c, "-o", str(tmp_path / "abc.json")]) == 0
    merged = FleetResult.load(tmp_path / "abc.json")
    shared = next(h for h in merged.hosts if h.name == "shared")
    assert shared.outcomes["app"].status is Status.COMPATIBLE  # site c (10:00) is newer than site a (09:00)
    assert [p.controller for p in merged.run.parts] == ["site-a", "site-b", "site-c"]
    assert merged.run.parts[0].superseded == ("shared",)
    assert f"superseded by the newer run in {c}: shared" in capsys.readouterr().err


def test_sites_with_different_images_and_platforms(tmp_path):
    site_a = mini_fleet({"a1": GOOD}, {"app": None, "gpu": None})
    site_b = mini_fleet({"b1": GOOD}, {"app": None})
    paths = write_parts(tmp_path, [site_a, site_b])
    assert main(["merge", *paths, "-o", str(tmp_path / "m.json"), "-q"]) == 0
    merged = FleetResult.load(tmp_path / "m.json")
    b1 = next(h for h in merged.hosts if h.name == "b1")
    assert b1.outcomes["gpu"].status is Status.ERROR
    assert b1.outcomes["gpu"].reason == f"not audited for this image (no image 'gpu' in {paths[1]})"
    assert b1.outcomes["app"].status is Status.NO_SPEC


def test_equal_run_times_identical_entries_are_one_host(tmp_path):
    part = at(mini_fleet({"n1": GOOD}), "2026-05-04T10:00:00Z")
    [path] = write_parts(tmp_path, [part])
    assert main(["merge", path, path, "-o", str(tmp_path / "m.json"), "-q"]) == 0
    doc = json.loads((tmp_path / "m.json").read_text())
    assert [h["name"] for h in doc["hosts"]] == ["n1"] and len(doc["run"]["parts"]) == 2


def test_output_to_stdout(tmp_path, capsys):
    paths = write_parts(tmp_path, slices(mini_fleet({"n1": GOOD, "n2": BAD}), 2))
    assert main(["merge", *paths, "-o", "-", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [h["name"] for h in doc["hosts"]] == ["n1", "n2"] and [h["part"] for h in doc["hosts"]] == [0, 1]


def test_merged_run_spans_all_parts(tmp_path):
    first = replace(at(mini_fleet({"n1": GOOD}), "2026-05-04T10:00:00Z"), hosts=[])
    paths = write_parts(tmp_path, [
        replace(first, run=replace(first.run, duration_s=60.0)),
        at(replace(first, run=replace(first.run, duration_s=30.0)), "2026-05-04T10:05:00Z")])
    main(["merge", *paths, "-o", str(tmp_path / "m.json"), "-q"])
    assert FleetResult.load(tmp_path / "m.json").run.duration_s == 330.0


def _one_platform_site(host: str, platform: str, digest: str) -> FleetResult:
    """A site whose hosts are all on `platform`: its result knows the image's spec for that platform only."""
    spec = parse_spec(spec_text(description=f"from the {platform} manifest"), "a.yaml")
    builder = FleetResultBuilder(RunMeta.now())
    builder.add_image("multi", "reg/multi:1", digest="sha256:" + "1" * 64, spec_status=SpecStatus.OK)
    builder.add_platform("multi", platform, PlatformStatus.OK, spec=spec, subject="platform-manifest",
                         spec_digest=digest, spec_source="referrers-api: artifact on the manifest")
    builder.add_host(host, ["all"], GOOD.summary(), features=GOOD.features())
    builder.add_evaluation(host, "multi", evaluate_spec(spec, GOOD.features()), platform=platform)
    return builder.build()


def test_sites_on_different_platforms_keep_each_platforms_spec(tmp_path, capsys):
    amd, arm = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    paths = write_parts(tmp_path, [_one_platform_site("x1", "linux/amd64", amd),
                                   _one_platform_site("r1", "linux/arm64", arm)])
    assert main(["merge", *paths, "-o", str(tmp_path / "m.json"), "-q"]) == 0
    merged = FleetResult.load(tmp_path / "m.json")
    image = merged.image("multi")
    assert [(p.platform, p.spec_digest) for p in image.platforms] == [("linux/amd64", amd), ("linux/arm64", arm)]
    assert {h.name: h.outcomes["multi"].platform for h in merged.hosts} == {"r1": "linux/arm64", "x1": "linux/amd64"}
    # The same platform with another spec at the second site is a conflict.
    (tmp_path / "clash").mkdir()
    clash = write_parts(tmp_path / "clash", [_one_platform_site("x2", "linux/amd64", arm)])
    assert main(["merge", paths[0], *clash, "-o", str(tmp_path / "c.json")]) == 2
    assert f"linux/amd64: {amd}" in capsys.readouterr().err
