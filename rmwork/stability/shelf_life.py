"""Shelf life from a fitted line: band crossing (ICH Q1E), batch poolability (ICH Q1E B.2), eCerto's t_max.

The time at which a confidence or prediction band of the line leaves the certified value +- U
(ISO Guide 35:2017, B.3; ICH Q1E style shelf life), the ICH Q1E batch-poolability ANCOVA, and
eCerto's largest shelf life for which u_lts stays under U/3.

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .. import _checks
from ..errors import InputError
from ..results import Result
from ._common import CLAUSES, _require_columns, _time_value, _where
from .trend import _quantile, _TrendResult

# ---------------------------------------------------------------------------------------------
# shelf life from the band of the fitted line


@dataclass(frozen=True, slots=True, kw_only=True)
class ShelfLifePredictionResult(Result):
    """Time at which a band of the fitted line leaves the limits (ISO Guide 35:2017, B.3; ICH Q1E)."""

    analyte: str = ""
    lower: float | None
    upper: float | None
    kind: str  # "confidence" | "prediction" | "line"
    sided: str  # "one" | "two"
    level: float
    t_crit: float
    t_lower: float  # crossing of the lower limit (inf: never)
    t_upper: float  # crossing of the upper limit (inf: never)
    shelf_life: float  # min(t_lower, t_upper)
    limiting: str  # "lower" | "upper" | ""
    time_max_observed: float
    extrapolated: bool  # shelf_life beyond the last time studied
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _first_crossing(edge: Callable[[float], float], t0: float, slope_inf: float) -> float:
    """First t >= t0 with edge(t) >= 0 for a convex edge(t); inf when it never gets there."""
    if edge(t0) >= 0:
        return t0
    if slope_inf <= 0:
        return math.inf
    hi = max(1.0, abs(t0)) + t0
    for _ in range(200):
        if edge(hi) >= 0:
            break
        hi = t0 + 2 * (hi - t0)
    else:  # pragma: no cover - a positive asymptotic slope always gets there
        return math.inf
    return float(optimize.brentq(edge, t0, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=500))


def shelf_life_prediction(
    result: _TrendResult,
    certified_value: float | None = None,
    U: float | None = None,
    *,
    lower: float | None = None,
    upper: float | None = None,
    level: float = 0.95,
    kind: str = "prediction",
    sided: str = "two",
    start: float = 0.0,
) -> ShelfLifePredictionResult:
    r"""Shelf life where the band of the fitted line leaves certified value +- U (ISO Guide 35:2017, B.3; ICH Q1E (2003), Appendix B).

    Parameters
    ----------
    result : StabilityRegressionResult or TransportResult
    certified_value, U : float, optional
        Limits ``certified_value -+ U``; or give ``lower`` and/or ``upper`` directly.
    lower, upper : float, optional
        Acceptance limits (either may be omitted for a one-limit criterion).
    level : float
        Coverage of the band (0.95).
    kind : {"prediction", "confidence", "line"}
        Prediction band of one new result (c = 1), confidence band of the mean line (c = 0), or
        the fitted line itself (eCerto's LTS module: the time the line reaches mu_c +- U).
    sided : {"two", "one"}
        Two-sided band (q = t_(1-(1-level)/2)) or one-sided bound (q = t_level).
    start : float
        Earliest time considered (months).

    Returns
    -------
    ShelfLifePredictionResult
        ``t_upper``, ``t_lower``, ``shelf_life`` = the earlier, ``limiting`` limit,
        ``extrapolated`` (beyond the last time studied, with a note).

    Raises
    ------
    InputError
        No limit given, or lower >= upper.

    Notes
    -----
    The upper edge :math:`\hat y(t) + q s \sqrt{c + 1/n + (t-\bar t)^2/S_{tt}}` is convex in t,
    so the first time it reaches the upper limit is unique; it is found by bracketing and
    Brent's method (the lower edge likewise).  When the band is already outside at ``start``,
    the shelf life is ``start`` and a note says so; a limit the band never reaches gives inf.

    Validated against the ICH Q1E moisture example (LeBlond et al. 2011; R package expirest):
    ``tests/test_stability.py``.
    """
    _checks.require_choice(kind, ("prediction", "confidence", "line"), thing="band kind")
    _checks.require_choice(sided, ("one", "two"), thing="sidedness (one or two)")
    _checks.require_level(level)
    if certified_value is not None or U is not None:
        if certified_value is None or U is None:
            raise InputError(
                "shelf_life_prediction: give both certified_value and U",
                hint="or give lower= and upper= limits",
            )
        U = float(_checks.require_positive_array([U], what="U")[0])
        lower, upper = certified_value - U, certified_value + U
    if lower is None and upper is None:
        raise InputError(
            "shelf_life_prediction: no limit given",
            hint="give certified_value and U, or lower= and/or upper=",
        )
    if lower is not None and upper is not None and not lower < upper:
        raise InputError(
            f"shelf_life_prediction: lower limit {lower:g} is not below upper {upper:g}",
            hint="swap the limits",
        )
    r = result
    q = 0.0 if kind == "line" else _quantile(level, sided, r.dof)
    c = 1.0 if kind == "prediction" else 0.0
    s = r.residual_sd

    def half(t):
        return q * s * math.sqrt(c + 1.0 / r.n_points + (t - r.time_mean) ** 2 / r.ss_time)

    asym = q * s / math.sqrt(r.ss_time)  # d(half)/dt as t -> inf
    t_up = t_lo = math.inf
    if upper is not None:
        t_up = _first_crossing(lambda t: r.intercept + r.slope * t + half(t) - upper, start, r.slope + asym)
    if lower is not None:
        t_lo = _first_crossing(
            lambda t: lower - (r.intercept + r.slope * t - half(t)), start, -r.slope + asym
        )
    sl = min(t_up, t_lo)
    limiting = "" if math.isinf(sl) else ("upper" if t_up <= t_lo else "lower")
    notes = []
    if sl == start:
        notes.append(f"the {kind} band already lies outside the limits at t = {start:g}")
    if math.isinf(sl):
        notes.append("the band never reaches a limit: no shelf life from this criterion")
    extrapolated = bool(sl > r.time_max)
    if extrapolated and not math.isinf(sl):
        notes.append(
            f"shelf life {sl:.4g} months lies beyond the last time studied "
            f"({r.time_max:.4g} months): extrapolated"
        )
    return ShelfLifePredictionResult(
        analyte=r.analyte,
        lower=lower,
        upper=upper,
        kind=kind,
        sided=sided,
        level=float(level),
        t_crit=q,
        t_lower=t_lo,
        t_upper=t_up,
        shelf_life=sl,
        limiting=limiting,
        time_max_observed=r.time_max,
        extrapolated=extrapolated,
        notes=tuple(notes),
        clauses=CLAUSES,
    )


# ---------------------------------------------------------------------------------------------
# ICH Q1E poolability


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolabilityResult(Result):
    """ICH Q1E batch poolability by ANCOVA (ICH Q1E (2003), Appendix B.2)."""

    analyte: str = ""
    batches: tuple[str, ...]
    n_batches: int
    n_points: int
    f_slopes: float  # equality of slopes, full-model MSE
    dof_slopes: tuple[int, int]
    p_slopes: float
    f_intercepts: float  # equality of intercepts given a common slope, full-model MSE
    dof_intercepts: tuple[int, int]
    p_intercepts: float
    mse_full: float
    dof_full: int
    alpha: float
    slopes_poolable: bool
    intercepts_poolable: bool
    model: str  # "common" | "common-slope" | "separate"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def poolability(
    df: pd.DataFrame,
    batch: str = "batch",
    time: str = "time",
    value: str = "value",
    *,
    alpha: float = 0.25,
    analyte: str = "",
    where: str | None = None,
) -> PoolabilityResult:
    r"""Poolability of batches by ANCOVA, slopes then intercepts (ICH Q1E (2003), Appendix B.2).

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``batch``, ``time`` (months), ``value``.
    alpha : float
        Significance level of the poolability tests (ICH Q1E: 0.25).

    Returns
    -------
    PoolabilityResult
        ``f_slopes``, ``p_slopes``, ``f_intercepts``, ``p_intercepts``, ``model``: "common"
        (pool all batches; fit :func:`regression` to the pooled table), "common-slope" or
        "separate".

    Notes
    -----
    With residual sums of squares of the full model (separate lines, RSS_f on
    :math:`\nu_f = n - 2b`), of parallel lines (RSS_p) and of one common line (RSS_c):

    .. math::

        F_{slopes} = \frac{(RSS_p - RSS_f)/(b-1)}{RSS_f/\nu_f}, \qquad
        F_{intercepts} = \frac{(RSS_c - RSS_p)/(b-1)}{RSS_f/\nu_f}

    Slopes are tested first; intercepts only when the slopes are poolable (p >= alpha).

    Validated against the ICH Q1E moisture example (LeBlond, Griffith & Aubuchon 2011):
    ``tests/test_stability.py``.
    """
    where = _where(df, where)
    _checks.require_level(alpha, "alpha")
    _require_columns(df, [batch], where)
    notes: list[str] = []
    t, y = _time_value(df, time, value, where, notes)
    labels = df[batch].astype(str).to_numpy()
    names = tuple(pd.unique(labels))
    b = len(names)
    _checks.require_at_least(b, 2, what="batches", formula="ICH Q1E poolability", where=where)
    for nm in names:
        _checks.require_at_least(
            int(np.unique(t[labels == nm]).size),
            2,
            what="distinct times per batch",
            formula=f"ICH Q1E poolability (batch {nm})",
            where=where,
        )
    n = y.size
    g = (labels[:, None] == np.array(names)[None, :]).astype(float)
    tc = t - t.mean()  # centre: conditioning of the design matrices

    def rss(X):
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        r = y - X @ coef
        return float(r @ r)

    rss_full = rss(np.column_stack([g, g * tc[:, None]]))
    rss_par = rss(np.column_stack([g, tc]))
    rss_com = rss(np.column_stack([np.ones(n), tc]))
    dof_full = n - 2 * b
    _checks.require_at_least(
        dof_full,
        1,
        what="residual degrees of freedom (n - 2 batches)",
        formula="ICH Q1E poolability",
        where=where,
    )
    mse = rss_full / dof_full
    f_s = ((rss_par - rss_full) / (b - 1)) / mse
    f_i = ((rss_com - rss_par) / (b - 1)) / mse
    p_s = float(stats.f.sf(f_s, b - 1, dof_full))
    p_i = float(stats.f.sf(f_i, b - 1, dof_full))
    slopes_ok = p_s >= alpha
    ints_ok = slopes_ok and p_i >= alpha
    model = "common" if ints_ok else ("common-slope" if slopes_ok else "separate")
    if not slopes_ok:
        notes.append(
            "slopes differ: the intercept test is shown but not used; "
            "shelf life from the batch with the earliest crossing"
        )
    return PoolabilityResult(
        analyte=str(analyte),
        batches=names,
        n_batches=b,
        n_points=int(n),
        f_slopes=float(f_s),
        dof_slopes=(b - 1, dof_full),
        p_slopes=p_s,
        f_intercepts=float(f_i),
        dof_intercepts=(b - 1, dof_full),
        p_intercepts=p_i,
        mse_full=mse,
        dof_full=dof_full,
        alpha=float(alpha),
        slopes_poolable=bool(slopes_ok),
        intercepts_poolable=bool(ints_ok),
        model=model,
        notes=tuple(notes),
        clauses=CLAUSES,
    )


# ---------------------------------------------------------------------------------------------
# eCerto's largest shelf life with u_lts under U/3


@dataclass(frozen=True, slots=True, kw_only=True)
class ShelfLifeSuggestionResult(Result):
    """Largest shelf life keeping u_lts below a fraction of U (eCerto Tab.S1 t_max rule)."""

    analyte: str = ""
    rule: str  # "ecerto" (U grows with u_lts) | "fixed-U"
    se_slope: float
    fraction: float  # 1/3 in eCerto
    k: float | None
    u_rest: float | None  # combined standard uncertainty without u_lts (eCerto u_com)
    U: float | None  # fixed expanded uncertainty ("fixed-U" rule)
    t_grid_max: int  # eCerto searches t = 0, 1, ..., 60 months
    t_max: float  # largest whole month meeting the rule (<= t_grid_max)
    t_max_exact: float  # continuous solution (inf when every t qualifies)
    t_max_ecerto: float | None  # the number eCerto's Tab.S1 shows (t_max + 1, see notes)
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def shelf_life_suggestion(
    result: _TrendResult,
    u_rest: float | None = None,
    *,
    k: float = 2.0,
    fraction: float = 1 / 3,
    U: float | None = None,
    certified_value: float | None = None,
    t_grid_max: int = 60,
) -> ShelfLifeSuggestionResult:
    r"""Largest shelf life with u_lts(t) = s(b1) t below U/3 (eCerto, styleTabS1 "t_max"; ISO Guide 35:2017, 8.7.3).

    Parameters
    ----------
    result : StabilityRegressionResult
    u_rest : float, optional
        Combined standard uncertainty of the other components (u_char, u_bb, u_sts), absolute
        (eCerto's ``u_com`` times the certified value); it must not already contain u_lts,
        which the rule adds itself.  Selects the eCerto rule.
    k : float
        Coverage factor of U (eCerto: ``k`` of the material table).
    fraction : float
        1/3 in eCerto.
    U : float, optional
        A fixed expanded uncertainty instead (rule "fixed-U": s(b1) t <= fraction U).
    certified_value : float, optional
        eCerto writes u_lts inside U relative to the stability mean and scales it by the
        certified value; give mu_c to reproduce that exactly (else the factor is 1).
    t_grid_max : int
        eCerto searches the whole months 0..60.

    Returns
    -------
    ShelfLifeSuggestionResult
        ``t_max`` (whole months), ``t_max_exact`` (continuous) and ``t_max_ecerto`` (as eCerto
        displays it).

    Notes
    -----
    eCerto (janlisec/eCerto, ``R/fnc_styleTabS1.R``, option ``optimize_u_stab``) evaluates for
    t = 0, 1, ..., 60:

    .. math::

        u_{stab}(t) = s(b_1) t / \mu_s, \quad
        U_3(t) = k\,\mu_c \sqrt{u_{com}^2 + u_{stab}(t)^2} / 3, \quad
        t_{max} = \max\{t : u_{stab}(t)\,\mu_s < U_3(t)\}

    (u_com relative).  In absolute terms with :math:`c = \mu_c/\mu_s`:
    :math:`s(b_1)t < f k \sqrt{u_{rest}^2 + c^2 s(b_1)^2 t^2}`, solved by
    :math:`t^* = f k u_{rest} / (s(b_1)\sqrt{1 - f^2k^2c^2})` (every t qualifies when
    :math:`fkc \ge 1`).  eCerto returns ``max(which(...))``, a 1-based index into 0:60, so its
    table shows t_max + 1; ``t_max_ecerto`` keeps that number and ``t_max`` the month itself.
    The inequality is strict, as in eCerto.

    Validated by hand: ``tests/test_stability.py``.
    """
    r = result
    se = float(r.se_slope)
    notes: list[str] = []
    frac = float(_checks.require_positive_array([fraction], what="fraction")[0])
    grid = np.arange(0, int(t_grid_max) + 1, dtype=float)
    if (u_rest is None) == (U is None):
        raise InputError(
            "shelf_life_suggestion: give either u_rest (eCerto rule) or U (fixed-U rule)",
            hint="u_rest = sqrt(u_char^2 + u_bb^2 + u_sts^2), absolute",
        )
    if U is not None:
        U = float(_checks.require_positive_array([U], what="U")[0])
        exact = frac * U / se if se > 0 else math.inf
        ok = se * grid <= frac * U
        rule, kk = "fixed-U", None
        notes.append(f"fixed-U rule: s(b1) t <= {frac:.4g} U with U = {U:.6g}")
    else:
        u_rest = float(_checks.require_positive_array([u_rest], what="u_rest", allow_zero=True)[0])
        kk = float(k)
        c = 1.0 if certified_value is None else float(certified_value) / r.mean
        a = frac * kk * c
        exact = (frac * kk * u_rest / (se * math.sqrt(1 - a * a))) if (a < 1 and se > 0) else math.inf
        ok = se * grid < frac * kk * np.sqrt(u_rest**2 + (c * se * grid) ** 2)
        rule = "ecerto"
    if not ok.any():
        t_max = math.nan
        notes.append("no whole month meets the rule")
    else:
        t_max = float(grid[np.flatnonzero(ok).max()])
    t_ecerto = None
    if rule == "ecerto":
        t_ecerto = t_max + 1.0
        notes.append(
            f"eCerto's table shows t_max + 1 months: it numbers the months 0 to {int(t_grid_max)} from 1"
        )
    if np.all(ok):
        notes.append(f"every month up to {t_grid_max} meets the rule: t_max is the search limit")
    return ShelfLifeSuggestionResult(
        analyte=r.analyte,
        rule=rule,
        se_slope=se,
        fraction=frac,
        k=kk,
        u_rest=u_rest,
        U=U,
        t_grid_max=int(t_grid_max),
        t_max=t_max,
        t_max_exact=float(exact),
        t_max_ecerto=t_ecerto,
        notes=tuple(notes),
        clauses=CLAUSES,
    )
