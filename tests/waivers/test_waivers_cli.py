"""Waivers through the real CLI: the gate passes waived cells and names expired waivers, every renderer shows
waived cells apart, `waivers check` exit codes, `audit --waivers`, and hostile waiver files."""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET

import pytest

from fleetcompat.cli import main
from tests.support.drift_fleets import CPU_NO_VFIO, DPDK_SPEC, SPEC_V1, fleet
from tests.support.fleet_synthetic import BAD, GOOD, HOSTILE
from tests.support.hostile import FEATURES, REPO, assert_one_line_error, fleetcompat, make_fifo

TODAY = datetime.datetime.now(datetime.UTC).date()


def entry(image="api", hosts="[node-*]", expires="2099-12-31", extra="", justification="driver update pending"):
    return (f"- image: {image}\n  hosts: {hosts}\n  justification: {json.dumps(justification)}\n"
            f"  owner: alice@example.com\n  expires: {expires}\n{extra}")


@pytest.fixture
def result(tmp_path):
    path = tmp_path / "result.json"
    fleet({"node-1": BAD, "node-2": GOOD, "edge-1": BAD}, {"api": SPEC_V1}).dump(path)
    return path


def write(tmp_path, *entries, name="waivers.yml"):
    path = tmp_path / name
    path.write_text("waivers:\n" + "".join(entries))
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().out


def test_gate_passes_waived_cells_and_names_expired_waivers(tmp_path, capsys, result):
    assert run(capsys, "gate", result)[0] == 1
    code, out = run(capsys, "gate", result, "--waivers", write(tmp_path, entry(hosts="[node-1, edge-1]")))
    assert (code, out) == (0, "fleetcompat gate: pass: api: compatible on all 3 hosts (2 waived)\n")
    expired = write(tmp_path, entry(hosts="[node-1, edge-1]", expires="2020-01-31", extra="  ticket: OPS-9\n"))
    code, out = run(capsys, "gate", result, "--waivers", expired)
    assert code == 1
    assert out == ("fleetcompat gate: fail: api: 2 of 3 hosts incompatible (node-1, edge-1); expired waiver no longer "
                   "applies: api on node-1, edge-1 (alice@example.com, expired 2020-01-31, OPS-9): 2 cells\n")
    code, out = run(capsys, "gate", result, "--min-compatible", "2", "--waivers", write(tmp_path, entry()))
    assert (code, out) == (0, "fleetcompat gate: pass: api: 2 of 3 hosts compatible, 2 hosts required (2)\n")


def test_every_renderer_shows_waived_cells_apart(tmp_path, capsys, result):
    waivers = write(tmp_path, entry(extra="  ticket: OPS-1\n"), entry(hosts="[edge-1]", expires="2020-01-01"))
    out = tmp_path / "out"
    out.mkdir()
    code, terminal = run(capsys, "report", result, "--waivers", waivers, "--junit", out / "j.xml", "--markdown",
                         out / "r.md", "--json", out / "r.json", "--html", out / "r.html")
    assert code == 1  # edge-1's waiver expired
    assert "waived" in terminal.splitlines()[1]  # a column of its own
    assert "waives 1 cell: api on node-* (alice@example.com, expires 2099-12-31, OPS-1) — driver update" in terminal
    assert "EXPIRED would cover 1 cell: api on edge-1" in terminal
    assert next(line for line in terminal.splitlines() if line.startswith("node-1")).endswith(" waived")
    markdown = (out / "r.md").read_text()
    assert "| image | compatible | incompatible | unreachable | error | no-spec | waived | compatible share |" \
        in markdown
    assert "| api | 1 | 1 | 0 | 0 | 0 | 1 | 33.3% |" in markdown
    assert "**expired**, would cover 1" in markdown
    suite = ET.parse(out / "j.xml").getroot().find("testsuite")
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")
    case = next(c for c in suite.iter("testcase") if c.get("name") == "node-1")
    assert case.find("skipped").get("message").startswith("waived (incompatible): driver update pending — api on")
    assert "incompatible: set #1" in case.find("system-out").text and "AVX512F" in case.find("system-out").text
    doc = json.loads((out / "r.json").read_text())
    assert doc["waivers"]["entries"][1]["expired"] is True
    html = (out / "r.html").read_text()
    assert "OPS-1" in html and 'class="expired"' in html


