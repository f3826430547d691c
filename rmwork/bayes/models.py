r"""Bayesian models of certification studies: build (``build_*`` -> ``pm.Model``) and fit.

* :func:`hierarchical` -- the NIST Consensus Builder (NICOB) hierarchical models of laboratory
  means, Gauss-Gauss and Laplace-Gauss (Koepke et al., Metrologia 54 (2017) S34);
* :func:`random_effects` -- the one-way random-effects model of a homogeneity study
  (ISO Guide 35:2017, clause 7 and Annex B), as a Bayesian sensitivity check of the ANOVA;
* :func:`linear_trend` -- the linear stability model (ISO Guide 35:2017, B.3) with weakly
  informative priors.

**Random effects are integrated out analytically.**  The laboratory effects
:math:`\lambda_j = \tau z_j` and the unit effects :math:`a_i = \sigma_{bb} z_i` are not sampled:
for Gaussian effects the marginal likelihood is Gaussian, for Laplace effects it is the closed-form
Laplace-Gauss convolution.  The posterior of the reported parameters (mu, tau, sigma_j;
mu, sigma_bb, sigma_w) is exactly that of the latent-effect model.  Reason (measured here with
nutpie, 4 x 2000 draws): the non-centred latent form still gave 1-154 divergent transitions on the
CCQM-K25 PCB 28 and USP <1010> data at target_accept 0.8-0.99, because informative laboratories
and units make the non-centred form the wrong one; the marginal form gave none.  As a bonus the
number of parameters no longer depends on the number of units, so one compiled model serves every
homogeneity study.

Every model works on data centred and scaled internally (numerical stability of the adaptation)
with the priors transformed exactly; draws are transformed back to the data's units.
Every datum is a ``pm.Data`` so that :mod:`rmwork.bayes.sampling` compiles each structure once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..errors import InputError
from ..results import ConfidenceInterval
from . import sampling
from .sampling import BayesFit, SamplerSettings

__all__ = [
    "hierarchical",
    "random_effects",
    "linear_trend",
    "HierarchicalFit",
    "RandomEffectsFit",
    "TrendFit",
    "build_hierarchical",
    "build_random_effects",
    "build_linear_trend",
    "EFFECTS",
]

EFFECTS = ("gauss", "laplace")  # NICOB "Hierarchical Gauss-Gauss" and "Hierarchical Laplace-Gauss"
MU_PRIOR_SD = 1e5  # NICOB bayesGelman.R / bayesLaplace.R: mu ~ dnorm(0, 1E-10) (JAGS precision) = N(0, 1e5^2)
N_PAD_MIN = 16  # labs are padded to 16, 32, 64, ...: one compiled model per size class
PRIOR_SD_FACTOR = (
    10.0  # weakly informative location priors: N(centre, (10 x data SD)^2) (Gelman et al. BDA3, 2.9)
)
LOG_2PI = math.log(2.0 * math.pi)


def _num(v: float) -> str:
    """Shortest round-trip text of a number (prior statements are hashed)."""
    return repr(float(v))


# =============================================================================================
# hierarchical model of laboratory means (NICOB)


def _laplace_gauss_logpdf(y, sigma, tau):
    r"""log density of Y = L + E, L ~ Laplace(0, b = tau / sqrt 2) (SD tau), E ~ N(0, sigma^2).

    .. math::

        f(y) = \frac{1}{4b} e^{-y^2/(2\sigma^2)}\,[\operatorname{erfcx}(a_1) + \operatorname{erfcx}(a_2)],
        \qquad a_{1,2} = (\sigma/b \mp y/\sigma)/\sqrt{2}

    (the convolution integral; erfcx(a) = exp(a^2) erfc(a)).  log erfcx is evaluated as
    a^2 + log erfc(a) for a < 0 and log erfcx(a) for a >= 0, each on a clipped argument, so that
    neither branch nor its gradient overflows.
    """
    import pytensor.tensor as pt

    b = tau / math.sqrt(2.0)
    a1 = (sigma / b - y / sigma) / math.sqrt(2.0)
    a2 = (sigma / b + y / sigma) / math.sqrt(2.0)

    def log_erfcx(a):
        neg = pt.minimum(a, 0.0)
        pos = pt.maximum(a, 0.0)
        return pt.switch(a < 0.0, neg**2 + pt.log(pt.erfc(neg)), pt.log(pt.erfcx(pos)))

    return -pt.log(4.0 * b) - y**2 / (2.0 * sigma**2) + pt.logaddexp(log_erfcx(a1), log_erfcx(a2))


def build_hierarchical(n_pad: int, *, effects: str = "gauss"):
    r"""Hierarchical model of laboratory means, effects integrated out (Koepke et al. 2017, Metrologia 54 S34; NICOB).

    .. math::

        x_j \mid \mu, \tau, \sigma_j \sim N(\mu + \lambda_j, \sigma_j^2), \quad \lambda_j = \tau z_j,
        \quad z_j \sim N(0, 1) \text{ or Laplace with SD 1}

    with :math:`\lambda_j` integrated out: Gauss, :math:`x_j \sim N(\mu, \tau^2 + \sigma_j^2)`;
    Laplace, the Laplace-Gauss convolution (:func:`_laplace_gauss_logpdf`).  Labs with finite
    ``dof`` (``sigma_free = 1``) have an unknown :math:`\sigma_j` with a half-Cauchy prior and the
    likelihood :math:`\nu_j u_j^2 / \sigma_j^2 \sim \chi^2_{\nu_j}`; the others use
    :math:`\sigma_j = u_j`.  Entries with ``mask = 0`` are padding: they add nothing to the
    likelihood and their ``log_sigma`` keeps its N(0, 1) base prior.

    Parameters
    ----------
    n_pad : int
        Length of the data vectors (labs plus padding); fixes the model structure.
    effects : {"gauss", "laplace"}

    Returns
    -------
    pymc.Model
        Data ``x, u, dof, sigma_free, mask, mu_prior_mean, mu_prior_sd, tau_prior_scale,
        sigma_prior_scale``; free variables ``mu, tau, log_sigma``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    _checks.require_choice(effects, EFFECTS, thing="laboratory-effects model", key="effects")
    with pm.Model() as model:
        x = pm.Data("x", np.zeros(n_pad))
        u = pm.Data("u", np.ones(n_pad))
        dof = pm.Data("dof", np.ones(n_pad))
        free = pm.Data("sigma_free", np.zeros(n_pad))
        mask = pm.Data("mask", np.zeros(n_pad))
        mu_mean = pm.Data("mu_prior_mean", 0.0)
        mu_sd = pm.Data("mu_prior_sd", 1.0)
        tau_scale = pm.Data("tau_prior_scale", 1.0)
        sigma_scale = pm.Data("sigma_prior_scale", 1.0)

        mu = pm.Normal("mu", mu_mean, mu_sd)
        tau = pm.HalfCauchy("tau", tau_scale)
        log_sigma = pm.Normal("log_sigma", 0.0, 1.0, shape=n_pad)  # base measure
        sigma_free = pt.exp(log_sigma)
        # labs with finite dof: replace the N(0, 1) base by half-Cauchy(sigma_scale) on sigma_j
        # (density of log sigma = half-Cauchy density x sigma, the Jacobian)
        log_hc = (
            math.log(2.0 / math.pi)
            - pt.log(sigma_scale)
            - pt.log1p((sigma_free / sigma_scale) ** 2)
            + log_sigma
        )
        log_base = -0.5 * log_sigma**2 - 0.5 * LOG_2PI
        pm.Potential("sigma_prior", pt.sum(free * (log_hc - log_base)))
        # NICOB: varmod_j = nu_j u_j^2 ~ Gamma(nu_j/2, rate 1/(2 sigma_j^2)), i.e.
        # nu_j u_j^2 / sigma_j^2 ~ chi2(nu_j); terms free of sigma_j dropped
        pm.Potential("u_obs", pt.sum(free * (-dof * log_sigma - dof * u**2 / (2.0 * sigma_free**2))))
        sigma = pt.switch(free > 0.5, sigma_free, u)
        resid = x - mu
        if effects == "gauss":
            var = tau**2 + sigma**2
            loglik = -0.5 * (LOG_2PI + pt.log(var) + resid**2 / var)
        else:
            loglik = _laplace_gauss_logpdf(resid, sigma, tau)
        pm.Potential("x_obs", pt.sum(mask * loglik))
    return model


