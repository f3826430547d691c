"""Convergence gate of an MCMC fit: R-hat, bulk and tail ESS, divergences (Vehtari et al. 2021).

The gate applies named thresholds and returns a :class:`Diagnostics` result; it never prints and
never asserts.  A failed gate also issues :class:`rmwork.errors.ConvergenceWarning` with one
message per failed check (count + share + meaning + remedy, STYLE.md section 5).  The numbers
come from ``arviz_stats`` array functions called with every option explicit (rank-normalised
split R-hat; bulk ESS; tail ESS as the smaller ESS of the 5 % and 95 % quantiles; MCSE of the
mean), never from ArviZ's display defaults (PITFALLS.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConvergenceWarning
from ..results import Result

RHAT_MAX = 1.01  # Vehtari et al. 2021 (doi:10.1214/20-BA1221), section 4: use a sample only if R-hat < 1.01
ESS_BULK_MIN = 400  # Vehtari et al. 2021, section 4: bulk ESS > 100 per chain, 4 chains
ESS_TAIL_MIN = 400  # Vehtari et al. 2021, section 4: tail ESS (5 % and 95 % quantiles) > 100 per chain
MAX_DIVERGENT = 0  # Betancourt 2017 (arXiv:1701.02434), section 6.2: any divergence biases the fit
TAIL_PROB = 0.05  # Vehtari et al. 2021, section 4.3: tail ESS = min ESS of the 5 % and 95 % quantiles

__all__ = ["Diagnostics", "diagnose", "RHAT_MAX", "ESS_BULK_MIN", "ESS_TAIL_MIN", "MAX_DIVERGENT"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostics(Result):
    """Convergence gate of one MCMC fit (Vehtari et al. 2021, Bayesian Anal. 16, 667; section 4).

    ``rhat_max``, ``ess_bulk_min`` and ``ess_tail_min`` are the worst values *observed* over the
    gated parameters; the thresholds they were compared with are in ``thresholds``.
    """

    passed: bool
    rhat_max: float  # largest rank-normalised split R-hat observed
    ess_bulk_min: float  # smallest bulk ESS observed
    ess_tail_min: float  # smallest tail ESS observed
    n_divergent: int  # divergent transitions after tuning, all chains
    n_draws: int  # draws after tuning, all chains
    n_chains: int
    thresholds: Mapping[str, float]
    table: Mapping[str, Mapping[str, float]]  # parameter -> rhat, ess_bulk, ess_tail
    messages: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def share_divergent(self) -> float:
        return self.n_divergent / self.n_draws if self.n_draws else float("nan")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame.from_dict({k: dict(v) for k, v in self.table.items()}, orient="index")


# ---------------------------------------------------------------------------------------------
# array-level statistics (chains x draws)

_STATS = None


def _array_stats():
    """ArviZ's array-level statistics with a faster, bit-identical rank-normalisation step.

    ``arviz_stats`` z-scales by ``scipy.stats.rankdata(method="average")`` (a stable sort plus
    checks, about 1.2 ms for 8000 draws) and ``scipy.stats.norm.ppf``; R-hat and bulk ESS do this
    three times per parameter, half of a fit's post-processing.  :meth:`_z_scale` below ranks with
    one quicksort, averages ties exactly (ranks are whole or half numbers, exact in float64) and
    maps them with ``scipy.special.ndtri`` (which ``norm.ppf`` calls): the same numbers to the
    last bit (tests/test_bayes.py checks it against the stock class), at about half the cost.
    Everything else is ArviZ's code.
    """
    global _STATS
    if _STATS is None:
        from arviz_stats.base.array import BaseArray  # deferred: keeps `import rmwork.bayes` cheap
        from scipy import special

        class _ArrayStats(BaseArray):
            def _z_scale(self, ary):
                ary = np.asarray(ary)
                flat = ary.ravel()
                if flat.size == 0 or np.isnan(flat).any():  # rankdata's nan_policy="omit" path
                    return super()._z_scale(ary)
                order = np.argsort(flat)
                s = flat[order]
                first = np.empty(flat.size, dtype=bool)
                first[0] = True
                np.not_equal(s[1:], s[:-1], out=first[1:])
                start = np.flatnonzero(first)
                count = np.diff(np.append(start, flat.size))
                ranks = np.empty(flat.size)
                ranks[order] = np.repeat(start + (count + 1) / 2.0, count)  # average rank of each tie group
                return special.ndtri(self._backtransform_ranks(ranks)).reshape(ary.shape)

        _STATS = _ArrayStats()
    return _STATS


def chain_stats(ary: np.ndarray) -> dict[str, float]:
    """R-hat, bulk/tail ESS and MCSE of the mean of one scalar parameter (Vehtari et al. 2021).

    ``ary`` has shape (chains, draws); every ArviZ option is spelled out.
    """
    st = _array_stats()
    ary = np.asarray(ary, dtype=float)
    return {
        "rhat": float(st.rhat(ary, chain_axis=0, draw_axis=1, method="rank")),
        "ess_bulk": float(st.ess(ary, chain_axis=0, draw_axis=1, method="bulk", relative=False)),
        "ess_tail": float(
            st.ess(ary, chain_axis=0, draw_axis=1, method="tail", relative=False, prob=TAIL_PROB)
        ),
        "mcse_mean": float(st.mcse(ary, chain_axis=0, draw_axis=1, method="mean")),
    }


def _from_idata(idata, var_names=None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(chains, draws) arrays of every scalar element of the posterior, plus the divergence
    flags, from an ArviZ/nutpie DataTree or InferenceData."""
    post = idata["posterior"] if not hasattr(idata, "posterior") else idata.posterior
    stats = idata["sample_stats"] if not hasattr(idata, "sample_stats") else idata.sample_stats
    names = list(var_names) if var_names is not None else list(post.data_vars)
    out: dict[str, np.ndarray] = {}
    for name in names:
        arr = np.asarray(post[name].values, dtype=float)
        if arr.ndim == 2:
            out[name] = arr
        else:
            flat = arr.reshape(arr.shape[0], arr.shape[1], -1)
            for i in range(flat.shape[2]):
                out[f"{name}[{i}]"] = flat[:, :, i]
    div = np.asarray(stats["diverging"].values, dtype=bool)
    return out, div


