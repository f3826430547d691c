"""eCerto's post-certification monitoring (LTS) input used in a lot's monitoring check (issue 15).

The file's results carry no standard uncertainty, so the lot states how they are judged
(ISO Guide 35:2017, 8.9 and 8.10; ERM Application Note 1): ``stability.monitoring.u`` or
``check: certified-interval``; without either, validate and run refuse in one line.

Oracles, all computed in the tests, never through rmwork:
- the cells of data/ecerto/eCerto_LTS_example_input.xlsx (sheet KW01) read with openpyxl;
  months = days since the first date / 30.4375 (365.25/12);
- the line: numpy.polyfit and scipy.stats.linregress (slope, s(b1), p); t_exit = U/|b1| as
  eCerto's plot_lts_data (R/fnc_plot_lts_data.R: foo_lts = ceiling(abs(U/b))); the 95 % band
  crossing by a dense grid search;
- the certified value of the test lot: the mean of four lab values and s/sqrt(4), by numpy
  (characterization method ``mean``), k = 2 as the lot sets it.

The lot's report (``rmwork run``, en and zh, both rules) is checked with the helpers of the
report tests: the anchors against the rule of rmwork/report/numbering.py and results.json (as
tests/test_browser.py does in the browser), the zh scanner of tests/test_zh_complete.py, and the
one-spelling checker rmwork/report/spelling.py; the printed numbers are rounded here from the
cells' values by the rules of docs/numbers.md.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from scipy import stats

from rmwork import params, preflight, workbook
from rmwork.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
LTS = ROOT / "data" / "ecerto" / "eCerto_LTS_example_input.xlsx"
LABS = (4.99, 5.83, 4.99, 5.83)  # mean 5.41 = the file's CertVal; s/2 = 0.2425 ~ its U = 0.24 (1s)
EXE = Path(sys.executable).parent / "rmwork"


def cells(sheet="KW01"):
    """(value, date) of every result of one sheet, read independently of rmwork (rows 5 on)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(LTS, data_only=True)[sheet]
    meta = {ws.cell(1, c).value: ws.cell(2, c).value for c in range(1, ws.max_column + 1)}
    out = []
    for value, date in ws.iter_rows(min_row=5, max_col=2, values_only=True):
        if value is None:
            continue
        d = date if isinstance(date, datetime) else datetime.strptime(date, "%d.%m.%Y")
        out.append((float(value), d))
    return out, meta


def certified(labs=LABS):
    x = np.asarray(labs)
    u = x.std(ddof=1) / math.sqrt(x.size)
    return x.mean(), u, 2 * u


def make(
    tmp_path, monitoring="u: 0.05", labs=LABS, unit="m²/g", sheet="KW01", select=True, lang="en"
) -> Path:
    """The lot; ``select=False`` lists no ``analytes:`` (every analyte of the data is studied, so the
    file's dummy sheet KW2 stays in), the unit then given by ``characterization.unit_of_measure``;
    ``lang="zh"`` makes a Chinese report."""
    rows = "\n".join(f"ABET,L{i},{v},0.1" for i, v in enumerate(labs, 1))
    (tmp_path / "c.csv").write_text("analyte,lab,value,u\n" + rows + "\n")
    sheet_line = f"\n    sheet: {sheet}" if sheet else ""
    p = tmp_path / "lot.yaml"
    p.write_text(
        "lot: MON-ECERTO\nmaterial: surface area (eCerto LTS example)\nseed: 1\n"
        + ("language: zh\n" if lang == "zh" else "")
        + (
            f'analytes: {{ABET: {{unit: "{unit}"}}}}\ncharacterization: {{data: c.csv, method: mean}}\n'
            if select
            else f'characterization: {{data: c.csv, method: mean, unit_of_measure: "{unit}"}}\n'
        )
        + f"stability:\n  monitoring:\n    data: {LTS}{sheet_line}\n    {monitoring}\n"
        "certificate: {k: 2}\n"
    )
    return p