def test_waivers_check_exit_codes(tmp_path, capsys, result):
    soon = (TODAY + datetime.timedelta(days=3)).isoformat()
    code, out = run(capsys, "waivers", "check", write(tmp_path, entry(), entry(expires=soon)), "--result", result)
    assert code == 0
    assert f"waivers.yml:7: expiring: api on node-* (alice@example.com, expires {soon}): expires in 3 days" in out
    assert out.splitlines()[-1].endswith("2 entries, 2 in force, 1 finding")
    assert run(capsys, "waivers", "check", write(tmp_path, entry(expires=soon)), "--within", "2")[0] == 0
    code, out = run(capsys, "waivers", "check", write(tmp_path, entry(image="nope"), entry(expires="2020-01-01")),
                    "--result", result)
    assert code == 1
    assert "waivers.yml:2: unknown-image: no image 'nope' in the fleet (images: api)" in out
    assert "waivers.yml:7: expired: api on node-*" in out
    code, out = run(capsys, "waivers", "check", write(tmp_path, entry(expires="soon"), entry(hosts="7")))
    assert code == 2
    assert "waivers.yml:6: malformed: waivers[0].expires: expected a date (YYYY-MM-DD), got 'soon'" in out
    assert "waivers.yml:8: malformed: waivers[1].hosts" in out


def test_audit_records_waivers_in_the_result(tmp_path, capsys):
    spec = REPO / "examples/specs/x86-64-v3.yaml"
    waivers = write(tmp_path, entry(image="x86-64-v3", hosts="xeon-*", extra="  statuses: [incompatible, error]\n"))
    code, _ = run(capsys, "audit", "--spec", spec, "--features", FEATURES, "--output-dir", tmp_path / "r",
                  "--waivers", waivers, "--format", "json", "-q")
    doc = json.loads((tmp_path / "r" / "fleet-result.json").read_text())
    assert code == 0
    assert doc["waivers"]["entries"][0]["image"] == "x86-64-v3"
    assert doc["waivers"]["source"] == str(waivers)


def test_hostile_waiver_files_are_one_line_errors(tmp_path, result):
    fifo = make_fifo(tmp_path / "fifo.yml")
    assert_one_line_error(fleetcompat("gate", result, "--waivers", fifo), str(fifo), "a FIFO, not a regular file")
    big = write(tmp_path, entry(), name="big.yml")
    assert_one_line_error(fleetcompat("report", result, "--waivers", big, env={"FLEETCOMPAT_MAX_WAIVERS_BYTES": "50"}),
                          "waivers file is larger than 50 bytes", "FLEETCOMPAT_MAX_WAIVERS_BYTES")
    bomb = tmp_path / "bomb.yml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)))
    assert_one_line_error(fleetcompat("waivers", "check", bomb, memory_mb=1024), "YAML aliases expand")
    malformed = write(tmp_path, entry(expires="tomorrow"), name="bad.yml")
    assert_one_line_error(fleetcompat("gate", result, "--waivers", malformed),
                          "bad.yml:6: waivers[0].expires: expected a date")
    audit = fleetcompat("audit", "--spec", REPO / "examples/specs/x86-64-v3.yaml", "--features", FEATURES,
                        "--output-dir", tmp_path / "r", "--waivers", malformed)
    assert_one_line_error(audit, "bad.yml:6")
    assert not (tmp_path / "r").exists()  # refused before anything was gathered or written


def test_hostile_waiver_text_shows_literally_in_every_renderer(tmp_path, capsys):
    result = tmp_path / "result.json"
    fleet({"node-1": CPU_NO_VFIO}, {"dpdk": DPDK_SPEC}).dump(result)
    waivers = write(tmp_path, entry(image="dpdk", justification=HOSTILE, extra=f"  ticket: {json.dumps(HOSTILE)}\n"))
    out = tmp_path / "out"
    out.mkdir()
    code, terminal = run(capsys, "report", result, "--waivers", waivers, "--markdown", out / "r.md", "--junit",
                         out / "j.xml", "--html", out / "r.html")
    assert code == 0
    assert "waives 1 cell: dpdk on node-* (alice@example.com, expires 2099-12-31, <script>window.__xss=1" in terminal
    markdown = (out / "r.md").read_text()
    assert "<script>" not in markdown and "<img" not in markdown and "&lt;script&gt;" in markdown
    ET.parse(out / "j.xml")  # still well-formed XML
    html = (out / "r.html").read_text()
    assert "<script>window.__xss" not in html and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
