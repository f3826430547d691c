"""Post-certification monitoring against the certified value (ISO Guide 35:2017, 8.9 and 8.10; ERM Application Note 1 (2010)).

Three functions, one per way a monitoring result is judged:

- :func:`monitoring_check`: each result against the certified value with both uncertainties,
  |x_m - x_c| <= k sqrt(u_c^2 + u_m^2) (ERM Application Note 1; needs u_m per result);
- :func:`monitoring_interval_check`: each result against x_c +- U only, the weaker check used
  when the monitoring results carry no uncertainty (it ignores u_m, so it rejects less often);
- :func:`monitoring_trend`: eCerto's LTS module, the regression of the monitoring results on
  time and the time at which the fitted line, started at x_c, leaves x_c +- U.

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .. import _checks
from ..results import Result
from ._common import CLAUSES
from .shelf_life import _first_crossing
from .trend import _ols_core

CHECK_CLAUSES = {
    "uncertainty": "ISO Guide 35:2017, 8.9 and 8.10; ERM Application Note 1 (2010): "
    "|x_m - x_c| <= k sqrt(u_c^2 + u_m^2)",
    "certified-interval": "ISO Guide 35:2017, 8.9: x_m within x_c +- U (the measurement's own "
    "uncertainty ignored)",
    "trend": "eCerto LTS module (plot_lts_data): lm(value ~ month), t_exit = U/|b1|; ISO Guide 35:2017, "
    "8.9 and B.3",
}

# ---------------------------------------------------------------------------------------------
# post-certification monitoring


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringTrendResult(Result):
    """eCerto's LTS evaluation of monitoring results: line on time, time it leaves x_c +- U (ISO Guide 35:2017, 8.9)."""

    analyte: str = ""
    n_points: int
    dof: int  # n - 2
    slope: float  # b1, per month
    se_slope: float  # s(b1)
    intercept: float  # b0 at the first monitoring result (month 0)
    p_value: float  # two-sided t-test of b1 = 0
    residual_sd: float
    certified_value: float
    U: float
    time_max_observed: float  # months from the first to the last result
    t_exit: float  # U/|b1|: the line through x_c leaves x_c +- U (months after the first result)
    t_exit_months: float  # ceil(t_exit), as eCerto's LTS report prints it
    t_exit_ci95: float  # where the 95 % confidence band of that line leaves x_c +- U
    time: tuple[float, ...] = ()  # months since the first result, per result
    start_date: str = ""  # date of the first result (month 0), when dated
    exit_date: str = ""  # start_date + t_exit months
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringResult(Result):
    """Post-certification monitoring against the certified value (ERM Application Note 1)."""

    analyte: str = ""
    certified_value: float
    u_c: float  # standard uncertainty of the certified value
    k: float
    n_points: int
    measured: tuple[float, ...]
    u_m: tuple[float, ...]
    d: tuple[float, ...]  # measured - certified
    U_d: tuple[float, ...]  # k sqrt(u_c^2 + u_m^2)
    passed: tuple[bool, ...]  # |d| <= U_d
    all_passed: bool
    check: str = "uncertainty"  # "uncertainty" (ERM AN1) | "certified-interval" (x_c +- U only)
    U: float = float("nan")  # expanded uncertainty of the certified value
    u_m_source: str = ""  # where u_m comes from (the table's column, or the value the lot states)
    trend: MonitoringTrendResult | None = None  # eCerto's LTS evaluation, when dated
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"measured": self.measured, "u_m": self.u_m, "d": self.d, "U_d": self.U_d, "passed": self.passed}
        )


