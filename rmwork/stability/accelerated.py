"""Accelerated stability (Arrhenius equation; ISO Guide 35:2017, clause 8): rate constants against 1/T and the joint AccelStab model.

Temperatures are in degrees Celsius in the data and converted to kelvin (+273.15) inside the
functions.

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from .. import _checks
from ..errors import InputError, RmworkWarning
from ..results import ConfidenceInterval, Result
from ._common import CLAUSES, GAS_CONSTANT, KELVIN_OFFSET, _context, _require_columns, _time_value, _where
from .trend import _band, _ols_core, _quantile

# ---------------------------------------------------------------------------------------------
# accelerated study: rate constants against 1/T


@dataclass(frozen=True, slots=True, kw_only=True)
class ArrheniusResult(Result):
    """Accelerated stability: ln|k_T| against 1/T (Arrhenius), prediction at the storage temperature."""

    analyte: str = ""
    unit_of_measure: str = ""
    order: str  # "zero" (value vs t) | "first" (ln value vs t)
    direction: int  # -1 decreasing, +1 increasing property
    temperatures: tuple[float, ...]  # degC, those fitted
    n_points: tuple[int, ...]  # results per temperature
    rate_constants: tuple[float, ...]  # k_T (signed slopes), per month (first order: ln units per month)
    se_rate_constants: tuple[float, ...]
    intercepts: tuple[float, ...]  # b0 per temperature (first order: of ln value)
    inverse_temperatures: tuple[float, ...]  # 1/K
    ln_k: tuple[float, ...]  # ln|k_T|
    n_temperatures: int
    intercept_ln_k: float  # ln A
    slope_ln_k: float  # -E_a/R, K
    se_intercept_ln_k: float
    se_slope_ln_k: float
    residual_sd: float  # of ln|k| about the line
    dof: int  # n_temperatures - 2
    e_a: float  # activation energy, J/mol
    se_e_a: float
    level: float
    storage_temperature: float | None = None
    k_storage: float | None = None  # signed, per month
    k_storage_ci: ConfidenceInterval | None = None  # of |k| at the storage temperature
    initial_value: float | None = None
    limit: float | None = None
    time_to_limit: float | None = None  # months, point estimate
    time_to_limit_conservative: float | None = None  # with the upper confidence bound of |k|
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
        return _band(
            self.intercept_ln_k,
            self.slope_ln_k,
            self.residual_sd,
            self.n_temperatures,
            self._x_mean,
            self._ss_x,
            self.dof,
            x,
            lv,
            "confidence",
            "two",
        ).rename(columns={"time": "inverse_temperature"})

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "temperature": self.temperatures,
                "n": self.n_points,
                "k": self.rate_constants,
                "se_k": self.se_rate_constants,
                "inverse_temperature": self.inverse_temperatures,
                "ln_k": self.ln_k,
            }
        )


def _temperature_groups(df, temperature, time, value, where, notes, temperatures=None):
    _require_columns(df, [temperature], where)
    t, y = _time_value(df, time, value, where, notes)
    rows = df["source_row"] if "source_row" in df.columns else None
    T = _checks.require_finite_array(df[temperature], what=f"column '{temperature}'", where=where, rows=rows)
    if (T <= -KELVIN_OFFSET).any():
        raise InputError(
            f"column '{temperature}': a temperature is at or below absolute zero",
            file=where,
            hint="give temperatures in degC",
        )
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


def arrhenius(
    df: pd.DataFrame,
    temperature: str = "temperature",
    time: str = "time",
    value: str = "value",
    *,
    order: str = "zero",
    storage_temperature: float | None = None,
    limit: float | None = None,
    initial_value: float | None = None,
    level: float = 0.95,
    temperatures=None,
    analyte: str = "",
    unit_of_measure: str = "",
    where: str | None = None,
) -> ArrheniusResult:
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
            raise InputError(
                f"column '{value}': first-order kinetics needs values > 0",
                file=where,
                hint="use order='zero'",
            )
        y = np.log(y)
    fits = {}
    for lv in levels:
        m = np.isclose(T, lv)
        _checks.require_at_least(
            int(np.unique(t[m]).size),
            3,
            what="distinct time points",
            formula=f"rate constant at {lv:g} degC",
            where=where,
        )
        fits[lv] = _ols_core(t[m], y[m])
    direction = 1 if fits[max(levels)]["b1"] > 0 else -1
    notes.append(
        f"trend direction from the highest temperature ({max(levels):g} degC): "
        f"{'increasing' if direction > 0 else 'decreasing'}"
    )
    for lv in list(levels):
        if fits[lv]["b1"] * direction <= 0:
            excluded.append(f"{lv:g} degC: slope {fits[lv]['b1']:.4g} has the opposite sign or is zero")
            notes.append(
                f"{lv:g} degC excluded: no {'increase' if direction > 0 else 'decrease'} "
                "to take the logarithm of"
            )
            warnings.warn(
                f"Arrhenius: {lv:g} degC excluded (slope of the opposite sign)", RmworkWarning, stacklevel=2
            )
            levels.remove(lv)
    _checks.require_at_least(
        len(levels), 2, what="temperatures with a trend in the same direction", formula=formula, where=where
    )
    k = np.array([fits[lv]["b1"] for lv in levels])
    x = 1.0 / (np.array(levels) + KELVIN_OFFSET)
    z = np.log(np.abs(k))
    line = _ols_core(x, z)
    if line["dof"] == 0:
        notes.append(
            "two temperatures: the Arrhenius line passes through both points; "
            "no residual SD, standard errors or confidence band"
        )
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
            notes.append(
                f"the storage temperature {storage_temperature:g} degC lies outside the "
                f"temperatures fitted ({min(levels):g} to {max(levels):g} degC): "
                "k is extrapolated along the Arrhenius line"
            )
            warnings.warn(
                f"Arrhenius: {storage_temperature:g} degC is outside the fitted range "
                f"{min(levels):g}-{max(levels):g} degC (extrapolation)",
                RmworkWarning,
                stacklevel=2,
            )
        if limit is not None:
            if initial_value is None:
                b0s = np.array([fits[lv]["b0"] for lv in levels])
                c0 = float(b0s.mean()) if order == "zero" else float(math.exp(b0s.mean()))
                notes.append(f"initial value {c0:.6g} = mean of the fitted intercepts")
            else:
                c0 = float(initial_value)
            if order == "first" and (limit <= 0 or c0 <= 0):
                raise InputError(
                    "first-order time to limit needs a positive limit and initial value",
                    hint="use order='zero'",
                )
            t_lim = _time_to_limit(order, c0, ks, float(limit))
            t_cons = (
                _time_to_limit(order, c0, direction * k_ci.high, float(limit))
                if math.isfinite(k_ci.high)
                else math.nan
            )
            if math.isinf(t_lim):
                notes.append(
                    f"the limit {limit:g} lies on the other side of the initial value: never reached"
                )
    elif limit is not None:
        notes.append("limit given without a storage temperature: no time to limit")
    return ArrheniusResult(
        analyte=analyte,
        unit_of_measure=unit_of_measure,
        order=order,
        direction=direction,
        temperatures=tuple(float(v) for v in levels),
        n_points=tuple(int(fits[lv]["n"]) for lv in levels),
        rate_constants=tuple(k.tolist()),
        se_rate_constants=tuple(float(fits[lv]["se_b1"]) for lv in levels),
        intercepts=tuple(float(fits[lv]["b0"]) for lv in levels),
        inverse_temperatures=tuple(x.tolist()),
        ln_k=tuple(z.tolist()),
        n_temperatures=len(levels),
        intercept_ln_k=line["b0"],
        slope_ln_k=line["b1"],
        se_intercept_ln_k=line["se_b0"] if line["dof"] > 0 else math.nan,
        se_slope_ln_k=line["se_b1"] if line["dof"] > 0 else math.nan,
        residual_sd=s,
        dof=int(line["dof"]),
        e_a=-line["b1"] * GAS_CONSTANT,
        se_e_a=line["se_b1"] * GAS_CONSTANT if line["dof"] > 0 else math.nan,
        level=float(level),
        storage_temperature=None if storage_temperature is None else float(storage_temperature),
        k_storage=ks,
        k_storage_ci=k_ci,
        initial_value=c0,
        limit=None if limit is None else float(limit),
        time_to_limit=t_lim,
        time_to_limit_conservative=t_cons,
        extrapolated=extrapolated,
        excluded=tuple(excluded),
        notes=tuple(notes),
        clauses=CLAUSES,
        _x_mean=line["t_mean"],
        _ss_x=line["ss_time"],
    )


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
    k2: float  # = E_a/R, K
    se_k2: float
    covariance: tuple[tuple[float, ...], ...]  # of (c0, k1, k2)
    residual_sd: float
    dof: int
    n_points: int
    temperatures: tuple[float, ...]  # degC
    time_below: float | None  # fit window: time < time_below
    e_a: float  # k2 R, J/mol
    storage_temperature: float | None = None
    k_storage: float | None = None  # exp(k1 - k2/T_s), relative loss per month
    limit: float | None = None
    time_to_limit: float | None = None  # months
    se_time_to_limit: float | None = None  # delta method
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


def arrhenius_joint(
    df: pd.DataFrame,
    temperature: str = "temperature",
    time: str = "time",
    value: str = "value",
    *,
    time_below: float | None = None,
    storage_temperature: float | None = None,
    limit: float | None = None,
    start=None,
    analyte: str = "",
    unit_of_measure: str = "",
    where: str | None = None,
) -> ArrheniusJointResult:
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
            rows = df["source_row"].to_numpy()[~keep] if "source_row" in df.columns else np.flatnonzero(~keep)
            excluded.append(
                f"{int((~keep).sum())} results at time >= {time_below:g} months "
                f"(rows {', '.join(map(str, rows[:10]))}{', ...' if rows.size > 10 else ''})"
            )
            notes.append(f"fitted on time < {time_below:g} months: {int(keep.sum())} of {t.size} results")
        t, y, T = t[keep], y[keep], T[keep]
        levels = sorted(set(T.tolist()))
    _checks.require_at_least(len(levels), 2, what="temperatures", formula="joint Arrhenius fit", where=where)
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
    sol = optimize.least_squares(
        resid, p0, jac=jac, x_scale="jac", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=10000
    )
    if not sol.success or not np.all(np.isfinite(sol.x)):
        raise InputError(
            f"joint Arrhenius fit did not converge ({sol.message})",
            file=where,
            hint="check that the property decreases with time, or give start=(c0, k1, k2)",
        )
    J = jac(sol.x)
    dof = t.size - 3
    s2 = float(sol.fun @ sol.fun) / dof
    try:
        cov = np.linalg.inv(J.T @ J) * s2
    except np.linalg.LinAlgError:
        raise InputError(
            "joint Arrhenius fit: the parameters are not identifiable (singular Jacobian)",
            file=where,
            hint="add temperatures or time points",
        ) from None
    se = np.sqrt(np.diag(cov))
    c0, k1, k2 = (float(v) for v in sol.x)
    ks = t_lim = se_t = None
    extrapolated = False
    if storage_temperature is not None:
        Ts = float(storage_temperature) + KELVIN_OFFSET
        ks = math.exp(k1 - k2 / Ts)
        if not (min(levels) <= storage_temperature <= max(levels)):
            extrapolated = True
            notes.append(
                f"the storage temperature {storage_temperature:g} degC lies outside the "
                f"temperatures fitted ({min(levels):g} to {max(levels):g} degC): extrapolated"
            )
            warnings.warn(
                f"Arrhenius joint fit: {storage_temperature:g} degC is outside the fitted "
                f"range (extrapolation)",
                RmworkWarning,
                stacklevel=2,
            )
        if limit is not None:
            frac = 1.0 - float(limit) / c0
            if frac <= 0:
                t_lim, se_t = math.inf, math.nan
                notes.append(f"the limit {limit:g} is not below c0 = {c0:.6g}: never reached")
            else:
                t_lim = frac / ks
                grad = np.array([float(limit) / c0**2 / ks, -t_lim, t_lim / Ts])
                se_t = float(math.sqrt(grad @ cov @ grad))
                if t_lim > float(t.max()):
                    notes.append(
                        f"time to limit {t_lim:.4g} months lies beyond the longest time "
                        f"fitted ({float(t.max()):.4g} months)"
                    )
    elif limit is not None:
        notes.append("limit given without a storage temperature: no time to limit")
    return ArrheniusJointResult(
        analyte=analyte,
        unit_of_measure=unit_of_measure,
        c0=c0,
        se_c0=float(se[0]),
        k1=k1,
        se_k1=float(se[1]),
        k2=k2,
        se_k2=float(se[2]),
        covariance=tuple(tuple(float(v) for v in row) for row in cov),
        residual_sd=math.sqrt(s2),
        dof=int(dof),
        n_points=int(t.size),
        temperatures=tuple(float(v) for v in levels),
        time_below=None if time_below is None else float(time_below),
        e_a=k2 * GAS_CONSTANT,
        storage_temperature=None if storage_temperature is None else float(storage_temperature),
        k_storage=ks,
        limit=None if limit is None else float(limit),
        time_to_limit=t_lim,
        se_time_to_limit=se_t,
        extrapolated=extrapolated,
        excluded=tuple(excluded),
        notes=tuple(notes),
        clauses=CLAUSES,
    )
