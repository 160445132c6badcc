"""The HTML report's "changed since baseline" view and waived cells, in a real headless Chromium."""

from __future__ import annotations

import re
from dataclasses import replace

import yaml
from playwright.sync_api import expect

from fleetcompat.cli import main
from tests.support.drift_fleets import CPU_NO_VFIO, CPU_VFIO, DPDK_SPEC, GPU_KERNEL5, SPEC_V1, SPEC_V2, fleet
from tests.support.fleet_synthetic import GOOD, HOSTILE

IMAGES_V1 = {"dpdk": DPDK_SPEC, "api": SPEC_V1}
IMAGES_V2 = {"dpdk": DPDK_SPEC, "api": SPEC_V2}
WAIVERS = """waivers:
- image: api
  hosts: [k5-*]
  justification: kernel 6 rollout in January
  owner: gpu-team@example.com
  expires: 2099-01-31
  ticket: OPS-77
"""


def report(tmp_path):
    """cpu-1/cpu-2 lose vfio-pci (cpu-5 never had it: same row, unchanged); api's new spec drops the kernel-5 hosts,
    which a waiver accepts; gpu hosts stay compatible."""
    old = fleet({"cpu-1": CPU_VFIO, "cpu-2": CPU_VFIO, "cpu-3": CPU_VFIO, "cpu-5": CPU_NO_VFIO,
                 "k5-1": GPU_KERNEL5, "k5-2": GPU_KERNEL5, "gpu-1": GOOD}, IMAGES_V1)
    new = fleet({"cpu-1": CPU_NO_VFIO, "cpu-2": CPU_NO_VFIO, "cpu-3": CPU_VFIO, "cpu-5": CPU_NO_VFIO,
                 "k5-1": GPU_KERNEL5, "k5-2": GPU_KERNEL5, "gpu-1": GOOD}, IMAGES_V2,
                started_at="2026-12-02T02:00:00Z")
    old.dump(tmp_path / "old.json")
    new.dump(tmp_path / "new.json")
    (tmp_path / "waivers.yml").write_text(WAIVERS)
    html = tmp_path / "report.html"
    assert main(["report", str(tmp_path / "new.json"), "--baseline", str(tmp_path / "old.json"), "--waivers",
                 str(tmp_path / "waivers.yml"), "--html", str(html), "--quiet"]) == 1  # cpu-1/2 lost dpdk
    return html


def cell(page, row_text, image):
    row = page.locator("#matrix-body tr.group", has=page.locator("td.hosts", has_text=row_text))
    return row.locator(f"button.cell[data-image='{image}']")


