"""`fleetcompat report --prometheus FILE` parsed by the official prometheus_client parser: every family has HELP
and TYPE, the numbers are the result's, hostile image names survive as label values, the file is written
atomically and never over a FIFO."""

from __future__ import annotations

import datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from fleetcompat.cli import main
from tests.support.fleet_synthetic import BAD, GOOD, UNREACHABLE, mini_fleet, spec_text
from tests.support.hostile import make_fifo

HOSTILE_ALIAS = 'gpu "prod"\\x\nnext_metric{a="b"} 1'
HOSTILE_REFERENCE = 'reg.example/app:1" } 9\n# TYPE x counter'


def samples(text: str) -> dict[str, list]:
    return {family.name: [(s.labels, s.value) for s in family.samples] for family in
            text_string_to_metric_families(text)}


def test_metrics_parse_and_match_the_result(tmp_path: Path, capsys) -> None:
    result = mini_fleet({"a": GOOD, "b": GOOD, "c": BAD, "d": UNREACHABLE},
                        {"app": spec_text(), HOSTILE_ALIAS: spec_text(), "nospec": None})
    result.images[1].reference = HOSTILE_REFERENCE
    source = tmp_path / "result.json"
    result.dump(source)
    out = tmp_path / "fleetcompat.prom"
    assert main(["report", str(source), "--prometheus", str(out), "--quiet", "--exit-zero"]) == 0
    text = out.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleetcompat.prom", "result.json"]  # no temp file left
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, family in families.items():
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text and family.type == "gauge"
    metrics = samples(text)
    hosts = {(labels["image"], labels["status"]): value for labels, value in metrics["fleetcompat_image_hosts"]}
    assert hosts[("app", "compatible")] == 2 and hosts[("app", "incompatible")] == 1
    assert hosts[("app", "unreachable")] == 1 and hosts[("nospec", "no-spec")] == 3
    assert hosts[(HOSTILE_ALIAS, "compatible")] == 2  # quotes, backslash and newline came back intact
    ratio = {labels["image"]: value for labels, value in metrics["fleetcompat_image_compatible_ratio"]}
    assert ratio == {"app": 0.5, HOSTILE_ALIAS: 0.5, "nospec": 0.0}
    info = {labels["image"]: labels for labels, _ in metrics["fleetcompat_image_info"]}
    assert info[HOSTILE_ALIAS]["reference"] == HOSTILE_REFERENCE and info["nospec"]["spec_status"] == "no-spec"
    started = datetime.datetime.fromisoformat(result.run.started_at).timestamp()
    assert metrics["fleetcompat_run_timestamp_seconds"] == [({}, started)]
    assert metrics["fleetcompat_run_duration_seconds"] == [({}, result.run.duration_s)]
    assert {labels["status"]: v for labels, v in metrics["fleetcompat_run_hosts"]} == {
        "ok": 3, "unreachable": 1, "error": 0}
    # A hostile value cannot start a line of its own: every line is a comment or a fleetcompat sample.
    assert all(line.startswith(("# HELP fleetcompat_", "# TYPE fleetcompat_", "fleetcompat_"))
               for line in text.splitlines())


def test_prometheus_file_is_never_written_over_a_fifo(tmp_path: Path, capsys) -> None:
    source = tmp_path / "result.json"
    mini_fleet({"a": GOOD}).dump(source)
    target = make_fifo(tmp_path / "fleetcompat.prom")
    assert main(["report", str(source), "--prometheus", str(target), "--quiet"]) == 2
    assert "exists and is a FIFO" in capsys.readouterr().err
    assert target.is_fifo()


def test_waiver_metrics(tmp_path: Path, capsys) -> None:
    """Per waiver: when it stops applying and what it waived; how many have expired (alert before they lapse)."""
    source = tmp_path / "result.json"
    mini_fleet({"a": GOOD, "c": BAD, "d": BAD}, {"app": spec_text()}).dump(source)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "- {image: app, hosts: [c], justification: kernel rollout, owner: 'ops \"team\"', expires: 2099-01-31,"
        " ticket: OPS-1}\n"
        "- {image: app, hosts: [d], justification: old, owner: ops, expires: 2020-01-31}\n")
    out = tmp_path / "fleetcompat.prom"
    assert main(["report", str(source), "--waivers", str(waivers), "--prometheus", str(out), "--quiet",
                 "--exit-zero"]) == 0
    metrics = samples(out.read_text())
    expiry = {labels["hosts"]: (labels, value)
              for labels, value in metrics["fleetcompat_waiver_expiry_timestamp_seconds"]}
    assert expiry["c"][1] == datetime.datetime(2099, 2, 1, tzinfo=datetime.UTC).timestamp()
    assert expiry["c"][0]["owner"] == 'ops "team"' and expiry["c"][0]["ticket"] == "OPS-1"
    assert expiry["d"][1] == datetime.datetime(2020, 2, 1, tzinfo=datetime.UTC).timestamp()
    cells = {labels["hosts"]: value for labels, value in metrics["fleetcompat_waiver_cells"]}
    assert cells == {"c": 1, "d": 1}  # the expired one counts the cell it would have waived
    assert metrics["fleetcompat_waivers_expired"] == [({}, 1)]
