"""Stability (ISO Guide 35:2017, clause 8 and Annex B.3; JJF 1343-2022; ICH Q1E; Arrhenius).

Linear regression of the property value on time gives the slope b1, its standard error s(b1),
the t-test of b1 = 0 and the long-term stability uncertainty u_lts = s(b1) t_shelf (ISO Guide
35:2017, 8.7.3 and B.3); the same regression over the transport duration gives u_sts.  Around
it: isochronous designs (each storage temperature against the reference temperature), the
time at which a confidence or prediction band of the line leaves the certified value +- U
(ICH Q1E style shelf life), the ICH Q1E batch-poolability ANCOVA, eCerto's largest shelf life
for which u_lts stays under U/3, accelerated studies (rate constants against 1/T, and the joint
non-linear Arrhenius model of the R package AccelStab), post-certification monitoring
(ERM Application Note 1) and a Bayesian sensitivity analysis of the slope.

Time is in months throughout; :func:`months_from_dates` converts dates at 30.4375 days per
month (365.25/12, eCerto's ``calc_time_diff(exact = TRUE)``).  Temperatures are in degrees
Celsius in the data and converted to kelvin (+273.15) inside the Arrhenius functions.

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import _checks
from .errors import DegenerateDataWarning, InputError, RmworkWarning
from .results import ConfidenceInterval, Result

DAYS_PER_MONTH = 30.4375          # 365.25 / 12 (Julian mean month; eCerto calc_time_diff exact=TRUE)
KELVIN_OFFSET = 273.15            # ITS-90: T/K = t/degC + 273.15
GAS_CONSTANT = 8.314462618        # J mol^-1 K^-1, CODATA 2018 (exact since the 2019 SI)

CLAUSES = {
    "slope": "ISO Guide 35:2017, B.3.2, Formulas (B.16) and (B.17): least-squares b1 and s(b1)",
    "p_value": "ISO Guide 35:2017, B.3.4: two-sided t-test of b1 = 0 on n - 2 degrees of freedom",
    "u_lts": "ISO Guide 35:2017, 8.7.3: u_lts = s(b1) x t_shelf",
    "u_sts": "ISO Guide 35:2017, 8.7.3 applied to the transport duration: u_sts = s(b1) x t_transport",
    "lack_of_fit": "lack-of-fit F test of the straight line against time-point means "
                   "(pure error from replicates at the same time)",
    "isochronous": "ISO Guide 35:2017, clause 8 (isochronous design; Lamberty et al. 1998): "
                   "samples at each test temperature against the reference temperature",
    "shelf_life_prediction": "ISO Guide 35:2017, B.3 and ICH Q1E (2003), Appendix B: time at which "
                             "the confidence or prediction band of the fitted line leaves the limits",
    "poolability": "ICH Q1E (2003), Appendix B.2: ANCOVA of batches, slopes then intercepts, "
                   "alpha 0.25, F on the full model's MSE",
    "shelf_life_suggestion": "eCerto styleTabS1 (t_max): largest whole month t <= 60 with "
                             "s(b1) t < U(t)/3, U(t) = k sqrt(u_rest^2 + u_lts(t)^2)",
    "arrhenius": "Arrhenius: ln|k_T| = ln A - E_a/(R T); rate constants from per-temperature "
                 "regressions (zero or first order)",
    "arrhenius_joint": "R package AccelStab (zero-order Sestak-Berggren, k3 = 0): "
                       "y = c0 - c0 t exp(k1 - k2/T), non-linear least squares",
    "monitoring": "ERM Application Note 1 (2010): |mu_c - mu_m| <= k sqrt(u_c^2 + u_m^2)",
    "bayesian_trend": "Bayesian linear trend (sensitivity analysis): u_lts = posterior SD of "
                      "b1 x t_shelf",
}


# ---------------------------------------------------------------------------------------------
# time basis

def months_from_dates(dates, *, origin=None) -> np.ndarray:
    """Months elapsed since the first date at 30.4375 days per month (ISO Guide 35:2017, 8.7.3 time basis).

    Parameters
    ----------
    dates : sequence of dates (str, datetime, numpy datetime64 or pandas Timestamp)
    origin : date, optional
        Start of the study; the earliest date when omitted (eCerto's ``d_start``).

    Returns
    -------
    numpy.ndarray
        Float months ``(date - origin) / 30.4375 d``; a time conversion, so an array, not a
        result object.

    Raises
    ------
    InputError
        A value that is not a date, an empty date, or a date before ``origin``.

    Notes
    -----
    30.4375 = 365.25/12 days, the mean Julian month used by eCerto (``calc_time_diff(type =
    "mon", exact = TRUE)``).  Dates are taken as whole days (a time of day is dropped, as
    eCerto's ``as.Date`` does).

    Validated against the eCerto Si test data: ``tests/test_stability.py``.
    """
    try:
        ts = pd.to_datetime(pd.Series(list(dates)))
    except (ValueError, TypeError) as exc:
        raise InputError(f"dates: a value is not a date ({exc})",
                         hint="write dates as YYYY-MM-DD") from None
    if ts.isna().any():
        i = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise InputError(f"dates: entry {i + 1} is empty", hint="enter a date or delete the row")
    ts = ts.dt.normalize()              # whole days, as eCerto's as.Date()
    start = ts.min() if origin is None else pd.Timestamp(origin).normalize()
    days = (ts - start).dt.total_seconds().to_numpy(float) / 86400.0
    if (days < 0).any():
        raise InputError(f"dates: a date lies before the origin {start.date()}",
                         hint="choose an origin on or before the first date")
    return days / DAYS_PER_MONTH


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
    return dict(n=n, t_mean=t_mean, ss_time=ss_time, y_mean=y_mean, b1=b1, b0=b0, sse=sse,
                dof=dof, s2=s2, se_b1=math.sqrt(s2 / ss_time),
                se_b0=math.sqrt(s2 * (1.0 / n + t_mean ** 2 / ss_time)),
                cov01=-t_mean * s2 / ss_time, resid=resid,
                r_squared=1.0 - sse / sst if sst > 0 else math.nan)


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
    temperature: float | None = None    # storage temperature of the rows fitted, degC
    n_points: int                       # results (or time-point means) in the fit
    n_times: int                        # distinct time points
    time_min: float
    time_max: float
    time_mean: float                    # centre of the time axis
    ss_time: float                      # sum of (t - t_mean)^2
    mean: float                         # mean of the values fitted (eCerto's mu_s)
    slope: float                        # b1, per month
    se_slope: float                     # s(b1)
    intercept: float                    # b0 at t = 0
    se_intercept: float                 # s(b0)
    cov_slope_intercept: float          # cov(b0, b1)
    residual_sd: float                  # s
    dof: int                            # n - 2
    r_squared: float
    t_statistic: float                  # b1 / s(b1)
    p_value: float                      # two-sided
    alpha: float
    t_crit: float                       # t_(1-alpha/2)(n - 2)
    significant: bool                   # p < alpha
    f_lack_of_fit: float
    dof_lack_of_fit: int
    dof_pure_error: int
    p_lack_of_fit: float
    use_means: bool = False
    method: str = "ols"
    excluded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _t: tuple = field(default=(), repr=False)
    _y: tuple = field(default=(), repr=False)

    def confidence_interval(self, level: float = 0.95) -> ConfidenceInterval:
        """Two-sided confidence interval of the slope b1 +- t s(b1)."""
        _checks.require_level(level)
        q = stats.t.ppf(0.5 + level / 2, self.dof) * self.se_slope
        return ConfidenceInterval(self.slope - q, self.slope + q)

    def band(self, times, *, level: float = 0.95, kind: str = "confidence",
             sided: str = "two") -> pd.DataFrame:
        r"""Fitted line with its confidence or prediction band at ``times``.

        :math:`\hat y \pm q\,s\sqrt{c + 1/n + (t - \bar t)^2/S_{tt}}` with c = 0 (confidence) or
        1 (prediction of one new result) and q = t_(1-(1-level)/2) (two-sided) or t_level (one-sided).
        """
        return _band(self.intercept, self.slope, self.residual_sd, self.n_points, self.time_mean,
                     self.ss_time, self.dof, np.asarray(times, float), level, kind, sided)

    def fitted_data(self) -> pd.DataFrame:
        """The points fitted (time-point means when ``use_means``), fitted values and residuals."""
        t, y = np.asarray(self._t, float), np.asarray(self._y, float)
        fit = self.intercept + self.slope * t
        return pd.DataFrame({"time": t, "value": y, "fitted": fit, "residual": y - fit})


@dataclass(frozen=True, slots=True, kw_only=True)
class StabilityRegressionResult(_TrendResult):
    """Long-term stability of one analyte by linear regression (ISO Guide 35:2017, 8.7.3 and B.3)."""

    shelf_life: float | None = None     # t_shelf, months
    u_lts: float | None = None          # s(b1) t_shelf; None without shelf_life (contract)
    u_lts_rel: float | None = None      # u_lts / |mean|


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportResult(_TrendResult):
    """Short-term (transport) stability (ISO Guide 35:2017, 8.7.3 applied to transport; B.3)."""

    duration: float                     # t_transport, months
    u_sts: float                        # s(b1) t_transport
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


# ---------------------------------------------------------------------------------------------
# data preparation shared by the DataFrame functions

def _where(df: pd.DataFrame, where):
    return where if where is not None else df.attrs.get("file")


def _require_columns(df, columns, where):
    for col in columns:
        if col not in df.columns:
            raise InputError(f"column '{col}' is missing", file=where,
                             hint=f"the table has {', '.join(map(str, df.columns))}")


def _single(df, col, what, hint, where):
    """The one value of ``col`` (or None when the column is absent); several -> InputError."""
    if col not in df.columns:
        return None
    vals = pd.unique(df[col].dropna())
    if len(vals) > 1:
        shown = ", ".join(map(str, vals[:5])) + (", ..." if len(vals) > 5 else "")
        raise InputError(f"the table holds several {what} ({shown})", file=where, hint=hint)
    return vals[0] if len(vals) else None


def _time_value(df, time, value, where, notes):
    """Finite time (months, >= 0) and value arrays; dates converted with a note."""
    rows = df["source_row"] if "source_row" in df.columns else None
    if time not in df.columns and time == "time" and "date" in df.columns:
        t = months_from_dates(df["date"])
        notes.append(f"time = days since the first date ({pd.Timestamp(df['date'].min()).date()}) "
                     f"/ {DAYS_PER_MONTH} (months)")
    elif time in df.columns and pd.api.types.is_datetime64_any_dtype(df[time]):
        t = months_from_dates(df[time])
        notes.append(f"column '{time}' holds dates: converted to months since the first date "
                     f"at {DAYS_PER_MONTH} d/month")
    else:
        _require_columns(df, [time], where)
        t = _checks.require_positive_array(df[time], what=f"column '{time}'", where=where, rows=rows,
                                           allow_zero=True)
    _require_columns(df, [value], where)
    y = _checks.require_finite_array(df[value], what=f"column '{value}'", where=where, rows=rows)
    return np.asarray(t, float), y


def _fit_trend(t, y, *, use_means, alpha, formula, where, notes) -> dict:
    """Validate and fit one straight line; returns the keyword arguments of a _TrendResult."""
    _checks.require_level(alpha, "alpha")
    n_times = int(np.unique(t).size)
    _checks.require_at_least(n_times, 3, what="distinct time points", formula=formula, where=where)
    if use_means:
        levels = np.unique(t)
        y = np.array([y[t == lv].mean() for lv in levels])
        t = levels
        notes.append(f"fitted to the {n_times} time-point means (eCerto 'slope of means'); "
                     "lack-of-fit test not available")
    core = _ols_core(t, y)
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
    return dict(n_points=int(core["n"]), n_times=n_times, time_min=float(t.min()),
                time_max=float(t.max()), time_mean=core["t_mean"], ss_time=core["ss_time"], mean=mean,
                slope=core["b1"], se_slope=se_b1, intercept=core["b0"], se_intercept=core["se_b0"],
                cov_slope_intercept=core["cov01"], residual_sd=math.sqrt(core["s2"]),
                dof=int(core["dof"]), r_squared=core["r_squared"], t_statistic=float(t_stat),
                p_value=p, alpha=float(alpha), t_crit=float(stats.t.ppf(1 - alpha / 2, core["dof"])),
                significant=bool(p < alpha), f_lack_of_fit=f_lof, dof_lack_of_fit=int(dof_lof),
                dof_pure_error=int(dof_pe), p_lack_of_fit=p_lof, use_means=bool(use_means),
                _t=tuple(t.tolist()), _y=tuple(y.tolist()))


def _rel(x, mean, notes):
    if x is None:
        return None
    if mean == 0:
        notes.append("the mean is 0: relative uncertainties are undefined")
        return math.nan
    return x / abs(mean)


def _context(df, analyte, unit_of_measure, where):
    an = _single(df, "analyte", "analytes", "fit one analyte at a time: "
                 "rmwork.stability.by_analyte(regression, df)", where)
    uom = _single(df, "unit_of_measure", "units of measure", "convert the results to one unit", where)
    return (str(an) if an is not None and not analyte else str(analyte),
            str(uom) if uom is not None and not unit_of_measure else str(unit_of_measure))


# ---------------------------------------------------------------------------------------------
# long-term and transport regression

def regression(df: pd.DataFrame, time: str = "time", value: str = "value",
               shelf_life: float | None = None, *, use_means: bool = False, alpha: float = 0.05,
               analyte: str = "", unit_of_measure: str = "",
               where: str | None = None) -> StabilityRegressionResult:
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
    where : str, optional
        Data source named in error messages (default ``df.attrs["file"]``).

    Returns
    -------
    StabilityRegressionResult
        ``slope``, ``se_slope``, ``intercept``, ``se_intercept``, ``cov_slope_intercept``,
        ``residual_sd``, ``dof``, ``t_statistic``, ``p_value``, ``t_crit``, ``significant``,
        lack-of-fit ``f_lack_of_fit``/``p_lack_of_fit``, ``u_lts``, ``u_lts_rel``, ``mean``.

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
    temp = _single(df, "temperature", "storage temperatures",
                   "select one temperature, or use isochronous() or transport(temperature=...)", where)
    notes: list[str] = []
    t, y = _time_value(df, time, value, where, notes)
    kw = _fit_trend(t, y, use_means=use_means, alpha=alpha, where=where, notes=notes,
                    formula="linear regression (ISO Guide 35:2017, B.3)")
    u_lts = u_lts_rel = None
    if shelf_life is not None:
        shelf_life = float(_checks.require_positive_array([shelf_life], what="shelf_life")[0])
        u_lts = kw["se_slope"] * shelf_life
        u_lts_rel = _rel(u_lts, kw["mean"], notes)
    if kw["significant"]:
        notes.append(f"significant trend (p = {kw['p_value']:.3g} < {alpha:g}): u_lts = s(b1) t_shelf "
                     "assumes no correction for the drift; consider shelf_life_prediction()")
    return StabilityRegressionResult(
        analyte=analyte, unit_of_measure=unit_of_measure,
        temperature=None if temp is None else float(temp), shelf_life=shelf_life, u_lts=u_lts,
        u_lts_rel=u_lts_rel, notes=tuple(notes), clauses=CLAUSES, **kw)


def _with_reference(df, temperature, reference_temperature, temp_col, time, notes, where):
    """Rows at ``temperature`` plus, for isochronous designs, the reference rows at time 0."""
    _require_columns(df, [temp_col], where)
    temps = pd.to_numeric(df[temp_col], errors="coerce")
    sel = df.loc[np.isclose(temps, float(temperature))]
    if sel.empty:
        raise InputError(f"no results at {temperature:g} degC", file=where, column=temp_col,
                         hint=f"the table has {', '.join(f'{x:g}' for x in sorted(temps.dropna().unique()))}")
    if reference_temperature is None:
        return sel
    ref = df.loc[np.isclose(temps, float(reference_temperature))].copy()
    if ref.empty:
        raise InputError(f"no results at the reference temperature {reference_temperature:g} degC",
                         file=where, column=temp_col, hint="add the reference samples")
    if time in ref.columns:
        ref[time] = 0.0
    notes.append(f"isochronous design: {len(ref)} reference results ({reference_temperature:g} degC) "
                 "enter the fit at time 0")
    return pd.concat([sel, ref], ignore_index=True)


def transport(df: pd.DataFrame, duration: float, temperature: float | None = None, *,
              time: str = "time", value: str = "value", temperature_column: str = "temperature",
              reference_temperature: float | None = None, use_means: bool = False,
              alpha: float = 0.05, analyte: str = "", unit_of_measure: str = "",
              where: str | None = None) -> TransportResult:
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

    Returns
    -------
    TransportResult
        The regression fields plus ``duration``, ``u_sts``, ``u_sts_rel``.

    Notes
    -----
    .. math::  u_{sts} = s(b_1)\, t_{transport}

    Validated by hand against :func:`regression`: ``tests/test_stability.py``.
    """
    where = _where(df, where)
    notes: list[str] = []
    if temperature is not None:
        df = _with_reference(df, temperature, reference_temperature, temperature_column, time, notes,
                             where)
    analyte, unit_of_measure = _context(df, analyte, unit_of_measure, where)
    if temperature is None or reference_temperature is None:
        temp = _single(df, temperature_column, "temperatures",
                       "give transport(temperature=...) for the transport temperature", where)
        temperature = temperature if temperature is not None else temp
    duration = float(_checks.require_positive_array([duration], what="duration")[0])
    t, y = _time_value(df, time, value, where, notes)
    kw = _fit_trend(t, y, use_means=use_means, alpha=alpha, where=where, notes=notes,
                    formula="transport regression (ISO Guide 35:2017, B.3)")
    if duration > kw["time_max"]:
        notes.append(f"the transport duration {duration:g} exceeds the longest time studied "
                     f"({kw['time_max']:.4g} months): u_sts is extrapolated")
    u_sts = kw["se_slope"] * duration
    return TransportResult(analyte=analyte, unit_of_measure=unit_of_measure,
                           temperature=None if temperature is None else float(temperature),
                           reference_temperature=(None if reference_temperature is None
                                                  else float(reference_temperature)),
                           duration=duration, u_sts=u_sts, u_sts_rel=_rel(u_sts, kw["mean"], notes),
                           notes=tuple(notes), clauses=CLAUSES, **kw)


# ---------------------------------------------------------------------------------------------
# isochronous design

@dataclass(frozen=True, slots=True, kw_only=True)
class IsochronousResult(Result):
    """Isochronous study: one regression per test temperature (ISO Guide 35:2017, clause 8)."""

    analyte: str = ""
    unit_of_measure: str = ""
    reference_temperature: float
    n_reference: int
    mean_reference: float
    relative: bool                      # values divided by mean_reference
    temperatures: tuple[float, ...]
    fits: Mapping[str, StabilityRegressionResult]   # key: f"{temperature:g}"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for key, fit in self.fits.items():
            row = {k: v for k, v in fit.to_dict().items() if not isinstance(v, (list, dict))}
            row["temperature"] = fit.temperature
            rows.append(row)
        return pd.DataFrame(rows)


def isochronous(df: pd.DataFrame, reference_temperature: float, *, time: str = "time",
                value: str = "value", temperature: str = "temperature", relative: bool = False,
                shelf_life: float | None = None, use_means: bool = False, alpha: float = 0.05,
                analyte: str = "", unit_of_measure: str = "",
                where: str | None = None) -> IsochronousResult:
    r"""Isochronous stability study: regression per test temperature against the reference (ISO Guide 35:2017, clause 8 and B.3).

    Every unit is measured at the end under repeatability conditions; units kept at the
    reference temperature (where the material is taken as stable) are the time-0 points of
    each test temperature's regression.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``time`` (months at the test temperature), ``value``, ``temperature`` (degC).
    reference_temperature : float
        The reference (e.g. -70 degC); its rows enter every fit at time 0.
    relative : bool
        Divide every value by the mean of the reference results (unit "1") first.
    shelf_life : float, optional
        t_shelf for u_lts per temperature.

    Returns
    -------
    IsochronousResult
        ``fits``: a :class:`StabilityRegressionResult` per test temperature (key ``f"{T:g}"``).

    Notes
    -----
    For each test temperature T: :math:`y = b_0 + b_1 t` fitted to the rows at T plus the
    reference rows at t = 0.  With ``relative`` the values are :math:`y/\bar y_{ref}`.

    Validated by hand (by-hand regression of the selected rows): ``tests/test_stability.py``.

    References
    ----------
    .. [1] A. Lamberty, H. Schimmel, J. Pauwels, "The study of the stability of reference
           materials by isochronous measurements", Fresenius J. Anal. Chem. 360 (1998) 359-361.
    """
    where = _where(df, where)
    _require_columns(df, [temperature, value], where)
    analyte, unit_of_measure = _context(df, analyte, unit_of_measure, where)
    temps = pd.to_numeric(df[temperature], errors="coerce")
    ref_mask = np.isclose(temps, float(reference_temperature))
    if not ref_mask.any():
        raise InputError(f"no results at the reference temperature {reference_temperature:g} degC",
                         file=where, column=temperature, hint="add the reference samples")
    ref_vals = _checks.require_finite_array(df.loc[ref_mask, value], what=f"column '{value}'",
                                            where=where)
    mean_ref = float(ref_vals.mean())
    notes = [f"reference: {ref_mask.sum()} results at {reference_temperature:g} degC enter every "
             "fit at time 0"]
    work = df.copy()
    if relative:
        if mean_ref == 0:
            raise InputError("the mean of the reference results is 0", file=where,
                             hint="use relative=False")
        work[value] = work[value] / mean_ref
        unit_of_measure = "1"
        notes.append(f"values divided by the reference mean {mean_ref:.6g}: slopes are relative per month")
    tests_t = sorted(float(x) for x in temps[~ref_mask].dropna().unique())
    _checks.require_at_least(len(tests_t), 1, what="test temperature besides the reference",
                             formula="isochronous design", where=where)
    fits = {}
    for T in tests_t:
        sub = _with_reference(work, T, reference_temperature, temperature, time, [], where)
        sub = sub.assign(**{temperature: T})
        fits[f"{T:g}"] = regression(sub, time, value, shelf_life, use_means=use_means, alpha=alpha,
                                    analyte=analyte, unit_of_measure=unit_of_measure,
                                    where=f"{where or 'data'}, {T:g} degC")
    return IsochronousResult(analyte=analyte, unit_of_measure=unit_of_measure,
                             reference_temperature=float(reference_temperature),
                             n_reference=int(ref_mask.sum()), mean_reference=mean_ref,
                             relative=bool(relative), temperatures=tuple(tests_t), fits=fits,
                             notes=tuple(notes), clauses=CLAUSES)


# ---------------------------------------------------------------------------------------------
# shelf life from the band of the fitted line

@dataclass(frozen=True, slots=True, kw_only=True)
class ShelfLifePredictionResult(Result):
    """Time at which a band of the fitted line leaves the limits (ISO Guide 35:2017, B.3; ICH Q1E)."""

    analyte: str = ""
    lower: float | None
    upper: float | None
    kind: str                           # "confidence" | "prediction" | "line"
    sided: str                          # "one" | "two"
    level: float
    t_crit: float
    t_lower: float                      # crossing of the lower limit (inf: never)
    t_upper: float                      # crossing of the upper limit (inf: never)
    shelf_life: float                   # min(t_lower, t_upper)
    limiting: str                       # "lower" | "upper" | ""
    time_max_observed: float
    extrapolated: bool                  # shelf_life beyond the last time studied
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


def shelf_life_prediction(result: _TrendResult, certified_value: float | None = None,
                          U: float | None = None, *, lower: float | None = None,
                          upper: float | None = None, level: float = 0.95,
                          kind: str = "prediction", sided: str = "two",
                          start: float = 0.0) -> ShelfLifePredictionResult:
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
            raise InputError("shelf_life_prediction: give both certified_value and U",
                             hint="or give lower= and upper= limits")
        U = float(_checks.require_positive_array([U], what="U")[0])
        lower, upper = certified_value - U, certified_value + U
    if lower is None and upper is None:
        raise InputError("shelf_life_prediction: no limit given",
                         hint="give certified_value and U, or lower= and/or upper=")
    if lower is not None and upper is not None and not lower < upper:
        raise InputError(f"shelf_life_prediction: lower limit {lower:g} is not below upper {upper:g}",
                         hint="swap the limits")
    r = result
    q = 0.0 if kind == "line" else _quantile(level, sided, r.dof)
    c = 1.0 if kind == "prediction" else 0.0
    s = r.residual_sd

    def half(t):
        return q * s * math.sqrt(c + 1.0 / r.n_points + (t - r.time_mean) ** 2 / r.ss_time)

    asym = q * s / math.sqrt(r.ss_time)          # d(half)/dt as t -> inf
    t_up = t_lo = math.inf
    if upper is not None:
        t_up = _first_crossing(lambda t: r.intercept + r.slope * t + half(t) - upper, start,
                               r.slope + asym)
    if lower is not None:
        t_lo = _first_crossing(lambda t: lower - (r.intercept + r.slope * t - half(t)), start,
                               -r.slope + asym)
    sl = min(t_up, t_lo)
    limiting = "" if math.isinf(sl) else ("upper" if t_up <= t_lo else "lower")
    notes = []
    if sl == start:
        notes.append(f"the {kind} band already lies outside the limits at t = {start:g}")
    if math.isinf(sl):
        notes.append("the band never reaches a limit: no shelf life from this criterion")
    extrapolated = bool(sl > r.time_max)
    if extrapolated and not math.isinf(sl):
        notes.append(f"shelf life {sl:.4g} months lies beyond the last time studied "
                     f"({r.time_max:.4g} months): extrapolated")
    return ShelfLifePredictionResult(analyte=r.analyte, lower=lower, upper=upper, kind=kind,
                                     sided=sided, level=float(level), t_crit=q, t_lower=t_lo,
                                     t_upper=t_up, shelf_life=sl, limiting=limiting,
                                     time_max_observed=r.time_max, extrapolated=extrapolated,
                                     notes=tuple(notes), clauses=CLAUSES)


# ---------------------------------------------------------------------------------------------
# ICH Q1E poolability

@dataclass(frozen=True, slots=True, kw_only=True)
class PoolabilityResult(Result):
    """ICH Q1E batch poolability by ANCOVA (ICH Q1E (2003), Appendix B.2)."""

    analyte: str = ""
    batches: tuple[str, ...]
    n_batches: int
    n_points: int
    f_slopes: float                     # equality of slopes, full-model MSE
    dof_slopes: tuple[int, int]
    p_slopes: float
    f_intercepts: float                 # equality of intercepts given a common slope, full-model MSE
    dof_intercepts: tuple[int, int]
    p_intercepts: float
    mse_full: float
    dof_full: int
    alpha: float
    slopes_poolable: bool
    intercepts_poolable: bool
    model: str                          # "common" | "common-slope" | "separate"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def poolability(df: pd.DataFrame, batch: str = "batch", time: str = "time", value: str = "value", *,
                alpha: float = 0.25, analyte: str = "", where: str | None = None) -> PoolabilityResult:
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
        _checks.require_at_least(int(np.unique(t[labels == nm]).size), 2, what="distinct times per batch",
                                 formula=f"ICH Q1E poolability (batch {nm})", where=where)
    n = y.size
    g = (labels[:, None] == np.array(names)[None, :]).astype(float)
    tc = t - t.mean()                   # centre: conditioning of the design matrices

    def rss(X):
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        r = y - X @ coef
        return float(r @ r)

    rss_full = rss(np.column_stack([g, g * tc[:, None]]))
    rss_par = rss(np.column_stack([g, tc]))
    rss_com = rss(np.column_stack([np.ones(n), tc]))
    dof_full = n - 2 * b
    _checks.require_at_least(dof_full, 1, what="residual degrees of freedom (n - 2 batches)",
                             formula="ICH Q1E poolability", where=where)
    mse = rss_full / dof_full
    f_s = ((rss_par - rss_full) / (b - 1)) / mse
    f_i = ((rss_com - rss_par) / (b - 1)) / mse
    p_s = float(stats.f.sf(f_s, b - 1, dof_full))
    p_i = float(stats.f.sf(f_i, b - 1, dof_full))
    slopes_ok = p_s >= alpha
    ints_ok = slopes_ok and p_i >= alpha
    model = "common" if ints_ok else ("common-slope" if slopes_ok else "separate")
    if not slopes_ok:
        notes.append("slopes differ: the intercept test is shown but not used; "
                     "shelf life from the batch with the earliest crossing")
    return PoolabilityResult(analyte=str(analyte), batches=names, n_batches=b, n_points=int(n),
                             f_slopes=float(f_s), dof_slopes=(b - 1, dof_full), p_slopes=p_s,
                             f_intercepts=float(f_i), dof_intercepts=(b - 1, dof_full),
                             p_intercepts=p_i, mse_full=mse, dof_full=dof_full, alpha=float(alpha),
                             slopes_poolable=bool(slopes_ok), intercepts_poolable=bool(ints_ok),
                             model=model, notes=tuple(notes), clauses=CLAUSES)


# ---------------------------------------------------------------------------------------------
# eCerto's largest shelf life with u_lts under U/3

@dataclass(frozen=True, slots=True, kw_only=True)
class ShelfLifeSuggestionResult(Result):
    """Largest shelf life keeping u_lts below a fraction of U (eCerto Tab.S1 t_max rule)."""

    analyte: str = ""
    rule: str                           # "ecerto" (U grows with u_lts) | "fixed-U"
    se_slope: float
    fraction: float                     # 1/3 in eCerto
    k: float | None
    u_rest: float | None                # combined standard uncertainty without u_lts (eCerto u_com)
    U: float | None                     # fixed expanded uncertainty ("fixed-U" rule)
    t_grid_max: int                     # eCerto searches t = 0, 1, ..., 60 months
    t_max: float                        # largest whole month meeting the rule (<= t_grid_max)
    t_max_exact: float                  # continuous solution (inf when every t qualifies)
    t_max_ecerto: float | None          # the number eCerto's Tab.S1 shows (t_max + 1, see notes)
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def shelf_life_suggestion(result: _TrendResult, u_rest: float | None = None, *, k: float = 2.0,
                          fraction: float = 1 / 3, U: float | None = None,
                          certified_value: float | None = None,
                          t_grid_max: int = 60) -> ShelfLifeSuggestionResult:
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
        raise InputError("shelf_life_suggestion: give either u_rest (eCerto rule) or U (fixed-U rule)",
                         hint="u_rest = sqrt(u_char^2 + u_bb^2 + u_sts^2), absolute")
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
        ok = se * grid < frac * kk * np.sqrt(u_rest ** 2 + (c * se * grid) ** 2)
        rule = "ecerto"
    if not ok.any():
        t_max = math.nan
        notes.append("no whole month meets the rule")
    else:
        t_max = float(grid[np.flatnonzero(ok).max()])
    t_ecerto = None
    if rule == "ecerto":
        t_ecerto = t_max + 1.0
        notes.append(f"eCerto shows max(which(...)) over t = 0:{int(t_grid_max)}, i.e. t_max + 1 "
                     "(a 1-based index)")
    if np.all(ok):
        notes.append(f"every month up to {t_grid_max} meets the rule: t_max is the search limit")
    return ShelfLifeSuggestionResult(analyte=r.analyte, rule=rule, se_slope=se, fraction=frac, k=kk,
                                     u_rest=u_rest, U=U, t_grid_max=int(t_grid_max), t_max=t_max,
                                     t_max_exact=float(exact), t_max_ecerto=t_ecerto,
                                     notes=tuple(notes), clauses=CLAUSES)


# ---------------------------------------------------------------------------------------------
# accelerated study: rate constants against 1/T

@dataclass(frozen=True, slots=True, kw_only=True)
class ArrheniusResult(Result):
    """Accelerated stability: ln|k_T| against 1/T (Arrhenius), prediction at the storage temperature."""

    analyte: str = ""
    unit_of_measure: str = ""
    order: str                          # "zero" (value vs t) | "first" (ln value vs t)
    direction: int                      # -1 decreasing, +1 increasing property
    temperatures: tuple[float, ...]     # degC, those fitted
    n_points: tuple[int, ...]           # results per temperature
    rate_constants: tuple[float, ...]   # k_T (signed slopes), per month (first order: ln units per month)
    se_rate_constants: tuple[float, ...]
    intercepts: tuple[float, ...]       # b0 per temperature (first order: of ln value)
    inverse_temperatures: tuple[float, ...]   # 1/K
    ln_k: tuple[float, ...]             # ln|k_T|
    n_temperatures: int
    intercept_ln_k: float               # ln A
    slope_ln_k: float                   # -E_a/R, K
    se_intercept_ln_k: float
    se_slope_ln_k: float
    residual_sd: float                  # of ln|k| about the line
    dof: int                            # n_temperatures - 2
    e_a: float                          # activation energy, J/mol
    se_e_a: float
    level: float
    storage_temperature: float | None = None
    k_storage: float | None = None      # signed, per month
    k_storage_ci: ConfidenceInterval | None = None    # of |k| at the storage temperature
    initial_value: float | None = None
    limit: float | None = None
    time_to_limit: float | None = None                # months, point estimate
    time_to_limit_conservative: float | None = None   # with the upper confidence bound of |k|
    extrapolated: bool = False
    excluded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _x_mean: float = field(default=math.nan, repr=False)
    _ss_x: float = field(default=math.nan, repr=False)

    def band(self, inverse_temperature, *, level: float | None = None) -> pd.DataFrame:
        """ln|k| line with its two-sided confidence band at ``inverse_temperature`` (1/K)."""
        x = np.asarray(inverse_temperature, float)
        lv = self.level if level is None else _checks.require_level(level)
        return _band(self.intercept_ln_k, self.slope_ln_k, self.residual_sd, self.n_temperatures,
                     self._x_mean, self._ss_x, self.dof, x, lv, "confidence", "two").rename(
                         columns={"time": "inverse_temperature"})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"temperature": self.temperatures, "n": self.n_points,
                             "k": self.rate_constants, "se_k": self.se_rate_constants,
                             "inverse_temperature": self.inverse_temperatures, "ln_k": self.ln_k})


