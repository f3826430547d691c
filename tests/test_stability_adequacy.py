"""Does the straight stability line fit (issue 14)?  Lack-of-fit F with pure error, the curvature
t-test and the Wald-Wolfowitz runs test, each checked against a computation written here; the
eCerto CRM001 analyte Y collapse (inadequate; adequate inside a window before month 80) and NIST
Norris (a straight line) as the worked cases."""

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rmwork import stability as S
from rmwork import workbook
from rmwork.errors import InputError
from rmwork.stability.adequacy import line_adequacy, runs_distribution
from rmwork.testing import reference

ROOT = Path(__file__).resolve().parent.parent
CRM001 = ROOT / "data" / "RM-DEMO-CRM001" / "stability.csv"


def crm001(analyte: str) -> pd.DataFrame:
    """eCerto CRM001 long-term data (BAM, MIT licence), months from the first date at 30.4375 d."""
    d = pd.read_csv(CRM001)
    g = d[d["analyte"] == analyte].reset_index(drop=True)
    return g.assign(time=S.months_from_dates(g["date"]))


def test_adequacy_ecerto_crm001_y_collapse_after_month_80_is_inadequate():
    """Y falls from about 540 to 375 after month 80: a significant quadratic term and far too few
    runs of the residual signs (the line lies above the data early and late, below in between)."""
    res = S.regression(crm001("Y"), shelf_life=24)
    a = res.adequacy
    assert not a.adequate and a.assessed and a.basis == "curvature and runs"
    assert a.curvature.p_value < 1e-4 and a.runs.p_value < 1e-6
    assert a.runs.statistic < a.runs.expected / 3
    assert "does not fit" in a.finding and "不符" in a.finding_zh
    assert not any(w in a.finding for w in ("()", "_", "time_max")), a.finding
    assert res.to_dict()["adequacy"]["adequate"] is False


def test_adequacy_ecerto_crm001_y_with_time_max_before_the_collapse_is_adequate():
    g = crm001("Y")
    res = S.regression(g, shelf_life=24, time_max=78)
    n_late = int((g["time"] > 78).sum())
    assert res.n_points == len(g) - n_late and n_late == 6
    assert res.adequacy.adequate and res.adequacy.time_max == 78 and res.adequacy.n_excluded == 6
    assert "outside the fitting window" in res.excluded[0]
    assert len(res.excluded_data()) == 6 and res.excluded_data()["value"].min() < 400
    assert res.adequacy.finding.startswith("The straight line fits the data")


def test_adequacy_nist_norris_straight_line_by_lack_of_fit():
    """NIST StRD Norris is a certified straight line; its repeated x values give pure error."""
    a = S.regression(reference("stability_nist_norris")).adequacy
    assert a.adequate and a.basis == "lack of fit" and a.lack_of_fit.passed
    assert a.curvature is None and a.runs is None


def _lof_by_cell_means(t, y):
    """Independent lack of fit: RSS of the straight line (numpy polyfit) against the RSS of the
    cell-means model (one mean per time), F = ((RSS_line - RSS_cells)/(m - 2)) / (RSS_cells/(n - m))."""
    b1, b0 = np.polyfit(t, y, 1)
    rss_line = float(((y - b0 - b1 * t) ** 2).sum())
    df = pd.DataFrame({"t": t, "y": y})
    rss_cells = float(((df["y"] - df.groupby("t")["y"].transform("mean")) ** 2).sum())
    m, n = df["t"].nunique(), len(df)
    f = ((rss_line - rss_cells) / (m - 2)) / (rss_cells / (n - m))
    return f, (m - 2, n - m), stats.f.sf(f, m - 2, n - m)


