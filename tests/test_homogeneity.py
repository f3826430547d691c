"""Homogeneity (ISO Guide 35:2017 clause 7 / Annex B; ISO 13528:2022 Annex B) against published cases.

Oracles: shared reference/README.md (copied into tests as literal printed values below).
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rmwork.errors import InputError
from rmwork.homogeneity import anova, study, sufficient_homogeneity, trend
from rmwork.testing import printed, reference

DATA = Path(__file__).resolve().parent.parent / "data"


def rel(text):
    """Values printed with ten or more digits: 1e-7 relative (reference/README.md rule)."""
    return pytest.approx(float(text), rel=1e-7)


def test_anova_nist_strd_sirstv_certified_ms_and_f():
    """NIST StRD ANOVA 'SiRstv' (certified values, public domain): MS_between 1.27865654000000E-02
    (df 4), MS_within 1.08318280000000E-02 (df 20), F 1.18046237440255; derived n0 5, s_bb
    0.0197724, u*_bb 0.0261737, p 0.3494 (reference/README.md)."""
    res = anova(reference("homogeneity_nist_sirstv"))
    assert res.ms_between == rel("1.27865654000000E-02")
    assert res.ms_within == rel("1.08318280000000E-02")
    assert res.f_statistic == rel("1.18046237440255")
    assert (res.dof_between, res.dof_within) == (4, 20)
    assert res.n0 == printed("5")
    assert res.s_bb == printed("0.0197724")
    assert res.u_bb_star == printed("0.0261737")
    assert res.p_value == printed("0.3494")
    assert res.u_bb == res.u_bb_star


def test_anova_iso13528_e2_arsenic_s_bb_and_u_bb_star():
    """ISO 13528:2022 Example E.2 inputs; derived (Guide 35 formulas, reference/README.md):
    MS_between 3.16722E-05, MS_within 3.0950E-05, F 1.02334, p 0.4816, s_bb 6.0093E-04,
    u*_bb 2.63071E-03."""
    res = anova(reference("homogeneity_iso13528_e2_arsenic"))
    assert res.ms_between == printed("3.16722E-05")
    assert res.ms_within == printed("3.0950E-05")
    assert res.f_statistic == printed("1.02334")
    assert res.p_value == printed("0.4816")
    assert res.s_bb == printed("6.0093E-04")
    assert res.u_bb_star == printed("2.63071E-03")


def test_sufficient_homogeneity_iso13528_e2_arsenic_printed_criteria():
    """ISO 13528:2022 Example E.2 (printed): mean 0.18715, s_x 0.00398, s_w 0.00556, s_s 0.00060,
    sigma_pt = 0.15 x mean = 0.02807, 0.3 sigma_pt 0.00842 (sufficiently homogeneous); F1 1.88,
    F2 1.01, sqrt(c) 0.01283."""
    df = reference("homogeneity_iso13528_e2_arsenic")
    c = sufficient_homogeneity(df, 0.15 * 0.18715)
    assert c.x_bar == printed("0.18715")
    assert c.s_x == printed("0.00398")
    assert c.s_w == printed("0.00556")
    assert c.s_s == printed("0.00060")
    assert c.sigma_pt == printed("0.02807")
    assert c.limit == printed("0.00842")
    assert c.f1 == printed("1.88")
    assert c.f2 == printed("1.01")
    assert c.sqrt_c == printed("0.01283")
    assert c.passed and c.passed_expanded


@pytest.mark.parametrize(
    "analyte, ms_b, ms_w, p, s_bb_rel, u_star_rel",
    [
        (
            "X",
            "8.41166666666667e-06",
            "2.7161111111111103e-06",
            "0.07483454399680989",
            "0.20088646771077104",
            "0.08382838251412679",
        ),
        (
            "Y",
            "436.10580000000095",
            "342.65252000000015",
            "0.3086362649874217",
            "0.0074190003776657505",
            "0.008584396484700692",
        ),
    ],
)
def test_anova_ecerto_crm001(analyte, ms_b, ms_w, p, s_bb_rel, u_star_rel):
    """eCerto example study CRM001 (BAM), results as eCerto computes them (relative to the mean of
    unit means), reference/README.md."""
    df = reference("homogeneity_ecerto_crm001")
    res = anova(df[df["analyte"] == analyte])
    assert res.ms_between == rel(ms_b)
    assert res.ms_within == rel(ms_w)
    assert res.p_value == rel(p)
    assert res.s_bb_rel == rel(s_bb_rel)
    assert res.u_bb_star_rel == rel(u_star_rel)


@pytest.mark.parametrize(
    "analyte, group, u_star_rel",
    [
        ("Fe", "axial", "0.015535927030583001"),
        ("Fe", "radial", "0.010053281133868613"),
        ("Mg", "radial", "0.01022298058181612"),
        ("Mg", "axial", "0.015535927030583001"),
    ],
)
def test_anova_ecerto_homog_test_xlsx(analyte, group, u_star_rel):
    """eCerto test data Homog_Test.xlsx (Fe, Mg; radial 7 units, axial 8 units, 3 replicates):
    every group has MS_between < MS_within so s_bb = 0; u*_bb,rel as printed by eCerto.
    Read through rmwork.io, which maps eCerto's layout (Flasche = unit, unit = unit of measure)."""
    from rmwork.io import read_table

    df = read_table(DATA / "RM-DEMO-M321" / "homogeneity.xlsx", study="homogeneity")
    g = df[(df["analyte"] == analyte) & (df["group"] == group)]
    res = anova(g)
    assert res.s_bb == 0.0
    assert res.ms_between < res.ms_within
    assert any("s_bb = 0" in n for n in res.notes)
    assert res.u_bb_star_rel == rel(u_star_rel)
    assert res.u_bb == res.u_bb_star