def _temperature_groups(df, temperature, time, value, where, notes, temperatures=None):
    _require_columns(df, [temperature], where)
    t, y = _time_value(df, time, value, where, notes)
    rows = df["source_row"] if "source_row" in df.columns else None
    T = _checks.require_finite_array(df[temperature], what=f"column '{temperature}'", where=where,
                                     rows=rows)
    if (T <= -KELVIN_OFFSET).any():
        raise InputError(f"column '{temperature}': a temperature is at or below absolute zero",
                         file=where, hint="give temperatures in degC")
    levels = sorted(set(T.tolist()))
    if temperatures is not None:
        keep = [float(x) for x in temperatures]
        levels = [lv for lv in levels if any(math.isclose(lv, k) for k in keep)]
    return t, y, T, levels


def _time_to_limit(order, c0, k, limit):
    """Months until c0 + k t (zero order) or c0 exp(k t) (first order) reaches ``limit``."""
    if order == "zero":
        dist = limit - c0
    else:
        dist = math.log(limit / c0)
    if k == 0 or dist / k < 0:
        return math.inf
    return dist / k


def arrhenius(df: pd.DataFrame, temperature: str = "temperature", time: str = "time",
              value: str = "value", *, order: str = "zero", storage_temperature: float | None = None,
              limit: float | None = None, initial_value: float | None = None, level: float = 0.95,
              temperatures=None, analyte: str = "", unit_of_measure: str = "",
              where: str | None = None) -> ArrheniusResult:
    r"""Accelerated stability: rate constants per temperature and their Arrhenius line (Arrhenius equation; ISO Guide 35:2017, clause 8).

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``temperature`` (degC), ``time`` (months), ``value``; one analyte.
    order : {"zero", "first"}
        Zero order: k_T is the slope of value on time; first order: the slope of ln(value).
    storage_temperature : float, optional
        degC at which k is predicted (with its confidence interval at ``level``).
    limit, initial_value : float, optional
        Time for the property to move from ``initial_value`` (default: mean of the fitted
        intercepts) to ``limit`` at the storage temperature.
    temperatures : sequence of float, optional
        Temperatures to fit (default all).

    Returns
    -------
    ArrheniusResult
        ``rate_constants``, ``ln_k``, ``intercept_ln_k`` (ln A), ``slope_ln_k`` (-E_a/R), ``e_a``,
        ``k_storage``, ``k_storage_ci``, ``time_to_limit``, ``time_to_limit_conservative``,
        ``extrapolated``.

    Raises
    ------
    InputError
        Fewer than two temperatures (after excluding those whose trend has the wrong sign),
        fewer than three time points at a temperature, or (first order) a value <= 0.

    Warns
    -----
    RmworkWarning
        The storage temperature lies outside the temperatures fitted (extrapolation; also a note).

    Notes
    -----
    .. math::

        \ln|k_T| = \ln A - \frac{E_a}{R}\,\frac{1}{T}, \qquad T = \vartheta + 273.15\ \mathrm{K},
        \qquad t_{limit} = \frac{L - y_0}{k_s}\ \text{(zero)}, \quad
        \frac{\ln(L/y_0)}{k_s}\ \text{(first)}

    The line is an unweighted least-squares fit of ln|k_T| on 1/T; the confidence band uses
    t on n_T - 2 degrees of freedom (none for two temperatures: NaN and a note).  The sign of
    the trend is that at the highest temperature; temperatures whose slope has the other sign
    (or is zero) are excluded with a note.  The conservative time uses the upper confidence
    bound of |k_s| (as eCerto's storage-time estimate uses CI_upper).

    Validated against the AccelStab vaccine data (consistency with :func:`arrhenius_joint`):
    ``tests/test_stability.py``.
    """
    where = _where(df, where)
    _checks.require_choice(order, ("zero", "first"), thing="reaction order")
    _checks.require_level(level)
    analyte, unit_of_measure = _context(df, analyte, unit_of_measure, where)
    notes: list[str] = []
    excluded: list[str] = []
    t, y, T, levels = _temperature_groups(df, temperature, time, value, where, notes, temperatures)
    formula = "Arrhenius fit"
    _checks.require_at_least(len(levels), 2, what="temperatures", formula=formula, where=where)
    if order == "first":
        if (y <= 0).any():
            raise InputError(f"column '{value}': first-order kinetics needs values > 0", file=where,
                             hint="use order='zero'")
        y = np.log(y)
    fits = {}
    for lv in levels:
        m = np.isclose(T, lv)
        _checks.require_at_least(int(np.unique(t[m]).size), 3, what="distinct time points",
                                 formula=f"rate constant at {lv:g} degC", where=where)
        fits[lv] = _ols_core(t[m], y[m])
    direction = 1 if fits[max(levels)]["b1"] > 0 else -1
    notes.append(f"trend direction from the highest temperature ({max(levels):g} degC): "
                 f"{'increasing' if direction > 0 else 'decreasing'}")
    for lv in list(levels):
        if fits[lv]["b1"] * direction <= 0:
            excluded.append(f"{lv:g} degC: slope {fits[lv]['b1']:.4g} has the opposite sign or is zero")
            notes.append(f"{lv:g} degC excluded: no {'increase' if direction > 0 else 'decrease'} "
                         "to take the logarithm of")
            warnings.warn(f"Arrhenius: {lv:g} degC excluded (slope of the opposite sign)",
                          RmworkWarning, stacklevel=2)
            levels.remove(lv)
    _checks.require_at_least(len(levels), 2, what="temperatures with a trend in the same direction",
                             formula=formula, where=where)
    k = np.array([fits[lv]["b1"] for lv in levels])
    x = 1.0 / (np.array(levels) + KELVIN_OFFSET)
    z = np.log(np.abs(k))
    line = _ols_core(x, z)
    if line["dof"] == 0:
        notes.append("two temperatures: the Arrhenius line passes through both points; "
                     "no residual SD, standard errors or confidence band")
    s = math.sqrt(line["s2"]) if line["dof"] > 0 else math.nan
    q = _quantile(level, "two", line["dof"])
    ks = k_ci = t_lim = t_cons = None
    extrapolated = False
    c0 = None
    if storage_temperature is not None:
        xs = 1.0 / (float(storage_temperature) + KELVIN_OFFSET)
        zs = line["b0"] + line["b1"] * xs
        se_fit = s * math.sqrt(1.0 / len(levels) + (xs - line["t_mean"]) ** 2 / line["ss_time"])
        ks = direction * math.exp(zs)
        k_ci = ConfidenceInterval(math.exp(zs - q * se_fit), math.exp(zs + q * se_fit))
        if not (min(levels) <= storage_temperature <= max(levels)):
            extrapolated = True
            notes.append(f"the storage temperature {storage_temperature:g} degC lies outside the "
                         f"temperatures fitted ({min(levels):g} to {max(levels):g} degC): "
                         "k is extrapolated along the Arrhenius line")
            warnings.warn(f"Arrhenius: {storage_temperature:g} degC is outside the fitted range "
                          f"{min(levels):g}-{max(levels):g} degC (extrapolation)", RmworkWarning,
                          stacklevel=2)
        if limit is not None:
            if initial_value is None:
                b0s = np.array([fits[lv]["b0"] for lv in levels])
                c0 = float(b0s.mean()) if order == "zero" else float(math.exp(b0s.mean()))
                notes.append(f"initial value {c0:.6g} = mean of the fitted intercepts")
            else:
                c0 = float(initial_value)
            if order == "first" and (limit <= 0 or c0 <= 0):
                raise InputError("first-order time to limit needs a positive limit and initial value",
                                 hint="use order='zero'")
            t_lim = _time_to_limit(order, c0, ks, float(limit))
            t_cons = _time_to_limit(order, c0, direction * k_ci.high, float(limit)) \
                if math.isfinite(k_ci.high) else math.nan
            if math.isinf(t_lim):
                notes.append(f"the limit {limit:g} lies on the other side of the initial value: "
                             "never reached")
    elif limit is not None:
        notes.append("limit given without storage_temperature: no time to limit")
    return ArrheniusResult(
        analyte=analyte, unit_of_measure=unit_of_measure, order=order, direction=direction,
        temperatures=tuple(float(v) for v in levels),
        n_points=tuple(int(fits[lv]["n"]) for lv in levels), rate_constants=tuple(k.tolist()),
        se_rate_constants=tuple(float(fits[lv]["se_b1"]) for lv in levels),
        intercepts=tuple(float(fits[lv]["b0"]) for lv in levels),
        inverse_temperatures=tuple(x.tolist()), ln_k=tuple(z.tolist()), n_temperatures=len(levels),
        intercept_ln_k=line["b0"], slope_ln_k=line["b1"],
        se_intercept_ln_k=line["se_b0"] if line["dof"] > 0 else math.nan,
        se_slope_ln_k=line["se_b1"] if line["dof"] > 0 else math.nan, residual_sd=s,
        dof=int(line["dof"]), e_a=-line["b1"] * GAS_CONSTANT,
        se_e_a=line["se_b1"] * GAS_CONSTANT if line["dof"] > 0 else math.nan, level=float(level),
        storage_temperature=None if storage_temperature is None else float(storage_temperature),
        k_storage=ks, k_storage_ci=k_ci, initial_value=c0,
        limit=None if limit is None else float(limit), time_to_limit=t_lim,
        time_to_limit_conservative=t_cons, extrapolated=extrapolated, excluded=tuple(excluded),
        notes=tuple(notes), clauses=CLAUSES, _x_mean=line["t_mean"], _ss_x=line["ss_time"])