@dataclass(frozen=True, slots=True, kw_only=True)
class HierarchicalFit(BayesFit):
    """NICOB hierarchical consensus fit (Koepke et al. 2017, Metrologia 54 S34).

    ``value``/``u`` are the posterior mean and SD of mu, ``ci95`` its 2.5 % and 97.5 %
    posterior quantiles, ``tau`` the posterior mean of the between-laboratory SD (as NICOB
    reports it) and ``tau_median`` its posterior median.
    """

    effects: str
    value: float
    u: float
    ci95: ConfidenceInterval
    tau: float
    tau_median: float
    n_labs: int
    tau_prior_scale: float
    sigma_prior_scale: float

    def confidence_interval(self, level: float = 0.95) -> ConfidenceInterval:
        """Equal-tailed posterior interval of mu."""
        return self.credible_interval("mu", level)


def _n_pad(n: int) -> int:
    size = N_PAD_MIN
    while size < n:
        size *= 2
    return size


def _lab_labels(labs, n):
    if labs is None:
        return [str(i) for i in range(n)]
    labs = [str(v) for v in labs]
    if len(labs) != n:
        raise InputError(
            f"{len(labs)} laboratory names for {n} results", key="labs", hint="give one name per laboratory"
        )
    if len(set(labs)) != n:
        dup = next(v for v in labs if labs.count(v) > 1)
        raise InputError(f"laboratory '{dup}' appears twice", key="labs", hint="give each laboratory once")
    return labs