def test_anova_cnas_bha_oil_printed_table():
    """CNAS-GL003-style example, BHA in edible oil (printed): grand mean 250.82; between df 9,
    SS 434.34, MS 48.260; within df 10, SS 413.28, MS 41.328; F 1.17 < F_0.05(9,10) = 3.02;
    derived p 0.4036, s_bb 1.8617, u*_bb 3.0400."""
    res = anova(reference("homogeneity_cnas_bha_oil"))
    assert res.grand_mean == printed("250.82")
    assert (res.dof_between, res.dof_within) == (9, 10)
    assert res.ss_between == printed("434.34")
    assert res.ms_between == printed("48.260")
    assert res.ss_within == printed("413.28")
    assert res.ms_within == printed("41.328")
    assert res.f_statistic == printed("1.17")
    assert res.f_critical == printed("3.02")
    assert not res.significant
    # Discrepancy: the README's derived p 0.4036 is 0.403545 rounded twice (0.403545 -> 0.40355 ->
    # 0.4036); scipy's exact F(9, 10) tail at F = 48.260/41.328 gives 0.403545 (to 4 digits 0.4035).
    assert res.p_value == pytest.approx(stats.f.sf(res.f_statistic, 9, 10), rel=1e-12)
    assert res.p_value == printed("0.403545")
    assert abs(res.p_value - 0.4036) < 1e-4
    assert res.s_bb == printed("1.8617")
    assert res.u_bb_star == printed("3.0400")


def test_anova_usp1010_runs_significant_between_term():
    """USP <1010> Appendix B (printed): SS_between 14.200 (df 4), MS 3.550; SS_within 1.018 (df 10),
    MS 0.102; F unrounded 34.89, p 7.6e-6; derived s_bb 1.07210, u*_bb 0.12316."""
    res = anova(reference("homogeneity_usp1010_runs"))
    assert res.ss_between == printed("14.200")
    assert res.ms_between == printed("3.550")
    assert res.ss_within == printed("1.018")
    assert res.ms_within == printed("0.102")
    assert res.f_statistic == printed("34.89")
    assert res.p_value == printed("7.6e-6")
    assert res.significant
    assert res.s_bb == printed("1.07210")
    assert res.u_bb_star == printed("0.12316")
    assert res.u_bb == res.s_bb


def test_anova_by_hand_unbalanced_n0():
    """Unbalanced design: n0 = (N - sum n_i^2 / N)/(p - 1), by hand; F from scipy's f_oneway."""
    df = pd.DataFrame(
        {
            "unit": ["a"] * 2 + ["b"] * 3 + ["c"] * 4,
            "value": [10.1, 10.3, 10.6, 10.2, 10.4, 9.9, 10.0, 10.2, 10.1],
        }
    )
    res = anova(df)
    n = np.array([2, 3, 4])
    assert res.n0 == pytest.approx((9 - (n**2).sum() / 9) / 2)
    f, p = stats.f_oneway([10.1, 10.3], [10.6, 10.2, 10.4], [9.9, 10.0, 10.2, 10.1])
    assert res.f_statistic == pytest.approx(f, rel=1e-12)
    assert res.p_value == pytest.approx(p, rel=1e-10)
    assert any("unbalanced" in n for n in res.notes)


