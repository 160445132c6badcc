"""Last known statuses in the renderers: ages counted from the run's own start, hostile times kept as text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from fleetcompat._format.html import HtmlFormat
from fleetcompat._format.junit import JunitFormat
from fleetcompat._format.markdown import MarkdownFormat
from fleetcompat._format.shared import age
from fleetcompat._format.terminal import TerminalFormat
from fleetcompat.history.lastknown import with_last_known
from fleetcompat.results.fleet import FleetResult, LastKnown, Status
from tests.support.fleet_synthetic import GOOD, HOSTILE, UNREACHABLE, mini_fleet
from tests.support.history import open_report

RUN = "2026-05-04T02:00:00Z"


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-05-04T01:59:30Z", "0 min ago"),
    ("2026-05-04T00:01:00Z", "119 min ago"),  # hours from 2 h on
    ("2026-05-04T00:00:00Z", "2 h ago"),
    ("2026-05-02T03:00:00Z", "47 h ago"),  # days from 2 d on
    ("2026-05-02T02:00:00Z", "2 d ago"),
    ("2026-04-01T02:00:00+02:00", "33 d ago"),  # offsets count
    ("2026-05-01T02:00:00", "3 d ago"),  # no offset: UTC
    ("2026-05-05T02:00:00Z", "0 min ago"),  # a clock ahead of this run is not "in the future"
    ("yesterday", "on yesterday"),  # unreadable: the text as it is
])
def test_age(at: str, expected: str) -> None:
    assert age(at, RUN) == expected


def test_hostile_last_known_time_stays_text(tmp_path, page) -> None:
    """A result file is input: a crafted `lastKnown.at` (markup, a script-element breakout, a terminal escape) is
    shown literally by every renderer and runs nothing in the HTML."""
    bad = HOSTILE + "\x1b[2J"
    result = with_last_known(mini_fleet({"n1": UNREACHABLE, "n2": GOOD}),
                             {"n1": {"app": LastKnown(Status.COMPATIBLE, bad)}})
    result = FleetResult.from_dict(json.loads(json.dumps(result.to_dict())))  # through the file format
    terminal = TerminalFormat().render(result)
    assert "\x1b" not in terminal and "unreach · ok on <script>" in terminal
    markdown = MarkdownFormat().render(result)
    assert "<script>" not in markdown and "compatible on &lt;script&gt;" in markdown
    junit = ET.fromstring(JunitFormat().render(result).encode())
    assert any(f"(last known: compatible on {HOSTILE}" in (e.get("message") or "") for e in junit.iter("error"))
    html = tmp_path / "hostile.html"
    html.write_text(HtmlFormat().render(result))

    open_report(page, html)
    button = page.locator("button.cell.st-unreachable")
    text = button.inner_text()
    button.click()
    xss, images = page.evaluate("window.__xss"), page.evaluate("document.querySelectorAll('img').length")
    assert text.startswith("unreach · ok on <script>window.__xss=1</script>")
    assert xss is None and images == 0 and not page.problems
