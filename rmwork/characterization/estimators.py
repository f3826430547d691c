"""Consensus value and u_char from laboratory results (ISO Guide 35:2017, 9.3-9.5; JJF 1343-2022, 6.3).

One short pure function per estimator, ``_fit_<method>``, picked by name from :data:`FITS`
(as arviz-stats picks ``_rhat_<method>``): mean of laboratory means, weighted mean,
DerSimonian-Laird, Paule-Mandel, hierarchical Bayes (Gaussian or Laplace laboratory effects,
via :mod:`rmwork.bayes`) and the linear opinion pool of the NIST Consensus Builder (Koepke et
al. 2017). For the two random-effects estimators the way u and the interval are obtained is an
explicit choice, ``interval``, again one function per choice (:data:`INTERVALS`).
Compute only: no rounding, no plotting, no file reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .. import _checks, outliers
from ..errors import InputError
from ..results import ConfidenceInterval, Result
from .labs import LabSummary, _norm_include, naming
from .methods import (
    ALPHA_Q,
    BAYES,
    CLAUSES,
    DOF_INFINITE,
    INTERVAL_CHOICES,
    METHOD_CLAUSES,
    METHODS,
    N_BOOT,
    N_POOL,
    PHI_A,
    PHI_B,
    RANDOM_EFFECTS,
)


def _dl_core(x: np.ndarray, u: np.ndarray):
    """DerSimonian-Laird along the last axis: (mu, tau2, Q, sum of weights)."""
    w0 = 1.0 / u**2
    s1 = w0.sum(-1)
    xw = (w0 * x).sum(-1) / s1
    q = (w0 * (x - xw[..., None]) ** 2).sum(-1)
    c = s1 - (w0**2).sum(-1) / s1
    tau2 = np.maximum(0.0, (q - (x.shape[-1] - 1)) / c)  # DL (1986): truncate at zero
    w = 1.0 / (u**2 + tau2[..., None])
    return (w * x).sum(-1) / w.sum(-1), tau2, q, w.sum(-1)


def _pm_core(x: np.ndarray, u: np.ndarray):
    """Paule-Mandel: tau2 solves sum w (x - mu)^2 = p - 1, w = 1/(u^2 + tau2)."""
    p = len(x)

    def f(t2):
        w = 1.0 / (u**2 + t2)
        m = (w * x).sum() / w.sum()
        return float((w * (x - m) ** 2).sum() - (p - 1))

    if f(0.0) <= 0:
        tau2 = 0.0
    else:
        hi = max(float(np.var(x, ddof=1)), float(np.max(u**2)), 1e-300)
        while f(hi) > 0:
            hi *= 4
        tau2 = optimize.brentq(f, 0.0, hi, xtol=1e-15 * hi, rtol=1e-15, maxiter=500)
    w = 1.0 / (u**2 + tau2)
    return float((w * x).sum() / w.sum()), tau2, float(w.sum())


def _sample_tau2(x, u, size, rng):
    """NICOB sampleFromTau2Dist: tau2 via a gamma approximation to Cochran's Q (Biggerstaff &
    Tweedie 1997, Formulas (5) and (7)), fitted at the untruncated moment estimate."""
    w = 1.0 / u**2
    s1, s2, s3 = w.sum(), (w**2).sum(), (w**3).sum()
    p = len(x)
    c = s1 - s2 / s1
    xw = (w * x).sum() / s1
    q = (w * (x - xw) ** 2).sum()
    t2m = (q - (p - 1)) / c
    e_q = (p - 1) + c * t2m
    v_q = 2 * (p - 1) + 4 * c * t2m + 2 * (s2 - 2 * s3 / s1 + s2**2 / s1**2) * t2m**2
    if not (v_q > 0 and e_q > 0):
        return np.full(size, max(0.0, t2m))
    qs = rng.gamma(e_q**2 / v_q, v_q / e_q, size)
    return np.maximum(0.0, (qs - (p - 1)) / c)


def _scaled_t(nu: np.ndarray, rng, shape) -> np.ndarray:
    """Student t draws scaled to unit SD (NICOB: factor phi for nu <= 2); normal for nu infinite."""
    nu = np.broadcast_to(nu, shape)
    finite = nu <= DOF_INFINITE
    out = rng.standard_normal(shape)
    if finite.any():
        nf = nu[finite]
        phi = np.where(
            nf > 2,
            np.sqrt(nf / np.where(nf > 2, nf - 2, 1.0)),
            1.5 * (1 - 0.75 * (PHI_A - 4 * PHI_B * (nf**-0.75 - 1) / 3)) ** (-4 / 3),
        )
        out[finite] = rng.standard_t(nf) / phi
    return out


def _dl_bootstrap(x, u, dof, mu, n_boot, rng, *, return_x=False):
    """NICOB bootDL: tau2* from the approximate distribution, x* ~ N(mu, tau2* + u^2),
    u* = u sqrt(nu/chi2_nu) (labs with finite dof), mu* = DL(x*, u*)."""
    p = len(x)
    tau2b = _sample_tau2(x, u, n_boot, rng)
    xb = mu + rng.standard_normal((n_boot, p)) * np.sqrt(tau2b[:, None] + u**2)
    finite = dof <= DOF_INFINITE
    ub = np.broadcast_to(u, (n_boot, p)).copy()
    if finite.any():
        ub[:, finite] = u[finite] * np.sqrt(dof[finite] / rng.chisquare(dof[finite], (n_boot, finite.sum())))
    mub = _dl_core(xb, ub)[0]
    return (mub, xb, tau2b) if return_x else mub


def _pool_sample(x, u, dof, m, rng):
    """NICOB linearOP with equal weights: a lab drawn at random, then x_j + u_j t_nu/phi."""
    idx = rng.integers(0, len(x), m)
    return x[idx] + u[idx] * _scaled_t(dof[idx], rng, (m,))


def _half_width(draws, center, level):
    """NICOB symmetricalBootstrapCI: smallest h with P(|draw - center| <= h) >= level."""
    return float(np.quantile(np.abs(draws - center), level, method="inverted_cdf"))


# ---------------------------------------------------------------------------------------------
# consensus


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsensusResult(Result):
    """Consensus value of laboratory results and its standard uncertainty (ISO Guide 35:2017, 9.5)."""

    analyte: str = ""
    unit_of_measure: str = ""
    method: str
    value: float
    u: float  # standard uncertainty of the consensus value (u_char)
    tau: float  # between-laboratory SD (dark uncertainty); NaN if not modelled
    ci95: ConfidenceInterval  # 95 % interval
    ci: ConfidenceInterval  # interval at ``coverage``
    coverage: float
    dof: float  # degrees of freedom of u (inf: normal)
    n_labs: int  # labs in the value
    labs: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...] = ()
    weights: tuple[float, ...] = ()  # normalised weights of the included labs (NaN where undefined)
    q_statistic: float = math.nan
    q_dof: int = 0
    q_p_value: float = math.nan
    i2: float = math.nan
    u_closed_form: float = math.nan  # (sum w)^-1/2 (weighted, DL, PM) or s/sqrt(p) (mean)
    u_method: str = ""  # how u and the interval were obtained
    dof_source: str = ""  # in words: where dof (or k) comes from
    interval: str = ""  # random-effects estimators: the choice of INTERVALS used
    interval_reason: str = ""  # why that choice (the default, or the lot's key)
    k: float = math.nan  # coverage factor of ``ci``: its half-width / u
    kh_factor: float = math.nan  # Knapp-Hartung variance factor q (before truncation at 1)
    knapp_hartung: bool = False
    n_boot: int = 0  # bootstrap / pool sample size (0: none)
    seed: int | None = None
    diagnostics_passed: bool | None = None  # Bayesian methods: the MCMC gate
    bayes_summary: Mapping | None = None
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _draws: object = field(
        default=None, repr=False, compare=False
    )  # bootstrap / pool / posterior draws of mu
    _data: object = field(default=None, repr=False, compare=False)  # dict of included x, u, dof
    _fit: object = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        unit = f" {self.unit_of_measure}" if self.unit_of_measure else ""
        who = f"{self.analyte}: " if self.analyte else ""
        return (
            f"ConsensusResult {who}{self.method}, {self.value:.6g}{unit}, u = {self.u:.3g}{unit}, "
            f"95 % [{self.ci95.low:.6g}, {self.ci95.high:.6g}], k = {self.k:.3g}, {self.n_labs} labs; "
            f"{self.dof_source}"
        )

    def confidence_interval(self, level: float = 0.95) -> ConfidenceInterval:
        """Interval at ``level`` from the same draws or distribution as ``ci``."""
        level = _checks.require_level(level, "level")
        return _interval(self.u_method, self.value, self.u, self.dof, self._draws, level)


def _interval(u_method, value, u, dof, draws, level) -> ConfidenceInterval:
    if u_method == "bootstrap":
        h = _half_width(draws, value, level)
        return ConfidenceInterval(value - h, value + h)
    if u_method in ("mixture", "posterior"):
        lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
        return ConfidenceInterval(float(lo), float(hi))
    q = stats.t.ppf((1 + level) / 2, dof) if math.isfinite(dof) else stats.norm.ppf((1 + level) / 2)
    return ConfidenceInterval(value - float(q) * u, value + float(q) * u)


def _inputs(values, u, dof, labs, include, *, need_u: bool):
    """All-lab arrays, validated: dict(x, u, dof, labs, include, excluded, where, summary)."""
    summary = values if isinstance(values, LabSummary) else None
    excluded: list[tuple[str, str]] = []
    where = None
    if summary is not None:
        x = np.asarray(summary.value, float)
        u = np.asarray(summary.u, float)
        dof = np.asarray(summary.dof, float)
        labs, include = list(summary.lab), np.asarray(summary.include, bool)
        excluded = list(summary.excluded)
        where = summary._where
    else:
        x = (
            np.asarray(values, dtype=float).ravel()
            if not isinstance(values, pd.Series)
            else values.to_numpy(float)
        )
        if labs is None and isinstance(values, pd.Series) and not isinstance(values.index, pd.RangeIndex):
            labs = [str(i) for i in values.index]
    p_all = len(x)
    labs = [f"L{i + 1}" for i in range(p_all)] if labs is None else [str(v) for v in labs]
    if len(labs) != p_all:
        raise ValueError(f"`labs` must have {p_all} entries, got {len(labs)}")
    _checks.require_unique_labels(labs, where=where)
    x = _checks.require_lab_finite(x, labs, what="value", where=where)
    if u is None:
        if need_u:
            raise InputError(
                "this estimator needs the labs' standard uncertainties u",
                file=where,
                hint="give u, or use method='mean'",
            )
        uu = np.full(p_all, np.nan)
    else:
        uu = np.asarray(u, dtype=float).ravel()
        if len(uu) != p_all:
            raise ValueError(f"`u` must have {p_all} entries, got {len(uu)}")
    if dof is None:
        dd = np.full(p_all, np.inf)
    else:
        dd = np.asarray(dof, dtype=float).ravel()
        if len(dd) != p_all:
            raise ValueError(f"`dof` must have {p_all} entries, got {len(dd)}")
        dd = np.where(np.isnan(dd), np.inf, dd)
        dd = _checks.require_lab_positive(dd, labs, what="dof", where=where, allow_inf=True)
    if include is None:
        inc = np.ones(p_all, bool)
    else:
        inc = np.array([_norm_include(v) for v in np.asarray(include, dtype=object).ravel()])
        if len(inc) != p_all:
            raise ValueError(f"`include` must have {p_all} entries, got {len(inc)}")
        known = {name for name, _ in excluded}
        excluded += [(name, "include = no") for name, f in zip(labs, inc) if not f and name not in known]
    if u is not None:
        # u > 0 for the labs in the value; an excluded lab only needs a u its DoE can use (>= 0)
        _checks.require_lab_positive(uu[inc], [n for n, f in zip(labs, inc) if f], what="u", where=where)
        _checks.require_lab_positive(
            np.where(uu[~inc] == 0, 1.0, uu[~inc]),
            [n for n, f in zip(labs, inc) if not f],
            what="u",
            where=where,
        )
    return dict(x=x, u=uu, dof=dd, labs=labs, include=inc, excluded=excluded, where=where, summary=summary)


# ---------------------------------------------------------------------------------------------
# one function per estimator


@dataclass(slots=True, kw_only=True)
class _Fit:
    """What one estimator returns to :func:`consensus` (internal)."""

    value: float
    u: float
    weights: np.ndarray
    tau: float = math.nan
    tau2: float = math.nan  # kept unrounded: tau**2 need not give back tau2's last bit
    dof: float = math.inf
    u_closed_form: float = math.nan
    u_method: str = "closed form"
    dof_source: str = ""
    kh_factor: float = math.nan
    draws: object = None
    n_draws: int = 0
    notes: list = field(default_factory=list)
    clauses: dict = field(default_factory=dict)
    fit: object = None
    diagnostics_passed: bool | None = None
    bayes_summary: Mapping | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    """Settings and Cochran's Q shared by the estimators (internal)."""

    q: float
    q_p: float
    seed: int | None
    rng: object
    interval: str
    interval_reason: str | None
    n_boot: int
    n_pool: int
    bayes_settings: object
    labs: list