def sub(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    return tmp_path / name


def monitoring_of(p):
    wb = workbook.open(p)
    entry = wb.certificate()["ABET"]
    return wb, entry, entry.monitoring


def run_fails(p) -> str | None:
    """The notebook's calls without rendering: the one-line message where the run stops."""
    try:
        wb = workbook.open(p)
        wb.homogeneity() if wb.p.homogeneity else None
        wb.stability(), wb.characterization(), wb.certificate()
        wb.results_json()
    except InputError as exc:
        return str(exc)
    return None


def validate_problems(p) -> list[str]:
    """What ``rmwork validate`` reports (preflight.survey, then preflight.preflight)."""
    lot, data, problems = preflight.survey(p)
    if not problems:
        problems = preflight.preflight(lot, data)
    return [str(e) for e in problems]


# ---------------------------------------------------------------------------------------------
# the eCerto example in a lot


def test_monitoring_ecerto_lts_example_abet_trend_matches_polyfit_and_linregress(tmp_path):
    """Slope, s(b1), p and t_exit of sheet KW01 (ABET), recomputed from the cells."""
    res, meta = cells()
    x = np.array([v for v, _ in res])
    d0 = min(d for _, d in res)
    t = np.array([(d - d0).days / 30.4375 for _, d in res])
    b1, b0 = np.polyfit(t, x, 1)
    lr = stats.linregress(t, x)
    xc, u_c, U = certified()
    _, entry, m = monitoring_of(make(tmp_path))
    tr = m.trend
    assert entry.certified.value == pytest.approx(xc, rel=1e-12)
    assert entry.certified.U == pytest.approx(U, rel=1e-12)
    assert tr.n_points == len(res) == 79
    assert tr.slope == pytest.approx(b1, rel=1e-9) and tr.intercept == pytest.approx(b0, rel=1e-9)
    assert tr.se_slope == pytest.approx(lr.stderr, rel=1e-9)
    assert tr.p_value == pytest.approx(lr.pvalue, rel=1e-6)
    assert tr.t_exit == pytest.approx(U / abs(b1), rel=1e-9)
    assert tr.t_exit_months == math.ceil(U / abs(b1))  # eCerto: ceiling(abs(U/b))
    assert tr.start_date == d0.date().isoformat() == "2011-02-15"
    # the 95 % confidence band of the line started at x_c: first month it reaches x_c +- U
    n, tm = t.size, t.mean()
    s = math.sqrt(np.sum((x - (b0 + b1 * t)) ** 2) / (n - 2))
    grid = np.arange(0, 2000, 0.001)
    band = abs(b1) * grid + stats.t.ppf(0.975, n - 2) * s * np.sqrt(
        1 / n + (grid - tm) ** 2 / np.sum((t - tm) ** 2)
    )
    assert tr.t_exit_ci95 == pytest.approx(grid[np.argmax(band >= U)], abs=0.002)
    assert tr.t_exit_ci95 < tr.t_exit
    # the file's metadata agree with this lot: CertVal 5.41, U 0.24 given as 1s (= u)
    assert meta["CertVal"] == pytest.approx(entry.certified.value, abs=0.005)
    assert meta["U_Def"] == "1s" and abs(meta["U"] - u_c) <= 0.005


def test_monitoring_ecerto_stated_u_applies_to_every_result_erm_application_note_1(tmp_path):
    res, _ = cells()
    xc, u_c, _ = certified()
    _, _, m = monitoring_of(make(tmp_path, "u: 0.05"))
    assert m.check == "uncertainty" and set(m.u_m) == {0.05}
    assert "stability.monitoring.u" in m.u_m_source
    expected = [abs(v - xc) <= 2 * math.sqrt(u_c**2 + 0.05**2) for v, _ in res]
    assert list(m.passed) == expected
    assert m.U_d[0] == pytest.approx(2 * math.sqrt(u_c**2 + 0.05**2), rel=1e-12)


def test_monitoring_ecerto_stated_u_can_fail_a_result(tmp_path):
    """Not vacuous: with labs that give a smaller u_c, the results far from x_c fail."""
    labs = (5.40, 5.42, 5.40, 5.42)
    res, _ = cells()
    xc, u_c, _ = certified(labs)
    # the file's U (0.24, 1s) now contradicts u_c = 0.0058: compare with the check alone
    p = make(tmp_path, "u: 0.01", labs=labs)
    with pytest.raises(
        InputError, match=r"column 'U': analyte 'ABET': the monitoring file states U = 0.24 \(1s\)"
    ):
        monitoring_of(p)
    from rmwork.stability import monitoring_check

    m = monitoring_check(xc, u_c, [v for v, _ in res], 0.01, k=2)
    assert 0 < sum(m.passed) < len(res)


def test_monitoring_ecerto_certified_interval_is_the_weaker_stated_check(tmp_path):
    res, _ = cells()
    xc, _, U = certified()
    wb, _, m = monitoring_of(make(tmp_path, "check: certified-interval"))
    assert m.check == "certified-interval"
    assert list(m.passed) == [abs(v - xc) <= U for v, _ in res]
    assert all(math.isnan(u) for u in m.u_m) and m.U_d == pytest.approx([U] * len(res), rel=1e-12)
    # not vacuous: a narrower interval fails the results farther than 0.08 from x_c, by hand
    from rmwork.stability import monitoring_interval_check

    tight = monitoring_interval_check(xc, 0.08, [v for v, _ in res])
    assert list(tight.passed) == [abs(v - xc) <= 0.08 for v, _ in res] and 0 < sum(tight.passed) < len(res)
    assert any(n.startswith("weaker check") for n in m.notes)
    entry = wb.results_json()["analytes"]["ABET"]["stability"]["monitoring"]
    assert entry["check"] == "certified-interval" and entry["u_m"][0] is None
    assert entry["trend"]["t_exit"] == pytest.approx(m.trend.t_exit)


def test_monitoring_ecerto_report_states_the_rule_and_trend(tmp_path):
    from rmwork.report import monitoring as rmon

    _, entry, m = monitoring_of(make(tmp_path, "check: certified-interval"))
    xc, _, U = certified()
    text = rmon.rule_statement(m, "m²/g", certified=entry.certified)
    assert "weaker check" in text and "ignores the measurement's own uncertainty" in text
    # as the certificate prints them: U rounded up to 2 significant digits, x_c to its place
    assert f"x_c ± U = {xc:.2f} ± {math.ceil(U * 100) / 100:.2f} m²/g" in text
    # without the certificate's strings: U to the nearest (GUM 7.2.6), x_c to its place
    assert f"x_c ± U = {xc:.2f} ± {U:.2g} m²/g" in rmon.rule_statement(m, "m²/g")
    html = "".join(
        b.data for b in rmon.blocks(m, "ABET", "m²/g") if hasattr(b, "data") and isinstance(b.data, str)
    )
    assert "Table S5" in html and "Table S7" in html and "eCerto" in html
    _, _, m2 = monitoring_of(make(sub(tmp_path, "u"), "u: 0.05"))
    # u_m = 0.05 stated: printed with 2 significant digits (GUM 7.2.6) and said where it comes from
    assert "u_m = 0.050 m²/g (stated in the lot as stability.monitoring.u:" in rmon.rule_statement(m2, "m²/g")


# ---------------------------------------------------------------------------------------------
# the report of the lot in English and Chinese: numbered, Chinese, one spelling (issue 17)

REPORTS = {  # name -> (language, rule)
    "en": ("en", "u: 0.05"),
    "en-interval": ("en", "check: certified-interval"),
    "zh": ("zh", "u: 0.05"),
    "zh-interval": ("zh", "check: certified-interval"),
}
MONITORING_IDS = ("tab-S5-ABET", "tab-S7-ABET", "fig-S7-ABET")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """name -> (report folder, parameter file): ``rmwork run`` of the lot, the runs in parallel."""
    base = tmp_path_factory.mktemp("monitoring_reports")
    procs = {}
    for name, (lang, rule) in REPORTS.items():
        folder = base / name
        folder.mkdir()
        p = make(folder, rule, lang=lang)
        cmd = [str(EXE), "run", str(p), "--out", str(folder / "out")]
        procs[name] = (subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), p)
    out = {}
    for name, (proc, p) in procs.items():
        log, _ = proc.communicate(timeout=900)
        assert proc.returncode in (0, 3), log[-3000:]
        out[name] = (p.parent / "out" / "MON-ECERTO", p)
    return out


