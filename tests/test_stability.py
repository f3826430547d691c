"""Stability (ISO Guide 35:2017 clause 8 / Annex B.3; ICH Q1E; Arrhenius) against published cases.

Oracles: shared reference/README.md (printed values copied below as literals), NIST StRD
"Norris" certified values, eCerto's Tab.S1 for its Si test data, ICH Q1E moisture example
(LeBlond, Griffith & Aubuchon, J. Valid. Technol. 17 (2011); R package expirest), AccelStab
vignette (vaccine potency).  By-hand tests compute their expectation with numpy/scipy, never
through rmwork.
"""

import math
import sys
import types
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import rmwork
from rmwork import stability as S
from rmwork.errors import InputError, RmworkWarning
from rmwork.testing import printed, reference


def rel(text):
    """Values printed with ten or more digits: 1e-7 relative (reference/README.md rule)."""
    return pytest.approx(float(text), rel=1e-7)


def _ich_pooled():
    return reference("stability_ich_q1e_moisture").drop(columns="batch")


# ---------------------------------------------------------------------------------------------
# published examples


def test_regression_nist_strd_norris_certified_coefficients():
    """NIST StRD linear regression 'Norris' (certified values, public domain; time = x,
    value = y): b1 1.00211681802045, s(b1) 0.429796848199937E-03, b0 -0.262323073774029,
    s(b0) 0.232818234301152, residual SD 0.884796396144373, R^2 0.999993745883712."""
    res = S.regression(reference("stability_nist_norris"))
    assert res.slope == rel("1.00211681802045")
    assert res.se_slope == rel("0.429796848199937E-03")
    assert res.intercept == rel("-0.262323073774029")
    assert res.se_intercept == rel("0.232818234301152")
    assert res.residual_sd == rel("0.884796396144373")
    assert res.r_squared == rel("0.999993745883712")
    assert (res.n_points, res.dof) == (36, 34)
    assert res.u_lts is None and res.u_lts_rel is None  # contract: None without shelf_life


def test_regression_ecerto_stability_testdata_si_slope_se_p_and_u_stab_rel():
    """eCerto test data Stability_Testdata.xlsx, sheet Si (MIT, janlisec/eCerto; CSV copy in
    rmwork/data/reference, see SOURCES.md); eCerto prepTabS1 with time_fmt "mon" (days/30.4375
    from the first date) and t_cert 60: slope -1.95873570319798e-05, SE 4.73816331290521e-06,
    P 0.000135937030629598, mean 0.233713461538462, u_stab (relative) 0.00121640318406532."""
    res = S.regression(reference("stability_ecerto_si"), shelf_life=60)
    assert res.slope == rel("-1.95873570319798e-05")
    assert res.se_slope == rel("4.73816331290521e-06")
    assert res.p_value == rel("0.000135937030629598")
    assert res.mean == rel("0.233713461538462")
    assert res.u_lts_rel == rel("0.00121640318406532")
    assert res.u_lts == pytest.approx(60 * res.se_slope, rel=1e-15)
    assert res.significant and res.n_points == 52
    assert any("30.4375" in n for n in res.notes)


def test_months_from_dates_ecerto_30_4375_days_per_month():
    """eCerto calc_time_diff(type = "mon", exact = TRUE): (date - first date) / 30.4375 d."""
    t = S.months_from_dates(["2011-04-05", "2011-05-05", "2012-04-05"])
    assert t.tolist() == pytest.approx([0.0, 30 / 30.4375, 366 / 30.4375], rel=1e-15)
    assert S.months_from_dates(["2020-01-02"], origin="2020-01-01")[0] == pytest.approx(1 / 30.4375)
    with pytest.raises(InputError, match="before the origin"):
        S.months_from_dates(["2020-01-01"], origin="2020-02-01")