def _fit_mean(x, u, dof, ctx) -> _Fit:
    """Mean of laboratory means, u = s/sqrt(p), t on p - 1 (ISO Guide 35:2017, 9.5.2)."""
    p = len(x)
    u_out = float(np.std(x, ddof=1)) / math.sqrt(p)
    notes = [
        "mean of laboratory means: u = s/sqrt(p), t on p - 1 degrees of freedom; "
        "the labs' own uncertainties are not used"
    ]
    if u_out == 0:
        notes.append("all laboratory means are equal: u = 0")
    return _Fit(
        value=float(np.mean(x)),
        u=u_out,
        u_closed_form=u_out,
        dof=float(p - 1),
        weights=np.full(p, 1.0 / p),
        notes=notes,
        dof_source=f"ν = p − 1 = {p - 1}: mean of {p} laboratory means, u = s/√p (ISO Guide 35:2017, 9.5.2)",
    )


def _fit_weighted_mean(x, u, dof, ctx) -> _Fit:
    """Weighted mean with Welch-Satterthwaite dof from the labs' dof (ISO Guide 35:2017, 9.5.3; GUM G.4.1)."""
    w = 1.0 / u**2
    u_out = float(w.sum() ** -0.5)
    weights = w / w.sum()
    out = _Fit(value=float((w * x).sum() / w.sum()), u=u_out, u_closed_form=u_out, tau=0.0, weights=weights)
    finite = np.isfinite(dof)
    if finite.any():
        terms = np.where(finite, (weights * u) ** 4 / np.where(finite, dof, 1.0), 0.0)
        out.dof = float(u_out**4 / terms.sum())
        out.notes.append(f"degrees of freedom by Welch-Satterthwaite (GUM G.4.1): {out.dof:.4g}")
        out.dof_source = (
            f"ν_eff = {out.dof:.4g}: Welch–Satterthwaite from the laboratories' ν_j "
            "(GUM G.4.1); labs without ν_j count as ν_j = ∞"
        )
    else:
        out.dof_source = (
            "ν = ∞: u = (Σ 1/u_j²)^−1/2 rests on the laboratories' stated uncertainties, "
            "none of which gives degrees of freedom (ISO Guide 35:2017, 9.5.3)"
        )
    if ctx.q_p < ALPHA_Q:
        out.notes.append(
            f"Cochran's Q p = {ctx.q_p:.3g} < {ALPHA_Q}: the labs are mutually "
            "inconsistent and the weighted mean understates u; consider "
            "dersimonian-laird or a Bayesian model"
        )
    return out