def test_monitoring_ecerto_lot_runs_end_to_end(reports):
    """``rmwork run`` on the lot: results.json holds the check and the trend, the report says which rule."""
    folder, _ = reports["en-interval"]
    mon = json.loads((folder / "results.json").read_text())["analytes"]["ABET"]["stability"]["monitoring"]
    res, _ = cells()
    xc, _, U = certified()
    assert mon["passed"] == [abs(v - xc) <= U for v, _ in res]
    b1 = np.polyfit([(d - res[0][1]).days / 30.4375 for _, d in res], [v for v, _ in res], 1)[0]
    assert mon["trend"]["t_exit"] == pytest.approx(U / abs(b1), rel=1e-9)
    html = (folder / "report.html").read_text()
    assert "check: certified-interval" in html and "Table S7-ABET" in html


def numbered_items(page: Path) -> list[tuple[str, str]]:
    """(id, caption) of every captioned table and every figure of report.html, in page order (the
    elements tests/test_browser.py's _NUMBERED reads in the browser, read here with lxml)."""
    from lxml import html as lhtml

    doc = lhtml.parse(str(page)).getroot()
    out = []
    for el in doc.xpath("//table[caption] | //figure[contains(concat(' ', @class, ' '), ' rmwork-figure ')]"):
        cap = el.find("caption") if el.tag == "table" else el.find("figcaption")
        out.append((el.get("id") or "", cap.text_content().strip() if cap is not None else ""))
    return out


