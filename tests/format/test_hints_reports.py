"""Remediation hints in the fleet result and every renderer: stored additively (old results still load), shown by
JSON, Markdown, the terminal and the HTML drill-down (real Chromium), hostile strings inert everywhere."""

from __future__ import annotations

import json

import pytest

from fleetcompat._format.markdown import MarkdownFormat
from fleetcompat._format.terminal import TerminalFormat
from fleetcompat.cli import main
from fleetcompat.engine import evaluate_spec
from fleetcompat.results.fleet import FleetResult, FleetResultBuilder, RunMeta, Status, dumps
from tests.support.builders import features, spec
from tests.support.fleet_synthetic import HOSTILE, build_fleet  # the reports' synthetic fleets, not a copy


@pytest.fixture(scope="module")
def fleet() -> FleetResult:
    return build_fleet(60, 3, 8, unreachable=2)


def _hinted(result: FleetResult):
    return [(host, alias, outcome) for host in result.hosts for alias, outcome in host.outcomes.items()
            if outcome.remediation is not None]


def test_every_evaluated_incompatible_cell_has_hints_and_they_round_trip(fleet):
    incompatible = [(h, a, o) for h in fleet.hosts for a, o in h.outcomes.items()
                    if o.status is Status.INCOMPATIBLE and o.failing]
    assert incompatible and len(_hinted(fleet)) == len(incompatible)
    assert all(o.remediation.hints for _, _, o in incompatible)
    loaded = FleetResult.from_dict(json.loads(dumps(fleet.to_dict())))
    assert [h.outcomes for h in loaded.hosts] == [h.outcomes for h in fleet.hosts]


def test_results_written_before_hints_still_load_and_render(fleet, tmp_path):
    doc = json.loads(dumps(fleet.to_dict()))
    for outcome in doc["outcomes"]:
        outcome.pop("remediation", None)
    (tmp_path / "old.json").write_text(json.dumps(doc))
    old = FleetResult.load(tmp_path / "old.json")
    assert not _hinted(old)
    assert [h.outcomes[a].status for h in old.hosts for a in old.aliases()] == \
           [h.outcomes[a].status for h in fleet.hosts for a in fleet.aliases()]
    assert "What would fix it" not in MarkdownFormat().render(old)
    assert main(["report", str(tmp_path / "old.json"), "--quiet", "--exit-zero", "--markdown",
                 str(tmp_path / "old.md")]) == 0


def test_markdown_and_terminal_show_the_closest_set_and_its_hints(fleet):
    _, _, outcome = _hinted(fleet)[0]
    hint = outcome.remediation.hints[0]
    markdown = MarkdownFormat().render(fleet)
    section = markdown.split("### What would fix it", 1)[1]
    assert f"*{hint.hint_class}*:" in section and f"set \\#{outcome.remediation.set_index + 1}" in section
    terminal = TerminalFormat().render(fleet)
    assert f"  [{hint.hint_class}] {hint.text}" in terminal
    assert "What would fix it (closest compatibility set; hints by class)" in terminal


def hostile_fleet() -> FleetResult:
    """A host whose CPU vendor (and name) is hostile, failing a spec that asks for Intel: the hint quotes it."""
    needs_intel = spec("""
    version: v1alpha1
    compatibilities:
    - rules:
      - name: intel
        matchFeatures:
        - feature: cpu.model
          matchExpressions: {vendor_id: {op: In, value: [Intel]}}
    """)
    builder = FleetResultBuilder(RunMeta.now())
    builder.add_image("app", "registry.example/app:1", spec=needs_intel)
    for name, vendor in ((f"node{HOSTILE}", f"AMD{HOSTILE}\x1b[31m"), ("node-2", "Intel")):
        host = features(attrs={"cpu.model": {"vendor_id": vendor}})
        builder.add_host(name, summary={"cpu": {"vendor": vendor}}, features=host)
        builder.add_evaluation(name, "app", evaluate_spec(needs_intel, host))
    return builder.build()


def test_hostile_strings_in_hints_are_escaped_in_text_outputs():
    result = hostile_fleet()
    texts = [h.text for _, _, o in _hinted(result) for h in o.remediation.hints]
    assert any("<script>" in t for t in texts), "the hostile vendor reaches a hint"
    markdown = MarkdownFormat().render(result).split("### What would fix it", 1)[1]
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown and "\u2028" not in markdown
    terminal = TerminalFormat().render(result)
    assert "\u2028" in HOSTILE and "\x1b" not in terminal and "\\x1b[31m" in terminal


def test_html_drilldown_shows_hints_as_text(tmp_path, page):
    result = hostile_fleet()
    path, html = tmp_path / "result.json", tmp_path / "report.html"
    result.dump(path)
    assert main(["report", str(path), "--html", str(html), "--quiet", "--exit-zero"]) == 0
    groups = result.profile_groups()
    row, column = next((r, c) for r, g in enumerate(groups) for c, o in enumerate(g.outcomes)
                       if o.remediation is not None and any("<script>" in h.text for h in o.remediation.hints))
    remediation = groups[row].outcomes[column].remediation
    page.goto(html.as_uri())
    page.wait_for_selector("html[data-ready]")
    page.locator("#matrix-body tr.group").nth(row).locator(f"button.cell[data-image='{column}']").click()
    drill = page.locator("#drilldown")
    assert "What would fix it" in drill.locator("h3").all_text_contents()
    items = drill.locator("ul.hints li").all_text_contents()
    assert items == [f"{h.hint_class} {h.text}" for h in remediation.hints]
    classes = drill.locator("ul.hints li span.hint").evaluate_all("es => es.map(e => e.className)")
    assert classes == [f"hint hint-{h.hint_class}" for h in remediation.hints]
    assert f"closest set #{remediation.set_index + 1}" in drill.locator("p.muted").first.text_content()
    assert page.evaluate("window.__xss") is None and page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.problems == []
