"""The HTML report in a real headless Chromium: filters, sorting, profile groups, drill-down, hostile strings."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fleetcompat.cli import main
from fleetcompat.results.fleet import Status
from tests.support.fleet_synthetic import HOSTILE, build_fleet


def render(tmp_path, result, name="report.html"):
    path, html = tmp_path / "result.json", tmp_path / name
    result.dump(path)
    assert main(["report", str(path), "--html", str(html), "--quiet", "--exit-zero"]) == 0
    return html


def open_report(page, html):
    page.goto(html.as_uri())
    page.wait_for_selector("html[data-ready]")


def visible_rows(page):
    return page.locator("#matrix-body tr.group")


def hosts_in_rows(page) -> list[int]:
    return [int(v) for v in page.eval_on_selector_all("#matrix-body tr.group", "rs => rs.map(r => r.dataset.hosts)")]


@pytest.fixture(scope="module")
def fleet():
    return build_fleet(120, 4, 6, unreachable=3, gather_errors=1, no_spec_images=1)


def test_matrix_filters_sorting_groups_and_drilldown(tmp_path, page, fleet, artifacts):
    html = render(tmp_path, fleet)
    open_report(page, html)
    groups = fleet.profile_groups()
    assert visible_rows(page).count() == len(groups)
    assert page.locator("#shown").text_content() == f"{len(groups)} of {len(groups)} profiles · 120 hosts"
    alias = fleet.aliases()[2]
    counts = fleet.status_counts(alias)
    share = page.locator("table.images tbody tr").nth(2).locator("td.share").text_content()
    assert share == f"{100 * counts[Status.COMPATIBLE] / 120:.1f}%"

    # status + image filter: only that image's column, only rows where it is incompatible
    page.select_option("#f-image", "2")
    page.select_option("#f-status", "incompatible")
    assert page.locator("#matrix-head th").count() == 4
    assert page.locator("#matrix-body button.cell").evaluate_all("bs => bs.map(b => b.className)") == \
        ["cell st-incompatible"] * visible_rows(page).count()
    assert sum(hosts_in_rows(page)) == counts[Status.INCOMPATIBLE]

    # inventory group filter counts members, free text finds one host
    page.select_option("#f-status", "")
    page.select_option("#f-image", "")
    page.select_option("#f-group", label="dc1")
    assert sum(hosts_in_rows(page)) == sum("dc1" in h.groups for h in fleet.hosts)
    page.select_option("#f-group", "")
    target = groups[0].hosts[-1].name
    page.fill("#f-text", target)
    expect(page.locator("#shown")).to_have_text(re.compile(r"^1 of "))  # the text filter is debounced
    assert hosts_in_rows(page) == [1]
    assert page.locator("#matrix-body td.hosts").text_content().startswith(f"1 of {len(groups[0].hosts)}")
    page.fill("#f-text", "")
    expect(visible_rows(page)).to_have_count(len(groups))

    # sorting by host count, both directions
    assert hosts_in_rows(page) == sorted(hosts_in_rows(page), reverse=True)
    page.click("#matrix-head th[data-sort=hosts] button")
    assert hosts_in_rows(page) == sorted(hosts_in_rows(page))
    page.click("#matrix-head th[data-sort=hosts] button")

    # expand the largest profile group: its members are listed
    first = visible_rows(page).first
    first.locator("button.expand").click()
    members = page.locator("#matrix-body tr.members li .name").all_text_contents()
    assert members == [h.name for h in groups[0].hosts]

    # drill-down into an incompatible cell: failing rules with expected vs actual, best set, hardware names
    index, group = next((i, g) for i, g in enumerate(groups)
                        if g.outcomes[2].status is Status.INCOMPATIBLE)
    visible_rows(page).nth(index).locator("button.cell[data-image='2']").click()
    drill = page.locator("#drilldown")
    assert drill.is_visible()
    assert drill.locator(".status").text_content() == "incompatible"
    shown = drill.locator("table.rule tbody tr").evaluate_all(
        "rs => rs.map(r => Array.from(r.cells, c => c.textContent))")
    expected = [[r.label, r.expected, r.actual, r.note] for rule in group.outcomes[2].failing for r in rule.rows()]
    assert shown == expected and shown
    devices = drill.locator("ul.devices li").all_text_contents()
    assert "Ethernet Controller X710 for 10GbE SFP+ (8086:1572)" in devices
    connectx = "MT2892 Family [ConnectX-6 Dx] (15b3:101d) · driver=mlx5_core · sriov_totalvfs=8"
    count = sum(n.get("name", "").startswith("MT2892") for n in group.hosts[0].summary["nics"])
    assert (f"{count}× {connectx}" if count > 1 else connectx) in devices
    page.screenshot(path=str(artifacts / "report-drilldown.png"))

    # a compatible cell names its best set
    index, group = next((i, g) for i, g in enumerate(groups) if g.outcomes[3].status is Status.COMPATIBLE)
    visible_rows(page).nth(index).locator("button.cell[data-image='3']").click()
    best = fleet.images[3].set_info(group.outcomes[3].best_set)
    assert f"#{best.index + 1}, weight {best.weight}" in drill.text_content()
    page.click("#drill-close")
    assert not drill.is_visible()
    assert page.problems == []


def test_unreachable_hosts_collapse_with_their_reasons(tmp_path, page, fleet):
    open_report(page, render(tmp_path, fleet))
    page.select_option("#f-status", "unreachable")
    assert hosts_in_rows(page) == [3]
    visible_rows(page).first.locator("button.cell").first.click()
    reasons = page.locator("#drilldown ul.reasons li").all_text_contents()
    assert reasons == [f"{h.name}: {h.reason}" for h in fleet.hosts[:3]]
    assert page.problems == []


def test_large_groups_page_their_members(tmp_path, page):
    open_report(page, render(tmp_path, build_fleet(450, 2, 1)))
    visible_rows(page).first.locator("button.expand").click()
    assert page.locator("tr.members li").count() == 200
    page.click("tr.members button.more")
    assert page.locator("tr.members li").count() == 400
    assert page.locator("tr.members button.more").text_content() == "show 50 more of 50"
    assert page.problems == []


def test_hostile_strings_stay_text(tmp_path, page, artifacts):
    result = build_fleet(20, 3, 3, hostile=True, unreachable=2, spec_error_images=1)
    html = render(tmp_path, result, "hostile.html")
    source = html.read_text()
    data = re.search(r'<script type="application/json" id="fleet-data">(.*?)</script>', source, re.S)[1]
    assert "<" not in data and ">" not in data and "\u2028" not in data
    assert source.count("<script") == 2 and "<img" not in source.replace("&lt;img", "")

    open_report(page, html)
    for row in range(visible_rows(page).count()):
        visible_rows(page).nth(row).locator("button.expand").click()
        for cell in range(visible_rows(page).nth(row).locator("button.cell").count()):
            visible_rows(page).nth(row).locator("button.cell").nth(cell).click()
    page.fill("#f-text", "<script>")
    matching = [g for g in result.profile_groups()
                if "<script>" in str(g.hosts[0].summary) or any("<script>" in h.name for h in g.hosts)]
    expect(page.locator("#shown")).to_have_text(re.compile(rf"^{len(matching)} of "))
    page.fill("#f-text", "")
    expect(visible_rows(page)).to_have_count(len(result.profile_groups()))
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.scripts.length") == 2

    # the strings are there, literally, as text
    vendor = f"Intel{HOSTILE}</script>"
    hostile_row = next(i for i, g in enumerate(result.profile_groups()) if g.hosts[0].summary
                       and g.hosts[0].summary["cpu"]["vendor"] == vendor)
    visible_rows(page).nth(hostile_row).locator("button.cell[data-image='1']").click()
    texts = lambda selector: page.eval_on_selector_all(selector, "es => es.map(e => e.textContent)")  # noqa: E731
    assert result.hosts[0].name in texts("tr.members .name")
    assert result.aliases()[0] in texts("#matrix-head button.sort")
    description = result.images[1].sets[0].description  # YAML folded the line separator's leading space
    assert description.startswith(f"needs a GPU{HOSTILE.strip()}")
    assert any(t.endswith(f"— {description}") for t in texts("#drill-body table.rule caption"))
    assert vendor in texts("#drill-body td.actual")
    assert vendor in texts("#drill-body dl.kv dd")
    assert f"inventory/prod.ini{HOSTILE}" in texts("header dd")
    assert result.images[0].spec_error in texts(".specerror")[0]
    page.screenshot(path=str(artifacts / "report-hostile.png"))
    assert page.problems == []