# ---------------------------------------------------------------------------------------------
# accelerated study: joint non-linear Arrhenius model (AccelStab, zero order)

@dataclass(frozen=True, slots=True, kw_only=True)
class ArrheniusJointResult(Result):
    """Joint fit y = c0 - c0 t exp(k1 - k2/T) over all temperatures (R package AccelStab, zero order)."""

    analyte: str = ""
    unit_of_measure: str = ""
    c0: float
    se_c0: float
    k1: float
    se_k1: float
    k2: float                           # = E_a/R, K
    se_k2: float
    covariance: tuple[tuple[float, ...], ...]    # of (c0, k1, k2)
    residual_sd: float
    dof: int
    n_points: int
    temperatures: tuple[float, ...]     # degC
    time_below: float | None            # fit window: time < time_below
    e_a: float                          # k2 R, J/mol
    storage_temperature: float | None = None
    k_storage: float | None = None      # exp(k1 - k2/T_s), relative loss per month
    limit: float | None = None
    time_to_limit: float | None = None  # months
    se_time_to_limit: float | None = None   # delta method
    extrapolated: bool = False
    excluded: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def predict(self, time, temperature) -> np.ndarray:
        """Model value at ``time`` (months) and ``temperature`` (degC)."""
        t = np.asarray(time, float)
        T = np.asarray(temperature, float) + KELVIN_OFFSET
        return self.c0 - self.c0 * t * np.exp(self.k1 - self.k2 / T)


