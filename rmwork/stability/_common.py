"""Shared by the stability modules: time basis, constants, clause map, data preparation, by_analyte.

Time is in months throughout; :func:`months_from_dates` converts dates at 30.4375 days per
month (365.25/12, eCerto's ``calc_time_diff(exact = TRUE)``).

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from .. import _checks
from ..errors import InputError
from ..results import Result

DAYS_PER_MONTH = 30.4375  # 365.25 / 12 (Julian mean month; eCerto calc_time_diff exact=TRUE)
KELVIN_OFFSET = 273.15  # ITS-90: T/K = t/degC + 273.15
GAS_CONSTANT = 8.314462618  # J mol^-1 K^-1, CODATA 2018 (exact since the 2019 SI)

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
    "bayesian_trend": "Bayesian linear trend (sensitivity analysis): u_lts = posterior SD of b1 x t_shelf",
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
        raise InputError(f"dates: a value is not a date ({exc})", hint="write dates as YYYY-MM-DD") from None
    if ts.isna().any():
        i = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise InputError(f"dates: entry {i + 1} is empty", hint="enter a date or delete the row")
    ts = ts.dt.normalize()  # whole days, as eCerto's as.Date()
    start = ts.min() if origin is None else pd.Timestamp(origin).normalize()
    days = (ts - start).dt.total_seconds().to_numpy(float) / 86400.0
    if (days < 0).any():
        raise InputError(
            f"dates: a date lies before the origin {start.date()}",
            hint="choose an origin on or before the first date",
        )
    return days / DAYS_PER_MONTH


# ---------------------------------------------------------------------------------------------
# data preparation shared by the DataFrame functions


def _where(df: pd.DataFrame, where):
    return where if where is not None else df.attrs.get("file")


def _require_columns(df, columns, where):
    for col in columns:
        if col not in df.columns:
            raise InputError(
                f"column '{col}' is missing",
                file=where,
                hint=f"the table has {', '.join(map(str, df.columns))}",
            )


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
        notes.append(
            f"time = days since the first date ({pd.Timestamp(df['date'].min()).date()}) "
            f"/ {DAYS_PER_MONTH} (months)"
        )
    elif time in df.columns and pd.api.types.is_datetime64_any_dtype(df[time]):
        t = months_from_dates(df[time])
        notes.append(
            f"column '{time}' holds dates: converted to months since the first date "
            f"at {DAYS_PER_MONTH} d/month"
        )
    else:
        _require_columns(df, [time], where)
        t = _checks.require_positive_array(
            df[time], what=f"column '{time}'", where=where, rows=rows, allow_zero=True
        )
    _require_columns(df, [value], where)
    y = _checks.require_finite_array(df[value], what=f"column '{value}'", where=where, rows=rows)
    return np.asarray(t, float), y


def _rel(x, mean, notes):
    if x is None:
        return None
    if mean == 0:
        notes.append("the mean is 0: relative uncertainties are undefined")
        return math.nan
    return x / abs(mean)


def _context(df, analyte, unit_of_measure, where):
    an = _single(
        df,
        "analyte",
        "analytes",
        "fit one analyte at a time: rmwork.stability.by_analyte(regression, df)",
        where,
    )
    uom = _single(df, "unit_of_measure", "units of measure", "convert the results to one unit", where)
    return (
        str(an) if an is not None and not analyte else str(analyte),
        str(uom) if uom is not None and not unit_of_measure else str(unit_of_measure),
    )


# ---------------------------------------------------------------------------------------------
# per-analyte helper


def by_analyte(
    func: Callable, df: pd.DataFrame, *args, analyte: str = "analyte", **kwargs
) -> dict[str, Result]:
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
        raise InputError(
            f"column '{analyte}' is missing",
            file=where,
            hint="add an analyte column or call the function directly",
        )
    names = [str(x) for x in pd.unique(df[analyte].astype(str))]
    accepts_where = "where" in inspect.signature(func).parameters and "where" not in kwargs
    out = {}
    for name in names:
        sub = df.loc[df[analyte].astype(str) == name].reset_index(drop=True)
        sub.attrs = dict(df.attrs)
        kw = {
            k: (v[name] if isinstance(v, Mapping) and set(map(str, v)) >= set(names) else v)
            for k, v in kwargs.items()
        }
        if accepts_where:
            kw["where"] = f"{where}, analyte {name}" if where else f"analyte {name}"
        out[name] = func(sub, *args, **kw)
    return out