def _fit_dersimonian_laird(x, u, dof, ctx) -> _Fit:
    """DerSimonian-Laird moment estimate of tau^2 (DerSimonian & Laird 1986)."""
    mu, tau2, _, wsum = (float(v) for v in _dl_core(x, u))
    out = _random_effects(x, u, mu, tau2, wsum)
    if tau2 == 0:
        out.notes.append(
            f"Q = {ctx.q:.4g} <= p - 1 = {len(x) - 1}: tau = 0, dersimonian-laird equals the weighted mean"
        )
    return INTERVALS[ctx.interval](out, x, u, dof, ctx, "dersimonian-laird")


def _fit_paule_mandel(x, u, dof, ctx) -> _Fit:
    """Paule-Mandel estimate of tau^2 (Paule & Mandel 1982)."""
    mu, tau2, wsum = _pm_core(x, u)
    out = _random_effects(x, u, mu, tau2, wsum)
    if tau2 == 0:
        out.notes.append(
            "sum of weighted squared deviations <= p - 1 at tau = 0: tau = 0, "
            "Paule-Mandel equals the weighted mean"
        )
    return INTERVALS[ctx.interval](out, x, u, dof, ctx, "paule-mandel")


def _random_effects(x, u, mu, tau2, wsum) -> _Fit:
    w = 1.0 / (u**2 + tau2)
    return _Fit(
        value=mu, tau=math.sqrt(tau2), tau2=tau2, u=wsum**-0.5, u_closed_form=wsum**-0.5, weights=w / w.sum()
    )