def _joint_start(t, y, Tk):
    """Start values from per-temperature slopes (ln of -b1/c0 against 1/T)."""
    c0 = float(y[t == t.min()].mean())
    xs, zs = [], []
    for lv in np.unique(Tk):
        m = Tk == lv
        if np.unique(t[m]).size >= 2:
            b1 = _ols_core(t[m], y[m])["b1"] if np.unique(t[m]).size >= 2 else 0.0
            if b1 < 0:
                xs.append(1.0 / lv)
                zs.append(math.log(-b1 / c0))
    if len(xs) >= 2:
        slope, icpt = np.polyfit(xs, zs, 1)
        return np.array([c0, icpt, -slope])
    return np.array([c0, 10000.0 / float(np.median(Tk)) - 5.0, 10000.0])


def arrhenius_joint(df: pd.DataFrame, temperature: str = "temperature", time: str = "time",
                    value: str = "value", *, time_below: float | None = None,
                    storage_temperature: float | None = None, limit: float | None = None,
                    start=None, analyte: str = "", unit_of_measure: str = "",
                    where: str | None = None) -> ArrheniusJointResult:
    r"""Joint Arrhenius fit y = c0 - c0 t exp(k1 - k2/T) (R package AccelStab, zero-order model; non-linear least squares).

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``temperature`` (degC), ``time`` (months), ``value``; one decreasing property.
    time_below : float, optional
        Fit only rows with time < ``time_below`` (the others are listed in ``excluded``).
    storage_temperature, limit : float, optional
        Time for the model to fall to ``limit`` at ``storage_temperature`` (degC).
    start : sequence of 3 floats, optional
        Start values (c0, k1, k2); default from per-temperature slopes.

    Returns
    -------
    ArrheniusJointResult
        ``c0``, ``k1``, ``k2`` with standard errors, ``covariance``, ``residual_sd`` on n - 3
        degrees of freedom, ``time_to_limit`` with a delta-method ``se_time_to_limit``.

    Raises
    ------
    InputError
        Fewer than two temperatures, or a fit that does not converge.

    Warns
    -----
    RmworkWarning
        The storage temperature lies outside the tested range (also a note).

    Notes
    -----
    .. math::

        y = c_0 - c_0\, t\, e^{k_1 - k_2/T}, \qquad
        \mathrm{Cov} = s^2 (J^\top J)^{-1}, \quad s^2 = \frac{\sum r_i^2}{n - 3}, \qquad
        t_{limit} = \frac{1 - L/c_0}{e^{k_1 - k_2/T_s}}

    T in kelvin (degC + 273.15); E_a = k2 R.  Solved by ``scipy.optimize.least_squares``
    (trust-region reflective, analytic Jacobian, Jacobian scaling).

    Validated against the AccelStab vignette (vaccine potency, time < 8 months, n = 55):
    ``tests/test_stability.py``.

    References
    ----------
    .. [1] R package AccelStab, vignette "Potency" (zero-order Sestak-Berggren model).
    """
    where = _where(df, where)
    analyte, unit_of_measure = _context(df, analyte, unit_of_measure, where)
    notes: list[str] = []
    excluded: list[str] = []
    t, y, T, levels = _temperature_groups(df, temperature, time, value, where, notes)
    if time_below is not None:
        keep = t < float(time_below)
        if (~keep).any():
            rows = df["source_row"].to_numpy()[~keep] if "source_row" in df.columns else \
                np.flatnonzero(~keep)
            excluded.append(f"{int((~keep).sum())} results at time >= {time_below:g} months "
                            f"(rows {', '.join(map(str, rows[:10]))}{', ...' if rows.size > 10 else ''})")
            notes.append(f"fitted on time < {time_below:g} months: {int(keep.sum())} of {t.size} results")
        t, y, T = t[keep], y[keep], T[keep]
        levels = sorted(set(T.tolist()))
    _checks.require_at_least(len(levels), 2, what="temperatures", formula="joint Arrhenius fit",
                             where=where)
    _checks.require_at_least(t.size, 4, what="results", formula="joint Arrhenius fit", where=where)
    Tk = T + KELVIN_OFFSET

    def resid(p):
        c0, k1, k2 = p
        return c0 - c0 * t * np.exp(k1 - k2 / Tk) - y

    def jac(p):
        c0, k1, k2 = p
        e = t * np.exp(k1 - k2 / Tk)
        return np.column_stack([1.0 - e, -c0 * e, c0 * e / Tk])

    p0 = np.asarray(start, float) if start is not None else _joint_start(t, y, Tk)
    sol = optimize.least_squares(resid, p0, jac=jac, x_scale="jac", xtol=1e-15, ftol=1e-15,
                                 gtol=1e-15, max_nfev=10000)
    if not sol.success or not np.all(np.isfinite(sol.x)):
        raise InputError(f"joint Arrhenius fit did not converge ({sol.message})", file=where,
                         hint="check that the property decreases with time, or give start=(c0, k1, k2)")
    J = jac(sol.x)
    dof = t.size - 3
    s2 = float(sol.fun @ sol.fun) / dof
    try:
        cov = np.linalg.inv(J.T @ J) * s2
    except np.linalg.LinAlgError:
        raise InputError("joint Arrhenius fit: the parameters are not identifiable (singular Jacobian)",
                         file=where, hint="add temperatures or time points") from None
    se = np.sqrt(np.diag(cov))
    c0, k1, k2 = (float(v) for v in sol.x)
    ks = t_lim = se_t = None
    extrapolated = False
    if storage_temperature is not None:
        Ts = float(storage_temperature) + KELVIN_OFFSET
        ks = math.exp(k1 - k2 / Ts)
        if not (min(levels) <= storage_temperature <= max(levels)):
            extrapolated = True
            notes.append(f"the storage temperature {storage_temperature:g} degC lies outside the "
                         f"temperatures fitted ({min(levels):g} to {max(levels):g} degC): extrapolated")
            warnings.warn(f"Arrhenius joint fit: {storage_temperature:g} degC is outside the fitted "
                          f"range (extrapolation)", RmworkWarning, stacklevel=2)
        if limit is not None:
            frac = 1.0 - float(limit) / c0
            if frac <= 0:
                t_lim, se_t = math.inf, math.nan
                notes.append(f"the limit {limit:g} is not below c0 = {c0:.6g}: never reached")
            else:
                t_lim = frac / ks
                grad = np.array([float(limit) / c0 ** 2 / ks, -t_lim, t_lim / Ts])
                se_t = float(math.sqrt(grad @ cov @ grad))
                if t_lim > float(t.max()):
                    notes.append(f"time to limit {t_lim:.4g} months lies beyond the longest time "
                                 f"fitted ({float(t.max()):.4g} months)")
    elif limit is not None:
        notes.append("limit given without storage_temperature: no time to limit")
    return ArrheniusJointResult(
        analyte=analyte, unit_of_measure=unit_of_measure, c0=c0, se_c0=float(se[0]), k1=k1,
        se_k1=float(se[1]), k2=k2, se_k2=float(se[2]),
        covariance=tuple(tuple(float(v) for v in row) for row in cov), residual_sd=math.sqrt(s2),
        dof=int(dof), n_points=int(t.size), temperatures=tuple(float(v) for v in levels),
        time_below=None if time_below is None else float(time_below), e_a=k2 * GAS_CONSTANT,
        storage_temperature=None if storage_temperature is None else float(storage_temperature),
        k_storage=ks, limit=None if limit is None else float(limit), time_to_limit=t_lim,
        se_time_to_limit=se_t, extrapolated=extrapolated, excluded=tuple(excluded),
        notes=tuple(notes), clauses=CLAUSES)