def trend_by_hand():
    """b1, s(b1), p and t_exit of sheet KW01 from the cells (numpy, scipy), and the lot's U."""
    res, _ = cells()
    d0 = min(d for _, d in res)
    t = np.array([(d - d0).days / 30.4375 for _, d in res])
    lr = stats.linregress(t, [v for v, _ in res])
    _, _, U = certified()
    return lr, U / abs(lr.slope), t.max() - t.min()


@pytest.mark.parametrize("name", list(REPORTS))
def test_monitoring_ecerto_report_numbers_s5_s7_and_figure_s7_once(reports, name):
    """Every table and figure of the report has a unique anchor that follows the rule of
    rmwork/report/numbering.py; the monitoring block is Table S5-ABET, Table S7-ABET and Figure
    S7-ABET, each shown once, its caption starting with its number, listed in results.json."""
    from rmwork.report.numbering import Ref

    folder, _ = reports[name]
    lang = REPORTS[name][0]
    shown = numbered_items(folder / "report.html")
    ids = [i for i, _ in shown]
    assert all(ids), [c for i, c in shown if not i][:5]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    res = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    items = res["report"]["items"]
    assert ids == [it["id"] for it in items]
    expected = {
        "tab-S5-ABET": Ref("S5", "ABET"),
        "tab-S7-ABET": Ref("S7", "ABET"),
        "fig-S7-ABET": Ref("S7", "ABET", kind="figure"),
    }
    captions = dict(shown)
    for id_, ref in expected.items():
        assert ref.id == id_ and ids.count(id_) == 1, id_
        word = {"table": ("Table", "表"), "figure": ("Figure", "图")}[ref.kind][lang == "zh"]
        number = f"{word} {ref.family}-ABET"
        assert captions[id_].startswith(number + " — "), captions[id_][:80]
        it = next(it for it in items if it["id"] == id_)
        assert it["number"] == number and it["analyte"] == "ABET" and it["section"] == "certificate"
    # the three follow one another in the certificate section
    pos = [ids.index(i) for i in MONITORING_IDS]
    assert pos == sorted(pos)


def _monitoring_texts(page: Path) -> list[str]:
    """The visible text of the monitoring block: from the rule sentence before Table S5 to
    Figure S7 (its caption included)."""
    from lxml import html as lhtml

    doc = lhtml.parse(str(page)).getroot()
    for el in doc.xpath("//style|//script"):
        el.getparent().remove(el)
    s5 = doc.xpath("//table[@id='tab-S5-ABET']")[0]
    fig = doc.xpath("//figure[@id='fig-S7-ABET']")[0]
    nodes = list(doc.iter())
    start = nodes.index(s5)
    rule = next(el for el in reversed(nodes[:start]) if el.tag == "p")
    block = nodes[nodes.index(rule) : nodes.index(fig) + len(list(fig.iter()))]
    return [t for el in block for t in (el.text, el.tail) if t and t.strip()]


