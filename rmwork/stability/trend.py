"""Straight-line stability fits (ISO Guide 35:2017, 8.7.3 and Annex B.3): long-term and transport.

Linear regression of the property value on time gives the slope b1, its standard error s(b1),
the t-test of b1 = 0 and the long-term stability uncertainty u_lts = s(b1) t_shelf (ISO Guide
35:2017, 8.7.3 and B.3); the same regression over the transport duration gives u_sts.  Also the
confidence and prediction bands of the fitted line.

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .. import _checks
from ..errors import DegenerateDataWarning, InputError
from ..results import ConfidenceInterval, Result
from ._common import CLAUSES, _context, _rel, _require_columns, _single, _time_value, _where
from .adequacy import ALPHA, LineAdequacy, line_adequacy

# ---------------------------------------------------------------------------------------------
# straight-line core (arrays)


def _ols_core(t: np.ndarray, y: np.ndarray) -> dict:
    """Least-squares line y = b0 + b1 t on centred time (pure; by hand in the tests).

    Centre first: sums of squares lose digits when time is far from zero (NIST Norris).
    """
    n = t.size
    t_mean = float(t.mean())
    tc = t - t_mean
    ss_time = float(tc @ tc)
    y_mean = float(y.mean())
    yc = y - y_mean
    b1 = float(tc @ yc) / ss_time
    resid = yc - b1 * tc
    sse = float(resid @ resid)
    dof = n - 2
    s2 = sse / dof if dof > 0 else math.nan
    b0 = y_mean - b1 * t_mean
    sst = float(yc @ yc)
    return dict(
        n=n,
        t_mean=t_mean,
        ss_time=ss_time,
        y_mean=y_mean,
        b1=b1,
        b0=b0,
        sse=sse,
        dof=dof,
        s2=s2,
        se_b1=math.sqrt(s2 / ss_time),
        se_b0=math.sqrt(s2 * (1.0 / n + t_mean**2 / ss_time)),
        cov01=-t_mean * s2 / ss_time,
        resid=resid,
        r_squared=1.0 - sse / sst if sst > 0 else math.nan,
    )


def _lack_of_fit(t: np.ndarray, y: np.ndarray, sse: float) -> tuple[float, int, int, float]:
    """Lack-of-fit F = (SS_lof/(m - 2)) / (SS_pe/(n - m)) for m distinct times (pure)."""
    levels = np.unique(t)
    m, n = levels.size, t.size
    ss_pe = float(sum(((y[t == lv] - y[t == lv].mean()) ** 2).sum() for lv in levels))
    dof_lof, dof_pe = m - 2, n - m
    if dof_pe <= 0 or dof_lof <= 0 or ss_pe <= 0:
        return math.nan, dof_lof, dof_pe, math.nan
    f = ((sse - ss_pe) / dof_lof) / (ss_pe / dof_pe)
    return float(f), dof_lof, dof_pe, float(stats.f.sf(f, dof_lof, dof_pe))


# ---------------------------------------------------------------------------------------------
# result classes


@dataclass(frozen=True, slots=True, kw_only=True)
class _TrendResult(Result):
    """Fields shared by every straight-line stability fit (ISO Guide 35:2017, B.3)."""

    analyte: str = ""
    unit_of_measure: str = ""
    temperature: float | None = None  # storage temperature of the rows fitted, degC
    n_points: int  # results (or time-point means) in the fit
    n_times: int  # distinct time points
    time_min: float
    time_max: float
    time_mean: float  # centre of the time axis
    ss_time: float  # sum of (t - t_mean)^2
    mean: float  # mean of the values fitted (eCerto's mu_s)
    slope: float  # b1, per month
    se_slope: float  # s(b1)
    intercept: float  # b0 at t = 0
    se_intercept: float  # s(b0)
    cov_slope_intercept: float  # cov(b0, b1)
    residual_sd: float  # s
    dof: int  # n - 2
    r_squared: float
    t_statistic: float  # b1 / s(b1)
    p_value: float  # two-sided
    alpha: float
    t_crit: float  # t_(1-alpha/2)(n - 2)
    significant: bool  # p < alpha
    f_lack_of_fit: float
    dof_lack_of_fit: int
    dof_pure_error: int
    p_lack_of_fit: float
    use_means: bool = False
    method: str = "ols"
    excluded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    adequacy: LineAdequacy | None = None  # does the straight line fit (ISO Guide 35:2017, B.3)
    _t: tuple = field(default=(), repr=False)
    _y: tuple = field(default=(), repr=False)
    _t_out: tuple = field(default=(), repr=False)  # results left out (window, exclusions)
    _y_out: tuple = field(default=(), repr=False)

    def confidence_interval(self, level: float = 0.95) -> ConfidenceInterval:
        """Two-sided confidence interval of the slope b1 +- t s(b1)."""
        _checks.require_level(level)
        q = stats.t.ppf(0.5 + level / 2, self.dof) * self.se_slope
        return ConfidenceInterval(self.slope - q, self.slope + q)

    def band(
        self, times, *, level: float = 0.95, kind: str = "confidence", sided: str = "two"
    ) -> pd.DataFrame:
        r"""Fitted line with its confidence or prediction band at ``times``.

        :math:`\hat y \pm q\,s\sqrt{c + 1/n + (t - \bar t)^2/S_{tt}}` with c = 0 (confidence) or
        1 (prediction of one new result) and q = t_(1-(1-level)/2) (two-sided) or t_level (one-sided).
        """
        return _band(
            self.intercept,
            self.slope,
            self.residual_sd,
            self.n_points,
            self.time_mean,
            self.ss_time,
            self.dof,
            np.asarray(times, float),
            level,
            kind,
            sided,
        )

    def fitted_data(self) -> pd.DataFrame:
        """The points fitted (time-point means when ``use_means``), fitted values and residuals."""
        t, y = np.asarray(self._t, float), np.asarray(self._y, float)
        fit = self.intercept + self.slope * t
        return pd.DataFrame({"time": t, "value": y, "fitted": fit, "residual": y - fit})

    def excluded_data(self) -> pd.DataFrame:
        """The results left out of the fit (outside the fitting window or excluded with a reason)."""
        return pd.DataFrame({"time": np.asarray(self._t_out, float), "value": np.asarray(self._y_out, float)})


@dataclass(frozen=True, slots=True, kw_only=True)
class StabilityRegressionResult(_TrendResult):
    """Long-term stability of one analyte by linear regression (ISO Guide 35:2017, 8.7.3 and B.3)."""

    shelf_life: float | None = None  # t_shelf, months
    u_lts: float | None = None  # s(b1) t_shelf; None without shelf_life (contract)
    u_lts_rel: float | None = None  # u_lts / |mean|


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportResult(_TrendResult):
    """Short-term (transport) stability (ISO Guide 35:2017, 8.7.3 applied to transport; B.3)."""

    duration: float  # t_transport, months
    u_sts: float  # s(b1) t_transport
    u_sts_rel: float
    reference_temperature: float | None = None


def _band(b0, b1, s, n, t_mean, ss_time, dof, t, level, kind, sided) -> pd.DataFrame:
    _checks.require_level(level)
    _checks.require_choice(kind, ("confidence", "prediction"), thing="band kind")
    _checks.require_choice(sided, ("one", "two"), thing="sidedness (one or two)")
    q = _quantile(level, sided, dof)
    c = 1.0 if kind == "prediction" else 0.0
    fit = b0 + b1 * t
    half = q * s * np.sqrt(c + 1.0 / n + (t - t_mean) ** 2 / ss_time)
    return pd.DataFrame({"time": t, "fit": fit, "low": fit - half, "high": fit + half})


def _quantile(level: float, sided: str, dof: int) -> float:
    p = level if sided == "one" else 0.5 + level / 2
    return float(stats.t.ppf(p, dof)) if dof > 0 else math.nan


def _fit_trend(
    t, y, *, use_means, alpha, formula, where, notes, window=(None, 0), adequacy_alpha=ALPHA
) -> dict:
    """Validate and fit one straight line; returns the keyword arguments of a _TrendResult."""
    _checks.require_level(alpha, "alpha")
    n_times = int(np.unique(t).size)
    _checks.require_at_least(n_times, 3, what="distinct time points", formula=formula, where=where)
    if use_means:
        levels = np.unique(t)
        y = np.array([y[t == lv].mean() for lv in levels])
        t = levels
        notes.append(
            f"fitted to the {n_times} time-point means (eCerto 'slope of means'); "
            "lack-of-fit test not available"
        )
    core = _ols_core(t, y)
    adequacy = line_adequacy(
        t,
        y,
        core["b0"] + core["b1"] * t,
        core["sse"],
        alpha=adequacy_alpha,
        time_max=window[0],
        n_excluded=window[1],
    )
    f_lof, dof_lof, dof_pe, p_lof = _lack_of_fit(t, y, core["sse"])
    if not use_means and dof_pe <= 0:
        notes.append("no replicate results at any time point: lack-of-fit test not available")
    se_b1 = core["se_b1"]
    if se_b1 > 0:
        t_stat = core["b1"] / se_b1
        p = float(2 * stats.t.sf(abs(t_stat), core["dof"]))
    else:
        t_stat, p = (math.inf if core["b1"] != 0 else math.nan), math.nan
        notes.append("the points lie exactly on a line: s(b1) = 0, the t-test is undefined")
        warnings.warn("stability regression: residual SD is zero", DegenerateDataWarning, stacklevel=3)
    mean = core["y_mean"]
    return dict(
        n_points=int(core["n"]),
        n_times=n_times,
        time_min=float(t.min()),
        time_max=float(t.max()),
        time_mean=core["t_mean"],
        ss_time=core["ss_time"],
        mean=mean,
        slope=core["b1"],
        se_slope=se_b1,
        intercept=core["b0"],
        se_intercept=core["se_b0"],
        cov_slope_intercept=core["cov01"],
        residual_sd=math.sqrt(core["s2"]),
        dof=int(core["dof"]),
        r_squared=core["r_squared"],
        t_statistic=float(t_stat),
        p_value=p,
        alpha=float(alpha),
        t_crit=float(stats.t.ppf(1 - alpha / 2, core["dof"])),
        significant=bool(p < alpha),
        f_lack_of_fit=f_lof,
        dof_lack_of_fit=int(dof_lof),
        dof_pure_error=int(dof_pe),
        p_lack_of_fit=p_lof,
        use_means=bool(use_means),
        adequacy=adequacy,
        _t=tuple(t.tolist()),
        _y=tuple(y.tolist()),
    )


# ---------------------------------------------------------------------------------------------
# long-term and transport regression


def _window(t, y, time_max, exclude, where, notes):
    """The points inside the fitting window and not excluded; the others listed with their reason.

    ``exclude`` maps a time (months) to the reason its results are left out; a time that matches
    no result is refused, so that a typing error cannot pass for an exclusion.
    """
    keep = np.ones(t.size, bool)
    excluded: list[str] = []
    for when, reason in (exclude or {}).items():
        hit = np.isclose(t, float(when), rtol=0.0, atol=1e-6)
        if not hit.any():
            raise InputError(
                f"no result at time {float(when):g} months to exclude",
                file=where,
                key="exclude",
                hint="give the time (or date) of a result in the table",
            )
        keep &= ~hit
        excluded += [f"t = {ti:.6g} months, value {yi:.6g}: {reason}" for ti, yi in zip(t[hit], y[hit])]
    if time_max is not None:
        time_max = float(_checks.require_positive_array([time_max], what="time_max")[0])
        late = keep & (t > time_max)
        if late.any():
            excluded.append(
                f"{int(late.sum())} results after {time_max:g} months (t = "
                f"{', '.join(f'{x:.4g}' for x in t[late][:8])}{', ...' if late.sum() > 8 else ''}): "
                "outside the fitting window"
            )
        keep &= ~late
    if not keep.all():
        notes.append(f"{int((~keep).sum())} of {t.size} results left out of the fit (listed under excluded)")
    return t[keep], y[keep], t[~keep], y[~keep], tuple(excluded), (time_max, int((~keep).sum()))


def regression(
    df: pd.DataFrame,
    time: str = "time",
    value: str = "value",
    shelf_life: float | None = None,
    *,
    use_means: bool = False,
    alpha: float = 0.05,
    analyte: str = "",
    unit_of_measure: str = "",
    time_max: float | None = None,
    exclude: Mapping[float, str] | None = None,
    adequacy_alpha: float = ALPHA,
    where: str | None = None,
) -> StabilityRegressionResult:
    r"""Long-term stability by linear regression of value on time (ISO Guide 35:2017, 8.7.3 and B.3; Formulas (B.16), (B.17)).

    Parameters
    ----------
    df : pandas.DataFrame
        Results of one analyte at one storage temperature: columns ``time`` (months, >= 0; or
        dates, or a ``date`` column instead of ``time``) and ``value``.
    time, value : str
        Column names.
    shelf_life : float, optional
        t_shelf in months; gives u_lts = s(b1) t_shelf (None without it, as in the contract).
    use_means : bool
        Fit the time-point means instead of the single results (eCerto's "slope of means").
    alpha : float
        Significance level of the t-test of b1.
    analyte, unit_of_measure : str
        Context; taken from the ``analyte``/``unit_of_measure`` columns when present.
    time_max : float, optional
        Fitting window: only results at t <= time_max (months) are fitted; the others are
        listed in ``excluded``.
    exclude : mapping of float to str, optional
        Times (months) whose results are left out, each with its reason (listed in ``excluded``).
    adequacy_alpha : float
        Level of each check that the straight line fits (:func:`~rmwork.stability.adequacy.line_adequacy`).
    where : str, optional
        Data source named in error messages (default ``df.attrs["file"]``).

    Returns
    -------
    StabilityRegressionResult
        ``slope``, ``se_slope``, ``intercept``, ``se_intercept``, ``cov_slope_intercept``,
        ``residual_sd``, ``dof``, ``t_statistic``, ``p_value``, ``t_crit``, ``significant``,
        lack-of-fit ``f_lack_of_fit``/``p_lack_of_fit``, ``u_lts``, ``u_lts_rel``, ``mean``,
        and ``adequacy`` (a :class:`~rmwork.stability.adequacy.LineAdequacy`: does the line fit).

    Raises
    ------
    InputError
        A missing column, fewer than three distinct time points, a negative time, a
        non-finite value, or several analytes or temperatures in one table.

    Notes
    -----
    With centred time :math:`t_i - \bar t` and :math:`S_{tt} = \sum (t_i - \bar t)^2`:

    .. math::

        b_1 = \frac{\sum (t_i - \bar t)(y_i - \bar y)}{S_{tt}}, \quad
        s^2 = \frac{\sum (y_i - b_0 - b_1 t_i)^2}{n - 2}, \quad
        s(b_1) = \frac{s}{\sqrt{S_{tt}}}, \quad
        s(b_0) = s\sqrt{\frac{1}{n} + \frac{\bar t^2}{S_{tt}}}, \quad
        u_{lts} = s(b_1)\, t_{shelf}

    p is two-sided from :math:`t = b_1/s(b_1)` on n - 2 degrees of freedom.  With replicates
    at some time points the lack-of-fit F compares the scatter of the time-point means about
    the line with the pure error.  ``u_lts_rel`` is relative to the mean of the values fitted.

    Validated against NIST StRD "Norris" (certified) and the eCerto Si test data:
    ``tests/test_stability.py``.

    References
    ----------
    .. [1] ISO Guide 35:2017, clause 8 and Annex B.3.
    .. [2] NIST Statistical Reference Datasets, linear regression "Norris".

    Examples
    --------
    >>> from rmwork.testing import reference
    >>> res = regression(reference("stability_nist_norris"))
    >>> print(f"{res.slope:.12f} {res.se_slope:.6e}")
    1.002116818020 4.297968e-04
    """
    where = _where(df, where)
    analyte, unit_of_measure = _context(df, analyte, unit_of_measure, where)
    temp = _single(
        df,
        "temperature",
        "storage temperatures",
        "select one temperature, or use isochronous() or transport(temperature=...)",
        where,
    )
    notes: list[str] = []
    t, y = _time_value(df, time, value, where, notes)
    t, y, t_out, y_out, excluded, window = _window(t, y, time_max, exclude, where, notes)
    kw = _fit_trend(
        t,
        y,
        use_means=use_means,
        alpha=alpha,
        where=where,
        notes=notes,
        window=window,
        adequacy_alpha=adequacy_alpha,
        formula="linear regression (ISO Guide 35:2017, B.3)",
    )
    u_lts = u_lts_rel = None
    if shelf_life is not None:
        shelf_life = float(_checks.require_positive_array([shelf_life], what="shelf_life")[0])
        u_lts = kw["se_slope"] * shelf_life
        u_lts_rel = _rel(u_lts, kw["mean"], notes)
    if kw["significant"]:
        notes.append(
            f"significant trend (p = {kw['p_value']:.3g} < {alpha:g}): u_lts = s(b1) t_shelf "
            "assumes no correction for the drift; the shelf life is better taken from the time at which "
            "the prediction band of the line leaves the certified value ± U"
        )
    return StabilityRegressionResult(
        analyte=analyte,
        unit_of_measure=unit_of_measure,
        temperature=None if temp is None else float(temp),
        shelf_life=shelf_life,
        u_lts=u_lts,
        u_lts_rel=u_lts_rel,
        excluded=excluded,
        notes=tuple(notes),
        clauses=CLAUSES,
        _t_out=tuple(t_out.tolist()),
        _y_out=tuple(y_out.tolist()),
        **kw,
    )


def _with_reference(df, temperature, reference_temperature, temp_col, time, notes, where):
    """Rows at ``temperature`` plus, for isochronous designs, the reference rows at time 0."""
    _require_columns(df, [temp_col], where)
    temps = pd.to_numeric(df[temp_col], errors="coerce")
    sel = df.loc[np.isclose(temps, float(temperature))]
    if sel.empty:
        raise InputError(
            f"no results at {temperature:g} degC",
            file=where,
            column=temp_col,
            hint=f"the table has {', '.join(f'{x:g}' for x in sorted(temps.dropna().unique()))}",
        )
    if reference_temperature is None:
        return sel
    ref = df.loc[np.isclose(temps, float(reference_temperature))].copy()
    if ref.empty:
        raise InputError(
            f"no results at the reference temperature {reference_temperature:g} degC",
            file=where,
            column=temp_col,
            hint="add the reference samples",
        )
    if time in ref.columns:
        ref[time] = 0.0
    notes.append(
        f"isochronous design: {len(ref)} reference results ({reference_temperature:g} degC) "
        "enter the fit at time 0"
    )
    return pd.concat([sel, ref], ignore_index=True)


def transport(
    df: pd.DataFrame,
    duration: float,
    temperature: float | None = None,
    *,
    time: str = "time",
    value: str = "value",
    temperature_column: str = "temperature",
    reference_temperature: float | None = None,
    use_means: bool = False,
    alpha: float = 0.05,
    analyte: str = "",
    unit_of_measure: str = "",
    time_max: float | None = None,
    exclude: Mapping[float, str] | None = None,
    adequacy_alpha: float = ALPHA,
    where: str | None = None,
) -> TransportResult:
    r"""Transport (short-term) stability uncertainty u_sts = s(b1) t_transport (ISO Guide 35:2017, 8.7.3 and B.3).

    Parameters
    ----------
    df : pandas.DataFrame
        Results of one analyte; ``time`` in months.
    duration : float
        Transport duration t_transport in months.
    temperature : float, optional
        Transport (test) temperature in degC: only rows at it are fitted.  Required when the
        table holds several temperatures.
    reference_temperature : float, optional
        Isochronous design: rows at this temperature enter the fit at time 0.
    time, value, temperature_column, use_means, alpha, analyte, unit_of_measure, where
        As in :func:`regression`.
    time_max, exclude, adequacy_alpha
        Fitting window, excluded times with reasons, level of the adequacy checks, as in
        :func:`regression`.

    Returns
    -------
    TransportResult
        The regression fields (with ``adequacy``) plus ``duration``, ``u_sts``, ``u_sts_rel``.

    Notes
    -----
    .. math::  u_{sts} = s(b_1)\, t_{transport}

    Validated by hand against :func:`regression`: ``tests/test_stability.py``.
    """
    where = _where(df, where)
    notes: list[str] = []
    if temperature is not None:
        df = _with_reference(df, temperature, reference_temperature, temperature_column, time, notes, where)
    analyte, unit_of_measure = _context(df, analyte, unit_of_measure, where)
    if temperature is None or reference_temperature is None:
        temp = _single(
            df,
            temperature_column,
            "temperatures",
            "give transport(temperature=...) for the transport temperature",
            where,
        )
        temperature = temperature if temperature is not None else temp
    duration = float(_checks.require_positive_array([duration], what="duration")[0])
    t, y = _time_value(df, time, value, where, notes)
    t, y, t_out, y_out, excluded, window = _window(t, y, time_max, exclude, where, notes)
    kw = _fit_trend(
        t,
        y,
        use_means=use_means,
        alpha=alpha,
        where=where,
        notes=notes,
        window=window,
        adequacy_alpha=adequacy_alpha,
        formula="transport regression (ISO Guide 35:2017, B.3)",
    )
    if duration > kw["time_max"]:
        notes.append(
            f"the transport duration {duration:g} exceeds the longest time studied "
            f"({kw['time_max']:.4g} months): u_sts is extrapolated"
        )
    u_sts = kw["se_slope"] * duration
    return TransportResult(
        analyte=analyte,
        unit_of_measure=unit_of_measure,
        temperature=None if temperature is None else float(temperature),
        reference_temperature=(None if reference_temperature is None else float(reference_temperature)),
        duration=duration,
        u_sts=u_sts,
        u_sts_rel=_rel(u_sts, kw["mean"], notes),
        excluded=excluded,
        notes=tuple(notes),
        clauses=CLAUSES,
        _t_out=tuple(t_out.tolist()),
        _y_out=tuple(y_out.tolist()),
        **kw,
    )