def test_changed_since_baseline_filter_markers_and_causes(tmp_path, page, artifacts):
    page.goto(report(tmp_path).as_uri())
    page.wait_for_selector("html[data-ready]")
    assert "changed since baseline (run 2026-12-01T02:00:00Z)" in page.locator("#baseline").text_content()
    assert page.locator("#shown").text_content() == "4 of 4 profiles · 7 hosts"
    # One marker per changed cell, counting that row's changed hosts: dpdk and api for cpu-1/2 (row with cpu-5),
    # api for the two kernel-5 hosts.
    markers = page.locator("#matrix-body .delta").evaluate_all(
        "ds => ds.map(d => [d.closest('tr').querySelector('td.hosts').textContent, d.previousSibling.dataset.image,"
        " d.dataset.changed])")
    assert sorted(markers) == [["2hosts · k5-1, …", "1", "2"], ["3hosts · cpu-1, …", "0", "2"],
                               ["3hosts · cpu-1, …", "1", "2"]]

    page.check("#f-changed")
    assert page.locator("#shown").text_content() == "2 of 4 profiles · 4 hosts"
    assert page.locator("#matrix-body td.hosts .count").all_text_contents() == ["2 of 3", "2"]
    page.select_option("#f-image", "0")  # dpdk only: the kernel-5 hosts did not change there
    expect(page.locator("#shown")).to_have_text("1 of 4 profiles · 2 hosts")
    page.select_option("#f-image", "")

    cell(page, "cpu-1", 0).click()
    drill = page.locator("#drilldown")
    assert drill.locator("h3", has_text="Changed since baseline (2026-12-01T02:00:00Z)").is_visible()
    changes = drill.locator("ul.changes > li.change")
    assert changes.count() == 1
    assert changes.first.evaluate("li => li.firstChild.textContent") == \
        "compatible → incompatible (regression): cpu-1, cpu-2"
    assert changes.first.locator("ul.causes li").all_text_contents() == [
        "kernel.loadedmodule vfio-pci: present → (absent)"]
    page.screenshot(path=str(artifacts / "report-changed-since-baseline.png"))

    # A waived cell: its verdict, the waiver, the failing rules it accepts, and what changed (the new spec).
    button = cell(page, "k5-1", 1)
    assert button.text_content() == "waived"
    button.click()
    assert drill.locator("h3", has_text="Waived: incompatible").is_visible()
    assert re.search(r"justificationkernel 6 rollout in January.*ownergpu-team@example\.com.*expires2099-01-31"
                     r".*ticketOPS-77", drill.locator("dl.kv").nth(1).text_content())
    assert drill.locator("h3", has_text="Failing rules (waived, incompatible)").is_visible()
    causes = drill.locator("ul.causes li").all_text_contents()
    assert causes[0] == "waiver: not waived (compatible) → waived (incompatible)"
    assert causes[1].startswith("spec: sha256:") and "kernel.version major: (not failing) → 5" in causes[2]
    assert drill.locator("ul.changes > li.change").first.evaluate("li => li.firstChild.textContent") == \
        "compatible → waived (changed): k5-1, k5-2"
    assert page.problems == []


def test_report_without_baseline_has_no_changed_view(tmp_path, page):
    fleet({"a": GOOD}, IMAGES_V1).dump(tmp_path / "r.json")
    assert main(["report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"), "--quiet"]) == 0
    page.goto((tmp_path / "r.html").as_uri())
    page.wait_for_selector("html[data-ready]")
    assert page.locator("#f-changed").count() == 0 and page.locator(".delta").count() == 0
    assert page.problems == []


def test_hostile_waivers_and_causes_stay_text(tmp_path, page):
    """A waiver's justification and ticket, and a host value in a cause, full of markup: shown, never run."""
    hostile_cpu = replace(CPU_NO_VFIO, vendor=HOSTILE)
    fleet({"cpu-1": CPU_VFIO}, IMAGES_V1).dump(tmp_path / "old.json")
    fleet({"cpu-1": hostile_cpu}, IMAGES_V1).dump(tmp_path / "new.json")
    (tmp_path / "waivers.yml").write_text(yaml.safe_dump({"waivers": [{
        "image": "dpdk", "hosts": ["cpu-*"], "justification": HOSTILE, "owner": HOSTILE, "ticket": HOSTILE,
        "expires": "2099-01-01"}]}))
    html = tmp_path / "hostile.html"
    main(["report", str(tmp_path / "new.json"), "--baseline", str(tmp_path / "old.json"), "--waivers",
          str(tmp_path / "waivers.yml"), "--html", str(html), "--quiet", "--exit-zero"])
    source = html.read_text()
    assert source.count("<script") == 2 and "<img" not in source.replace("&lt;img", "")
    page.goto(html.as_uri())
    page.wait_for_selector("html[data-ready]")
    cell(page, "cpu-1", 0).click()  # dpdk: waived, with the hostile waiver
    drill = page.locator("#drilldown")
    assert drill.locator("dl.kv").nth(1).locator("dd").first.text_content() == HOSTILE
    cell(page, "cpu-1", 1).click()  # api: changed, the cause names the hostile vendor
    assert HOSTILE in drill.locator("ul.causes li").first.text_content()
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.problems == []