# ---------------------------------------------------------------------------------------------
# post-certification monitoring

@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringResult(Result):
    """Post-certification monitoring against the certified value (ERM Application Note 1)."""

    analyte: str = ""
    certified_value: float
    u_c: float                          # standard uncertainty of the certified value
    k: float
    n_points: int
    measured: tuple[float, ...]
    u_m: tuple[float, ...]
    d: tuple[float, ...]                # measured - certified
    U_d: tuple[float, ...]              # k sqrt(u_c^2 + u_m^2)
    passed: tuple[bool, ...]            # |d| <= U_d
    all_passed: bool
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"measured": self.measured, "u_m": self.u_m, "d": self.d,
                             "U_d": self.U_d, "passed": self.passed})


def monitoring_check(certified_value: float, u_c: float, measured, u_m, k: float = 2.0, *,
                     analyte: str = "") -> MonitoringResult:
    r"""Compare monitoring results with the certified value (ERM Application Note 1 (2010); ISO Guide 35:2017, clause 8).

    Parameters
    ----------
    certified_value, u_c : float
        mu_c and its standard uncertainty (u_CRM).
    measured, u_m : float or sequence
        Monitoring results and their standard uncertainties (a scalar u_m applies to all).
    k : float
        Coverage factor (2).

    Returns
    -------
    MonitoringResult
        ``d``, ``U_d``, ``passed`` per result, ``all_passed``.

    Notes
    -----
    .. math::  |\mu_c - \mu_m| \le k \sqrt{u_c^2 + u_m^2}

    Validated by hand: ``tests/test_stability.py``.

    References
    ----------
    .. [1] T. Linsinger, ERM Application Note 1: Comparison of a measurement result with the
           certified value, European Commission JRC-IRMM (2010).
    """
    mc = float(_checks.require_finite_array([certified_value], what="certified_value")[0])
    uc = float(_checks.require_positive_array([u_c], what="u_c", allow_zero=True)[0])
    x = np.atleast_1d(_checks.require_finite_array(measured, what="measured"))
    um = np.atleast_1d(_checks.require_positive_array(u_m, what="u_m", allow_zero=True))
    if um.size == 1:
        um = np.full(x.size, float(um[0]))
    _checks.require_same_length(x, um, names=("measured", "u_m"))
    kk = float(_checks.require_positive_array([k], what="k")[0])
    d = x - mc
    U_d = kk * np.sqrt(uc ** 2 + um ** 2)
    passed = np.abs(d) <= U_d
    notes = [] if passed.all() else [f"{int((~passed).sum())} of {x.size} results differ from the "
                                     "certified value by more than U_d: investigate the stability"]
    return MonitoringResult(analyte=str(analyte), certified_value=mc, u_c=uc, k=kk, n_points=int(x.size),
                            measured=tuple(x.tolist()), u_m=tuple(um.tolist()), d=tuple(d.tolist()),
                            U_d=tuple(U_d.tolist()), passed=tuple(bool(p) for p in passed),
                            all_passed=bool(passed.all()), notes=tuple(notes), clauses=CLAUSES)


