"""Compact JUnit (`fleetcompat report --junit F --junit-compact`): a testcase per image × hardware profile with its
host count and first hosts, every host counted once per image, hostile names and reasons as text, far smaller."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from fleetcompat._format.junit import COMPACT_HOSTS_LISTED
from fleetcompat.cli import main
from fleetcompat.errors import FleetcompatError
from fleetcompat.fleet.report import write_reports
from tests.support.merge_parts import HOSTILE, build_fleet


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
        counted = 0
        for case in suite.iter("testcase"):
            count = int(re.search(r": (\d+) hosts?$", case.get("name"))[1])
            counted += count
            error = case.find("error")
            text = error.text if error is not None else case.find("system-out").text.split("hosts:\n")[-1]
            lines = text.split("\n")  # not splitlines(): the hostile host name holds U+2028
            assert len(lines) == min(count, COMPACT_HOSTS_LISTED) + (count > COMPACT_HOSTS_LISTED)
            if count > COMPACT_HOSTS_LISTED:
                assert lines[-1].startswith(f"… and {count - COMPACT_HOSTS_LISTED} more")
            assert all(line.startswith("node-") for line in lines[:COMPACT_HOSTS_LISTED])
        assert counted == len(names)
        assert int(suite.get("tests")) == len(suite.findall("testcase")) <= 14
    assert HOSTILE.split("<")[0] in ET.tostring(compact, encoding="unicode")
    assert len((tmp_path / "c.xml").read_bytes()) * 10 < len((tmp_path / "full.xml").read_bytes())
    assert sum(int(s.get("tests")) for s in full.iter("testsuite")) == len(names) * 4
    # An incompatible profile carries the failing expressions once, like each of its hosts in the full form.
    failure = next(c.find("failure") for c in compact.iter("testcase") if c.find("failure") is not None)
    assert "expected" in failure.text and "host has" in failure.text


def test_reports_write_one_junit_or_the_other(tmp_path):
    fleet = build_fleet(40, 2, 4)
    paths = write_reports(fleet, tmp_path / "r", ["json", "junit-compact"])
    assert paths["junit-compact"].name == "fleet-junit.xml"
    assert "hosts:" in paths["junit-compact"].read_text()
    with pytest.raises(FleetcompatError, match=r"junit and junit-compact both write fleet-junit\.xml"):
        write_reports(fleet, tmp_path / "r2", ["junit", "junit-compact"])
    assert not (tmp_path / "r2" / "fleet-junit.xml").exists()