def test_shelf_life_prediction_ich_q1e_moisture_two_sided_prediction_interval():
    """ICH Q1E moisture example (reference/README.md; expirest): common line
    2.45678204711 + 0.002272338514 t; limits 0.5 and 4.5; two-sided 95 % prediction interval
    crosses the upper limit at 67.2979863914 and the lower at 79.6924982370 months (shelf life
    67.30).  The published crossings come from an iterative solver; ours are exact roots and
    agree to 6e-9 relative."""
    res = S.regression(_ich_pooled())
    assert res.intercept == rel("2.45678204711")
    assert res.slope == rel("0.002272338514")
    sl = S.shelf_life_prediction(res, lower=0.5, upper=4.5, kind="prediction", sided="two")
    assert sl.t_upper == rel("67.2979863914")
    assert sl.t_lower == rel("79.6924982370")
    assert sl.shelf_life == printed("67.30") and sl.limiting == "upper"
    assert sl.extrapolated and any("extrapolated" in n for n in sl.notes)
    same = S.shelf_life_prediction(res, certified_value=2.5, U=2.0)
    assert (same.lower, same.upper, same.t_upper) == (0.5, 4.5, sl.t_upper)


def test_shelf_life_prediction_ich_q1e_moisture_confidence_and_one_sided():
    """ICH Q1E moisture example (reference/README.md): two-sided 95 % confidence interval
    82.6037890116 (upper) / 95.4652197782 (lower); one-sided 95 % prediction 84.0292339443 /
    102.847355846 months."""
    res = S.regression(_ich_pooled())
    ci = S.shelf_life_prediction(res, lower=0.5, upper=4.5, kind="confidence", sided="two")
    assert ci.t_upper == rel("82.6037890116")
    assert ci.t_lower == rel("95.4652197782")
    one = S.shelf_life_prediction(res, lower=0.5, upper=4.5, kind="prediction", sided="one")
    assert one.t_upper == rel("84.0292339443")
    assert one.t_lower == rel("102.847355846")


def test_poolability_ich_q1e_moisture_ancova_f_slopes_and_intercepts():
    """ICH Q1E moisture example (reference/README.md): ANCOVA F for intercepts 0.353853883257
    and slopes 0.748152729736, alpha 0.25, full model's MSE: batches poolable."""
    res = S.poolability(reference("stability_ich_q1e_moisture"))
    assert res.f_intercepts == rel("0.353853883257")
    assert res.f_slopes == rel("0.748152729736")
    assert res.dof_slopes == (2, 27) and res.alpha == 0.25
    assert res.model == "common" and res.slopes_poolable and res.intercepts_poolable
    assert res.p_slopes == pytest.approx(stats.f.sf(0.748152729736, 2, 27), rel=1e-6)


def test_arrhenius_joint_accelstab_vaccine_potency_parameters():
    """AccelStab vignette (vaccine potency, zero order, fitted on time < 8 months, n = 55):
    k1 39.46 (SE 1.631), k2 12958 (SE 494), c0 9.525 (SE 0.0206), residual SD 0.1157 on 52 df."""
    res = S.arrhenius_joint(reference("stability_arrhenius_vaccine_potency"), time_below=8)
    assert res.n_points == 55 and res.dof == 52
    assert res.k1 == printed("39.46") and res.se_k1 == printed("1.631")
    assert res.k2 == printed("12958") and res.se_k2 == printed("494")
    assert res.c0 == printed("9.525") and res.se_c0 == printed("0.0206")
    assert res.residual_sd == printed("0.1157")
    assert res.excluded and "23 results" in res.excluded[0]


def test_arrhenius_joint_accelstab_vaccine_time_to_9_at_5c():
    """AccelStab vaccine case, derived (reference/README.md): time to reach 9.0 at 5 degC
    68.58 months (point estimate, (1 - 9/c0)/exp(k1 - k2/278.15))."""
    res = S.arrhenius_joint(
        reference("stability_arrhenius_vaccine_potency"), time_below=8, storage_temperature=5, limit=9.0
    )
    assert res.time_to_limit == printed("68.58")
    assert not res.extrapolated
    assert res.time_to_limit == pytest.approx((1 - 9 / res.c0) / math.exp(res.k1 - res.k2 / 278.15))


# ---------------------------------------------------------------------------------------------
# by hand