def test_anova_invariant_to_offset_far_from_zero():
    """Centring: adding 1e8 to every result leaves MS and s_bb unchanged (to 1e-6 relative);
    uncentred sums of squares would lose all digits here."""
    base = reference("homogeneity_nist_sirstv")
    shifted = base.assign(value=base["value"] - 196 + 1e8)
    a, b = anova(base), anova(shifted)
    assert b.ms_within == pytest.approx(a.ms_within, rel=1e-6)
    assert b.s_bb == pytest.approx(a.s_bb, rel=1e-5)


def test_anova_rejects_single_unit_naming_the_formula():
    df = pd.DataFrame({"unit": ["a", "a", "a"], "value": [1.0, 1.1, 1.2]})
    with pytest.raises(InputError, match=r"one-way ANOVA .* needs at least 2 units, found 1"):
        anova(df, where="h.csv")


def test_anova_rejects_no_replicates():
    df = pd.DataFrame({"unit": ["a", "b", "c"], "value": [1.0, 1.1, 1.2]})
    with pytest.raises(InputError, match="every unit has 1"):
        anova(df)


def test_anova_rejects_non_finite_naming_the_row():
    df = pd.DataFrame(
        {"unit": ["a", "a", "b", "b"], "value": [1.0, np.nan, 1.2, 1.3], "source_row": [2, 3, 4, 5]}
    )
    with pytest.raises(InputError, match="row 3"):
        anova(df, where="h.csv")


def test_trend_detects_fill_order_slope_by_hand():
    """A linear trend in fill order is found; slope and p equal scipy.stats.linregress on unit means."""
    rng = np.random.default_rng(1)
    units = np.repeat(np.arange(1, 11), 2)
    values = 100 + 0.5 * units + rng.normal(0, 0.1, units.size)
    df = pd.DataFrame({"unit": units, "fill_order": units, "value": values})
    t = trend(df, "fill_order")
    means = df.groupby("unit")["value"].mean()
    lr = stats.linregress(np.arange(1, 11), means)
    assert t.slope == pytest.approx(lr.slope, rel=1e-10)
    assert t.p_value == pytest.approx(lr.pvalue, rel=1e-6)
    assert t.significant


def test_study_conclusion_mentions_verdict_and_basis():
    st = study(reference("homogeneity_usp1010_runs"), analyte="assay")
    assert "significant" in st.conclusion and "u_bb = s_bb" in st.conclusion
    st = study(reference("homogeneity_nist_sirstv"), analyte="x")
    assert "No significant" in st.conclusion and "u*_bb" in st.conclusion


def test_to_dict_is_json_ready():
    import json

    d = anova(reference("homogeneity_nist_sirstv")).to_dict()
    json.dumps(d)
    assert {
        "ms_between",
        "ms_within",
        "f_statistic",
        "p_value",
        "n0",
        "s_bb",
        "u_bb_star",
        "u_bb",
        "method",
    } <= set(d)
    assert math.isclose(d["n0"], 5.0)


def test_identical_results_per_unit_block_the_certificate_and_say_so(tmp_path):
    """Issue 14 (task 8): every result of a unit identical -> MS_within = 0; no 'F = nan <= F_crit',
    u_bb never enters the budget as 0, and the analyte is withheld with the reason."""
    from rmwork import workbook
    from rmwork.report.homogeneity import homogeneity_statement

    (tmp_path / "h.csv").write_text(
        "analyte,unit,replicate,value\n"
        + "\n".join(f"A,{u},{r},{10 + 0.01 * u:.2f}" for u in range(1, 6) for r in (1, 2))
        + "\n"
    )
    (tmp_path / "c.csv").write_text("analyte,lab,value,u\nA,L1,10.02,0.03\nA,L2,9.98,0.04\nA,L3,10.0,0.03\n")
    p = tmp_path / "lot.yaml"
    p.write_text(
        "lot: H-0\nmaterial: m\nseed: 1\nhomogeneity: {data: h.csv, bayes: false}\n"
        "characterization: {data: c.csv, method: mean}\nanalytes: {A: {unit: mg/kg}}\n"
    )
    wb = workbook.open(p)
    hom = wb.homogeneity()["A"]
    wb.characterization()
    e = wb.certificate()["A"]
    text = homogeneity_statement(hom)
    assert "nan" not in text and "<= F_crit" not in text and "cannot be estimated" in text
    assert e.status == "withheld" and any(b.startswith("homogeneity_estimable") for b in e.blocking)
    assert "u_bb" not in [c.name for c in e.budget.components]
