"""Property tests (hypothesis) of the statistics: what must hold for any data, not one example.

One-way ANOVA (rmwork.homogeneity.anova, ISO Guide 35:2017 B.3): s_bb, u*_bb, F and p do not
depend on the origin of the values (the sums of squares are formed on centred data, so even an
offset of 1e6 changes nothing beyond rounding) nor on the order of rows or the names of units;
scaling every value by c > 0 scales s_bb, u*_bb and u_bb by c and leaves F and p; s_bb >= 0,
u_bb = max(s_bb, u*_bb), and s_bb = 0 exactly when MS_between <= MS_within.  F is also
checked against scipy.stats.f_oneway, an independent implementation.

Also: the slope of the stability regression (ISO Guide 35:2017 B.3) under offset and scale of
values and time, and the equivariance of Algorithm A (ISO 13528:2022 C.3.1) under shift and
scale.

Data are drawn on a grid (integers times a resolution) with bounded magnitude, as laboratory
results are: that keeps rounding error far below the tolerances, which state how much a
float64 computation may lose, not how much the formulas may differ.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from scipy import stats

from rmwork.errors import InputError
from rmwork.homogeneity import anova

SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
RTOL = 1e-7


# ---------------------------------------------------------------------------------------------
# strategies


@st.composite
def homogeneity_tables(draw, balanced=None):
    """A long table: 2-12 units, 2-5 results each (or 1-5 when unbalanced, at least one unit with
    2), values = (unit effect + noise) * resolution, at most 400 steps of the resolution."""
    p = draw(st.integers(2, 12))
    if balanced is None:
        balanced = draw(st.booleans())
    if balanced:
        n = draw(st.integers(2, 5))
        sizes = [n] * p
    else:
        sizes = draw(st.lists(st.integers(1, 5), min_size=p, max_size=p))
        assume(max(sizes) >= 2)
    spread = draw(st.sampled_from([0, 3, 30, 300]))  # between-unit effect size
    noise = draw(st.sampled_from([1, 10, 100]))  # within-unit scatter
    resolution = draw(st.sampled_from([1e-3, 0.01, 1.0]))
    rows = []
    for i, n_i in enumerate(sizes):
        effect = draw(st.integers(-spread, spread))
        for j in range(n_i):
            rows.append((f"U{i + 1:02d}", j + 1, (effect + draw(st.integers(-noise, noise))) * resolution))
    df = pd.DataFrame(rows, columns=["unit", "replicate", "value"])
    return df


def with_scatter(df: pd.DataFrame) -> bool:
    """MS_within > 0: some unit has two different results (otherwise F and u*_bb are undefined)."""
    return bool((df.groupby("unit")["value"].nunique() > 1).any())


def close(a, b, rtol=RTOL, atol=0.0):
    return a == pytest.approx(b, rel=rtol, abs=atol)


def assert_s_bb_close(r1, r2, factor=1.0):
    """s_bb = sqrt((MSb - MSw)/n0) loses digits when MSb ~ MSw: compare s_bb^2 with a tolerance
    relative to the mean squares it is the difference of."""
    scale = max(r1.ms_between, r1.ms_within) / r1.n0
    assert (r2.s_bb**2) == pytest.approx((factor * r1.s_bb) ** 2, abs=1e-7 * scale * factor**2 + 1e-300)


# ---------------------------------------------------------------------------------------------
# one-way ANOVA


@SETTINGS
@given(df=homogeneity_tables(), offset=st.sampled_from([-1e3, 0.5, 17.0, 1e4, 1e6]))
def test_anova_invariant_to_offset(df, offset):
    assume(with_scatter(df))
    r1 = anova(df)
    r2 = anova(df.assign(value=df["value"] + offset))
    # adding c to values quantised at the resolution loses at most ~|c|*2^-52 per value
    tol = 1e-6
    assert close(r2.ms_between, r1.ms_between, tol, atol=1e-6 * r1.ms_within)
    assert close(r2.ms_within, r1.ms_within, tol)
    assert_s_bb_close(r1, r2)
    assert close(r2.u_bb_star, r1.u_bb_star, tol)
    assert close(r2.f_statistic, r1.f_statistic, tol, atol=1e-9)
    assert close(r2.p_value, r1.p_value, 1e-5, atol=1e-9)
    assert r2.n0 == r1.n0
    assert close(r2.mean, r1.mean + offset, 1e-12, atol=1e-9)


@SETTINGS
@given(df=homogeneity_tables(), c=st.sampled_from([1e-6, 1e-3, 0.37, 2.0, 1e3, 1e6]))
def test_anova_invariant_to_scale(df, c):
    """x -> c x: s_bb, u*_bb, u_bb scale by c; F, p and n0 do not change."""
    assume(with_scatter(df))
    r1 = anova(df)
    r2 = anova(df.assign(value=df["value"] * c))
    assert close(r2.ms_between, c * c * r1.ms_between, 1e-9, atol=1e-12 * c * c * r1.ms_within)
    assert close(r2.ms_within, c * c * r1.ms_within, 1e-9)
    assert_s_bb_close(r1, r2, factor=c)
    assert close(r2.u_bb_star, c * r1.u_bb_star, 1e-9)
    assert close(r2.u_bb, c * r1.u_bb, 1e-6)
    assert close(r2.f_statistic, r1.f_statistic, 1e-9, atol=1e-12)
    assert close(r2.p_value, r1.p_value, 1e-7, atol=1e-12)
    assert r2.n0 == r1.n0
    # relative uncertainties do not depend on the unit of measure at all
    if abs(r1.mean) > 1e-6 * float(df["value"].abs().max()):  # a mean that is not rounding noise
        assert close(r2.u_bb_star_rel, r1.u_bb_star_rel, 1e-9)


@SETTINGS
@given(df=homogeneity_tables(), data=st.data())
def test_anova_invariant_to_row_order_and_unit_labels(df, data):
    assume(with_scatter(df))
    r1 = anova(df)
    order = data.draw(st.permutations(range(len(df))), label="row order")
    labels = sorted(df["unit"].unique())
    new = data.draw(st.permutations([f"bottle {k}" for k in range(len(labels))]), label="unit labels")
    shuffled = df.iloc[list(order)].reset_index(drop=True)
    shuffled["unit"] = shuffled["unit"].map(dict(zip(labels, new)))
    r2 = anova(shuffled)
    for name in ("ms_between", "ms_within", "f_statistic", "u_bb_star", "u_bb", "mean", "n0"):
        assert close(getattr(r2, name), getattr(r1, name), 1e-9, atol=1e-12 * r1.ms_within), name
    assert close(r2.p_value, r1.p_value, 1e-7, atol=1e-12)
    assert_s_bb_close(r1, r2)
    assert (r2.n_units, r2.n_results, r2.dof_between, r2.dof_within) == (
        r1.n_units,
        r1.n_results,
        r1.dof_between,
        r1.dof_within,
    )


@SETTINGS
@given(df=homogeneity_tables())
def test_anova_s_bb_u_bb_relations(df):
    """s_bb >= 0; u_bb = max(s_bb, u*_bb); s_bb = 0 iff MS_between <= MS_within (ISO Guide 35, 7.8)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = anova(df)
    assert r.s_bb >= 0 and r.u_bb_star >= 0
    assert r.u_bb == max(r.s_bb, r.u_bb_star)
    assert (r.s_bb == 0) == (r.ms_between <= r.ms_within)
    if r.s_bb > 0:
        assert r.s_bb == pytest.approx(math.sqrt((r.ms_between - r.ms_within) / r.n0), rel=1e-12)
    # n0 lies between the smallest and the largest unit size (equal to n when balanced)
    sizes = df.groupby("unit").size()
    assert sizes.min() - 1e-12 <= r.n0 <= sizes.max() + 1e-12
    if sizes.nunique() == 1:
        assert r.n0 == pytest.approx(float(sizes.iloc[0]), rel=1e-12)