@pytest.mark.parametrize("curved", [False, True])
def test_adequacy_lack_of_fit_f_and_p_against_cell_means_model(curved):
    rng = np.random.default_rng(14)
    t = np.repeat([0.0, 3, 6, 9, 12, 18], 3)
    y = 100 - 0.05 * t + (0.02 * (t - 9) ** 2 if curved else 0) + rng.normal(0, 0.1, t.size)
    a = S.regression(pd.DataFrame({"time": t, "value": y}), shelf_life=24).adequacy
    f, dof, p = _lof_by_cell_means(t, y)
    assert a.basis == "lack of fit"
    assert a.lack_of_fit.statistic == pytest.approx(f, rel=1e-10)
    assert a.lack_of_fit.dof == dof
    assert a.lack_of_fit.p_value == pytest.approx(p, rel=1e-8)
    assert a.adequate is (not curved)


def test_adequacy_curvature_t_against_numpy_polyfit_covariance():
    """numpy.polyfit(cov=True) scales (X'X)^-1 by RSS/(n - 3): t = c / sqrt(cov[0, 0])."""
    g = crm001("X")
    t, y = g["time"].to_numpy(), g["value"].to_numpy()
    coef, cov = np.polyfit(t, y, 2, cov=True)
    t_c = coef[0] / math.sqrt(cov[0, 0])
    c = S.regression(g).adequacy.curvature
    assert c.statistic == pytest.approx(t_c, rel=1e-7)
    assert c.dof == len(t) - 3
    assert c.p_value == pytest.approx(2 * stats.t.sf(abs(t_c), len(t) - 3), rel=1e-6)
    assert c.quadratic == pytest.approx(coef[0], rel=1e-7)


def _runs(seq):
    return 1 + sum(a != b for a, b in zip(seq, seq[1:]))


@pytest.mark.parametrize("n1, n2", [(1, 1), (2, 3), (4, 3), (5, 5), (6, 2)])
def test_runs_distribution_by_hand_enumeration(n1, n2):
    """Every placement of n1 '+' among n1 + n2 positions, equally likely under random order."""
    n = n1 + n2
    counts: dict[int, int] = {}
    for pos in itertools.combinations(range(n), n1):
        seq = [1 if i in pos else -1 for i in range(n)]
        counts[_runs(seq)] = counts.get(_runs(seq), 0) + 1
    total = math.comb(n, n1)
    pmf = runs_distribution(n1, n2)
    assert set(pmf) == set(counts)
    for r, c in counts.items():
        assert pmf[r] == pytest.approx(c / total, rel=1e-15)


def test_runs_test_p_of_a_line_by_hand_enumeration():
    """Seven points whose residuals have the signs + + + - - - + in time order: R = 3 runs of
    n1 = 4, n2 = 3; p = P(R <= 3) by enumerating the 35 orders."""
    t = np.arange(7.0)
    signs = np.array([1, 1, 1, -1, -1, -1, 1])
    fitted = 10 + 0.1 * t
    y = fitted + 0.01 * signs * (1 + 0.1 * t)
    a = line_adequacy(t, y, fitted, float(((y - fitted) ** 2).sum()), alpha=0.05)
    orders = [[1 if i in pos else -1 for i in range(7)] for pos in itertools.combinations(range(7), 4)]
    p = sum(_runs(s) <= 3 for s in orders) / len(orders)
    assert a.runs.statistic == 3 and (a.runs.n_positive, a.runs.n_negative) == (4, 3)
    assert a.runs.p_value == pytest.approx(p, rel=1e-15)
    assert a.runs.smallest_p == pytest.approx(sum(_runs(s) == 2 for s in orders) / 35)


def test_adequacy_three_time_points_without_replicates_cannot_be_checked():
    res = S.regression(pd.DataFrame({"time": [0.0, 6, 12], "value": [10.0, 10.1, 9.9]}))
    a = res.adequacy
    assert not a.assessed and not a.adequate and a.basis == "none"
    assert "could not be checked" in a.finding