# ---------------------------------------------------------------------------------------------
# Bayesian sensitivity analysis of the trend

@dataclass(frozen=True, slots=True, kw_only=True)
class BayesianTrendResult(Result):
    """Posterior of the slope propagated into u_lts (sensitivity analysis of ISO Guide 35:2017, 8.7.3)."""

    analyte: str = ""
    unit_of_measure: str = ""
    seed: int
    n_points: int
    time_mean: float                    # time was centred on this before sampling
    slope_mean: float
    slope_sd: float
    slope_median: float
    slope_ci95: ConfidenceInterval      # equal-tailed 95 % credible interval
    intercept_mean: float               # at t = 0
    sigma_mean: float
    shelf_life: float | None
    drift_mean: float | None            # posterior mean of b1 t_shelf
    drift_ci95: ConfidenceInterval | None
    u_lts: float | None                 # posterior SD of b1 t_shelf
    u_lts_rel: float | None
    slope_ols: float
    se_slope_ols: float
    u_lts_ols: float | None
    ratio_u_lts: float | None           # u_lts (Bayes) / u_lts (OLS)
    credible_excludes_zero: bool        # 0 outside slope_ci95
    diagnostics_passed: bool
    diagnostics_messages: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _fit: object = field(default=None, repr=False, compare=False)

    @property
    def fit(self):
        """The rmwork.bayes fit (draws, summary, diagnostics)."""
        return self._fit