def monitoring_check(
    certified_value: float,
    u_c: float,
    measured,
    u_m,
    k: float = 2.0,
    *,
    analyte: str = "",
    U: float = float("nan"),
    u_m_source: str = "",
) -> MonitoringResult:
    r"""Compare monitoring results with the certified value (ERM Application Note 1 (2010); ISO Guide 35:2017, clause 8).

    Parameters
    ----------
    certified_value, u_c : float
        mu_c and its standard uncertainty (u_CRM).
    measured, u_m : float or sequence
        Monitoring results and their standard uncertainties (a scalar u_m applies to all).
    k : float
        Coverage factor (2).
    U, u_m_source : optional
        The certified value's expanded uncertainty and where u_m comes from (recorded only).

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
    U_d = kk * np.sqrt(uc**2 + um**2)
    passed = np.abs(d) <= U_d
    notes = (
        []
        if passed.all()
        else [
            f"{int((~passed).sum())} of {x.size} results differ from the "
            "certified value by more than U_d: investigate the stability"
        ]
    )
    return MonitoringResult(
        analyte=str(analyte),
        certified_value=mc,
        u_c=uc,
        k=kk,
        n_points=int(x.size),
        measured=tuple(x.tolist()),
        u_m=tuple(um.tolist()),
        d=tuple(d.tolist()),
        U_d=tuple(U_d.tolist()),
        passed=tuple(bool(p) for p in passed),
        all_passed=bool(passed.all()),
        U=float(U),
        u_m_source=str(u_m_source),
        notes=tuple(notes),
        clauses=CLAUSES,
    )


def monitoring_interval_check(
    certified_value: float,
    U: float,
    measured,
    *,
    u_c: float = float("nan"),
    k: float = float("nan"),
    analyte: str = "",
) -> MonitoringResult:
    r"""Each monitoring result against the certified interval x_c +- U only (ISO Guide 35:2017, 8.9).

    Parameters
    ----------
    certified_value, U : float
        x_c and its expanded uncertainty.
    measured : sequence of float
        Monitoring results, which carry no stated uncertainty.
    u_c, k : float, optional
        The certified value's standard uncertainty and coverage factor (recorded only).

    Returns
    -------
    MonitoringResult
        ``check = "certified-interval"``, ``U_d = U`` for every result, ``u_m`` NaN.

    Notes
    -----
    .. math::  |x_m - x_c| \le U

    A weaker check than ERM Application Note 1: it leaves out u_m, so the limit is narrower than
    k sqrt(u_c^2 + u_m^2) and a result outside it is not by itself evidence of instability, while a
    result inside it says nothing about the measurement's own uncertainty. The result's notes say so.

    Validated by hand: ``tests/test_monitoring_ecerto.py``.
    """
    mc = float(_checks.require_finite_array([certified_value], what="certified_value")[0])
    UU = float(_checks.require_positive_array([U], what="U")[0])
    x = np.atleast_1d(_checks.require_finite_array(measured, what="measured"))
    d = x - mc
    passed = np.abs(d) <= UU
    notes = [
        "weaker check: each result is compared with the certified value ± U only; the monitoring "
        "results carry no standard uncertainty, so their own uncertainty is ignored "
        "(ERM Application Note 1 would compare |x_m − x_c| with k·√(u_c² + u_m²))"
    ]
    if not passed.all():
        notes.append(
            f"{int((~passed).sum())} of {x.size} results lie outside the certified value ± U: investigate the stability"
        )
    return MonitoringResult(
        analyte=str(analyte),
        certified_value=mc,
        u_c=float(u_c),
        k=float(k),
        n_points=int(x.size),
        measured=tuple(x.tolist()),
        u_m=tuple([math.nan] * x.size),
        d=tuple(d.tolist()),
        U_d=tuple([UU] * x.size),
        passed=tuple(bool(p) for p in passed),
        all_passed=bool(passed.all()),
        check="certified-interval",
        U=UU,
        u_m_source="none: the results carry no uncertainty",
        notes=tuple(notes),
        clauses=CHECK_CLAUSES,
    )


def monitoring_trend(
    time, measured, certified_value: float, U: float, *, level: float = 0.95, analyte: str = ""
) -> MonitoringTrendResult:
    r"""eCerto's LTS evaluation: regression on time and the time the line leaves x_c +- U (ISO Guide 35:2017, 8.9 and B.3).

    Parameters
    ----------
    time : sequence of float
        Months since the first monitoring result.
    measured : sequence of float
        The monitoring results.
    certified_value, U : float
        x_c and the expanded uncertainty U of the certified value.
    level : float
        Coverage of the confidence band for ``t_exit_ci95`` (0.95).

    Returns
    -------
    MonitoringTrendResult

    Notes
    -----
    As eCerto's ``plot_lts_data``: the least-squares line y = b0 + b1 t is moved to start at the
    certified value (b0' = x_c, eCerto's "adjusted" data), and

    .. math::  t_{exit} = U / |b_1|

    is the time at which that line reaches x_c +- U (eCerto's report prints
    :math:`\lceil t_{exit} \rceil` months). The more cautious ``t_exit_ci95`` is the first t >= 0 at
    which the confidence band of the moved line, x_c + b1 t +- t_{0.975, n-2} s
    sqrt(1/n + (t - \bar t)^2 / S_tt), reaches x_c +- U (eCerto's "use CI95" option, which reads it
    off a half-month grid; here it is solved exactly). eCerto converts days at 30.41667 d per
    month in this module; rmwork uses 30.4375 d (365.25/12) throughout, 0.06 % apart.

    Validated against numpy.polyfit on eCerto's example file: ``tests/test_monitoring_ecerto.py``.
    """
    t = np.atleast_1d(_checks.require_finite_array(time, what="time"))
    y = np.atleast_1d(_checks.require_finite_array(measured, what="measured"))
    _checks.require_same_length(t, y, names=("time", "measured"))
    mc = float(_checks.require_finite_array([certified_value], what="certified_value")[0])
    UU = float(_checks.require_positive_array([U], what="U")[0])
    notes: list[str] = []
    core = _ols_core(t, y)
    b1, se, dof = core["b1"], core["se_b1"], core["dof"]
    p = float(2 * stats.t.sf(abs(b1) / se, dof)) if se > 0 else math.nan
    if b1 == 0:
        t_exit = math.inf
        notes.append("the slope is exactly 0: the line never leaves the certified value ± U")
    else:
        t_exit = UU / abs(b1)
    q = float(stats.t.ppf(0.5 + level / 2, dof))
    s = math.sqrt(core["s2"])

    def edge(tt: float) -> float:
        return (
            abs(b1) * tt
            + q * s * math.sqrt(1 / core["n"] + (tt - core["t_mean"]) ** 2 / core["ss_time"])
            - UU
        )

    t_ci = _first_crossing(edge, 0.0, abs(b1) + q * s / math.sqrt(core["ss_time"]))
    if t_ci == 0.0:
        notes.append("the confidence band of the line is wider than ± U already at the first result")
    t_obs = float(t.max() - t.min())
    if math.isfinite(t_exit) and t_exit > t_obs:
        notes.append(
            f"t_exit = {t_exit:.4g} months lies beyond the monitoring data ({t_obs:.4g} months): an extrapolation"
        )
    return MonitoringTrendResult(
        analyte=str(analyte),
        n_points=int(core["n"]),
        dof=int(dof),
        slope=b1,
        se_slope=se,
        intercept=core["b0"],
        p_value=p,
        residual_sd=s,
        certified_value=mc,
        U=UU,
        time_max_observed=t_obs,
        t_exit=t_exit,
        t_exit_months=float(math.ceil(t_exit)) if math.isfinite(t_exit) else math.inf,
        t_exit_ci95=t_ci,
        time=tuple(t.tolist()),
        notes=tuple(notes),
        clauses=CHECK_CLAUSES,
    )
