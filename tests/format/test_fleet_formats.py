"""The fleet renderers' one contract (`fleetcompat._format.interface.FleetFormat`): each renders a result and a
`ReportContext` through the same signature, and shows of the context what its format can show."""

from __future__ import annotations

import inspect
import xml.etree.ElementTree as ET

import pytest

from fleetcompat._format.html import HtmlFormat
from fleetcompat._format.interface import NO_CONTEXT, FleetFormat, ReportContext
from fleetcompat._format.junit import JunitFormat
from fleetcompat._format.markdown import MarkdownFormat
from fleetcompat._format.prometheus import PrometheusFormat
from fleetcompat._format.terminal import TerminalFormat
from fleetcompat.results.gate import decide
from tests.support.fleet_synthetic import BAD, GOOD, mini_fleet

FORMATS = [HtmlFormat(), JunitFormat(), JunitFormat(compact=True), MarkdownFormat(), TerminalFormat(),
           PrometheusFormat()]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: type(f).__name__)
def test_every_fleet_renderer_has_the_protocols_signature(fmt):
    expected = inspect.signature(FleetFormat.render)
    assert inspect.signature(type(fmt).render) == expected
    result = mini_fleet({"good": GOOD, "bad": BAD})
    assert fmt.render(result) == fmt.render(result, NO_CONTEXT)


def test_the_decision_in_the_context_reaches_the_formats_that_show_one():
    result = mini_fleet({"good": GOOD, "bad": BAD})
    decision = decide(result)
    assert decision.verdict.startswith("gate: fail: app: 1 of 2 hosts incompatible")
    markdown = MarkdownFormat().render(result, ReportContext(decision))
    assert "**gate: fail: app: 1 of 2 hosts incompatible (bad)**" in markdown
    assert "gate: fail" not in MarkdownFormat().render(result)
    html = HtmlFormat().render(result, ReportContext(decision))
    assert "1 of 2 hosts incompatible (bad)" in html and "1 of 2 hosts incompatible" not in HtmlFormat().render(result)
    # JUnit, the terminal matrix and the metrics carry the cells, not the gate's line: same text either way.
    for fmt in (JunitFormat(), TerminalFormat(), PrometheusFormat()):
        assert fmt.render(result, ReportContext(decision)) == fmt.render(result)
    ET.fromstring(JunitFormat().render(result, ReportContext(decision)).encode())