def _fit_linear_pool(x, u, dof, ctx) -> _Fit:
    """Equal-weight linear opinion pool of the labs' t distributions (NICOB; Toman 2007)."""
    p = len(x)
    draws = _pool_sample(x, u, dof, ctx.n_pool, ctx.rng)
    return _Fit(
        value=float(np.mean(draws)),
        u=float(np.std(draws, ddof=1)),
        u_method="mixture",
        draws=draws,
        n_draws=ctx.n_pool,
        weights=np.full(p, 1.0 / p),
        notes=[
            f"linear pool of {p} labs with equal weights, {ctx.n_pool} draws (seed {ctx.seed}); "
            "interval from the 2.5 % and 97.5 % quantiles"
        ],
        dof_source=(
            "no ν: u and the 95 % interval from the 2.5 % and 97.5 % quantiles of the "
            f"linear pool ({ctx.n_pool} draws), as NICOB reports them; k = half-width/u"
        ),
    )


def _fit_bayes(x, u, dof, ctx, effects: str) -> _Fit:
    """Posterior mean and SD of mu in NICOB's hierarchical model (Koepke et al. 2017)."""
    from .. import bayes  # heavy (PyMC): imported only when a Bayesian method is asked for

    fit = bayes.hierarchical(
        x,
        u,
        None if np.isinf(dof).all() else dof,
        effects=effects,
        seed=ctx.seed,
        settings=ctx.bayes_settings,
        labs=ctx.labs,
    )
    smu = fit.summary["mu"]
    tau = float(fit.summary["tau"]["mean"])
    draws = np.asarray(fit.draws["mu"], dtype=float).ravel()
    diag = bool(fit.diagnostics.passed)
    notes = [f"posterior mean and SD of mu; tau is the posterior mean ({effects} laboratory effects)"]
    if not diag:
        notes.extend(str(m) for m in fit.diagnostics.messages)
        notes.append("MCMC diagnostics failed: not for the certificate")
    w = 1.0 / (u**2 + tau**2)
    return _Fit(
        value=float(smu["mean"]),
        u=float(smu["sd"]),
        tau=tau,
        u_method="posterior",
        draws=draws,
        n_draws=int(draws.size),
        weights=w / w.sum(),  # approximate weights
        notes=notes,
        fit=fit,
        diagnostics_passed=diag,
        dof_source=(
            "no ν: k and U from the posterior 95 % interval of μ (equal-tailed), as NICOB "
            "reports them; k = half-width/u"
        ),
        bayes_summary={"mu": dict(smu), "tau": dict(fit.summary["tau"])},
    )