@pytest.mark.parametrize("name", ["zh", "zh-interval"])
def test_monitoring_ecerto_zh_report_monitoring_text_is_chinese(reports, name):
    """The zh scanner of tests/test_zh_complete.py on the monitoring block: no English word
    besides symbols, allowed names and the lot's own strings (both rules)."""
    from test_zh_complete import data_strings, english_runs

    folder, params_file = reports[name]
    texts = _monitoring_texts(folder / "report.html")
    joined = "".join(texts)
    assert "表 S5-ABET" in joined and "表 S7-ABET" in joined and "图 S7-ABET" in joined
    assert sum("\u4e00" <= c <= "\u9fff" for c in joined) > 200
    found = english_runs(texts, data_strings(folder, params_file))
    assert not found, {w: next(t for t in texts if w in t)[:160] for w in sorted(found)}
    # not vacuous: the English report's block is flagged by the same scanner
    en_folder, en_params = reports["en"]
    assert english_runs(_monitoring_texts(en_folder / "report.html"), data_strings(en_folder, en_params))


@pytest.mark.parametrize("name", list(REPORTS))
def test_monitoring_ecerto_report_spells_each_quantity_once(reports, name):
    """rmwork/report/spelling.py on the whole report: no quantity with two spellings, no column
    mixing notations; the trend's numbers are those of the cells (numpy/scipy), printed by the
    policy of docs/numbers.md in Table S7 and in the sentence alike."""
    from rmwork.report import spelling

    folder, _ = reports[name]
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert spelling.misspelled(page) == {}
    assert spelling.mixed_columns(page) == []
    found = spelling.spellings(page)
    lr, t_exit, span = trend_by_hand()
    place = math.floor(math.log10(float(f"{lr.stderr:.2g}"))) - 1  # b1 to the place of s(b1), 2 digits
    printed = {
        "b1": f"{lr.slope:.{-place}f}",
        "s_b1": f"{lr.stderr:.2g}",
        "p_b1": f"{lr.pvalue:.2g}",
        "t_exit": f"{t_exit:.4g}",
        "t_exit_ceil": str(math.ceil(t_exit)),
    }
    for sym, want in printed.items():
        by = found[f"ABET/{sym}/monitoring"]
        texts = next(iter(by.values()))
        assert len(by) == 1 and len(texts) >= 2, (sym, by)  # Table S7 and the sentence
        assert {t.replace("−", "-") for t in texts} == {want}, (sym, texts, want)
    assert found["ABET/t_exit/monitoring"] and span < t_exit  # hence the extrapolation note
    # the rule sentence names the certificate's x_c and U, spelled as Table U2 and the certificate page
    xc, _, U = certified()
    assert set(found["ABET/x_CRM/certified"]) == {spelling.digits(f"{xc:.2f}")}
    assert set(found["ABET/U/certified"]) == {spelling.digits(f"{math.ceil(U * 100) / 100:.2f}")}


