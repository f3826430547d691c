"""Every demo report in a real browser: headless Chromium, network blocked (CONTRACT.md: report.html
"opens offline: no remote scripts, fonts or images", every figure embedded).

Each shipped ``parameters/*.yaml`` is built with the CLI as a user runs it, plus one small
homogeneity-only lot in Chinese made here (no MCMC, so it does not depend on the Bayesian
modules and always gives the test a real report).  Each report.html is opened from a file: URL
with every other request aborted and recorded; the test asserts no outside request, no console
or page error, every <img> decoded and visible, the report tables present, and saves a
screenshot to ``tests/artifacts/<lot>.png``.

Chromium is Debian's package driven by the playwright Python package (PITFALLS.md, "Testing the
report in a real browser"; ``playwright install`` cannot download here).  ``make test`` installs
it when run as root; without it these tests fail, they are never skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# certification lots; verification and proficiency lots (kind: ...) are opened in the browser by
# tests/test_verification_browser.py, which builds the certified lot a verification reads first
DEMO_PARAMS = sorted(
    p for p in (ROOT / "parameters").glob("*.yaml") if "\nkind: " not in p.read_text(encoding="utf-8")
)
TINY = "RM-TINY-ZH"  # the small lot made in tmp (homogeneity only, zh, no MCMC)
LOTS = [p.stem for p in DEMO_PARAMS] + [TINY]
BUILD_TIMEOUT = 900  # seconds per lot (demo lots take 15-60 s, more when cold)

# words every report shows in its language (section headings of rmwork.report)
WORDS = {"zh": ("均匀性",), "en": ("Homogeneity",)}


def rmwork_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "rmwork"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]


def lot_settings(params_file: Path) -> tuple[str, str]:
    """(lot name, language) as the parameter file states them (plain YAML read, no validation)."""
    try:
        data = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    return str(data.get("lot", params_file.stem)), str(data.get("language", "en"))


def make_tiny_lot(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "rmwork" / "data" / "reference" / "homogeneity_ecerto_crm001.csv", folder / "h.csv")
    p = folder / f"{TINY}.yaml"
    p.write_text(
        f'lot: {TINY}\nmaterial: "小样品 (tiny test lot)"\nseed: 3\nlanguage: zh\n'
        "homogeneity:\n  data: h.csv\n  bayes: false\n",
        encoding="utf-8",
    )
    return p


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Build every lot with ``rmwork run PARAMS --out TMP`` (in parallel); lot -> outcome dict."""
    base = tmp_path_factory.mktemp("browser")
    out = base / "reports"
    jobs = {}
    for params_file in [*DEMO_PARAMS, make_tiny_lot(base / "tiny")]:
        lot, language = lot_settings(params_file)
        log = base / f"{params_file.stem}.log"
        fh = open(log, "w", encoding="utf-8")
        proc = subprocess.Popen(
            [*rmwork_cmd(), "run", str(params_file), "--out", str(out)],
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
        )
        jobs[params_file.stem] = dict(
            params=params_file, lot=lot, language=language, proc=proc, log=log, fh=fh
        )
    outcomes = {}
    for stem, job in jobs.items():
        try:
            rc = job["proc"].wait(timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            job["proc"].kill()
            rc = job["proc"].wait()
        job["fh"].close()
        text = job["log"].read_text(encoding="utf-8", errors="replace")
        outcomes[stem] = dict(
            lot=job["lot"],
            language=job["language"],
            returncode=rc,
            html=out / job["lot"] / "report.html",
            output=text,
            params=job["params"],
        )
    return outcomes


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser test needs Debian's chromium package; "
            "`make test` installs it when run as root (apt-get install -y chromium)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def test_chromium_is_installed():
    """Never skipped: a machine without the browser fails here with the remedy."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing; `make test` installs Debian's chromium "
        "package when run as root (apt-get install -y chromium)"
    )


def built(reports, stem) -> dict:
    o = reports[stem]
    # exit 3: the report was written with an analyte withheld (the demo lots withhold some)
    if o["returncode"] not in (0, 3) or not o["html"].is_file():
        tail = "\n".join(o["output"].strip().splitlines()[-5:])
        pytest.fail(
            f"rmwork run {o['params']} failed (exit {o['returncode']}), so its report cannot "
            f"be checked in the browser:\n{tail}",
            pytrace=False,
        )
    return o


def open_report(browser, html: Path):
    """Open ``html`` with every non-file:/data: request aborted; returns page and what was seen."""
    seen = {"outside": [], "console": [], "pageerror": []}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            seen["outside"].append(url)
            r.abort()

    page.route("**/*", route)
    page.on(
        "request",
        lambda req: (
            None if req.url.startswith(("file:", "data:", "blob:")) else seen["outside"].append(req.url)
        ),
    )
    page.on(
        "console",
        lambda m: seen["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "assert") else None,
    )
    page.on("pageerror", lambda e: seen["pageerror"].append(str(e)))
    page.goto(html.resolve().as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_timeout(300)  # late scripts (none expected) get a chance to misbehave
    return context, page, seen


@pytest.mark.parametrize("stem", LOTS)
def test_report_opens_offline_with_visible_figures_and_tables(reports, browser, stem):
    o = built(reports, stem)
    context, page, seen = open_report(browser, o["html"])
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{o['lot']}.png"), full_page=True)
        assert not sorted(set(seen["outside"])), f"outside requests: {sorted(set(seen['outside']))}"
        assert not seen["console"], f"console errors: {seen['console']}"
        assert not seen["pageerror"], f"page errors: {seen['pageerror']}"

        imgs = page.locator("img")
        n = imgs.count()
        assert n >= 1, "the report has no figure"
        for i in range(n):
            img = imgs.nth(i)
            src = img.get_attribute("src") or ""
            assert src.startswith("data:image/"), f"figure {i + 1} is not embedded: {src[:80]!r}"
            img.scroll_into_view_if_needed()
            natural = img.evaluate("e => [e.complete, e.naturalWidth, e.naturalHeight]")
            assert natural[0] and natural[1] > 0 and natural[2] > 0, (
                f"figure {i + 1} of {n} did not decode (complete, naturalWidth, naturalHeight = {natural})"
            )
            box = img.bounding_box()
            assert img.is_visible() and box and box["width"] > 0 and box["height"] > 0, (
                f"figure {i + 1} of {n} is not visible (bounding box {box})"
            )

        tables = page.locator("table.rmwork")
        assert tables.count() >= 1, 'no <table class="rmwork"> in the report'
        assert tables.first.is_visible(), "the first report table is not visible"
        assert page.locator("table.rmwork td").count() > 0, "the report tables have no cells"

        text = page.inner_text("body")
        assert o["lot"] in text
        for word in WORDS.get(o["language"], ()):
            assert word in text, f"{o['language']} report does not show {word!r}"
        assert "Traceback" not in text
    finally:
        context.close()


@pytest.mark.parametrize("stem", [p.stem for p in DEMO_PARAMS if lot_settings(p)[1] == "zh"] + [TINY])
def test_chinese_lot_renders_chinese_text(reports, browser, stem):
    """language: zh (RM-DEMO-M321 and the tiny lot): headings and material name in Chinese."""
    o = built(reports, stem)
    assert o["language"] == "zh"
    context, page, _ = open_report(browser, o["html"])
    try:
        assert page.evaluate("document.characterSet") == "UTF-8"
        text = page.inner_text("body")
        assert "均匀性" in text
        material = str(yaml.safe_load(o["params"].read_text(encoding="utf-8"))["material"])
        assert material in text, f"the material name {material!r} is not shown as written"
    finally:
        context.close()


# -- issue 17: the first screen, anchors, width, print and Word ---------------------------------


def _results(o) -> dict:
    import json

    return json.loads((o["html"].parent / "results.json").read_text(encoding="utf-8"))


def _certified(o) -> dict:
    """analyte -> certified entry, for the analytes the report certifies."""
    return {
        a: e["certified"]
        for a, e in _results(o)["analytes"].items()
        if e.get("certified", {}).get("status", "certified") == "certified" and "certified" in e
    }


@pytest.mark.parametrize("stem", LOTS)
def test_summary_is_on_the_first_screen(reports, browser, stem):
    """A reviewer sees the certified values (or that there are none) without scrolling (1280 × 900)."""
    o = built(reports, stem)
    context, page, _ = open_report(browser, o["html"])
    try:
        box = page.locator("#sec-summary").bounding_box()
        assert box is not None, "the report has no summary block (#sec-summary)"
        assert box["y"] < 900, f"the summary starts at {box['y']:.0f} px, below the first screen"
        rows = page.evaluate("""() => [...document.querySelectorAll('#tab-A1 tbody tr')]
            .map(tr => [...tr.cells].map(td => td.innerText.trim()))""")
        by_analyte = {r[0]: r for r in rows}
        for a, c in _certified(o).items():
            assert a in by_analyte, f"{a} is not in the summary table: {rows}"
            assert by_analyte[a][1:3] == [c["value_rounded"], c["U_rounded"]], (
                f"summary row of {a} does not show {c['value_rounded']} ± {c['U_rounded']}: {by_analyte[a]}"
            )
        assert page.locator("#tab-A1").is_visible() or not _certified(o)
    finally:
        context.close()


@pytest.mark.parametrize("stem", LOTS)
def test_every_anchor_resolves_and_nothing_overflows(reports, browser, stem):
    o = built(reports, stem)
    context, page, _ = open_report(browser, o["html"])
    try:
        missing = page.evaluate("""() => [...document.querySelectorAll('a[href^="#"]')]
            .map(a => a.getAttribute('href').slice(1))
            .filter(id => id && !document.getElementById(decodeURIComponent(id)))""")
        assert not missing, f"links to anchors that do not exist: {missing[:10]}"
        assert page.locator('a[href="#sec-certificate"]').count() >= 1, "no link to the certificate section"
        # every number results.json lists is an anchor of the page (a citation can be followed)
        ids = [it["id"] for it in _results(o)["report"]["items"]]
        lost = page.evaluate("ids => ids.filter(id => !document.getElementById(id))", ids)
        assert not lost, f"results.json lists tables/figures the page has no anchor for: {lost[:10]}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"the page is {width} px wide at a 1280 px window (something overflows)"
    finally:
        context.close()


@pytest.mark.parametrize("stem", [p.stem for p in DEMO_PARAMS])
def test_report_prints_to_a4_pages(reports, browser, stem, tmp_path):
    """Printed with headless Chromium (the print stylesheet applies), the PDF has A4 pages that
    poppler renders, and its text carries every certified value as the report prints it."""
    o = built(reports, stem)
    for tool in ("pdfinfo", "pdftoppm", "pdftotext"):
        assert shutil.which(tool), f"{tool} is missing: `make test` installs Debian's poppler-utils"
    context, page, _ = open_report(browser, o["html"])
    try:
        pdf = tmp_path / "report.pdf"
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        context.close()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info, info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "p")], check=True
    )
    assert len(list(tmp_path.glob("p-*.png"))) == 2
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for a, c in _certified(o).items():
        assert c["U_rounded"] in text, f"the printed report does not show U = {c['U_rounded']} of {a}"


@pytest.mark.parametrize("stem", [p.stem for p in DEMO_PARAMS])
def test_docx_copies_hold_the_same_tables_figures_and_numbers(reports, stem):
    """report.docx has every table and figure of the executed notebook; certificate.docx holds each
    certified value and U exactly as results.json prints them (read back with python-docx)."""
    import base64

    import docx
    import nbformat
    from lxml import html as lhtml

    o = built(reports, stem)
    folder = o["html"].parent
    nb = nbformat.read(str(folder / "certification_report.ipynb"), as_version=4)
    n_tables = n_png = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or {"parameters", "injected-parameters"} & set(
            cell.metadata.get("tags", [])
        ):
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                n_tables += sum(
                    len(el.xpath("descendant-or-self::table"))
                    for el in lhtml.fragments_fromstring(data["text/html"])
                    if not isinstance(el, str)
                )
            elif "image/png" in data:
                n_png += 1
                assert base64.b64decode(data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    rep = docx.Document(str(folder / "report.docx"))
    assert len(rep.tables) == n_tables
    assert len(rep.inline_shapes) == n_png
    # the same numbers as report.html: each table's and figure's caption starts with its number
    captions = [p.text for p in rep.paragraphs if p.style.name == "Caption"]
    numbers = [it["number"] for it in _results(o)["report"]["items"]]
    assert len(captions) == len(numbers)
    for cap, number in zip(captions, numbers):
        assert cap == number or cap.startswith(number + " — "), (cap[:80], number)
    cert = docx.Document(str(folder / "certificate.docx"))
    cells = {c.text.strip() for t in cert.tables for r in t.rows for c in r.cells}
    certified = _certified(o)
    assert certified
    for a, c in certified.items():
        assert c["value_rounded"] in cells and c["U_rounded"] in cells, (
            f"certificate.docx does not show {a} = {c['value_rounded']} ± {c['U_rounded']}"
        )


# the page's numbered tables and figures: (id, printed caption) in page order
_NUMBERED = """() => [...document.querySelectorAll('table, figure.rmwork-figure, img')].flatMap(e => {
    if (e.tagName === 'IMG') return e.closest('figure.rmwork-figure') ? [] : [['', 'IMG outside a figure']];
    const cap = e.tagName === 'TABLE' ? e.querySelector(':scope > caption') : e.querySelector('figcaption');
    if (e.tagName === 'TABLE' && !cap) return [];  // the lot's title block and the certificate's meta table
    return [[e.id, cap ? cap.textContent.trim() : '']];
})"""


@pytest.mark.parametrize("stem", LOTS)
def test_every_table_and_figure_has_one_number_and_its_anchor(reports, browser, stem):
    """Issue 17: every table (with a caption) and every figure has an anchor id and a caption that
    starts with its number; no two share a number; the number and the id follow the rule of
    rmwork/report/numbering.py (Ref(family, key)); results.json lists them all, in page order,
    and each study entry names only ids of the page."""
    from rmwork.report.numbering import Ref

    o = built(reports, stem)
    res = _results(o)
    items = res["report"]["items"]
    context, page, _ = open_report(browser, o["html"])
    try:
        shown = page.evaluate(_NUMBERED)
    finally:
        context.close()
    assert all(i for i, _ in shown), (
        f"tables or figures without an anchor: {[c for i, c in shown if not i][:5]}"
    )
    ids = [i for i, _ in shown]
    assert len(ids) == len(set(ids)), f"numbers used twice: {sorted({i for i in ids if ids.count(i) > 1})}"
    assert ids == [it["id"] for it in items], (
        "results.json does not list the page's tables and figures in order"
    )
    lang = o["language"]
    for (i, caption), it in zip(shown, items):
        ref = Ref(it["family"], it["key"], kind=it["kind"])
        assert ref.id == i, f"{it['number']}: anchor {i}, the rule gives {ref.id}"
        if it["family"] not in ("P2", "P3", "P4"):  # provenance captions are English in both languages
            assert it["number"] == ref.number(lang), it
        assert caption == it["number"] or caption.startswith(it["number"] + " — "), (
            f"the caption of {i} does not start with its number {it['number']!r}: {caption[:80]!r}"
        )
        if it["key"] is not None:  # one per analyte, group, item or data table: the key is printed
            assert it["number"].endswith(f"{it['family']}-{it['key']}")
    listed = {
        i
        for e in res["analytes"].values()
        for s in e.values()
        if isinstance(s, dict)
        for i in s.get("shown_in", ())
    }
    assert listed <= set(ids), (
        f"study entries name ids the page does not have: {sorted(listed - set(ids))[:5]}"
    )
    for a, e in res["analytes"].items():
        if "characterization" in e:  # every analyte characterized has its own Table C1 (as read)
            assert Ref("C1", a).id in e["characterization"]["shown_in"], a