def test_regression_lack_of_fit_by_hand_ich_q1e_moisture():
    """Lack-of-fit F on the pooled ICH data (replicates at 3, 6, 12, 24 months), by hand."""
    df = _ich_pooled()
    res = S.regression(df)
    t, y = df["time"].to_numpy(float), df["value"].to_numpy(float)
    b1, b0 = np.polyfit(t, y, 1)
    sse = np.sum((y - b0 - b1 * t) ** 2)
    ss_pe = sum(np.sum((y[t == v] - y[t == v].mean()) ** 2) for v in np.unique(t))
    m, n = np.unique(t).size, t.size
    f = ((sse - ss_pe) / (m - 2)) / (ss_pe / (n - m))
    assert res.f_lack_of_fit == pytest.approx(f, rel=1e-10)
    assert (res.dof_lack_of_fit, res.dof_pure_error) == (m - 2, n - m)
    assert res.p_lack_of_fit == pytest.approx(stats.f.sf(f, m - 2, n - m), rel=1e-10)


def test_regression_use_means_fits_time_point_means_by_hand():
    df = _ich_pooled()
    res = S.regression(df, use_means=True)
    means = df.groupby("time")["value"].mean()
    b1, b0 = np.polyfit(means.index.to_numpy(float), means.to_numpy(), 1)
    assert res.use_means and res.n_points == means.size
    assert res.slope == pytest.approx(b1, rel=1e-10) and res.intercept == pytest.approx(b0, rel=1e-10)
    assert math.isnan(res.f_lack_of_fit)


def test_regression_confidence_band_matches_coefficient_covariance():
    """var(b0 + b1 t) = s(b0)^2 + t^2 s(b1)^2 + 2 t cov(b0, b1) equals the centred form."""
    res = S.regression(_ich_pooled())
    t = np.array([0.0, 12.0, 60.0])
    q = stats.t.ppf(0.975, res.dof)
    se = np.sqrt(res.se_intercept**2 + t**2 * res.se_slope**2 + 2 * t * res.cov_slope_intercept)
    band = res.band(t)
    assert (band["high"] - band["fit"]).to_numpy() == pytest.approx(q * se, rel=1e-10)
    lo, hi = res.confidence_interval()
    assert (hi - lo) / 2 == pytest.approx(q * res.se_slope)


def test_transport_u_sts_is_se_slope_times_duration_at_the_transport_temperature():
    df = pd.concat(
        [
            _ich_pooled().assign(temperature=40.0),
            _ich_pooled().assign(temperature=4.0, value=lambda d: d["value"] * 2),
        ]
    )
    res = S.transport(df, duration=0.5, temperature=40)
    ref = S.regression(_ich_pooled())
    assert res.slope == pytest.approx(ref.slope, rel=1e-12)
    assert res.u_sts == pytest.approx(0.5 * ref.se_slope, rel=1e-12)
    assert res.temperature == 40.0 and res.duration == 0.5
    d = res.to_dict()
    assert {"slope", "se_slope", "p_value", "duration", "u_sts"} <= set(d)
    with pytest.raises(InputError, match="several temperatures"):
        S.transport(df, duration=0.5)


def test_isochronous_reference_rows_enter_each_fit_at_time_zero_by_hand():
    rows = [(-70, 0, 10.0), (-70, 0, 10.2), (-70, 0, 9.9)]
    rows += [(20, t, 10.0 - 0.05 * t + e) for t, e in [(1, 0.02), (2, -0.03), (3, 0.01), (6, 0.0)]]
    rows += [(40, t, 10.0 - 0.2 * t + e) for t, e in [(1, -0.02), (2, 0.03), (3, 0.0), (6, 0.01)]]
    df = pd.DataFrame(rows, columns=["temperature", "time", "value"]).assign(analyte="X")
    res = S.isochronous(df, reference_temperature=-70, shelf_life=12)
    assert res.temperatures == (20.0, 40.0) and res.n_reference == 3
    for T in (20, 40):
        sub = df[df.temperature.isin([-70, T])]
        b1, b0 = np.polyfit(sub["time"].to_numpy(float), sub["value"].to_numpy(float), 1)
        fit = res.fits[f"{T:g}"]
        assert fit.slope == pytest.approx(b1, rel=1e-10) and fit.intercept == pytest.approx(b0, rel=1e-10)
        assert fit.temperature == T and fit.analyte == "X"
    rel_res = S.isochronous(df, -70, relative=True)
    assert rel_res.fits["40"].slope == pytest.approx(res.fits["40"].slope / res.mean_reference)
    assert len(res.to_frame()) == 2