def hierarchical(
    x,
    u,
    dof=None,
    *,
    effects: str = "gauss",
    seed: int,
    settings=None,
    tau_prior_scale: float | None = None,
    sigma_prior_scale: float | None = None,
    labs: Sequence[str] | None = None,
    sampler=None,
) -> HierarchicalFit:
    r"""Consensus value by the NICOB hierarchical Bayes model (Koepke et al. 2017, Metrologia 54 S34; NICOB hierarchical Gauss / Laplace).

    Fits :math:`x_j = \mu + \lambda_j + \varepsilon_j` with laboratory effects
    :math:`\lambda_j = \tau z_j` and measurement errors :math:`\varepsilon_j \sim N(0, \sigma_j^2)`,
    using the NIST Consensus Builder's default priors, and returns the posterior mean, SD and
    95 % interval of :math:`\mu` and the posterior mean of :math:`\tau`.

    Parameters
    ----------
    x, u : array_like
        Laboratory means and their standard uncertainties (u > 0), one per laboratory.
    dof : array_like, optional
        Degrees of freedom of the ``u``.  Finite values make :math:`\sigma_j` unknown, with
        :math:`\nu_j u_j^2/\sigma_j^2 \sim \chi^2_{\nu_j}`; ``inf`` (or ``dof=None`` for all
        labs) fixes :math:`\sigma_j = u_j`.
    effects : {"gauss", "laplace"}
        Distribution of :math:`z_j`: standard normal, or Laplace scaled to SD 1
        (density :math:`\tfrac{1}{\sqrt2} e^{-\sqrt2 |z|}`), so that ``tau`` is the SD of the
        laboratory effects in both models (NICOB's convention, ``alpha = sqrt(2)/tau``).
    seed : int
        Sampler seed (required): the same seed gives the same numbers.
    settings : SamplerSettings, mapping or None
        Sampler settings (default ``SamplerSettings()``: 4 chains x 2000 draws after 1000 tuning).
    sampler : callable, optional
        Where the fit runs (:mod:`rmwork.bayes.sampling`: default this process; the run layer
        passes its sampling service's); the draws do not depend on it.
    tau_prior_scale, sigma_prior_scale : float, optional
        Overrides of NICOB's default prior medians (below), as NICOB's input fields allow.
    labs : sequence of str, optional
        Laboratory names, used in the summary keys ``sigma[<lab>]``.

    Returns
    -------
    HierarchicalFit
        ``value``, ``u``, ``ci95``, ``tau`` (posterior mean), ``tau_median``, the ``summary`` of
        ``mu``, ``tau`` and each unknown ``sigma[<lab>]``, ``diagnostics``, ``priors``,
        ``settings`` and ``config_hash``; draws of ``mu`` and ``tau`` in ``fit.draws``.

    Raises
    ------
    InputError
        Fewer than two laboratories, non-finite or non-positive ``u``, bad ``dof``, an unknown
        ``effects``, no seed, or all values equal (NICOB's tau prior needs mad(x) > 0).

    Warns
    -----
    ConvergenceWarning
        When the fit fails the diagnostic gate (:func:`rmwork.bayes.diagnose`).

    Notes
    -----
    Priors (NICOB defaults, from NICOB's ``bayesGelman.R``/``bayesLaplace.R`` and ``server.R``):

    * :math:`\mu \sim N(0, 10^{10})` (JAGS ``dnorm(0, 1E-10)``);
    * :math:`\tau \sim` half-Cauchy with median (= scale) ``mad(x)``, R's ``mad`` with its
      default constant 1.4826, i.e. ``scipy.stats.median_abs_deviation(x, scale="normal")``.
      NICOB's help text calls it "the median of the absolute values of the differences between
      the measured values and their median" (no constant), but its code calls ``mad(x)``; the
      code is followed here, and it is the choice that reproduces the published PCB 28 u = 0.79
      (without the constant the same model gives 0.75);
    * :math:`\sigma_j \sim` half-Cauchy with median ``median(u)`` (labs with finite dof only).

    Posterior: ``value`` = mean of mu, ``u`` = SD of mu, ``ci95`` = 2.5 % and 97.5 % quantiles,
    ``tau`` = posterior mean of tau (NICOB's ``postsumstats["tau", "Mean"]``).

    The effects are integrated out analytically (see the module docstring: the non-centred
    latent form diverged on these data); the data are centred on median(x) and scaled by
    median(u) inside the model.  Labs are padded with inert entries to 16, 32, ... so that one
    compiled model serves every comparison of up to that size.  NICOB replaces infinite dof by
    1000; here they fix :math:`\sigma_j = u_j` (the limit).

    Validated against NICOB's published results for CCQM-K25 PCB 28 (Koepke et al. 2017,
    Exhibit 7), the carotid-stenosis meta-analysis and CCEM.RF-K25.W (NICOB manual 4.1, 4.5):
    ``tests/test_bayes.py``.  The RF-power u = 0.0022 is not reproduced: the same model by
    numerical quadrature gives 0.00243 (see the test ``..._rf_power_value_and_u_discrepancy``).

    References
    ----------
    .. [1] A. Koepke, T. Lafarge, A. Possolo, B. Toman, "Consensus building for interlaboratory
           studies, key comparisons, and meta-analysis", Metrologia 54 (2017) S34-S62,
           https://doi.org/10.1088/1681-7575/aa6c0e
    .. [2] A. Koepke, T. Lafarge, A. Possolo, B. Toman, NIST Consensus Builder User's Manual
           (2017), https://consensus.nist.gov

    Examples
    --------
    >>> df = rmwork.testing.reference("consensus_pcb28_ccqm_k25")
    >>> fit = hierarchical(df.value, df.u, df.dof, seed=20170513)     # doctest: +SKIP
    >>> print(f"{fit.value:.1f} {fit.u:.2f} {fit.tau:.2f}")           # doctest: +SKIP
    33.6 0.79 1.68
    """
    effects = _checks.require_choice(effects, EFFECTS, thing="laboratory-effects model", key="effects")
    seed = sampling._check_seed(seed)
    settings = SamplerSettings.coerce(settings)
    x = _checks.require_finite_array(x, what="laboratory means x").ravel()
    u = _checks.require_positive_array(u, what="standard uncertainties u").ravel()
    if len(x) != len(u):
        raise InputError(
            f"{len(x)} laboratory means but {len(u)} uncertainties",
            key="u",
            hint="give one standard uncertainty per laboratory",
        )
    n = len(x)
    _checks.require_at_least(
        n, 2, what="laboratories", formula="the NICOB hierarchical model (Koepke et al. 2017)"
    )
    labs = _lab_labels(labs, n)
    notes = []
    if dof is None:
        nu = np.full(n, np.inf)
    else:
        try:
            nu = np.asarray(dof, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InputError(
                "degrees of freedom must be numbers", key="dof", hint="check the dof column"
            ) from None
        if len(nu) != n:
            raise InputError(
                f"{len(nu)} degrees of freedom for {n} laboratories",
                key="dof",
                hint="give one dof per laboratory (inf where u is known exactly)",
            )
        if np.isnan(nu).any() or (nu <= 0).any():
            i = int(np.flatnonzero(np.isnan(nu) | (nu <= 0))[0])
            raise InputError(
                f"degrees of freedom must be positive or inf, got {nu[i]!r} for laboratory {labs[i]}",
                key="dof",
                hint="enter a positive number, or inf if u is exact",
            )
    has_dof = np.isfinite(nu)
    if dof is not None and not has_dof.all():
        inf_labs = [labs[i] for i in np.flatnonzero(~has_dof)]
        notes.append(
            f"infinite dof for {', '.join(inf_labs)}: sigma_j = u_j fixed (NICOB would use dof 1000)"
        )

    from scipy.stats import median_abs_deviation

    mad_x = float(median_abs_deviation(x, scale="normal"))
    tau_scale = float(tau_prior_scale) if tau_prior_scale is not None else mad_x
    if not (math.isfinite(tau_scale) and tau_scale > 0):
        raise InputError(
            f"the NICOB prior on tau (half-Cauchy with median mad(x)) needs mad(x) > 0; got {tau_scale!r}",
            key="tau_prior_scale",
            hint="check the values, or give tau_prior_scale > 0",
        )
    sigma_scale = float(sigma_prior_scale) if sigma_prior_scale is not None else float(np.median(u))
    if not (math.isfinite(sigma_scale) and sigma_scale > 0):
        raise InputError(
            f"sigma_prior_scale must be positive, got {sigma_scale!r}",
            key="sigma_prior_scale",
            hint="give a positive number or leave it unset (median(u))",
        )

    # centre and scale: mu and tau of order 1 for the sampler's adaptation (priors transformed exactly)
    centre, scale = float(np.median(x)), float(np.median(u))
    n_pad = _n_pad(n)
    pad = n_pad - n
    data = {
        "x": np.concatenate([(x - centre) / scale, np.zeros(pad)]),
        "u": np.concatenate([u / scale, np.ones(pad)]),
        "dof": np.concatenate([np.where(has_dof, nu, 1.0), np.ones(pad)]),
        "sigma_free": np.concatenate([has_dof.astype(float), np.zeros(pad)]),
        "mask": np.concatenate([np.ones(n), np.zeros(pad)]),
        "mu_prior_mean": (0.0 - centre) / scale,
        "mu_prior_sd": MU_PRIOR_SD / scale,
        "tau_prior_scale": tau_scale / scale,
        "sigma_prior_scale": sigma_scale / scale,
    }
    name = f"hierarchical-{effects}"
    key = hierarchical_key(n, effects)
    run = _fit(key, data, seed=seed, settings=settings, sampler=sampler)
    chain_draws = {"mu": centre + scale * run.draws["mu"], "tau": scale * run.draws["tau"]}
    for j in np.flatnonzero(has_dof):
        chain_draws[f"sigma[{labs[j]}]"] = scale * np.exp(run.draws["log_sigma"][:, :, j])

    z_text = (
        "z_j ~ N(0, 1)"
        if effects == "gauss"
        else "z_j ~ Laplace(0, 1/sqrt(2)) (SD 1; density exp(-sqrt(2)|z|)/sqrt(2))"
    )
    priors = {
        "mu": f"mu ~ N(0, {_num(MU_PRIOR_SD)}^2)",
        "tau": f"tau ~ half-Cauchy(scale = median = {_num(tau_scale)})"
        + (" [mad(x), R constant 1.4826]" if tau_prior_scale is None else " [given]"),
        "lambda": f"lambda_j = tau * z_j, {z_text}; integrated out analytically",
        "x": "x_j ~ N(mu + lambda_j, sigma_j^2)",
    }
    if has_dof.any():
        priors["sigma"] = (
            f"sigma_j ~ half-Cauchy(scale = median = {_num(sigma_scale)})"
            + (" [median(u)]" if sigma_prior_scale is None else " [given]")
            + "; dof_j u_j^2 / sigma_j^2 ~ chi2(dof_j)"
        )
    if not has_dof.all():
        priors["sigma_fixed"] = "sigma_j = u_j for labs without finite dof"
    notes.insert(
        0,
        "laboratory effects integrated out analytically: same posterior of mu and tau as the "
        "latent (non-centred) model, without its divergences",
    )
    mu_d = chain_draws["mu"].ravel()
    lo, hi = np.quantile(mu_d, [0.025, 0.975])
    tau_d = chain_draws["tau"].ravel()
    return sampling.make_fit(
        HierarchicalFit,
        model=name,
        seed=seed,
        settings=settings,
        extra_settings={"parameterization": "marginal", "n_pad": n_pad, "centre": centre, "scale": scale},
        priors=priors,
        chain_draws=chain_draws,
        run=run,
        notes=notes,
        clauses={
            "value": "Koepke et al. 2017, NICOB hierarchical Bayes: posterior mean of mu",
            "u": "posterior standard deviation of mu",
            "ci95": "2.5 % and 97.5 % posterior quantiles of mu",
            "tau": "posterior mean of tau (NICOB)",
        },
        effects=effects,
        value=float(mu_d.mean()),
        u=float(mu_d.std(ddof=1)),
        ci95=ConfidenceInterval(float(lo), float(hi)),
        tau=float(tau_d.mean()),
        tau_median=float(np.median(tau_d)),
        n_labs=n,
        tau_prior_scale=tau_scale,
        sigma_prior_scale=sigma_scale,
    )


# =============================================================================================
# one-way random effects (homogeneity)


def build_random_effects():
    r"""One-way random-effects model, unit effects integrated out (ISO Guide 35:2017, clause 7 and Annex B model).

    .. math::

        x_{ij} = \mu + a_i + e_{ij}, \quad a_i \sim N(0, \sigma_{bb}^2), \quad e_{ij} \sim N(0, \sigma_w^2)

    With :math:`a_i` integrated out the likelihood factorises over units into the unit means
    :math:`\bar x_i \sim N(\mu, \sigma_{bb}^2 + \sigma_w^2/n_i)` and the within-unit sum of squares
    :math:`SS_w/\sigma_w^2 \sim \chi^2_{N-p}`.  The data are these sufficient statistics, so the
    structure does not depend on the number of units.

    Returns
    -------
    pymc.Model
        Data ``ybar, n, ss_within, dof_within, mu_prior_mean, mu_prior_sd, sigma_bb_prior_scale,
        sigma_w_prior_scale``; free variables ``mu, sigma_bb, sigma_w``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model() as model:
        ybar = pm.Data("ybar", np.zeros(2))
        n = pm.Data("n", np.ones(2))
        ss_w = pm.Data("ss_within", 1.0)
        dof_w = pm.Data("dof_within", 1.0)
        mu_mean = pm.Data("mu_prior_mean", 0.0)
        mu_sd = pm.Data("mu_prior_sd", PRIOR_SD_FACTOR)
        bb_scale = pm.Data("sigma_bb_prior_scale", 1.0)
        w_scale = pm.Data("sigma_w_prior_scale", 1.0)
        mu = pm.Normal("mu", mu_mean, mu_sd)
        sigma_bb = pm.HalfCauchy("sigma_bb", bb_scale)
        sigma_w = pm.HalfCauchy("sigma_w", w_scale)
        var = sigma_bb**2 + sigma_w**2 / n
        pm.Potential("ybar_obs", pt.sum(-0.5 * (LOG_2PI + pt.log(var) + (ybar - mu) ** 2 / var)))
        pm.Potential("ss_within_obs", -dof_w * pt.log(sigma_w) - ss_w / (2.0 * sigma_w**2))
    return model


@dataclass(frozen=True, slots=True, kw_only=True)
class RandomEffectsFit(BayesFit):
    """Bayesian one-way random-effects fit of a homogeneity study (ISO Guide 35:2017, clause 7).

    ``sigma_bb`` is the posterior median of the between-unit SD and ``sigma_bb_q95`` its one-sided
    95 % upper bound (0.95 posterior quantile); ``sigma_w`` the posterior median of the
    within-unit SD; ``mean`` the posterior mean of mu.
    """

    mean: float
    sigma_bb: float
    sigma_bb_q95: float
    sigma_w: float
    n_units: int
    n_results: int


def random_effects(values, groups, *, seed: int, settings=None, sampler=None) -> RandomEffectsFit:
    r"""Between-unit SD by a Bayesian one-way random-effects model (ISO Guide 35:2017, clause 7 and Annex B; sensitivity check of the ANOVA).

    Parameters
    ----------
    values : array_like
        Results, one per measurement.
    groups : array_like
        Unit (bottle) of each result; any hashable labels.
    seed : int
        Sampler seed (required).
    settings : SamplerSettings, mapping or None
        Sampler settings.
    sampler : callable, optional
        Where the fit runs (:mod:`rmwork.bayes.sampling`: default this process; the run layer
        passes its sampling service's); the draws do not depend on it.

    Returns
    -------
    RandomEffectsFit
        ``sigma_bb`` (posterior median), ``sigma_bb_q95`` (one-sided 95 % upper bound),
        ``sigma_w`` (median), ``mean``; ``summary`` of ``mu, sigma_bb, sigma_w``.

    Raises
    ------
    InputError
        Non-finite results, fewer than two units, no unit with two results, or all results equal.

    Notes
    -----
    Model :math:`x_{ij} = \mu + a_i + e_{ij}` with :math:`a_i = \sigma_{bb} z_i`,
    :math:`z_i \sim N(0,1)`, :math:`e_{ij} \sim N(0, \sigma_w^2)`; the :math:`a_i` are integrated
    out analytically (:func:`build_random_effects`).  Weakly informative priors scaled by the mean
    :math:`\bar x` and SD :math:`s` of all results (stated in ``fit.priors``):
    :math:`\mu \sim N(\bar x, (10 s)^2)`, :math:`\sigma_{bb} \sim` half-Cauchy(:math:`s`),
    :math:`\sigma_w \sim` half-Cauchy(:math:`s`) (Gelman 2006 for the half-Cauchy on a group-level
    SD with few groups).  With few units the posterior of :math:`\sigma_{bb}` is right-skewed, so
    its median lies above the ANOVA estimate :math:`s_{bb}`; the upper bound is the quantity to
    compare with a homogeneity criterion.

    Validated against USP <1010> Appendix B (ANOVA s_bb 1.07210): ``tests/test_bayes.py``.

    References
    ----------
    .. [1] ISO Guide 35:2017, Reference materials -- Guidance for characterization and assessment
           of homogeneity and stability, clause 7.
    .. [2] A. Gelman, "Prior distributions for variance parameters in hierarchical models",
           Bayesian Analysis 1 (2006) 515-534, https://doi.org/10.1214/06-BA117A
    """
    seed = sampling._check_seed(seed)
    settings = SamplerSettings.coerce(settings)
    y = _checks.require_finite_array(values, what="results").ravel()
    g = np.asarray(groups).ravel()
    if len(g) != len(y):
        raise InputError(
            f"{len(y)} results but {len(g)} unit labels", key="groups", hint="give the unit of every result"
        )
    labels, idx = np.unique(g, return_inverse=True)
    p, n_tot = len(labels), len(y)
    formula = "the random-effects model (ISO Guide 35:2017, clause 7)"
    _checks.require_at_least(p, 2, what="units", formula=formula)
    counts = np.bincount(idx, minlength=p).astype(float)
    _checks.require_at_least(int(counts.max()), 2, what="results in one unit", formula=formula)
    centre, scale = float(y.mean()), float(y.std(ddof=1))
    if not scale > 0:
        raise InputError(
            f"{formula} needs results that differ; all {n_tot} are equal",
            key="values",
            hint="check the data: s_bb = s_w = 0",
        )
    ys = (y - centre) / scale
    ybar = np.bincount(idx, weights=ys, minlength=p) / counts
    ss_w = float(((ys - ybar[idx]) ** 2).sum())
    data = {
        "ybar": ybar,
        "n": counts,
        "ss_within": ss_w,
        "dof_within": float(n_tot - p),
        "mu_prior_mean": 0.0,
        "mu_prior_sd": PRIOR_SD_FACTOR,
        "sigma_bb_prior_scale": 1.0,
        "sigma_w_prior_scale": 1.0,
    }
    run = _fit(RANDOM_EFFECTS_KEY, data, seed=seed, settings=settings, sampler=sampler)
    chain_draws = {
        "mu": centre + scale * run.draws["mu"],
        "sigma_bb": scale * run.draws["sigma_bb"],
        "sigma_w": scale * run.draws["sigma_w"],
    }
    priors = {
        "mu": f"mu ~ N({_num(centre)}, ({_num(PRIOR_SD_FACTOR)} * {_num(scale)})^2) [mean, 10 x SD of all results]",
        "sigma_bb": f"sigma_bb ~ half-Cauchy(scale = {_num(scale)}) [SD of all results]",
        "sigma_w": f"sigma_w ~ half-Cauchy(scale = {_num(scale)}) [SD of all results]",
        "a": "a_i = sigma_bb * z_i, z_i ~ N(0, 1); integrated out analytically",
        "x": "x_ij ~ N(mu + a_i, sigma_w^2)",
    }
    sb = chain_draws["sigma_bb"].ravel()
    return sampling.make_fit(
        RandomEffectsFit,
        model="random-effects",
        seed=seed,
        settings=settings,
        extra_settings={"parameterization": "marginal", "centre": centre, "scale": scale},
        priors=priors,
        chain_draws=chain_draws,
        run=run,
        notes=(
            "unit effects integrated out analytically: same posterior of mu, sigma_bb and sigma_w as "
            "the latent (non-centred) model, without its divergences",
        ),
        clauses={
            "sigma_bb": "ISO Guide 35:2017, clause 7: between-unit SD; posterior median",
            "sigma_bb_q95": "one-sided 95 % posterior upper bound of sigma_bb",
        },
        mean=float(chain_draws["mu"].mean()),
        sigma_bb=float(np.median(sb)),
        sigma_bb_q95=float(np.quantile(sb, 0.95)),
        sigma_w=float(np.median(chain_draws["sigma_w"])),
        n_units=p,
        n_results=n_tot,
    )


# =============================================================================================
# linear trend (stability)


def build_linear_trend():
    r"""Linear regression of value on time (ISO Guide 35:2017, B.3), weakly informative priors.

    .. math::  y_k \sim N(b_0 + b_1 t_k, \sigma^2)

    on centred, scaled time and value (the sampler sees coefficients of order 1).

    Returns
    -------
    pymc.Model
        Data ``t, y, intercept_prior_sd, slope_prior_sd, sigma_prior_scale``; free variables
        ``b0, b1, sigma``.
    """
    import pymc as pm

    with pm.Model() as model:
        t = pm.Data("t", np.zeros(3))
        y = pm.Data("y", np.zeros(3))
        b0_sd = pm.Data("intercept_prior_sd", PRIOR_SD_FACTOR)
        b1_sd = pm.Data("slope_prior_sd", PRIOR_SD_FACTOR)
        s_scale = pm.Data("sigma_prior_scale", 1.0)
        b0 = pm.Normal("b0", 0.0, b0_sd)
        b1 = pm.Normal("b1", 0.0, b1_sd)
        sigma = pm.HalfCauchy("sigma", s_scale)
        pm.Normal("y_obs", b0 + b1 * t, sigma, observed=y)
    return model


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendFit(BayesFit):
    """Bayesian linear stability fit (ISO Guide 35:2017, B.3).

    ``slope``/``intercept``/``residual_sd`` are posterior means, ``se_slope``/``se_intercept`` the
    posterior SDs; ``intercept`` is the value at time 0 of the caller's time axis.
    """

    slope: float
    se_slope: float
    intercept: float
    se_intercept: float
    residual_sd: float
    n_results: int

    def confidence_interval(self, level: float = 0.95) -> ConfidenceInterval:
        """Equal-tailed posterior interval of the slope."""
        return self.credible_interval("slope", level)


def linear_trend(time, value, *, seed: int, settings=None, sampler=None) -> TrendFit:
    r"""Stability trend by Bayesian linear regression (ISO Guide 35:2017, B.3; weakly informative priors).

    Parameters
    ----------
    time, value : array_like
        Time of each result (any unit; the slope is per that unit) and the result.
    seed : int
        Sampler seed (required).
    settings : SamplerSettings, mapping or None
        Sampler settings.
    sampler : callable, optional
        Where the fit runs (:mod:`rmwork.bayes.sampling`: default this process; the run layer
        passes its sampling service's); the draws do not depend on it.

    Returns
    -------
    TrendFit
        ``slope``, ``se_slope``, ``intercept``, ``se_intercept``, ``residual_sd``; draws of
        ``intercept``, ``slope`` and ``sigma`` in the original units in ``fit.draws``.

    Raises
    ------
    InputError
        Non-finite data, fewer than three results, or fewer than two distinct times, or all
        values equal.

    Notes
    -----
    :math:`y = b_0 + b_1 t + e`, :math:`e \sim N(0, \sigma^2)`.  With :math:`\bar t, s_t` the mean
    and SD of the times and :math:`\bar y, s_y` those of the values, the priors are (stated in
    ``fit.priors``): value at :math:`\bar t` :math:`\sim N(\bar y, (10 s_y)^2)`;
    :math:`b_1 \sim N(0, (10 s_y / s_t)^2)`; :math:`\sigma \sim` half-Cauchy(:math:`s_y`).
    The model is fitted on :math:`(t - \bar t)/s_t` and :math:`(y - \bar y)/s_y`; the draws are
    transformed back (:math:`b_0 = \bar y + s_y \beta_0 - b_1 \bar t`).

    Validated against synthetic data with a known slope: ``tests/test_bayes.py``.
    """
    seed = sampling._check_seed(seed)
    settings = SamplerSettings.coerce(settings)
    t = _checks.require_finite_array(time, what="times").ravel()
    y = _checks.require_finite_array(value, what="results").ravel()
    if len(t) != len(y):
        raise InputError(f"{len(t)} times but {len(y)} results", key="time", hint="give one time per result")
    formula = "the linear stability model (ISO Guide 35:2017, B.3)"
    _checks.require_at_least(len(y), 3, what="results", formula=formula)
    _checks.require_at_least(len(np.unique(t)), 2, what="distinct times", formula=formula)
    t_mean, t_sd = float(t.mean()), float(t.std(ddof=1))
    y_mean, y_sd = float(y.mean()), float(y.std(ddof=1))
    if not y_sd > 0:
        raise InputError(
            f"{formula} needs results that differ; all {len(y)} are equal",
            key="value",
            hint="check the data: slope 0, residual SD 0",
        )
    data = {
        "t": (t - t_mean) / t_sd,
        "y": (y - y_mean) / y_sd,
        "intercept_prior_sd": PRIOR_SD_FACTOR,
        "slope_prior_sd": PRIOR_SD_FACTOR,
        "sigma_prior_scale": 1.0,
    }
    run = _fit(LINEAR_TREND_KEY, data, seed=seed, settings=settings, sampler=sampler)
    slope = run.draws["b1"] * (y_sd / t_sd)
    intercept = y_mean + y_sd * run.draws["b0"] - slope * t_mean
    chain_draws = {"intercept": intercept, "slope": slope, "sigma": y_sd * run.draws["sigma"]}
    priors = {
        "level": f"b0 + b1 * {_num(t_mean)} ~ N({_num(y_mean)}, ({_num(PRIOR_SD_FACTOR)} * {_num(y_sd)})^2) "
        "[value at the mean time: mean, 10 x SD of the results]",
        "slope": f"b1 ~ N(0, ({_num(PRIOR_SD_FACTOR)} * {_num(y_sd)} / {_num(t_sd)})^2) [10 x SD(y) / SD(t)]",
        "sigma": f"sigma ~ half-Cauchy(scale = {_num(y_sd)}) [SD of the results]",
        "y": "y_k ~ N(b0 + b1 t_k, sigma^2)",
    }
    return sampling.make_fit(
        TrendFit,
        model="linear-trend",
        seed=seed,
        settings=settings,
        extra_settings={
            "parameterization": "centred-time",
            "t_centre": t_mean,
            "t_scale": t_sd,
            "y_centre": y_mean,
            "y_scale": y_sd,
        },
        priors=priors,
        chain_draws=chain_draws,
        run=run,
        clauses={"slope": "ISO Guide 35:2017, B.3: b1, posterior mean", "se_slope": "posterior SD of b1"},
        slope=float(slope.mean()),
        se_slope=float(slope.std(ddof=1)),
        intercept=float(intercept.mean()),
        se_intercept=float(intercept.std(ddof=1)),
        residual_sd=float(chain_draws["sigma"].mean()),
        n_results=len(y),
    )


# ---------------------------------------------------------------------------------------------
# structure keys: one compiled model per key and process (or per sampling service)

RANDOM_EFFECTS_KEY = ("random-effects",)
LINEAR_TREND_KEY = ("linear-trend",)


def hierarchical_key(n_labs: int, effects: str = "gauss") -> tuple:
    """Structure key of the NICOB hierarchical model (Koepke et al. 2017) for ``n_labs`` labs.

    Labs are padded to a size class (16, 32, ...), so one compiled model serves them all.
    """
    return ("hierarchical", effects, _n_pad(int(n_labs)))


# Every structure a sampling service may be asked to compile, built from its key alone
# (kind -> (build(key), var_names)).  A plain table: importing this module registers nothing.
STRUCTURES = {
    "hierarchical": (lambda key: build_hierarchical(key[2], effects=key[1]), ("mu", "tau", "log_sigma")),
    "random-effects": (lambda key: build_random_effects(), ("mu", "sigma_bb", "sigma_w")),
    "linear-trend": (lambda key: build_linear_trend(), ("b0", "b1", "sigma")),
}


def structure(key: tuple):
    """``(build, var_names)`` of the structure ``key`` (one of :data:`STRUCTURES`)."""
    build, var_names = STRUCTURES[key[0]]
    return (lambda: build(key)), var_names


def _fit(key: tuple, data, *, seed: int, settings, sampler):
    build, var_names = structure(key)
    return sampling.run(key, build, data, var_names=var_names, seed=seed, settings=settings, sampler=sampler)
