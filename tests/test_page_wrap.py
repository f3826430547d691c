"""Long names wrap on the page (issue 16): a 300-character material without a space (the
limit of the schema) and long unit ids must not widen report.html beyond the browser window.

Was: a material of 100,000 characters ran and overflowed the page.  Checked in headless Chromium
(PITFALLS.md, "Testing the report in a real browser"), every non-file: request aborted.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "rmwork"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MATERIAL = "M" * 300


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("wrap")
    src = (ROOT / "rmwork" / "data" / "reference" / "homogeneity_ecerto_crm001.csv").read_text()
    (d / "h.csv").write_text(src.replace(",b1,", ",b1" + "x" * 120 + ","))
    p = d / "W-1.yaml"
    p.write_text(f"lot: W-1\nmaterial: {MATERIAL}\nseed: 1\nhomogeneity:\n  data: h.csv\n  bayes: false\n")
    r = subprocess.run([str(EXE), "run", str(p), "--out", str(d / "reports")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d / "reports" / "W-1" / "report.html"


def test_long_material_and_unit_names_wrap_inside_the_window(report):
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install -y chromium)"
    from playwright.sync_api import sync_playwright

    assert MATERIAL in report.read_text(encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
            )
            page.goto(report.as_uri())
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            width = page.evaluate("document.documentElement.scrollWidth")
            inner = page.evaluate("window.innerWidth")
            cell = page.evaluate(
                "(() => { const td = [...document.querySelectorAll('td')].find("
                f"t => t.textContent === '{MATERIAL}'); const r = td.getBoundingClientRect();"
                " return [r.right, r.height]; })()"
            )
        finally:
            browser.close()
    assert width <= inner, f"the page is {width} px wide in a {inner} px window"
    assert cell[0] <= inner and cell[1] > 40, cell  # the material wraps onto several lines