def test_shelf_life_suggestion_ecerto_t_max_rule_by_hand():
    """eCerto styleTabS1 (optimize_u_stab): t_max = max(which(SE t < k mu_c sqrt(u_com^2 +
    (SE t/mean)^2)/3)) over t = 0:60, which is 1-based, so eCerto shows t_max + 1."""
    res = S.regression(reference("stability_ecerto_si"))
    se, mean = res.se_slope, res.mean
    mu_c, u_com_rel, k = 0.2337, 0.00035, 2.0  # u_com relative, as in eCerto's table
    t = np.arange(0, 61)
    u_stab = se * t / mean
    U3 = k * mu_c * np.sqrt(u_com_rel**2 + u_stab**2) / 3
    ecerto_display = int(np.max(np.flatnonzero(u_stab * mean < U3) + 1))  # R's which() is 1-based
    sug = S.shelf_life_suggestion(res, u_rest=u_com_rel * mu_c, k=k, certified_value=mu_c)
    assert sug.t_max_ecerto == ecerto_display
    assert sug.t_max == ecerto_display - 1
    a = k * (mu_c / mean) / 3
    assert sug.t_max_exact == pytest.approx(k * u_com_rel * mu_c / 3 / (se * math.sqrt(1 - a * a)))
    assert sug.t_max == math.floor(sug.t_max_exact)
    fixed = S.shelf_life_suggestion(res, U=0.0003)
    assert fixed.t_max_exact == pytest.approx(0.0001 / se) and fixed.t_max == math.floor(0.0001 / se)
    with pytest.raises(InputError, match="either u_rest"):
        S.shelf_life_suggestion(res)


def test_shelf_life_prediction_line_kind_is_ecerto_lts_crossing_by_hand():
    """eCerto LTS module: the time at which the fitted line itself reaches mu_c +- U."""
    res = S.regression(reference("stability_ecerto_si"))
    sl = S.shelf_life_prediction(res, lower=0.232, upper=0.236, kind="line")
    assert sl.t_lower == pytest.approx((0.232 - res.intercept) / res.slope, rel=1e-10)
    assert math.isinf(sl.t_upper) and sl.limiting == "lower"


def test_arrhenius_recovers_activation_energy_and_time_to_limit_by_hand():
    """Exact zero-order data with k_T = -A exp(-E_a/(R T)): E_a, k at 5 degC and the time to
    the limit follow from the formulas."""
    R, Ea, lnA = 8.314462618, 80000.0, 28.0
    rows = []
    for T in (25.0, 40.0, 50.0):
        k = -math.exp(lnA - Ea / (R * (T + 273.15)))
        rows += [(T, t, 100.0 + k * t) for t in (0.0, 1.0, 2.0, 3.0)]
    df = pd.DataFrame(rows, columns=["temperature", "time", "value"])
    with pytest.warns(RmworkWarning, match="outside the fitted range"):
        res = S.arrhenius(df, storage_temperature=5, limit=95.0)
    k5 = math.exp(lnA - Ea / (R * 278.15))
    assert res.e_a == pytest.approx(Ea, rel=1e-9)
    assert res.k_storage == pytest.approx(-k5, rel=1e-9)
    assert res.time_to_limit == pytest.approx(5.0 / k5, rel=1e-9)
    assert res.extrapolated and any("outside the temperatures fitted" in n for n in res.notes)
    first = S.arrhenius(
        df.assign(value=lambda d: 100 * np.exp((d["value"] - 100) / 100)),
        order="first",
        temperatures=[25, 40, 50],
    )
    assert first.e_a == pytest.approx(Ea, rel=1e-9)


def test_arrhenius_linear_on_accelstab_vaccine_storage_inside_range_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RmworkWarning)
        res = S.arrhenius(reference("stability_arrhenius_vaccine_potency"), storage_temperature=5, limit=9.0)
    assert res.temperatures == (5.0, 25.0, 37.0) and res.direction == -1 and not res.extrapolated
    assert res.k_storage_ci.low < -res.k_storage < res.k_storage_ci.high
    assert res.time_to_limit_conservative < res.time_to_limit


def test_monitoring_check_erm_application_note_1_by_hand():
    res = S.monitoring_check(10.0, 0.1, [10.1, 10.5, 9.7], [0.05, 0.05, 0.2], k=2)
    U_d = [2 * math.hypot(0.1, 0.05), 2 * math.hypot(0.1, 0.05), 2 * math.hypot(0.1, 0.2)]
    assert list(res.U_d) == pytest.approx(U_d)
    assert res.passed == (True, False, True) and not res.all_passed
    assert len(res.to_frame()) == 3


