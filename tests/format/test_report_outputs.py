"""`fleetcompat report`: JUnit XML, Markdown, terminal matrix and JSON from one validated result."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

from fleetcompat.cli import main
from fleetcompat.results.fleet import FleetResult, schema
from tests.support.fleet_synthetic import (
    BAD,
    EVAL_ERROR,
    GOOD,
    HOSTILE,
    UNREACHABLE,
    build_fleet,
    mini_fleet,
    spec_text,
)


@pytest.fixture
def mixed(tmp_path):
    """Every status once: compatible, incompatible, unreachable, evaluation error, no-spec."""
    path = tmp_path / "result.json"
    mini_fleet({"good": GOOD, "bad": BAD, "down": UNREACHABLE, "odd": EVAL_ERROR},
               {"app": spec_text(), "nospec": None}).dump(path)
    return path


def report(capsys, *args):
    code = main(["report", *map(str, args)])
    return code, capsys.readouterr()


def test_junit_suite_per_image_case_per_host(tmp_path, capsys, mixed):
    junit = tmp_path / "junit.xml"
    code, _ = report(capsys, mixed, "--junit", junit, "--quiet")
    assert code == 1  # the default gate verdict: "bad" is incompatible
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "8"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"app", "nospec"}
    app = suites["app"]
    assert (app.get("tests"), app.get("failures"), app.get("errors"), app.get("skipped")) == ("4", "1", "2", "0")
    cases = {c.get("name"): c for c in app.iter("testcase")}
    assert cases["good"].find("failure") is None and "best set #1 weight 10" in cases["good"].findtext("system-out")
    failure = cases["bad"].find("failure")
    assert failure.get("type") == "incompatible"
    assert "cpu.cpuid.AVX512F: expected Exists, host has (absent)" in failure.text
    assert "kernel.version.major: expected Gt [4], host has 4" in failure.text
    assert cases["down"].find("error").get("type") == "unreachable"
    assert "Connection refused" in cases["down"].find("error").text
    assert "not an integer" in cases["odd"].find("error").get("message")
    nospec = {c.get("name"): c for c in suites["nospec"].iter("testcase")}
    assert nospec["good"].find("skipped") is not None
    assert nospec["down"].find("error") is not None  # unreachable stays an error even without a spec


def test_junit_escapes_and_drops_characters_xml_cannot_carry(tmp_path, capsys):
    result = build_fleet(6, 2, 2, hostile=True, unreachable=1)
    result.hosts[1].name = "ctl\x01char" + HOSTILE
    path, junit = tmp_path / "r.json", tmp_path / "j.xml"
    result.dump(path)
    report(capsys, path, "--junit", junit, "--quiet")
    root = ET.parse(junit).getroot()  # well-formed despite the hostile strings
    names = [c.get("name") for c in root.iter("testcase")]
    assert "ctl\ufffdchar" + HOSTILE in names and any(HOSTILE in n for n in names)


def test_markdown_summary_escapes_data(tmp_path, capsys):
    result = build_fleet(8, 2, 2, hostile=True, unreachable=1)
    path, md = tmp_path / "r.json", tmp_path / "summary.md"
    result.dump(path)
    report(capsys, path, "--markdown", md, "--quiet")
    text = md.read_text()
    assert text.startswith("## fleetcompat: 8 hosts × 2 images")
    assert "| image | compatible | incompatible | unreachable | error | no-spec | compatible share |" in text
    assert "<script>" not in text and "<img" not in text  # every data < is an entity
    assert "&lt;script&gt;window.\\_\\_xss=1&lt;/script&gt;" in text
    columns = None
    for line in text.splitlines():  # data cannot add table cells: every row has its table's column count
        if not line.startswith("|"):
            columns = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))
        columns = columns or cells
        assert cells == columns, line


def test_terminal_matrix_colour_only_when_asked(tmp_path, capsys, monkeypatch, mixed):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    code, out = report(capsys, mixed)
    assert code == 1 and "\x1b[" not in out.out
    assert "2 hosts × 2 images" not in out.out and "4 hosts × 2 images" in out.out
    assert "hardware profiles" in out.out and "FAIL" in out.out and "unreach" in out.out
    assert out.out.rstrip().splitlines()[-1].startswith("gate: fail: app: 1 of 4 hosts incompatible (bad)")
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[31mFAIL\x1b[0m" in report(capsys, mixed)[1].out


def test_terminal_neutralises_escape_sequences(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    result = mini_fleet({"evil\x1b[2J": GOOD})
    path = tmp_path / "r.json"
    result.dump(path)
    _, out = report(capsys, path)
    assert "\x1b" not in out.out and "evil\\x1b[2J" in out.out


def test_json_re_emits_the_validated_result(tmp_path, capsys, mixed):
    again = tmp_path / "again.json"
    code, out = report(capsys, mixed, "--json", again, "--quiet", "--exit-zero")
    assert code == 0 and out.out == ""
    doc = json.loads(again.read_text())
    Draft202012Validator(schema()).validate(doc)
    assert doc == FleetResult.load(mixed).to_dict()


def test_report_exit_codes_follow_the_gate(tmp_path, capsys):
    for hosts, expected in (({"a": GOOD}, 0), ({"a": BAD}, 1), ({"a": GOOD, "b": UNREACHABLE}, 2)):
        path = tmp_path / "r.json"
        mini_fleet(hosts).dump(path)
        assert report(capsys, path, "--quiet")[0] == expected


def test_bad_input_and_unwritable_output(tmp_path, capsys, mixed):
    missing = tmp_path / "none.json"
    code, out = report(capsys, missing)
    assert code == 2 and out.err.strip() == f"fleetcompat: error: {missing}: cannot read fleet result: " \
                                            "No such file or directory"
    code, out = report(capsys, mixed, "--html", tmp_path / "no" / "dir" / "r.html", "--quiet")
    assert code == 2 and out.err.count("\n") == 1 and "cannot write" in out.err
