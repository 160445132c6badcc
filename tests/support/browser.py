"""The headless Chromium the HTML report tests (tests/conftest.py's `browser`) and bench/report.py drive."""

import os

CHROMIUM = os.environ.get("FLEETCOMPAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