def test_bayesian_trend_propagates_slope_draws_into_u_lts(monkeypatch):
    """Fixed draws stand in for the sampler: u_lts = SD(b1 t_shelf), b0 = a - b1 t_mean."""
    rng = np.random.default_rng(1)
    draws = {
        "slope": rng.normal(-2e-5, 5e-6, 4000),
        "intercept": rng.normal(0.2337, 1e-4, 4000),
        "sigma": np.abs(rng.normal(8e-4, 5e-5, 4000)),
    }
    seen = {}

    def linear_trend(time, value, *, seed, settings=None):
        seen.update(time=np.asarray(time), seed=seed)
        return types.SimpleNamespace(
            draws=draws, summary={}, diagnostics=types.SimpleNamespace(passed=False, messages=["R-hat 1.2"])
        )

    fake = types.ModuleType("rmwork.bayes")
    fake.linear_trend = linear_trend
    monkeypatch.setitem(sys.modules, "rmwork.bayes", fake)
    monkeypatch.setattr(rmwork, "bayes", fake, raising=False)
    res = S.bayesian_trend(reference("stability_ecerto_si"), shelf_life=60, seed=7)
    ols = S.regression(reference("stability_ecerto_si"), shelf_life=60)
    assert seen["seed"] == 7 and abs(seen["time"].mean()) < 1e-12  # centred time
    assert res.u_lts == pytest.approx(np.std(draws["slope"] * 60, ddof=1), rel=1e-12)
    assert res.intercept_mean == pytest.approx(np.mean(draws["intercept"] - draws["slope"] * ols.time_mean))
    assert res.ratio_u_lts == pytest.approx(res.u_lts / ols.u_lts)
    assert not res.diagnostics_passed and any("not used on the certificate" in n for n in res.notes)


def test_bayesian_trend_ecerto_si_agrees_with_least_squares_and_is_seeded():
    """Real sampler (rmwork.bayes.linear_trend, weakly informative priors) on the eCerto Si
    data: the posterior slope sits on the OLS slope and u_lts = SD(b1) t_shelf is close to
    s(b1) t_shelf (the t-posterior on 50 dof is ~2 % wider; MCMC error ~3 % at ESS >= 400).
    Small settings keep the test fast; the diagnostic gate must pass."""
    settings = {"draws": 500, "tune": 500, "chains": 2}
    res = S.bayesian_trend(reference("stability_ecerto_si"), shelf_life=60, seed=20261122, settings=settings)
    ols = S.regression(reference("stability_ecerto_si"), shelf_life=60)
    assert res.diagnostics_passed, res.diagnostics_messages
    assert res.slope_mean == pytest.approx(ols.slope, abs=0.2 * ols.se_slope)
    assert 0.93 < res.ratio_u_lts < 1.15
    assert res.credible_excludes_zero and res.slope_ci95.high < 0
    again = S.bayesian_trend(
        reference("stability_ecerto_si"), shelf_life=60, seed=20261122, settings=settings
    )
    assert again.u_lts == res.u_lts


# ---------------------------------------------------------------------------------------------
# bad input: the message is checked


def test_regression_rejects_two_time_points_with_one_line_message():
    df = pd.DataFrame({"time": [0, 0, 6, 6], "value": [1.0, 1.1, 1.0, 0.9]})
    with pytest.raises(InputError, match=r"needs at least 3 distinct time points, found 2") as e:
        S.regression(df)
    assert "\n" not in str(e.value)


def test_regression_rejects_negative_time_naming_the_row():
    df = pd.DataFrame({"time": [0, 3, -6, 9], "value": [1.0, 1.1, 1.0, 0.9], "source_row": [2, 3, 4, 5]})
    # the number's text comes from _checks.require_positive_array (shared wording)
    with pytest.raises(InputError, match=r"row 4: column 'time' must be not negative, got .*-6"):
        S.regression(df)