# ---------------------------------------------------------------------------------------------
# the gate


def diagnose(
    fit_or_idata,
    *,
    rhat_max: float = RHAT_MAX,
    ess_bulk_min: float = ESS_BULK_MIN,
    ess_tail_min: float = ESS_TAIL_MIN,
    max_divergent: int = MAX_DIVERGENT,
    label: str | None = None,
    warn: bool = True,
) -> Diagnostics:
    """Apply the convergence gate to an MCMC fit (Vehtari et al. 2021, Bayesian Anal. 16, 667).

    Checks every gated parameter for rank-normalised split R-hat <= ``rhat_max``, bulk and tail
    effective sample size >= ``ess_bulk_min`` / ``ess_tail_min``, and at most ``max_divergent``
    divergent transitions after tuning.

    Parameters
    ----------
    fit_or_idata : BayesFit or xarray.DataTree / arviz.InferenceData
        A fit from :mod:`rmwork.bayes` (its reported parameters are gated) or a posterior with a
        ``sample_stats.diverging`` variable (every posterior variable is gated).
    rhat_max, ess_bulk_min, ess_tail_min, max_divergent
        Thresholds; the defaults are the module constants with their sources.
    label : str, optional
        Prefix of the messages (e.g. ``"hierarchical-gauss, analyte 'PCB 28'"``).
    warn : bool
        Issue :class:`~rmwork.errors.ConvergenceWarning` when the gate fails.

    Returns
    -------
    Diagnostics
        ``passed``, the worst observed ``rhat_max``, ``ess_bulk_min``, ``ess_tail_min``,
        ``n_divergent``, the per-parameter ``table`` and the ``messages``.

    Warns
    -----
    ConvergenceWarning
        One warning per failed check, worded as in ``messages``.

    Notes
    -----
    R-hat is the maximum of the rank-normalised split R-hat of the values and of the folded
    values; bulk ESS is that of the rank-normalised split chains; tail ESS is the smaller of the
    ESS of the indicator of the 5 % and of the 95 % quantile (Vehtari et al. 2021, sections 3-4).
    A fit that fails the gate is not used for a certificate (STYLE.md section 6).

    References
    ----------
    .. [1] A. Vehtari, A. Gelman, D. Simpson, B. Carpenter, P.-C. Buerkner, "Rank-normalization,
           folding, and localization: an improved R-hat for assessing convergence of MCMC",
           Bayesian Analysis 16 (2021) 667-718, https://doi.org/10.1214/20-BA1221
    .. [2] M. Betancourt, "A conceptual introduction to Hamiltonian Monte Carlo",
           arXiv:1701.02434 (2017).
    """
    thresholds = {
        "rhat_max": float(rhat_max),
        "ess_bulk_min": float(ess_bulk_min),
        "ess_tail_min": float(ess_tail_min),
        "max_divergent": int(max_divergent),
    }
    if hasattr(fit_or_idata, "gated") and hasattr(fit_or_idata, "summary"):  # a BayesFit
        fit = fit_or_idata
        table = {k: {s: fit.summary[k][s] for s in ("rhat", "ess_bulk", "ess_tail")} for k in fit.gated}
        div = np.asarray(fit._diverging, dtype=bool)
        label = label or fit.model
    else:
        arrays, div = _from_idata(fit_or_idata)
        table = {}
        for k, a in arrays.items():
            s = chain_stats(a)
            table[k] = {"rhat": s["rhat"], "ess_bulk": s["ess_bulk"], "ess_tail": s["ess_tail"]}
    return _gate(table, div, thresholds, label=label or "MCMC fit", warn=warn)