@pytest.mark.parametrize("name", list(REPORTS))
def test_monitoring_ecerto_report_table_s5_holds_every_result_to_one_place(reports, name):
    """Table S5 lists the 79 results of sheet KW01 in file order, x_m to the decimal place of u_m
    (0.050: 3 decimals) or, without u, of U (2 significant digits), and yes/no (是/否) as the
    rule decides by hand."""
    from decimal import ROUND_HALF_EVEN, Decimal

    from lxml import html as lhtml

    folder, _ = reports[name]
    lang, rule = REPORTS[name]
    doc = lhtml.parse(str(folder / "report.html")).getroot()
    rows = doc.xpath("//table[@id='tab-S5-ABET']/tbody/tr")
    res, _ = cells()
    xc, u_c, U = certified()
    if rule.startswith("u:"):
        place, limit = Decimal("0.001"), 2 * math.sqrt(u_c**2 + 0.05**2)
    else:
        place, limit = Decimal(f"{U:.2g}").as_tuple().exponent, U
        place = Decimal(1).scaleb(place)
    assert len(rows) == len(res) == 79
    yes = "是" if lang == "zh" else "yes"
    for tr, (v, _) in zip(rows, res):
        td = [c.text_content() for c in tr.xpath("./td")]
        assert td[0] == str(Decimal(repr(v)).quantize(place, rounding=ROUND_HALF_EVEN))
        assert (td[-1] == yes) == (abs(v - xc) <= limit)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_monitoring_ecerto_figure_s7_symbols_in_mathtext_user_text_literal(tmp_path, lang):
    """Figure S7: rmwork's symbols as mathtext ($x_\\mathrm{c}$, $b_1$), no ASCII x_c / b1 in
    its legend; an analyte and a unit with '$' drawn as written (issue 16)."""
    import io

    from matplotlib.text import Text

    from rmwork.report import monitoring as rmon

    _, _, m = monitoring_of(make(tmp_path))
    bad, unit = r"Z $\undefinedmacro{x}$", "Fe $x^2$"
    fig = rmon.figure_s7(m, bad, unit, lang)
    fig.savefig(io.BytesIO(), format="png")  # parses every text: a bad name would raise here
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 5 and any(r"$x_\mathrm{c}$" in t for t in legend)
    assert any("$b_0 + b_1 t$" in t for t in legend)
    assert ax.get_ylabel() == r"Z \$\undefinedmacro{x}\$ / Fe \$x^2\$"
    drawn = [t.get_text() for t in fig.findobj(Text)]
    assert not any("x_c" in t or "t_exit" in t or re.search(r"\bb1\b", t) for t in drawn)
    if lang == "zh":
        assert any("监测结果" in t for t in legend)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_monitoring_points_on_figure_u2_are_labelled_in_mathtext_in_both_languages(lang):
    """The legend of the monitoring results on the trend figure (sections._add_monitoring_points):
    ±2u_m in mathtext, the words in the report's language, drawn without error."""
    import io

    from matplotlib.figure import Figure
    from test_zh_complete import english_runs

    from rmwork.report import monitoring as rmon

    with_u, without = rmon.points_label(True, lang), rmon.points_label(False, lang)
    assert r"$\pm 2u_\mathrm{m}$" in with_u and "$" not in without
    if lang == "zh":
        from rmwork.report.certificate import setup_cjk_font

        setup_cjk_font()
        assert english_runs([with_u.replace(r"$\pm 2u_\mathrm{m}$", ""), without], set()) == set()
    else:
        assert with_u.startswith("monitoring results") and without == "monitoring results (no u)"
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.errorbar([1.0], [5.4], yerr=[0.1], fmt="s", label=with_u)
    ax.plot([2.0], [5.5], "s", label=without)
    ax.legend()
    fig.savefig(io.BytesIO(), format="png")  # the mathtext parses


# ---------------------------------------------------------------------------------------------
# refused in one line, by validate and by run alike