def _fit_bayes_gauss(x, u, dof, ctx) -> _Fit:
    """Hierarchical Bayes with Gaussian laboratory effects (NICOB; Koepke et al. 2017)."""
    return _fit_bayes(x, u, dof, ctx, "gauss")


def _fit_bayes_laplace(x, u, dof, ctx) -> _Fit:
    """Hierarchical Bayes with Laplace laboratory effects (NICOB; Koepke et al. 2017)."""
    return _fit_bayes(x, u, dof, ctx, "laplace")


FITS = {
    "mean": _fit_mean,
    "weighted-mean": _fit_weighted_mean,
    "dersimonian-laird": _fit_dersimonian_laird,
    "paule-mandel": _fit_paule_mandel,
    "bayes-gauss": _fit_bayes_gauss,
    "bayes-laplace": _fit_bayes_laplace,
    "linear-pool": _fit_linear_pool,
}
assert tuple(FITS) == METHODS


# ---------------------------------------------------------------------------------------------
# u and the interval of a random-effects estimate: one function per choice


def _kh(out: _Fit, x, u, truncate: bool) -> _Fit:
    w = 1.0 / (u**2 + out.tau2)
    p = len(x)
    q = float((w * (x - out.value) ** 2).sum()) / (p - 1)
    out.kh_factor = q
    out.u = math.sqrt((max(q, 1.0) if truncate else q) / float(w.sum()))
    out.dof, out.u_method = float(p - 1), "knapp-hartung"
    return out


def _u_knapp_hartung(out: _Fit, x, u, dof, ctx, method) -> _Fit:
    """Knapp & Hartung (2003) with the variance factor truncated at 1 (Röver, Knapp & Friede 2015).

    u^2 = max(1, q) / sum w, q = sum w (x - mu)^2 / (p - 1), t on p - 1: the interval is never
    narrower than the plain (sum w)^-1/2 one (metafor ``test="adhoc"``).
    """
    out = _kh(out, x, u, truncate=True)
    q, p = out.kh_factor, len(x)
    out.clauses["u"] = (
        "Knapp & Hartung (2003), variance factor truncated at 1 (Röver, Knapp & Friede, "
        "BMC Med Res Methodol 15 (2015) 99): u^2 = max(1, q)/sum w, t on p - 1"
    )
    out.dof_source = (
        f"ν = p − 1 = {p - 1}: Knapp–Hartung with t on p − 1 laboratories; variance factor "
        f"q = {q:.4g}"
        + (" < 1, truncated at 1: u is the plain (Σw)^−1/2" if q < 1 else " ≥ 1: u = √q·(Σw)^−1/2")
        + " (Röver, Knapp & Friede 2015)"
    )
    return out


def _u_knapp_hartung_untruncated(out: _Fit, x, u, dof, ctx, method) -> _Fit:
    """Knapp & Hartung (2003) as published: u^2 = q / sum w, t on p - 1 (may be narrower than plain)."""
    out = _kh(out, x, u, truncate=False)
    q, p = out.kh_factor, len(x)
    out.clauses["u"] = "Knapp & Hartung (2003): u^2 = sum w (x - mu)^2 / ((p-1) sum w), t on p-1"
    out.dof_source = (
        f"ν = p − 1 = {p - 1}: Knapp–Hartung with t on p − 1 laboratories, variance factor "
        f"q = {q:.4g} not truncated" + (" (the interval is narrower than the plain one)" if q < 1 else "")
    )
    return out


def _u_bootstrap(out: _Fit, x, u, dof, ctx, method) -> _Fit:
    """NICOB's parametric bootstrap of DerSimonian-Laird (Koepke et al. 2017, A.2)."""
    if method != "dersimonian-laird":
        raise InputError(
            f"NICOB's bootstrap is defined for dersimonian-laird, not for {method}",
            key="characterization.interval",
            hint="use knapp-hartung or normal",
        )
    out.draws = draws = _dl_bootstrap(x, u, dof, out.value, ctx.n_boot, ctx.rng)
    out.u, out.u_method, out.n_draws = float(np.std(draws, ddof=1)), "bootstrap", ctx.n_boot
    out.clauses["u"] = "NICOB parametric bootstrap (Koepke et al. 2017, A.2); symmetric interval"
    out.notes.append(
        f"u and the interval from NICOB's parametric bootstrap ({ctx.n_boot} replicates, "
        f"seed {ctx.seed}); closed-form (sum w)^-1/2 = {out.u_closed_form:.6g}"
    )
    out.dof_source = (
        "no ν: u and the symmetric 95 % interval from NICOB's parametric bootstrap "
        f"({ctx.n_boot} replicates); k = half-width/u"
    )
    return out


