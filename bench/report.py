"""Benchmark: reports for a synthetic 10,000-host × 20-image fleet in ~200 hardware profiles (issue 5).

The fleet is built like the audit builds it (real specs, real `evaluate_spec`, the builder API). Prints the
result JSON's size and load (schema validation) time, each renderer's time and output size, and headless
Chromium's time from navigation start to the fleet matrix being interactive, each next to its goal
(HTML <= 5 MB, Chromium <= 2 s) as a ratio.

Usage: python -m bench.report [--hosts 10000] [--images 20] [--profiles 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fleetcompat._format.html import HtmlFormat
from fleetcompat._format.interface import ReportContext
from fleetcompat._format.junit import JunitFormat
from fleetcompat._format.markdown import MarkdownFormat
from fleetcompat._format.terminal import TerminalFormat
from fleetcompat.results.fleet import FleetResult, dumps
from fleetcompat.results.gate import decide
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # the tests' browser setup, not a second copy
from tests.support.fleet_synthetic import build_fleet

HTML_GOAL_BYTES = 5 * 1024 * 1024
BROWSER_GOAL_S = 2.0


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:.2f} MiB"


def browser_timing(html: Path, runs: int) -> list[tuple[float, float, float]]:
    """Per run: (in-page ms from navigation start to interactive, wall s goto->ready, s for one filter)."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                page.goto(html.as_uri())
                page.wait_for_selector("html[data-ready]")
                wall = time.perf_counter() - started
                in_page = float(page.get_attribute("html", "data-ready"))
                started = time.perf_counter()
                page.select_option("#f-status", "incompatible")  # the change handler re-renders synchronously
                filter_s = time.perf_counter() - started
                out.append((in_page, wall, filter_s))
                page.close()
        finally:
            browser.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="browser runs (median reported)")
    parser.add_argument("--keep", type=Path, help="write the outputs here instead of a temporary directory")
    args = parser.parse_args()

    result, build_s = timed(lambda: build_fleet(args.hosts, args.images, args.profiles,
                                                unreachable=args.hosts // 200, gather_errors=args.hosts // 1000))
    groups = result.profile_groups()
    print(f"fleet: {len(result.hosts)} hosts × {len(result.images)} images, {len(groups)} profile rows "
          f"(built in {build_s:.2f}s)")
    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="fleetcompat-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)

    doc, to_dict_s = timed(result.to_dict)
    json_text, dumps_s = timed(lambda: dumps(doc))
    json_path = out_dir / "result.json"
    json_path.write_text(json_text, encoding="utf-8")
    loaded, load_s = timed(lambda: FleetResult.load(json_path))
    print(f"result JSON: {mib(len(json_text.encode()))}, {len(doc['outcomes'])} distinct outcomes; "
          f"to_dict+dumps {to_dict_s + dumps_s:.2f}s, load+validate {load_s:.2f}s")

    decision = decide(loaded)
    renders = {
        "html": lambda: HtmlFormat().render(loaded, ReportContext(decision)),
        "junit": lambda: JunitFormat().render(loaded),
        "markdown": lambda: MarkdownFormat().render(loaded),
        "terminal": lambda: TerminalFormat().render(loaded),
    }
    for name, render in renders.items():
        text, seconds = timed(render)
        path = out_dir / f"report.{ {'html': 'html', 'junit': 'xml', 'markdown': 'md', 'terminal': 'txt'}[name]}"
        path.write_text(text, encoding="utf-8")
        size = len(text.encode())
        line = f"render {name:<8} {seconds:6.2f}s  {mib(size):>10}"
        if name == "html":
            html_path = path
            line += f"   goal <= {mib(HTML_GOAL_BYTES)}: ratio {size / HTML_GOAL_BYTES:.2f}"
        print(line)

    runs = browser_timing(html_path, args.runs)
    in_page = sorted(r[0] for r in runs)[len(runs) // 2]
    wall = sorted(r[1] for r in runs)[len(runs) // 2]
    filt = sorted(r[2] for r in runs)[len(runs) // 2]
    print(f"chromium: navigation start -> matrix interactive {in_page / 1000:.2f}s (median of {len(runs)}; "
          f"goal <= {BROWSER_GOAL_S:.0f}s: ratio {in_page / 1000 / BROWSER_GOAL_S:.2f}); "
          f"goto -> ready wall {wall:.2f}s; status filter re-render {filt * 1000:.0f}ms")
    print(f"outputs in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