def bayesian_trend(df: pd.DataFrame, time: str = "time", value: str = "value",
                   shelf_life: float | None = None, *, seed: int, settings=None,
                   use_means: bool = False, analyte: str = "", unit_of_measure: str = "",
                   where: str | None = None) -> BayesianTrendResult:
    r"""Bayesian linear trend as a sensitivity analysis of u_lts (ISO Guide 35:2017, 8.7.3; model in rmwork.bayes.linear_trend).

    Parameters
    ----------
    df, time, value, shelf_life, use_means, analyte, unit_of_measure, where
        As in :func:`regression` (same validation).
    seed : int
        Random seed of the sampler (the lot seed).
    settings : optional
        Sampler settings passed to ``rmwork.bayes.linear_trend``.

    Returns
    -------
    BayesianTrendResult
        Posterior ``slope_mean``, ``slope_sd``, ``slope_ci95``; ``u_lts`` = posterior SD of
        b1 t_shelf, ``drift_ci95``; the OLS values beside it and ``ratio_u_lts``;
        ``diagnostics_passed`` (a failed gate keeps the result off the certificate).

    Notes
    -----
    Time is centred on its mean before sampling (the intercept at t = 0 is recovered per draw,
    :math:`b_0 = a - b_1 \bar t`).  With draws :math:`b_1^{(j)}`:

    .. math::  u_{lts} = \mathrm{SD}_j\bigl(b_1^{(j)} t_{shelf}\bigr) = t_{shelf}\,\mathrm{SD}(b_1)

    With flat-ish priors this approaches s(b1) t_shelf of :func:`regression` (on t rather than
    normal quantiles, so it is somewhat larger for few points).

    Validated by hand with fixed draws, and against :func:`regression` on the eCerto Si data:
    ``tests/test_stability.py``.
    """
    ols = regression(df, time, value, shelf_life, use_means=use_means, analyte=analyte,
                     unit_of_measure=unit_of_measure, where=where)
    from . import bayes  # lazily: PyMC is heavy and optional for the OLS path

    fitted = ols.fitted_data()
    t = fitted["time"].to_numpy(float)
    y = fitted["value"].to_numpy(float)
    fit = bayes.linear_trend(t - ols.time_mean, y, seed=seed, settings=settings)
    b1 = np.asarray(fit.draws["slope"], float).ravel()
    a = np.asarray(fit.draws["intercept"], float).ravel()
    sigma = np.asarray(fit.draws["sigma"], float).ravel()
    q025, q50, q975 = np.quantile(b1, [0.025, 0.5, 0.975])
    notes = list(ols.notes)
    drift_mean = drift_ci = u_lts = u_rel = u_ols = ratio = None
    if shelf_life is not None:
        drift = b1 * float(shelf_life)
        drift_mean = float(drift.mean())
        lo, hi = np.quantile(drift, [0.025, 0.975])
        drift_ci = ConfidenceInterval(float(lo), float(hi))
        u_lts = float(drift.std(ddof=1))
        u_rel = _rel(u_lts, ols.mean, notes)
        u_ols = ols.u_lts
        ratio = u_lts / u_ols if u_ols else math.nan
    diag = fit.diagnostics
    passed = bool(diag.passed)
    if not passed:
        notes.append("the sampler failed its diagnostic gate: the Bayesian u_lts is shown for "
                     "information only and is not used on the certificate")
    return BayesianTrendResult(
        analyte=ols.analyte, unit_of_measure=ols.unit_of_measure, seed=int(seed),
        n_points=ols.n_points, time_mean=ols.time_mean, slope_mean=float(b1.mean()),
        slope_sd=float(b1.std(ddof=1)), slope_median=float(q50),
        slope_ci95=ConfidenceInterval(float(q025), float(q975)),
        intercept_mean=float((a - b1 * ols.time_mean).mean()), sigma_mean=float(sigma.mean()),
        shelf_life=None if shelf_life is None else float(shelf_life), drift_mean=drift_mean,
        drift_ci95=drift_ci, u_lts=u_lts, u_lts_rel=u_rel, slope_ols=ols.slope,
        se_slope_ols=ols.se_slope, u_lts_ols=u_ols, ratio_u_lts=ratio,
        credible_excludes_zero=bool(q025 > 0 or q975 < 0), diagnostics_passed=passed,
        diagnostics_messages=tuple(str(m) for m in getattr(diag, "messages", ())),
        notes=tuple(notes), clauses=CLAUSES, _fit=fit)