def _u_normal(out: _Fit, x, u, dof, ctx, method) -> _Fit:
    """Closed form u = (sum w)^-1/2 with a normal interval (DerSimonian & Laird 1986)."""
    out.dof_source = "ν = ∞: normal interval with u = (Σw)^−1/2 (the uncertainty of τ is not included)"
    return out


INTERVALS = {
    "knapp-hartung": _u_knapp_hartung,
    "knapp-hartung-untruncated": _u_knapp_hartung_untruncated,
    "normal": _u_normal,
    "bootstrap": _u_bootstrap,
}
assert tuple(INTERVALS) == INTERVAL_CHOICES
DEFAULT_INTERVAL = "knapp-hartung"
_DEFAULT_REASON = (
    "default: Knapp–Hartung with t on p − 1, variance factor truncated at 1, so that the "
    "interval is never narrower than the plain one (Röver, Knapp & Friede 2015)"
)


def _resolve_interval(method, interval, knapp_hartung, bootstrap, reason) -> tuple[str, str]:
    """The interval choice of a random-effects estimate and the sentence that says why."""
    if interval is not None:
        _checks.require_choice(interval, tuple(INTERVALS), thing="interval", key="characterization.interval")
        if interval == "bootstrap" and method != "dersimonian-laird":
            raise InputError(
                f"NICOB's bootstrap is defined for dersimonian-laird, not for {method}",
                key="characterization.interval",
                hint="use knapp-hartung or normal",
            )
        if interval == DEFAULT_INTERVAL:
            return interval, reason or _DEFAULT_REASON
        return interval, (
            f"interval '{interval}' chosen by the lot (characterization.interval)"
            + (f": {reason}" if reason else "; no reason given")
        )
    if bootstrap is True and method == "dersimonian-laird" and not knapp_hartung:
        return "bootstrap", "bootstrap=True: NICOB's parametric bootstrap asked for"
    if bootstrap is False and not knapp_hartung:
        return "normal", "bootstrap=False: u = (sum w)^-1/2 (closed form) and a normal interval"
    return DEFAULT_INTERVAL, _DEFAULT_REASON


def _k(f: _Fit, ci: ConfidenceInterval, coverage: float) -> float:
    """Coverage factor of ``ci``: the t or normal quantile, or the half-width of the draws' interval / u."""
    if f.u_method in ("bootstrap", "mixture", "posterior"):
        return (ci.high - ci.low) / (2 * f.u) if f.u > 0 else math.nan
    q = (1 + coverage) / 2
    return float(stats.t.ppf(q, f.dof) if math.isfinite(f.dof) else stats.norm.ppf(q))


# ---------------------------------------------------------------------------------------------
# the public function