def _gate(
    table: Mapping[str, Mapping[str, float]],
    diverging: np.ndarray,
    thresholds: Mapping[str, Any],
    *,
    label: str,
    warn: bool,
) -> Diagnostics:
    n_chains = int(diverging.shape[0]) if diverging.ndim == 2 else 1
    n_draws = int(diverging.size)
    n_div = int(diverging.sum())
    rhat = {k: v["rhat"] for k, v in table.items()}
    bulk = {k: v["ess_bulk"] for k, v in table.items()}
    tail = {k: v["ess_tail"] for k, v in table.items()}

    def worst(d, fn):
        vals = {k: v for k, v in d.items() if np.isfinite(v)}
        if len(vals) < len(d):  # a NaN statistic (e.g. constant chain) fails the check
            bad = next(k for k, v in d.items() if not np.isfinite(v))
            return bad, float("nan")
        if not vals:
            return None, float("nan")
        k = fn(vals, key=vals.get)
        return k, float(vals[k])

    k_r, r_max = worst(rhat, max)
    k_b, b_min = worst(bulk, min)
    k_t, t_min = worst(tail, min)
    messages = []
    if k_r is not None and not (r_max <= thresholds["rhat_max"]):
        n_bad = sum(1 for v in rhat.values() if not v <= thresholds["rhat_max"])
        messages.append(
            f"{label}: R-hat {r_max:.3g} > {thresholds['rhat_max']:g} for {k_r} "
            f"({n_bad} of {len(rhat)} parameters); the {n_chains} chains disagree, "
            "not used for the certificate; increase tune and draws or check the data"
        )
    if k_b is not None and not (b_min >= thresholds["ess_bulk_min"]):
        messages.append(
            f"{label}: bulk ESS {b_min:.0f} < {thresholds['ess_bulk_min']:g} for {k_b} "
            f"({100 * b_min / max(n_draws, 1):.1f} % of {n_draws} draws); the posterior mean "
            "and SD are imprecise, not used for the certificate; increase draws"
        )
    if k_t is not None and not (t_min >= thresholds["ess_tail_min"]):
        messages.append(
            f"{label}: tail ESS {t_min:.0f} < {thresholds['ess_tail_min']:g} for {k_t} "
            f"({100 * t_min / max(n_draws, 1):.1f} % of {n_draws} draws); the 95 % interval "
            "is imprecise, not used for the certificate; increase draws"
        )
    if n_div > thresholds["max_divergent"]:
        messages.append(
            f"{label}: {n_div} of {n_draws} draws divergent ({100 * n_div / n_draws:.2f} %); "
            "the sampler missed part of the posterior, not used for the certificate; "
            "increase target_accept or check for an outlying laboratory or unit"
        )
    if warn:
        for m in messages:
            warnings.warn(m, ConvergenceWarning, stacklevel=3)
    return Diagnostics(
        passed=not messages,
        rhat_max=r_max,
        ess_bulk_min=b_min,
        ess_tail_min=t_min,
        n_divergent=n_div,
        n_draws=n_draws,
        n_chains=n_chains,
        thresholds=dict(thresholds),
        table={k: dict(v) for k, v in table.items()},
        messages=tuple(messages),
        clauses={
            "rhat_max": "Vehtari et al. 2021, section 4 (rank-normalised split R-hat)",
            "ess_bulk_min": "Vehtari et al. 2021, section 4 (bulk ESS)",
            "ess_tail_min": "Vehtari et al. 2021, section 4 (tail ESS, 5 % and 95 % quantiles)",
            "n_divergent": "Betancourt 2017, section 6.2 (divergent transitions)",
        },
    )