BAD = {
    # no rule: the file's results carry no u
    "no_rule": (
        dict(monitoring="censored: refuse"),
        r"eCerto_LTS_example_input.xlsx, key 'stability.monitoring.u': monitoring results need a column 'u'.*"
        r"set 'stability.monitoring.u'.* or 'stability.monitoring.check: certified-interval'",
    ),
    # the file's certified value is not the lot's
    "other_certified_value": (
        dict(labs=(5.19, 6.03, 5.19, 6.03)),
        r"sheet KW01, row 2, column 'CertVal': analyte 'ABET': the monitoring file states the certified "
        r"value 5.41, the lot certifies 5.61 m²/g",
    ),
    # the file's U (1s) is not the lot's u
    "other_U": (
        dict(labs=(5.21, 5.61, 5.21, 5.61)),
        r"sheet KW01, row 2, column 'U': analyte 'ABET': the monitoring file states U = 0.24 \(1s\), the lot's "
        r"certificate gives u = 0.1155 m²/g",
    ),
    # the file's unit is not the lot's
    "other_unit": (
        dict(unit="m2/g"),
        r"sheet KW01, row 2, column 'KW_Unit': analyte 'ABET': the monitoring results are in m²/g, the lot "
        r"certifies it in m2/g",
    ),
    "one_u_for_two_analytes": (
        dict(sheet=None, select=False),
        r"key 'stability.monitoring.u': one u for the monitoring results of ABET, KW2; give u per analyte",
    ),
    "analyte_not_characterized": (
        dict(sheet=None, monitoring="u: {ABET: 0.05, KW2: 0.05}", select=False),
        r"key 'stability.monitoring.analytes': monitoring results of KW2, which the lot does not characterize",
    ),
    "u_per_analyte_missing": (
        dict(sheet=None, monitoring="u: {ABET: 0.05}", select=False),
        r"key 'stability.monitoring.u': no u for KW2",
    ),
    "interval_and_u": (
        dict(monitoring="check: certified-interval\n    u: 0.05"),
        r"key 'stability.monitoring.check': 'check: certified-interval' ignores the results' uncertainty, but "
        r"the lot states u",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_monitoring_ecerto_bad_input_refused_by_validate_and_run_alike(case, tmp_path):
    kw, pattern = BAD[case]
    p = make(tmp_path, **kw)
    stopped = run_fails(p)
    found = validate_problems(p)
    assert stopped is not None, f"{case}: the run went on"
    assert found, f"{case}: run stops but validate finds nothing"
    assert stopped in found  # the same line
    assert re.search(pattern, stopped), stopped
    assert "\n" not in stopped and "Traceback" not in stopped


def test_monitoring_without_characterization_is_refused_naming_the_key(tmp_path):
    p = make(tmp_path)
    p.write_text(p.read_text().replace("characterization: {data: c.csv, method: mean}\n", ""))
    with pytest.raises(
        InputError, match=r"key 'stability.monitoring': monitoring results are compared with the"
    ):
        workbook.open(p)
    assert any("the lot certifies none" in e for e in validate_problems(p))


def test_monitoring_u_zero_or_negative_is_refused_by_the_schema(tmp_path):
    p = make(tmp_path, "u: 0")
    with pytest.raises(InputError, match=r"stability.monitoring.u.*positive number"):
        params.load(p)


def test_monitoring_ecerto_good_lot_is_valid_and_runs(tmp_path):
    for rule in ("u: 0.05", "check: certified-interval"):
        p = make(sub(tmp_path, rule[:5]), rule)
        assert validate_problems(p) == [] and run_fails(p) is None


def test_monitoring_ecerto_cli_validate_and_run_print_the_same_one_line(tmp_path):
    p = make(tmp_path, "censored: refuse")
    v = subprocess.run([str(EXE), "validate", str(p)], capture_output=True, text=True, timeout=300)
    r = subprocess.run(
        [str(EXE), "run", str(p), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300
    )
    assert v.returncode == 2 and r.returncode == 2
    line = [x for x in v.stderr.splitlines() if "stability.monitoring.u" in x]
    assert len(line) == 1 and line[0] in r.stderr
    assert "Traceback" not in v.stderr + r.stderr


def test_monitoring_ecerto_cli_validate_refuses_another_certified_value(tmp_path):
    p = make(tmp_path, labs=(5.19, 6.03, 5.19, 6.03))
    v = subprocess.run([str(EXE), "validate", str(p)], capture_output=True, text=True, timeout=300)
    assert v.returncode == 2 and "Traceback" not in v.stderr
    assert "column 'CertVal': analyte 'ABET': the monitoring file states the certified value 5.41" in v.stderr


def test_monitoring_ecerto_dummy_sheet_not_selected_when_analytes_lists_abet(tmp_path):
    """With ``analytes: {ABET: …}`` the file's dummy sheet KW2 is an analyte the lot does not
    select: it is named once as not selected and the check runs on ABET alone (issue 14)."""
    p = make(tmp_path, sheet=None)
    assert run_fails(p) is None
    wb = workbook.open(p)
    wb.stability(), wb.characterization(), wb.certificate()
    assert wb.results_json().get("not_selected") == ["KW2"]
