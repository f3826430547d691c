"""The first screen (1280 × 900) of a report in headless Chromium, as a reviewer opens it, saved as
PNG: .venv/bin/python tools/screenshot.py reports/LOT/report.html docs/screenshots/LOT.png"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(html: str, png: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        # offline, as the report must open: every request but the file itself is refused
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
        )
        page.goto(Path(html).resolve().as_uri())
        page.screenshot(path=png)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