def test_transport_line_carries_its_adequacy_and_window():
    df = pd.DataFrame({"time": [0, 0.25, 0.5, 0.75, 1.0, 1.5], "value": [10, 10.01, 9.99, 10.0, 10.02, 9.0]})
    tr = S.transport(df, 0.5, time_max=1.0)
    assert tr.n_points == 5 and tr.adequacy is not None and tr.adequacy.n_excluded == 1
    assert "adequacy" in tr.to_dict()


def test_regression_exclude_a_time_with_its_reason_and_refuse_a_time_not_in_the_data():
    g = crm001("Y")
    t_last = float(g["time"].max())
    res = S.regression(g, exclude={t_last: "unit opened before measurement (lab log 7)"})
    assert res.n_points == len(g) - 1
    assert res.excluded == (
        f"t = {t_last:.6g} months, value 377: unit opened before measurement (lab log 7)",
    )
    with pytest.raises(InputError, match=r"no result at time 999 months to exclude"):
        S.regression(g, exclude={999.0: "typo"})


def _lot(tmp_path, long_term: str) -> Path:
    text = (ROOT / "parameters" / "RM-DEMO-CRM001.yaml").read_text()
    text = text.replace("../data/", f"{ROOT}/data/")
    # the demo's whole stability block (its comment and window included) becomes the test's own
    text = re.sub(r"(?ms)^stability:\n.*?(?=^characterization:)", "stability:\n  " + long_term + "\n", text)
    p = tmp_path / "lot.yaml"
    p.write_text(text)
    return p


def test_workbook_reads_time_max_per_analyte_and_excludes_by_date(tmp_path):
    lt = (
        "long_term: {data: " + f"{ROOT}/data/RM-DEMO-CRM001/stability.csv" + ", shelf_life: 24, "
        "time_max: {Y: 78}, exclude: [{analyte: X, date: 2011-04-06, reason: 'vial cracked (log 12)'}]}"
    )
    studies = workbook.open(_lot(tmp_path, lt)).stability()
    x, y = studies["X"].long_term, studies["Y"].long_term
    assert y.adequacy.adequate and y.adequacy.time_max == 78 and y.n_points == 46
    assert x.n_points == 51 and x.excluded[0].endswith("vial cracked (log 12)")


def test_workbook_refuses_an_exclusion_that_matches_no_result_naming_the_key(tmp_path):
    lt = (
        "long_term: {data: " + f"{ROOT}/data/RM-DEMO-CRM001/stability.csv" + ", shelf_life: 24, "
        "exclude: [{analyte: Y, date: 2019-01-01, reason: 'no such run'}]}"
    )
    with pytest.raises(InputError, match=r"stability\.long_term\.exclude") as err:
        workbook.open(_lot(tmp_path, lt)).stability()
    assert "analyte 'Y' has no result at date 2019-01-01" in str(err.value)


def test_lot_refuses_a_time_max_that_is_not_positive(tmp_path):
    lt = (
        "long_term: {data: " + f"{ROOT}/data/RM-DEMO-CRM001/stability.csv" + ", shelf_life: 24, "
        "time_max: {Y: -5}}"
    )
    with pytest.raises(InputError, match="time_max must be a positive number of months"):
        workbook.open(_lot(tmp_path, lt))


def test_workbook_stability_without_sensitivity_runs_no_bayesian_fit(tmp_path, monkeypatch):
    """What validate needs: every classical stability fit (and its input checks), no sampler."""
    calls = []
    monkeypatch.setattr(workbook.Workbook, "_sensitivity", lambda self, *a: calls.append(a))
    lt = (
        "long_term: {data: " + f"{ROOT}/data/RM-DEMO-CRM001/stability.csv" + ", shelf_life: 24}\n"
        "  bayes: true"
    )
    wb = workbook.open(_lot(tmp_path, lt))
    assert set(wb.stability(sensitivity=False)) == {"X", "Y"} and calls == []
    wb.stability()
    assert len(calls) == 2