def _table(units):
    """A long table from {unit: [results]} (explicit examples)."""
    return pd.DataFrame(
        [(u, j + 1, v) for u, vals in units.items() for j, v in enumerate(vals)],
        columns=["unit", "replicate", "value"],
    )


@SETTINGS
@given(df=homogeneity_tables())
@example(df=_table({"U01": [0.0, 0.0], "U02": [0.0, 0.0, 0.0], "U03": [0.001, 0.001, 0.001]}))
def test_anova_units_without_scatter_give_ms_within_zero_and_a_note(df):
    """Every unit's results identical (rounded or copied results): MS_within is exactly 0, so
    u*_bb = 0 and the F-test is undefined, said in a note -- whatever the grand mean used for
    centring (a centre like 0.000375 must not turn 0 into 1e-39 and F into 1e33)."""
    df = df.assign(value=df.groupby("unit")["value"].transform("first"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = anova(df)
    assert r.ms_within == 0 and r.u_bb_star == 0, (r.ms_within, r.u_bb_star, r.f_statistic)
    assert math.isnan(r.p_value)
    assert any("MS_within = 0" in n for n in r.notes)
    assert r.u_bb == r.s_bb


@SETTINGS
@given(df=homogeneity_tables())
def test_anova_f_and_p_match_scipy_f_oneway(df):
    """F and p as scipy.stats.f_oneway computes them (an independent implementation)."""
    assume(with_scatter(df))
    r = anova(df)
    groups = [g["value"].to_numpy() for _, g in df.groupby("unit")]
    ref = stats.f_oneway(*groups)
    assert close(r.f_statistic, float(ref.statistic), 1e-8, atol=1e-10)
    assert close(r.p_value, float(ref.pvalue), 1e-6, atol=1e-12)


@SETTINGS
@given(df=homogeneity_tables(), exponent=st.integers(100, 300))
@example(df=_table({"U01": [0.01, 0.0], "U02": [-0.01, -0.01]}), exponent=158)
def test_anova_huge_finite_values_give_finite_results_or_input_error(df, exponent):
    """Results near the top of float64 (|x| up to ~1e304) are finite numbers, so the ANOVA of them
    exists: rmwork either computes it (finite and scale-equivariant: F and p as for the data
    divided by 10^k) or refuses the data with an InputError.  It must not return NaN or inf
    silently (u_bb = 0 or NaN would pass into a certificate)."""
    assume(with_scatter(df))
    c = 10.0**exponent
    scaled = df.assign(value=df["value"] * c)
    assume(bool(np.isfinite(scaled["value"]).all()))
    r1 = anova(df)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = anova(scaled)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    for name in ("ms_between", "ms_within", "f_statistic", "p_value", "s_bb", "u_bb_star", "u_bb", "mean"):
        assert math.isfinite(getattr(r, name)), (
            f"{name} = {getattr(r, name)} for finite data (scale 1e{exponent})"
        )
    assert close(r.f_statistic, r1.f_statistic, 1e-9, atol=1e-12)
    assert close(r.u_bb, c * r1.u_bb, 1e-6)


# ---------------------------------------------------------------------------------------------
# stability regression and Algorithm A (when those modules are importable)


@st.composite
def stability_tables(draw):
    n_times = draw(st.integers(3, 10))
    times = sorted(draw(st.lists(st.integers(0, 60), min_size=n_times, max_size=n_times, unique=True)))
    reps = draw(st.integers(1, 3))
    slope = draw(st.integers(-20, 20))
    noise = draw(st.sampled_from([1, 10, 100]))
    res = draw(st.sampled_from([1e-3, 0.1]))
    rows = [
        (float(t), (1000 + slope * t + draw(st.integers(-noise, noise))) * res)
        for t in times
        for _ in range(reps)
    ]
    return pd.DataFrame(rows, columns=["time", "value"])


def _regression():
    try:
        from rmwork.stability import regression
    except ImportError as exc:  # pragma: no cover - module written in parallel
        pytest.fail(f"rmwork.stability.regression cannot be imported: {exc}")
    return regression


def _fit(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _regression()(df, **kw)


def scattered(r, df) -> bool:
    """The points do not lie on a line: residual SD above float64 rounding of the values."""
    return r.residual_sd > 1e-9 * float(df["value"].abs().max())


@SETTINGS
@given(
    df=stability_tables(),
    offset=st.sampled_from([-500.0, 3.0, 1e4, 1e6]),
    c=st.sampled_from([1e-3, 0.5, 7.0, 1e3]),
)
def test_regression_slope_invariant_to_offset_and_scales_with_values(df, offset, c):
    r1 = _fit(df, shelf_life=24)
    assume(scattered(r1, df))
    r2 = _fit(df.assign(value=df["value"] + offset), shelf_life=24)
    # y + offset is rounded by up to (|offset| + |y|) 2^-53 per value: relative to the residual
    # SD that bounds what s(b1), t and u_lts may lose
    eps = (abs(offset) + float(df["value"].abs().max())) * 2.0**-52 * math.sqrt(len(df))
    rel = 1e-9 + 10 * eps / r1.residual_sd
    assert r2.slope == pytest.approx(r1.slope, rel=1e-9, abs=10 * eps / math.sqrt(r1.ss_time))
    assert r2.se_slope == pytest.approx(r1.se_slope, rel=rel)
    assert r2.u_lts == pytest.approx(r1.u_lts, rel=rel)
    assert r2.t_statistic == pytest.approx(r1.t_statistic, rel=rel, abs=rel)
    assert r2.p_value == pytest.approx(r1.p_value, rel=1e-4, abs=1e-9)
    assert r2.intercept == pytest.approx(r1.intercept + offset, rel=1e-12, abs=10 * eps * (1 + r1.time_mean))
    r3 = _fit(df.assign(value=df["value"] * c), shelf_life=24)
    assert r3.slope == pytest.approx(c * r1.slope, rel=1e-9, abs=1e-9 * c * r1.se_slope)
    assert r3.se_slope == pytest.approx(c * r1.se_slope, rel=1e-7)
    assert r3.residual_sd == pytest.approx(c * r1.residual_sd, rel=1e-7)
    assert r3.u_lts == pytest.approx(c * r1.u_lts, rel=1e-7)
    assert r3.p_value == pytest.approx(r1.p_value, rel=1e-5, abs=1e-12)


@SETTINGS
@given(df=stability_tables(), shift=st.integers(1, 120))
def test_regression_slope_invariant_to_time_origin(df, shift):
    r1 = _fit(df)
    assume(scattered(r1, df))
    r2 = _fit(df.assign(time=df["time"] + shift))
    assert r2.slope == pytest.approx(r1.slope, rel=1e-8, abs=1e-8 * r1.se_slope)
    assert r2.se_slope == pytest.approx(r1.se_slope, rel=1e-7)
    assert r2.p_value == pytest.approx(r1.p_value, rel=1e-5, abs=1e-12)


def _algorithm_a():
    try:
        from rmwork.robust import algorithm_a
    except ImportError as exc:  # pragma: no cover - module written in parallel
        pytest.fail(f"rmwork.robust.algorithm_a cannot be imported: {exc}")
    return algorithm_a


lab_results = st.lists(st.integers(-10_000, 10_000), min_size=3, max_size=30).map(
    lambda xs: np.array(xs, dtype=float) * 0.01
)


@SETTINGS
@given(
    x=lab_results,
    a=st.sampled_from([-250.0, 0.25, 42.0, 1e4]),
    b=st.sampled_from([-3.0, -1.0, 1e-3, 0.5, 1.0, 8.0, 1e3]),
)
def test_algorithm_a_equivariant_under_shift_and_scale(x, a, b):
    """Algorithm A on a + b x gives x* -> a + b x*, s* -> |b| s*, u(x*) -> |b| u(x*)."""
    algorithm_a = _algorithm_a()
    r1 = algorithm_a(x)
    r2 = algorithm_a(a + b * x)
    # iteration stops at tol 1e-12 s*; rounding of a + b x is below |a| 2^-52
    atol = 1e-8 * abs(b) * max(r1.s_star, 0.01) + 1e-12 * abs(a)
    assert r2.x_star == pytest.approx(a + b * r1.x_star, abs=atol)
    assert r2.s_star == pytest.approx(abs(b) * r1.s_star, rel=1e-7, abs=atol)
    assert r2.u_x_star == pytest.approx(abs(b) * r1.u_x_star, rel=1e-7, abs=atol)
    assert r2.n_labs == r1.n_labs == len(x)


@SETTINGS
@given(x=lab_results, data=st.data())
def test_algorithm_a_invariant_to_order_and_within_the_data(x, data):
    algorithm_a = _algorithm_a()
    r1 = algorithm_a(x)
    perm = np.array(data.draw(st.permutations(list(x))))
    r2 = algorithm_a(perm)
    assert r2.x_star == pytest.approx(r1.x_star, abs=1e-9 * max(r1.s_star, 0.01))
    assert r2.s_star == pytest.approx(r1.s_star, rel=1e-9, abs=1e-12)
    assert x.min() <= r1.x_star <= x.max()
    assert r1.s_star >= 0 and r1.u_x_star == pytest.approx(1.25 * r1.s_star / math.sqrt(len(x)), rel=1e-12)
