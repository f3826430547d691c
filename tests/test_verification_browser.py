"""The verification and proficiency reports in a real browser (headless Chromium, network blocked),
as tests/test_browser.py does for certification lots.

Built with the CLI: the shipped proficiency round RM-DEMO-PT01 (en) and its Chinese twin, and the
shipped verification lot RM-DEMO-CRM001-V01 with its certificate pointed at a report folder made
here by rmwork's own provenance code (the shipped file points at reports/RM-DEMO-CRM001, which
``make demo`` writes first).  Chromium: Debian's package driven by playwright (PITFALLS.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import _NUMBERED, CHROMIUM, CHROMIUM_ARGS, open_report, rmwork_cmd  # noqa: E402
from test_verification import _fake_report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORDS = {
    "RM-DEMO-PT01": ("Proficiency", "Homogeneity", "Youden"),
    "RM-DEMO-PT01-ZH": ("能力", "满意", "Youden"),
    "RM-DEMO-CRM001-V01": ("Verification", "agrees", "differs"),
}


def _variants(tmp: Path) -> dict[str, Path]:
    pt = (ROOT / "parameters" / "RM-DEMO-PT01.yaml").read_text(encoding="utf-8")
    pt = pt.replace("../data/", f"{ROOT}/data/")
    zh = tmp / "RM-DEMO-PT01-ZH.yaml"
    zh.write_text(
        pt.replace("lot: RM-DEMO-PT01", "lot: RM-DEMO-PT01-ZH").replace("language: en", "language: zh"),
        encoding="utf-8",
    )
    cert = _fake_report(
        tmp / "certified" / "RM-DEMO-CRM001",
        {"X": (0.0048, 0.0020, 1.96, "mg/L"), "Y": (534, 15, 2.03, "ccm3"), "Z": (1.26, 0.05, 1.96, "U")},
    )
    v = (ROOT / "parameters" / "RM-DEMO-CRM001-V01.yaml").read_text(encoding="utf-8")
    v = v.replace("../data/", f"{ROOT}/data/").replace("../reports/RM-DEMO-CRM001", str(cert))
    vf = tmp / "RM-DEMO-CRM001-V01.yaml"
    vf.write_text(v, encoding="utf-8")
    return {
        "RM-DEMO-PT01": ROOT / "parameters" / "RM-DEMO-PT01.yaml",
        "RM-DEMO-PT01-ZH": zh,
        "RM-DEMO-CRM001-V01": vf,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vbrowser")
    out = tmp / "reports"
    procs = {
        lot: subprocess.Popen(
            [*rmwork_cmd(), "run", str(f), "--out", str(out)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for lot, f in _variants(tmp).items()
    }
    res = {}
    for lot, p in procs.items():
        text, _ = p.communicate(timeout=900)
        res[lot] = (p.returncode, out / lot / "report.html", text)
    return res


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.mark.parametrize("lot", list(WORDS))
def test_verification_report_opens_offline_with_figures_and_tables(built, browser, lot):
    rc, html, text = built[lot]
    assert rc == 0 and html.is_file(), text[-2000:]
    context, page, seen = open_report(browser, html)
    try:
        assert not seen["outside"] and not seen["console"] and not seen["pageerror"], seen
        imgs = page.locator("img")
        assert imgs.count() >= 1
        for i in range(imgs.count()):
            img = imgs.nth(i)
            img.scroll_into_view_if_needed()
            assert img.evaluate("e => e.complete && e.naturalWidth > 0"), f"figure {i + 1} did not decode"
        assert page.locator("table.rmwork td").count() > 0
        body = page.inner_text("body")
        for word in WORDS[lot]:
            assert word in body, f"{lot}: {word!r} not shown"
        assert "Traceback" not in body
    finally:
        context.close()


@pytest.mark.parametrize("lot", list(WORDS))
def test_verification_report_numbers_every_table_and_figure_once(built, browser, lot):
    """Issue 17, as tests/test_browser.py checks certification reports: each table and figure has
    an anchor, a caption starting with its number, no number twice, results.json lists them in
    page order, and the per-analyte entries name ids of the page."""
    import json

    from rmwork.report.numbering import Ref

    rc, html, text = built[lot]
    assert rc == 0 and html.is_file(), text[-2000:]
    res = json.loads((html.parent / "results.json").read_text(encoding="utf-8"))
    items = res["report"]["items"]
    context, page, _ = open_report(browser, html)
    try:
        shown = page.evaluate(_NUMBERED)
    finally:
        context.close()
    ids = [i for i, _ in shown]
    assert all(ids) and len(ids) == len(set(ids)), shown
    assert ids == [it["id"] for it in items]
    for (i, caption), it in zip(shown, items):
        assert Ref(it["family"], it["key"], kind=it["kind"]).id == i
        assert caption == it["number"] or caption.startswith(it["number"] + " — "), (caption[:80], it)
    named = [i for e in (res.get("verification") or {}).values() for i in e["shown_in"]]
    named += (res.get("proficiency") or {}).get("shown_in", [])
    assert named and set(named) <= set(ids)