def test_regression_rejects_non_finite_value_naming_the_row():
    df = pd.DataFrame({"time": [0, 3, 6, 9], "value": [1.0, np.nan, 1.0, 0.9], "source_row": [2, 3, 4, 5]})
    with pytest.raises(InputError, match=r"row 3: column 'value' contains a non-finite value"):
        S.regression(df)


def test_regression_rejects_several_analytes_and_missing_column():
    df = pd.DataFrame({"analyte": ["Si", "Mn"] * 3, "time": [0, 0, 3, 3, 6, 6], "value": [1.0] * 6})
    with pytest.raises(InputError, match=r"several analytes \(Si, Mn\); .*by_analyte"):
        S.regression(df)
    with pytest.raises(InputError, match=r"column 'value' is missing"):
        S.regression(df[df.analyte == "Si"].rename(columns={"value": "result"}))


def test_arrhenius_rejects_single_temperature():
    df = pd.DataFrame({"temperature": [25.0] * 4, "time": [0, 1, 2, 3], "value": [10, 9.8, 9.6, 9.4]})
    with pytest.raises(InputError, match=r"Arrhenius fit needs at least 2 temperatures, found 1"):
        S.arrhenius(df)
    with pytest.raises(InputError, match=r"joint Arrhenius fit needs at least 2 temperatures, found 1"):
        S.arrhenius_joint(df)


def test_shelf_life_prediction_rejects_missing_or_crossed_limits():
    res = S.regression(_ich_pooled())
    with pytest.raises(InputError, match="no limit given"):
        S.shelf_life_prediction(res)
    with pytest.raises(InputError, match="lower limit 5 is not below upper 1"):
        S.shelf_life_prediction(res, lower=5, upper=1)


# ---------------------------------------------------------------------------------------------
# structure


def test_by_analyte_splits_and_passes_per_analyte_keywords():
    si = reference("stability_ecerto_si")
    df = pd.concat([si.assign(analyte="Si"), si.assign(analyte="Si2", value=si["value"] * 2)])
    df.attrs["file"] = "stab.csv"
    out = S.by_analyte(S.regression, df, shelf_life={"Si": 60, "Si2": 24})
    assert list(out) == ["Si", "Si2"] and out["Si"].analyte == "Si"
    assert out["Si2"].u_lts == pytest.approx(24 * out["Si2"].se_slope)
    assert out["Si2"].slope == pytest.approx(2 * out["Si"].slope)
    bad = pd.DataFrame({"analyte": ["A"] * 2, "time": [0, 1], "value": [1.0, 2.0]})
    bad.attrs["file"] = "stab.csv"
    with pytest.raises(InputError, match=r"stab.csv, analyte A: .*needs at least 3"):
        S.by_analyte(S.regression, bad)


def test_long_term_to_dict_has_contract_keys_and_plain_values():
    d = S.regression(reference("stability_ecerto_si"), shelf_life=60).to_dict()
    assert {"slope", "se_slope", "p_value", "shelf_life", "u_lts"} <= set(d)
    assert not any(k.startswith("_") for k in d)
    assert isinstance(d["slope"], float) and d["f_lack_of_fit"] is None  # NaN -> None
    assert d["shelf_life"] == 60.0


def test_public_functions_cite_a_document_in_the_first_docstring_line():
    names = [
        "months_from_dates",
        "regression",
        "transport",
        "isochronous",
        "shelf_life_prediction",
        "poolability",
        "shelf_life_suggestion",
        "arrhenius",
        "arrhenius_joint",
        "monitoring_check",
        "bayesian_trend",
    ]
    for name in names:
        first = getattr(S, name).__doc__.strip().splitlines()[0]
        assert "(" in first and any(
            doc in first for doc in ("ISO", "ICH", "ERM", "eCerto", "AccelStab", "Arrhenius")
        ), name


# ---------------------------------------------------------------------------------------------
# report layer


