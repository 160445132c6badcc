"""Compact JUnit (`fleetcompat report --junit F --junit-compact`): a testcase per image × hardware profile with its
hosts listed, every host exactly once per image, hostile names and reasons as text, far smaller than per host."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fleetcompat.cli import main
from tests.merge.merge_parts import HOSTILE, build_fleet


def test_compact_junit_lists_every_host_once_per_image(tmp_path):
    fleet = build_fleet(600, 4, 12, unreachable=7, gather_errors=3, no_spec_images=1, hostile=True)
    fleet.dump(tmp_path / "r.json")
    assert main(["report", str(tmp_path / "r.json"), "-q", "--exit-zero", "--junit", str(tmp_path / "full.xml")]) == 0
    assert main(["report", str(tmp_path / "r.json"), "-q", "--exit-zero", "--junit", str(tmp_path / "c.xml"),
                 "--junit-compact"]) == 0
    compact = ET.parse(tmp_path / "c.xml").getroot()
    full = ET.parse(tmp_path / "full.xml").getroot()
    names = sorted(h.name for h in fleet.hosts)
    for suite in compact.iter("testsuite"):
        listed = []
        for case in suite.iter("testcase"):
            error = case.find("error")
            if error is not None:  # unreachable / error hosts: one line per host, with its reason
                listed += [line.split(": ")[0] for line in error.text.splitlines()]
            else:
                out = case.find("system-out").text.splitlines()[-1]
                assert out.startswith("hosts: ")
                listed += out.removeprefix("hosts: ").split(" ")
        # Host names with spaces in them (the hostile one) are split; compare the joined text instead.
        assert " ".join(sorted(listed)).count("node-") == len(names)
        assert int(suite.get("tests")) == len(suite.findall("testcase")) <= 14
    assert HOSTILE.split("<")[0] in ET.tostring(compact, encoding="unicode")
    assert len((tmp_path / "c.xml").read_bytes()) * 5 < len((tmp_path / "full.xml").read_bytes())
    assert sum(int(s.get("tests")) for s in full.iter("testsuite")) == len(names) * 4
    # An incompatible profile carries the failing expressions once, like each of its hosts in the full form.
    failure = next(c.find("failure") for c in compact.iter("testcase") if c.find("failure") is not None)
    assert "expected" in failure.text and "host has" in failure.text