# ---------------------------------------------------------------------------------------------
# per-analyte helper

def by_analyte(func: Callable, df: pd.DataFrame, *args, analyte: str = "analyte",
               **kwargs) -> dict[str, Result]:
    """Apply a stability function to each analyte of a long table (STYLE.md: notebooks need no loops).

    Parameters
    ----------
    func : callable
        A function of this module taking the DataFrame first (``regression``, ``transport``,
        ``isochronous``, ``poolability``, ``arrhenius``, ``arrhenius_joint``, ``bayesian_trend``).
    df : pandas.DataFrame
        Long table with an ``analyte`` column.
    *args, **kwargs
        Passed on.  A keyword whose value is a dict keyed by every analyte is passed per
        analyte (e.g. ``shelf_life={"Si": 60, "Mn": 48}``).

    Returns
    -------
    dict
        analyte -> result, in order of first appearance.

    Raises
    ------
    InputError
        No ``analyte`` column; an error of ``func`` names the analyte.
    """
    where = df.attrs.get("file")
    if analyte not in df.columns:
        raise InputError(f"column '{analyte}' is missing", file=where,
                         hint="add an analyte column or call the function directly")
    names = [str(x) for x in pd.unique(df[analyte].astype(str))]
    accepts_where = "where" in inspect.signature(func).parameters and "where" not in kwargs
    out = {}
    for name in names:
        sub = df.loc[df[analyte].astype(str) == name].reset_index(drop=True)
        sub.attrs = dict(df.attrs)
        kw = {k: (v[name] if isinstance(v, Mapping) and set(map(str, v)) >= set(names) else v)
              for k, v in kwargs.items()}
        if accepts_where:
            kw["where"] = f"{where}, analyte {name}" if where else f"analyte {name}"
        out[name] = func(sub, *args, **kw)
    return out