def test_tables_s1_s2_s3_captions_labels_and_values():
    from rmwork.report import stability as R

    si = S.regression(reference("stability_ecerto_si").assign(analyte="Si"), shelf_life=60)
    tr = S.transport(_ich_pooled().assign(analyte="Si"), duration=0.5)
    s1 = R.table_s1({"Si": si}).data
    # b1 = -1.959e-05 (eCerto) printed to the place of s(b1) = 4.738e-06 -> 4.7e-06 (GUM 7.2.6)
    assert "Table S1 — Stability" in s1 and "b<sub>1</sub>" in s1 and "-1.96e-05" in s1 and "4.7e-06" in s1
    s2 = R.table_s2({"Si": si}, {"Si": tr}, lang="zh").data
    # u_lts = 0.0002843 to two significant digits
    assert "表 S2" in s2 and "长期稳定性不确定度" in s2 and ">0.00028<" in s2
    joint = S.arrhenius_joint(
        reference("stability_arrhenius_vaccine_potency"), time_below=8, storage_temperature=5, limit=9.0
    )
    s3 = R.table_s3(joint).data
    assert "Table S3" in s3 and "39.458" in s3 and "68.583" in s3
    lin = S.arrhenius(reference("stability_arrhenius_vaccine_potency"), storage_temperature=5)
    # the parameters table under the rate constants has a number of its own (issue 17: one number each)
    s3b = R.table_s3(lin).data
    assert "Table S3b" in s3b and "Arrhenius parameters" in s3b and s3b.count('id="tab-S3') == 2


def test_figures_s1_s2_s3_return_figures_without_pyplot():
    from matplotlib.figure import Figure

    from rmwork.report import stability as R

    ich = S.regression(_ich_pooled())
    pred = S.shelf_life_prediction(ich, lower=0.5, upper=4.5)
    vac = reference("stability_arrhenius_vaccine_potency")
    figs = [
        R.figure_s1(None, ich, prediction=pred),
        R.figure_s1(
            reference("stability_ecerto_si"),
            S.regression(reference("stability_ecerto_si"), shelf_life=60),
            certified_value=0.2337,
            U=0.002,
        ),
        R.figure_s2(None, ich),
        R.figure_s3(None, S.arrhenius(vac, storage_temperature=5)),
        R.figure_s3(vac, S.arrhenius_joint(vac, time_below=8)),
    ]
    assert all(isinstance(f, Figure) for f in figs)


def test_zh_figures_s1_s2_s3_carry_chinese_text_drawn_without_missing_glyphs():
    import io

    from rmwork.report import stability as R

    ich = S.regression(_ich_pooled())
    pred = S.shelf_life_prediction(ich, lower=0.5, upper=4.5)
    vac = reference("stability_arrhenius_vaccine_potency")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figs = [
            R.figure_s1(None, ich, prediction=pred, lang="zh"),
            R.figure_s2(None, ich, lang="zh"),
            R.figure_s3(None, S.arrhenius(vac, storage_temperature=5), lang="zh"),
            R.figure_s3(vac, S.arrhenius_joint(vac, time_below=8), lang="zh"),
        ]
        for f in figs:
            f.savefig(io.BytesIO(), format="png")
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []
    s1, s2, s3, s3j = (f.axes[0] for f in figs)
    assert s1.get_xlabel() == "时间 / 月" and s1.get_title().startswith("图 S1")
    assert any("置信带" in t.get_text() for t in s1.get_legend().get_texts())
    assert s2.get_ylabel() == "残差" and s2.get_title().startswith("图 S2")
    assert "阿伦尼乌斯" in s3.get_title() and s3.get_xlabel() == "1/T / K⁻¹"
    assert s3j.get_title().startswith("图 S3")
    # English stays English
    assert R.figure_s2(None, ich).axes[0].get_xlabel() == "time / months"


def test_stability_statement_en_and_zh_use_the_field_values_and_terms():
    from rmwork.report import stability as R

    si = S.regression(reference("stability_ecerto_si").assign(analyte="Si"), shelf_life=60)
    en = R.stability_statement(si)
    # b1 = -1.959e-05 to the place of s(b1) = 4.7e-06 (GUM 7.2.6)
    assert "Long-term stability of Si" in en and "-1.96e-05" in en and "significant" in en
    zh = R.stability_statement(si, lang="zh")
    assert all(w in zh for w in ("长期稳定性", "斜率", "截距", "有效期"))
    tr = R.stability_statement(S.transport(_ich_pooled(), 0.5), lang="zh")
    assert "运输稳定性" in tr
    acc = R.stability_statement(
        S.arrhenius(reference("stability_arrhenius_vaccine_potency"), storage_temperature=5, limit=9.0),
        lang="zh",
    )
    assert "加速稳定性" in acc
