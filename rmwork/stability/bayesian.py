"""Bayesian sensitivity analysis of the long-term trend (ISO Guide 35:2017, 8.7.3; model in rmwork.bayes.linear_trend).

Compute only: no file reading, no plotting, no rounding.  PyMC is imported lazily.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..results import ConfidenceInterval, Result
from ._common import CLAUSES, _rel
from .trend import regression

# ---------------------------------------------------------------------------------------------
# Bayesian sensitivity analysis of the trend


@dataclass(frozen=True, slots=True, kw_only=True)
class BayesianTrendResult(Result):
    """Posterior of the slope propagated into u_lts (sensitivity analysis of ISO Guide 35:2017, 8.7.3)."""

    analyte: str = ""
    unit_of_measure: str = ""
    seed: int
    n_points: int
    time_mean: float  # time was centred on this before sampling
    slope_mean: float
    slope_sd: float
    slope_median: float
    slope_ci95: ConfidenceInterval  # equal-tailed 95 % credible interval
    intercept_mean: float  # at t = 0
    sigma_mean: float
    shelf_life: float | None
    drift_mean: float | None  # posterior mean of b1 t_shelf
    drift_ci95: ConfidenceInterval | None
    u_lts: float | None  # posterior SD of b1 t_shelf
    u_lts_rel: float | None
    slope_ols: float
    se_slope_ols: float
    u_lts_ols: float | None
    ratio_u_lts: float | None  # u_lts (Bayes) / u_lts (OLS)
    credible_excludes_zero: bool  # 0 outside slope_ci95
    diagnostics_passed: bool
    diagnostics_messages: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _fit: object = field(default=None, repr=False, compare=False)

    @property
    def fit(self):
        """The rmwork.bayes fit (draws, summary, diagnostics)."""
        return self._fit


def bayesian_trend(
    df: pd.DataFrame,
    time: str = "time",
    value: str = "value",
    shelf_life: float | None = None,
    *,
    seed: int,
    settings=None,
    use_means: bool = False,
    analyte: str = "",
    unit_of_measure: str = "",
    time_max: float | None = None,
    exclude: Mapping[float, str] | None = None,
    where: str | None = None,
) -> BayesianTrendResult:
    r"""Bayesian linear trend as a sensitivity analysis of u_lts (ISO Guide 35:2017, 8.7.3; model in rmwork.bayes.linear_trend).

    Parameters
    ----------
    df, time, value, shelf_life, use_means, analyte, unit_of_measure, time_max, exclude, where
        As in :func:`regression` (same validation, the same points fitted).
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
    ols = regression(
        df,
        time,
        value,
        shelf_life,
        use_means=use_means,
        analyte=analyte,
        unit_of_measure=unit_of_measure,
        time_max=time_max,
        exclude=exclude,
        where=where,
    )
    from .. import bayes  # lazily: PyMC is heavy and optional for the OLS path

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
        notes.append(
            "the sampler failed its diagnostic gate: the Bayesian u_lts is shown for "
            "information only and is not used on the certificate"
        )
    return BayesianTrendResult(
        analyte=ols.analyte,
        unit_of_measure=ols.unit_of_measure,
        seed=int(seed),
        n_points=ols.n_points,
        time_mean=ols.time_mean,
        slope_mean=float(b1.mean()),
        slope_sd=float(b1.std(ddof=1)),
        slope_median=float(q50),
        slope_ci95=ConfidenceInterval(float(q025), float(q975)),
        intercept_mean=float((a - b1 * ols.time_mean).mean()),
        sigma_mean=float(sigma.mean()),
        shelf_life=None if shelf_life is None else float(shelf_life),
        drift_mean=drift_mean,
        drift_ci95=drift_ci,
        u_lts=u_lts,
        u_lts_rel=u_rel,
        slope_ols=ols.slope,
        se_slope_ols=ols.se_slope,
        u_lts_ols=u_ols,
        ratio_u_lts=ratio,
        credible_excludes_zero=bool(q025 > 0 or q975 < 0),
        diagnostics_passed=passed,
        diagnostics_messages=tuple(str(m) for m in getattr(diag, "messages", ())),
        notes=tuple(notes),
        clauses=CLAUSES,
        _fit=fit,
    )