def consensus(
    values,
    u=None,
    dof=None,
    method: str = "dersimonian-laird",
    seed: int | None = None,
    *,
    labs=None,
    include=None,
    coverage: float = 0.95,
    interval: str | None = None,
    interval_reason: str = "",
    knapp_hartung: bool = False,
    bootstrap: bool | None = None,
    n_boot: int = N_BOOT,
    n_pool: int = N_POOL,
    bayes_settings=None,
    analyte: str = "",
    unit_of_measure: str = "",
) -> ConsensusResult:
    r"""Consensus value, u_char and 95 % interval from laboratory results (ISO Guide 35:2017, 9.5).

    Parameters
    ----------
    values : array_like or LabSummary
        Laboratory values x_j, or a :func:`lab_summary` result (then ``u``, ``dof``, ``labs`` and
        ``include`` come from it).
    u : array_like
        Standard uncertainties u_j (not needed for ``method="mean"``).
    dof : array_like, optional
        Degrees of freedom of u_j; missing or NaN means infinitely many.
    method : str
        One of ``mean``, ``weighted-mean``, ``dersimonian-laird``, ``paule-mandel``,
        ``bayes-gauss``, ``bayes-laplace``, ``linear-pool``.
    seed : int, optional
        Seed of every random draw (``numpy.random.default_rng(seed)``; the MCMC seed for Bayes).
        Required by the bootstrap, the linear pool and the Bayesian methods.
    labs, include : sequence, optional
        Laboratory names, and yes/no (or bool) per lab: labs with no are kept out of the value.
    coverage : float
        Level of ``ci`` (``ci95`` is always the 95 % interval).
    interval : str, optional
        DerSimonian-Laird / Paule-Mandel: how u and the interval are obtained, one of
        :data:`INTERVALS`: ``knapp-hartung`` (Knapp & Hartung 2003, t on p - 1 degrees of
        freedom), ``bootstrap`` (NICOB's parametric bootstrap using the labs' dof;
        DerSimonian-Laird only) or ``normal`` (closed form u = (sum w)^-1/2, normal interval).
        Without it the legacy flags below decide.
    knapp_hartung : bool
        Same as ``interval="knapp-hartung"``.
    bootstrap : bool or None
        DerSimonian-Laird without ``interval``: ``True`` is ``interval="bootstrap"``, ``False``
        is ``"normal"``; ``None`` runs the bootstrap when a seed is given and otherwise uses the
        closed form. The choice is recorded in ``u_method`` and ``notes``.
    n_boot, n_pool : int
        Bootstrap replicates and linear-pool sample size.
    bayes_settings : optional
        Sampler settings passed to :func:`rmwork.bayes.hierarchical`.

    Returns
    -------
    ConsensusResult
        ``value``, ``u``, ``tau``, ``ci95``, ``dof``, ``method``, ``n_labs``, Cochran's
        ``q_statistic``/``q_p_value`` and ``i2``, ``u_closed_form``, ``u_method``, ``notes``.

    Raises
    ------
    InputError
        Unknown method, fewer than 2 included labs, a non-finite value, u <= 0, dof <= 0 (the
        message names the lab), or a random method without a seed.

    Notes
    -----
    With :math:`w_j = 1/(u_j^2 + \tau^2)` the weighted estimators are
    :math:`\hat\mu = \sum w_j x_j / \sum w_j`, :math:`u = (\sum w_j)^{-1/2}`:

    - ``mean``: :math:`\bar x`, :math:`u = s/\sqrt p`, t on p - 1 degrees of freedom;
    - ``weighted-mean``: :math:`\tau = 0`; with lab dof, t on the Welch-Satterthwaite
      :math:`\nu_{eff} = u^4 / \sum_j (c_j u_j)^4/\nu_j`, :math:`c_j = w_j/\sum w`;
    - ``dersimonian-laird``: :math:`\tau^2 = \max(0, (Q - (p-1))/(S_1 - S_2/S_1))`,
      :math:`S_r = \sum u_j^{-2r}` (truncated at 0, then DL equals the weighted mean); u and the
      symmetric interval from NICOB's bootstrap (tau^2 drawn from the gamma approximation to Q,
      :math:`x_j^* \sim N(\hat\mu, \tau^{*2} + u_j^2)`, :math:`u_j^* = u_j\sqrt{\nu_j/\chi^2_{\nu_j}}`);
    - ``paule-mandel``: :math:`\tau^2` solves :math:`\sum w_j (x_j - \hat\mu)^2 = p - 1`;
    - ``linear-pool``: equal-weight mixture of :math:`x_j + u_j t_{\nu_j}/\phi_j` (Student t
      scaled to SD u_j; NICOB's :math:`\phi` for :math:`\nu \le 2`); value, u and the
      equal-tailed interval from ``n_pool`` draws;
    - ``bayes-gauss``/``bayes-laplace``: posterior mean, SD and equal-tailed interval of
      :math:`\mu` from :func:`rmwork.bayes.hierarchical`; ``tau`` is the posterior mean.

    :math:`Q = \sum u_j^{-2}(x_j - \hat x_w)^2` on p - 1 degrees of freedom and
    :math:`I^2 = \max(0, (Q-(p-1))/Q)` are reported for every method.

    Validated against NICOB PCB 28 (DL 33.6, u 0.77, (32.0, 35.2); linear pool 33.6, u 1.55),
    RF power (tau = 0, DL = weighted mean 0.819180), carotid stenosis, Pb in wine (mean of 9
    labs 2.99, U 0.0557) and Pb in solder: ``tests/test_characterization.py``.

    References
    ----------
    .. [1] ISO Guide 35:2017, Reference materials -- Guidance for characterization and
           assessment of homogeneity and stability, clause 9.
    .. [2] A. Koepke, T. Lafarge, A. Possolo, B. Toman, "Consensus building for interlaboratory
           studies, key comparisons, and meta-analysis", Metrologia 54 (2017) S34-S62,
           https://doi.org/10.1088/1681-7575/aa6c0e
    .. [3] R. DerSimonian, N. Laird, "Meta-analysis in clinical trials", Control. Clin. Trials 7
           (1986) 177-188, https://doi.org/10.1016/0197-2456(86)90046-2
    .. [4] R. C. Paule, J. Mandel, "Consensus values and weighting factors", J. Res. Natl. Bur.
           Stand. 87 (1982) 377-385, https://doi.org/10.6028/jres.087.022
    .. [5] G. Knapp, J. Hartung, "Improved tests for a random effects meta-regression with a
           single covariate", Stat. Med. 22 (2003) 2693-2710, https://doi.org/10.1002/sim.1482

    Examples
    --------
    NICOB PCB 28 (CCQM-K25), closed form:

    >>> from rmwork.testing import reference
    >>> d = reference("consensus_pcb28_ccqm_k25")
    >>> r = consensus(d["value"], d["u"], d["dof"], bootstrap=False, labs=d["lab"])
    >>> print(f"{r.value:.6f} {r.tau:.6f} {r.u:.6f}")
    33.600433 1.711415 0.744998
    """
    _checks.require_choice(method, METHODS, thing="method", key="characterization.method")
    _checks.require_level(coverage, "coverage")
    with naming(analyte or getattr(values, "analyte", "")):
        d = _inputs(values, u, dof, labs, include, need_u=method != "mean")
    if isinstance(values, LabSummary):
        analyte = analyte or values.analyte
        unit_of_measure = unit_of_measure or values.unit_of_measure
    inc = d["include"]
    x, uu, dd = d["x"][inc], d["u"][inc], d["dof"][inc]
    labs_in = [lab for lab, f in zip(d["labs"], inc) if f]
    p = len(x)
    loc = ", ".join(part for part in (d["where"], f"analyte '{analyte}'" if analyte else None) if part)
    _checks.require_at_least(
        p, 2, what="included laboratories", formula=f"consensus ({method})", where=loc or None
    )
    if bool(np.isfinite(uu).all()):
        qres = outliers.cochran_q(x, uu, labs_in)
        q, q_p, i2 = qres.statistic, qres.p_value, qres.i2
    else:
        q = q_p = i2 = math.nan
    if method in RANDOM_EFFECTS:
        choice, reason = _resolve_interval(method, interval, knapp_hartung, bootstrap, interval_reason)
    else:
        choice, reason = "", ""
    random_needed = method in ("linear-pool", *BAYES) or (method in RANDOM_EFFECTS and choice == "bootstrap")
    if random_needed and seed is None:
        raise InputError(
            f"consensus method '{method}' draws random numbers and needs a seed",
            key="seed",
            hint="set the lot's seed (or characterization.interval: knapp-hartung instead of the bootstrap)",
        )
    ctx = _Context(
        q=q,
        q_p=q_p,
        seed=seed,
        rng=np.random.default_rng(seed) if seed is not None else None,
        interval=choice,
        interval_reason=reason,
        n_boot=int(n_boot),
        n_pool=int(n_pool),
        bayes_settings=bayes_settings,
        labs=labs_in,
    )
    f = FITS[method](x, uu, dd, ctx)
    notes = f.notes
    if method in RANDOM_EFFECTS:
        notes.append(f"u and the interval: {reason}")
    elif interval is not None:
        notes.append(
            f"interval '{interval}' applies to dersimonian-laird and paule-mandel only; "
            f"{method} has its own basis (dof_source)"
        )
    if q_p < ALPHA_Q and method != "mean" and method != "weighted-mean":
        notes.append(
            f"Cochran's Q = {q:.4g} on {p - 1} dof (p = {q_p:.3g}), I² = {100 * i2:.3g} %: "
            "dark uncertainty is present"
        )
    interval_c = _interval(f.u_method, f.value, f.u, f.dof, f.draws, coverage)
    interval95 = _interval(f.u_method, f.value, f.u, f.dof, f.draws, 0.95)
    return ConsensusResult(
        analyte=str(analyte),
        unit_of_measure=str(unit_of_measure),
        method=method,
        value=float(f.value),
        u=float(f.u),
        tau=float(f.tau),
        ci95=interval95,
        ci=interval_c,
        coverage=float(coverage),
        dof=float(f.dof),
        n_labs=p,
        labs=tuple(labs_in),
        excluded=tuple(d["excluded"]),
        weights=tuple(float(v) for v in f.weights),
        q_statistic=float(q),
        q_dof=p - 1,
        q_p_value=float(q_p),
        i2=float(i2),
        u_closed_form=float(f.u_closed_form),
        u_method=f.u_method,
        dof_source=f.dof_source,
        interval=choice if method in RANDOM_EFFECTS else f.u_method,
        interval_reason=reason if method in RANDOM_EFFECTS else "",
        k=_k(f, interval_c, coverage),
        kh_factor=f.kh_factor,
        knapp_hartung=f.u_method == "knapp-hartung",
        n_boot=f.n_draws,
        seed=seed,
        diagnostics_passed=f.diagnostics_passed,
        bayes_summary=f.bayes_summary,
        notes=tuple(notes),
        clauses=dict(CLAUSES, method=METHOD_CLAUSES[method], **f.clauses),
        _draws=f.draws,
        _data={"x": x, "u": uu, "dof": dd},
        _fit=f.fit,
    )
