"""Hostile and conflicting parts: different specs for one image, parts that are not results, hosts in two runs
started at the same time, unparseable run times, 1,000 parts. Each error is one line naming the file, exit 2."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from fleetcompat.cli import main
from fleetcompat.results.fleet import FleetResult, Status
from tests.support.merge_parts import BAD, GOOD, at, mini_fleet, write_parts


def _with_spec_digest(result: FleetResult, digest: str) -> FleetResult:
    return replace(result, images=[replace(i, spec_digest=digest) for i in result.images])


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_different_spec_digests_are_an_error(tmp_path, capsys):
    old = at(_with_spec_digest(mini_fleet({"n1": GOOD}), "sha256:" + "a" * 64), "2026-05-04T10:00:00Z")
    new = at(_with_spec_digest(mini_fleet({"n2": BAD}), "sha256:" + "b" * 64), "2026-05-04T11:00:00Z")
    paths = write_parts(tmp_path, [old, new])
    out = tmp_path / "m.json"
    assert main(["merge", *paths, "-o", str(out)]) == 2
    err = _error_line(capsys)
    assert "image 'app' was audited with different specs" in err
    assert paths[0] in err and paths[1] in err and "a" * 64 in err and "b" * 64 in err and "--prefer newest" in err
    assert not out.exists()


def test_prefer_newest_keeps_the_newest_spec_and_marks_the_rest(tmp_path, capsys):
    old = at(_with_spec_digest(mini_fleet({"n1": GOOD, "n3": "unreachable"}), "sha256:" + "a" * 64),
             "2026-05-04T10:00:00Z")
    new = at(_with_spec_digest(mini_fleet({"n2": BAD}), "sha256:" + "b" * 64), "2026-05-04T11:00:00Z")
    paths = write_parts(tmp_path, [old, new])
    out = tmp_path / "m.json"
    assert main(["merge", *paths, "-o", str(out), "--prefer", "newest"]) == 0
    assert f"image app: kept the newest spec (sha256:{'b' * 64}, {paths[1]})" in capsys.readouterr().err
    merged = FleetResult.load(out)
    assert merged.image("app").spec_digest == "sha256:" + "b" * 64
    by_name = {h.name: h.outcomes["app"] for h in merged.hosts}
    assert by_name["n1"].status is Status.ERROR and "audited with another spec" in by_name["n1"].reason
    assert by_name["n2"].status is Status.INCOMPATIBLE
    assert by_name["n3"].status is Status.UNREACHABLE
    assert main(["gate", str(out)]) == 1  # n2 is definitely incompatible; n1 cannot make it pass


def test_prefer_newest_cannot_choose_between_equal_times(tmp_path, capsys):
    parts = [at(_with_spec_digest(mini_fleet({f"n{d}": GOOD}), "sha256:" + d * 64), "2026-05-04T10:00:00Z")
             for d in "ab"]
    assert main(["merge", *write_parts(tmp_path, parts), "-o", str(tmp_path / "m.json"), "--prefer", "newest"]) == 2
    assert "neither is newer" in _error_line(capsys)


def test_a_different_reference_under_one_alias_is_a_conflict(tmp_path, capsys):
    a = mini_fleet({"n1": GOOD})
    b = replace(mini_fleet({"n2": GOOD}), images=[replace(i, reference="reg/other:2") for i in a.images])
    assert main(["merge", *write_parts(tmp_path, [a, b]), "-o", str(tmp_path / "m.json")]) == 2
    assert "reg/other:2" in _error_line(capsys)


def test_duplicate_host_with_equal_times_and_different_results(tmp_path, capsys):
    parts = [at(mini_fleet({"n1": hw}), "2026-05-04T10:00:00Z") for hw in (GOOD, BAD)]
    paths = write_parts(tmp_path, parts)
    assert main(["merge", *paths, "-o", str(tmp_path / "m.json")]) == 2
    err = _error_line(capsys)
    assert "host 'n1'" in err and paths[0] in err and paths[1] in err and "neither is newer" in err


@pytest.mark.parametrize("content, expected", [
    (b'{"nodes": []}', "does not match fleetcompat.fleet-result/v1"),
    (b'{"schema": "fleetcompat.fleet-result/v9"}', "unsupported document schema"),
    (b"\x00\xff not json", "part-bad.json"),
    (b"", "part-bad.json"),
])
def test_a_part_that_is_not_a_result(tmp_path, capsys, content, expected):
    [good] = write_parts(tmp_path, [mini_fleet({"n1": GOOD})])
    bad = tmp_path / "part-bad.json"
    bad.write_bytes(content)
    assert main(["merge", good, str(bad), "-o", str(tmp_path / "m.json")]) == 2
    err = _error_line(capsys)
    assert expected in err and str(bad) in err


def test_a_fifo_part_is_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "part.json"
    os.mkfifo(fifo)
    assert main(["merge", str(fifo), "-o", str(tmp_path / "m.json")]) == 2
    assert str(fifo) in _error_line(capsys)


def test_an_unparseable_run_time(tmp_path, capsys):
    [path] = write_parts(tmp_path, [at(mini_fleet({"n1": GOOD}), "yesterday<script>")])
    assert main(["merge", path, "-o", str(tmp_path / "m.json")]) == 2
    assert "is not an RFC 3339 time" in _error_line(capsys)


def test_output_over_a_special_file_is_refused(tmp_path, capsys):
    [path] = write_parts(tmp_path, [mini_fleet({"n1": GOOD})])
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    assert main(["merge", path, "-o", str(fifo)]) == 2
    assert str(fifo) in _error_line(capsys)


def test_a_thousand_parts(tmp_path, capsys):
    one = mini_fleet({"n": GOOD})
    parts = [at(replace(one, hosts=[replace(one.hosts[0], name=f"node-{n:04d}")]), f"2026-05-04T10:{n % 60:02d}:00Z")
             for n in range(1000)]
    paths = write_parts(tmp_path, parts)
    assert main(["merge", *paths, "-o", str(tmp_path / "m.json")]) == 0
    assert "1000 hosts × 1 images from 1000 runs" in capsys.readouterr().err
    merged = FleetResult.load(tmp_path / "m.json")
    assert len(merged.run.parts) == 1000 and {h.part for h in merged.hosts} == set(range(1000))
    assert merged.run.started_at == "2026-05-04T10:00:00Z"
