"""The stability section as a reviewer reads it (issues 14 and 17): the straight-line check in
words and drawn, time axes limited to the data and the shelf life, units in every results
table's header, Chinese for every sentence, caption and header, and no code words in prose."""

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rmwork import stability as S
from rmwork.report import monitoring as RM
from rmwork.report import stability as R
from rmwork.testing import reference

ROOT = Path(__file__).resolve().parent.parent


def crm001(analyte: str) -> pd.DataFrame:
    """eCerto CRM001 long-term data (BAM, MIT licence), months from the first date."""
    d = pd.read_csv(ROOT / "data" / "RM-DEMO-CRM001" / "stability.csv")
    g = d[d["analyte"] == analyte].reset_index(drop=True)
    return g.assign(time=S.months_from_dates(g["date"]), unit_of_measure="ccm3" if analyte == "Y" else "mg/L")


def _text(h: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", h)))


def test_figure_s1_time_axis_ends_at_the_data_and_shelf_life_not_at_a_far_band_crossing():
    """A slow significant drift whose prediction band leaves mu_c +- U only after thousands of
    months: the axis still ends at the last result (or the shelf life) plus 5 %."""
    rng = np.random.default_rng(17)
    t = np.arange(0.0, 37, 3)
    df = pd.DataFrame({"time": t, "value": 100 - 0.002 * t + rng.normal(0, 0.001, t.size)})
    r = S.regression(df, shelf_life=24)
    pred = S.shelf_life_prediction(r, 100.0, 6.0)
    assert pred.shelf_life > 1000
    ax = R.figure_s1(df, r, certified_value=100.0, U=6.0, prediction=pred).axes[0]
    assert ax.get_xlim()[1] == pytest.approx(36 * 1.05)
    assert any("beyond the axis" in x.get_text() for x in ax.get_legend().get_texts())
    r60 = S.regression(df, shelf_life=60)
    assert R.figure_s1(df, r60).axes[0].get_xlim()[1] == pytest.approx(60 * 1.05)
    assert R.figure_s2(df, r60).axes[0].get_xlim()[1] == pytest.approx(60 * 1.05)


def test_figures_draw_the_quadratic_and_the_runs_of_crm001_y_and_the_points_left_out():
    g = crm001("Y")
    r = S.regression(g, shelf_life=24)
    s1 = R.figure_s1(g, r).axes[0]
    assert any(t.get_text().startswith("quadratic") for t in s1.get_legend().get_texts())
    s2 = R.figure_s2(g, r).axes[0]
    assert f"{r.adequacy.runs.statistic} runs" in s2.get_title()
    labels = [t.get_text() for t in s2.get_legend().get_texts()]
    assert "above the line" in labels and "below the line" in labels
    win = S.regression(g, shelf_life=24, time_max=78)
    s1w = R.figure_s1(g, win).axes[0]
    texts = [t.get_text() for t in s1w.get_legend().get_texts()]
    assert "left out of the fit" in texts and not any(t.startswith("quadratic") for t in texts)
    assert s1w.get_xlim()[1] == pytest.approx(float(g["time"].max()) * 1.05)


def test_adequacy_block_says_what_was_found_and_lists_the_points_left_out():
    g = crm001("Y")
    bad = R.adequacy_block(S.regression(g, shelf_life=24)).data
    assert 'class="rmwork-warning"' in bad and "does not fit" in bad
    ok = R.adequacy_block(S.regression(g, shelf_life=24, time_max=78), "zh").data
    assert "直线模型与数据相符" in ok and "未参与拟合的结果" in ok and "在拟合时间范围之外" in ok


def test_table_s6_lists_the_checks_of_every_line():
    g = crm001("Y")
    t6 = R.table_s6({"Y": S.regression(g, shelf_life=24), "X": S.regression(crm001("X"), shelf_life=24)}).data
    assert "Table S6" in t6 and "t<sub>quadratic</sub>" in t6 and "p<sub>runs</sub>" in t6
    rows = re.findall(r"<tr>(.*?)</tr>", t6, re.S)
    assert len(rows) == 3 and ">no<" in rows[1] and ">yes<" in rows[2]
    lof = R.table_s6({"N": S.regression(reference("stability_nist_norris"))}).data
    assert "F<sub>lack of fit</sub>" in lof and "t<sub>quadratic</sub>" not in lof


def test_results_tables_carry_the_unit_in_the_header():
    y = S.regression(crm001("Y"), shelf_life=24)
    s1 = R.table_s1({"Y": y}).data
    assert "b<sub>1</sub> (slope) / (ccm3·month<sup>-1</sup>)" in s1 and "s / ccm3" in s1
    s2 = R.table_s2({"Y": y}).data
    assert "u<sub>lts</sub> / ccm3" in s2 and "/ % (relative to the mean of the stability study)" in s2
    mixed = R.table_s1({"Y": y, "X": S.regression(crm001("X"), shelf_life=24)}).data
    assert "<th" in mixed and ">Unit<" in mixed and "[unit]" in mixed and ">mg/L<" in mixed
    vac = reference("stability_arrhenius_vaccine_potency").assign(unit_of_measure="%")
    s3 = R.table_s3(S.arrhenius(vac, storage_temperature=5)).data
    assert "k<sub>T</sub> / (%·month<sup>-1</sup>)" in s3
    s3j = R.table_s3(S.arrhenius_joint(vac, time_below=8, storage_temperature=5, limit=9.0)).data
    assert "c0 / %" in s3j and "time to 9 % / month" in s3j
    iso_df = pd.DataFrame(
        {
            "time": [0.0, 3, 6, 9, 0, 0],
            "value": [10, 9.9, 9.8, 9.7, 10, 10.01],
            "temperature": [40.0] * 4 + [-20.0] * 2,
            "unit_of_measure": "mg/kg",
        }
    )
    s4 = R.table_s4(S.isochronous(iso_df, -20.0, shelf_life=24)).data
    assert "u<sub>lts</sub> / mg/kg" in s4 and "Table S4" in s4
    # Table S5 is drawn by rmwork.report.monitoring (the older stability.table_s5 was unused)
    s5 = RM.table_s5(S.monitoring_check(10.0, 0.05, [10.02, 10.5], 0.03), "", unit="mg/kg").data
    assert "U<sub>d</sub> / mg/kg" in s5 and "Table S5" in s5


# ASCII allowed in a zh stability section: symbols, units, method and document names, numbers
_ALLOWED = {
    "ISO",
    "Guide",
    "JJF",
    "eCerto",
    "exp",
    "mol",
    "crit",
    "lts",
    "sts",
    "rel",
    "max",
    "shelf",
    "ccm",
    "ERM",
    "Application",
    "Note",
    "mathrm",  # mathtext of the figures' symbols ($b_1$, $t_\mathrm{shelf}$, $E_\mathrm{a}$)
}


def _zh_section() -> list[str]:
    y, x = crm001("Y"), crm001("X")
    lt = S.regression(y, shelf_life=24)
    win = S.regression(y, shelf_life=24, time_max=78, exclude={0.0: "瓶盖松动（实验记录 3）"})
    tr = S.transport(
        pd.DataFrame({"time": [0, 0.25, 0.5, 0.75, 1.0, 2.0], "value": [10, 10.01, 9.99, 10.0, 10.02, 9.9]}),
        3.0,
        time_max=1.0,
    )
    vac = reference("stability_arrhenius_vaccine_potency")
    lin = S.arrhenius(vac, storage_temperature=5, limit=9.0)
    joint = S.arrhenius_joint(vac, time_below=8, storage_temperature=5, limit=9.0)
    pred = S.shelf_life_prediction(lt, 540.0, 10.0)
    mon = S.monitoring_check(10.0, 0.05, [10.02, 10.5], 0.03)
    iso_df = pd.concat(
        [
            pd.DataFrame(
                {"time": [0.0, 3, 6, 9, 12], "value": [10, 9.9, 9.8, 9.7, 9.6], "temperature": 40.0}
            ),
            pd.DataFrame({"time": [0.0, 0, 0], "value": [10.0, 10.01, 9.99], "temperature": -20.0}),
        ]
    )
    iso = S.isochronous(iso_df.assign(unit_of_measure="mg/kg"), -20.0, shelf_life=24)
    parts = [
        R.table_s1({"Y": lt, "X": S.regression(x, shelf_life=24)}, "zh").data,
        R.table_s4(iso, "zh").data,
        RM.table_s5(mon, "", "zh", "mg/kg").data,
        R.table_s2({"Y": lt}, {"Y": tr}, {"Y": pred}, lang="zh").data,
        R.table_s3(lin, "zh").data,
        R.table_s3(joint, "zh").data,
        R.table_s6({"Y": lt, "Yw": win, "T": tr}, "zh").data,
    ]
    for r in (lt, win, tr):
        parts.append(R.stability_statement(r, "zh", prediction=pred if r is lt else None))
        parts.append(R.adequacy_block(r, "zh").data)
    parts += [
        R.stability_statement(lin, "zh"),
        R.stability_statement(joint, "zh"),
        R.stability_statement(iso, "zh"),
        R.stability_statement(mon, "zh"),
    ]
    for r in (lt, win, tr, lin, joint, pred, mon, iso):
        parts += [R.note_text(n, "zh") for n in r.notes]
    for fig in (
        R.figure_s1(y, lt, prediction=pred, lang="zh"),
        R.figure_s2(y, lt, lang="zh"),
        R.figure_s1(y, win, lang="zh"),
        R.figure_s3(None, lin, lang="zh"),
        R.figure_s3(vac, joint, lang="zh"),
    ):
        ax = fig.axes[0]
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        parts += [t.get_text() for t in ax.get_legend().get_texts()]
    return parts


def test_zh_stability_section_has_no_english_words():
    words = set()
    parts = _zh_section()
    assert sum("\u4e00" <= c <= "\u9fff" for p in parts for c in p) > 800
    assert any("各时间点均无重复测量结果" in p for p in parts)  # a translated note
    for p in parts:
        words |= set(re.findall(r"[A-Za-z]{3,}", _text(p)))
    assert words <= _ALLOWED, sorted(words - _ALLOWED)


# symbols written with an underscore that a metrologist reads as symbols
_SYMBOLS = {"u_lts", "u_sts", "t_shelf", "E_a", "U_d", "t_max"}


def test_stability_prose_has_no_code_words():
    """Notes, findings and statements: no function calls, no parameter keys."""
    y = crm001("Y")
    lt = S.regression(y, shelf_life=24)
    vac = reference("stability_arrhenius_vaccine_potency")
    texts = list(lt.notes) + [lt.adequacy.finding, R.stability_statement(lt)]
    texts += list(S.arrhenius(vac, limit=9.0).notes) + list(S.arrhenius_joint(vac, limit=9.0).notes)
    for t in texts:
        assert "()" not in t, t
        assert set(re.findall(r"\b[a-z]+_[a-z_]+\b", t)) <= {s.lower() for s in _SYMBOLS} | {
            "u_lts",
            "t_shelf",
        }, t
