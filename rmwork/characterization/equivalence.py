"""Degrees of equivalence of the laboratories (CIPM MRA-D-05; NICOB, Koepke et al. 2017).

Unilateral d_j = x_j - x_ref with U(d_j) (closed form or NICOB's bootstrap), the leave-one-out
differences, and the bilateral D_ij = x_i - x_j. Compute only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .. import _checks
from ..errors import InputError
from ..results import Result
from .estimators import ConsensusResult, _dl_bootstrap, _dl_core, _half_width, _inputs, _pm_core, consensus
from .labs import LabSummary, naming
from .methods import N_BOOT


@dataclass(frozen=True, slots=True, kw_only=True)
class DoEResult(Result):
    """Unilateral degrees of equivalence d_j = x_j - x_ref with U(d_j) (CIPM MRA; NICOB)."""

    analyte: str = ""
    unit_of_measure: str = ""
    method: str
    value: float  # the consensus value x_ref
    tau: float
    coverage: float
    lab: tuple[str, ...]
    included: tuple[bool, ...]
    x: tuple[float, ...]  # laboratory values
    u_x: tuple[float, ...]  # laboratory standard uncertainties
    d: tuple[float, ...]
    u_d: tuple[float, ...]
    U_d: tuple[float, ...]  # half-width at ``coverage`` (95 % by default)
    d_low: tuple[float, ...]
    d_high: tuple[float, ...]
    d_loo: tuple[float, ...]  # x_j - consensus of the other labs (included labs)
    u_d_loo: tuple[float, ...]
    U_d_loo: tuple[float, ...]
    u_d_method: str
    n_boot: int = 0
    seed: int | None = None
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "lab": self.lab,
                "included": self.included,
                "x": self.x,
                "u_x": self.u_x,
                "d": self.d,
                "u_d": self.u_d,
                "U_d": self.U_d,
                "d_low": self.d_low,
                "d_high": self.d_high,
                "d_loo": self.d_loo,
                "u_d_loo": self.u_d_loo,
                "U_d_loo": self.U_d_loo,
            }
        )


def _loo(method: str, x: np.ndarray, u: np.ndarray):
    """Consensus of the other labs: (mu, tau, u) by the method's deterministic part."""
    p = len(x)
    if method == "mean":
        return float(np.mean(x)), 0.0, float(np.std(x, ddof=1)) / math.sqrt(p)
    if method == "weighted-mean":
        w = 1 / u**2
        return float((w * x).sum() / w.sum()), 0.0, float(w.sum() ** -0.5)
    if method == "dersimonian-laird":
        mu, tau2, _, wsum = (float(v) for v in _dl_core(x, u))
        return mu, math.sqrt(tau2), wsum**-0.5
    if method == "paule-mandel":
        mu, tau2, wsum = _pm_core(x, u)
        return mu, math.sqrt(tau2), wsum**-0.5
    if method == "linear-pool":  # exact moments of the equal-weight mixture
        m = float(np.mean(x))
        return m, 0.0, math.sqrt(float(np.mean(u**2) + np.mean((x - m) ** 2)))
    return math.nan, math.nan, math.nan


def degrees_of_equivalence(
    values,
    u=None,
    result: ConsensusResult | None = None,
    *,
    labs=None,
    include=None,
    dof=None,
    method: str | None = None,
    seed: int | None = None,
    leave_one_out: bool = True,
    coverage: float = 0.95,
    n_boot: int = N_BOOT,
    bootstrap: bool | None = None,
) -> DoEResult:
    r"""Unilateral degrees of equivalence and leave-one-out differences (CIPM MRA-D-05; NICOB).

    Parameters
    ----------
    values : array_like or LabSummary
        Values of all labs, included and excluded (or a :func:`lab_summary` result).
    u, dof, labs, include : array_like, optional
        As in :func:`consensus`. Labs with include = no get a degree of equivalence against a
        value they did not enter.
    result : ConsensusResult, optional
        The consensus value; computed here with ``method`` and ``seed`` when not given.
    method, seed : optional
        Estimator and seed when ``result`` is not given (and the bootstrap seed; default: the
        seed of ``result``).
    leave_one_out : bool
        Also compute d_j against the consensus of the other included labs (same estimator).
    coverage : float
        Level of U(d_j).
    n_boot : int
        Bootstrap replicates for the DerSimonian-Laird U(d_j).
    bootstrap : bool or None
        Use NICOB's bootstrap for U(d_j) when the consensus used it (default) or not.

    Returns
    -------
    DoEResult
        Per lab ``d``, ``u_d``, ``U_d``, interval ``d_low``/``d_high`` and the leave-one-out
        ``d_loo``, ``u_d_loo``, ``U_d_loo``.

    Raises
    ------
    InputError
        As :func:`consensus`; also when ``result`` was computed from other labs than the
        included ones.

    Notes
    -----
    :math:`d_j = x_j - \hat\mu`. For DerSimonian-Laird with the bootstrap, :math:`U(d_j)` follows
    NICOB (``DoEUnilateralDL``, MRA version, recognising dark uncertainty): bootstrap samples
    :math:`x_j^* - \hat\mu^*` centred on :math:`d_j`, symmetric half-width at ``coverage``;
    excluded labs get :math:`u(d_j)^2 = u_j^2 + \mathrm{var}(\hat\mu^*) + \tau^2` and
    :math:`U = z\,u(d_j)`. Otherwise, with :math:`\sigma_j^2 = u_j^2 + \tau^2` and lab j's weight
    :math:`c_j` in the estimate,

    .. math::

        u^2(d_j) = \sigma_j^2 (1 - 2 c_j) + u^2(\hat\mu) \;\text{(included)}, \qquad
        u^2(d_j) = \sigma_j^2 + u^2(\hat\mu) \;\text{(excluded)}

    and :math:`U = k\,u(d_j)` with k from t on the consensus dof (normal if infinite).
    Leave-one-out: :math:`d_j^{(-j)} = x_j - \hat\mu_{-j}`,
    :math:`u^2 = u_j^2 + \tau_{-j}^2 + u^2(\hat\mu_{-j})` by the estimator's closed form (not
    available for the Bayesian methods: NaN and a note). Excluded labs keep d_j.

    Validated against NICOB PCB 28 leave-one-out differences (IRMM 0.8116 ... NRC 2.9009):
    ``tests/test_characterization.py``.

    References
    ----------
    .. [1] CIPM MRA-D-05, Measurement comparisons in the CIPM MRA (2016).
    .. [2] A. Koepke et al., Metrologia 54 (2017) S34-S62, https://doi.org/10.1088/1681-7575/aa6c0e
    .. [3] D. Jones, D. Spiegelhalter, "Improved probabilistic prediction of healthcare performance
           indicators using bidirectional smoothing", Stat. Med. 30 (2011) 1645-1657.
    """
    _checks.require_level(coverage, "coverage")
    with naming(getattr(values, "analyte", "") or getattr(result, "analyte", "")):
        d = _inputs(values, u, dof, labs, include, need_u=True)
    inc = d["include"]
    if result is None:
        result = consensus(
            values if isinstance(values, LabSummary) else d["x"],
            None if isinstance(values, LabSummary) else d["u"],
            None if isinstance(values, LabSummary) else d["dof"],
            method=method or "dersimonian-laird",
            seed=seed,
            labs=None if isinstance(values, LabSummary) else d["labs"],
            include=None if isinstance(values, LabSummary) else inc,
        )
    elif method is not None and method != result.method:
        raise ValueError(f"`method` {method!r} differs from the result's method {result.method!r}")
    labs_in = [lab for lab, f in zip(d["labs"], inc) if f]
    if list(result.labs) != labs_in:
        raise InputError(
            f"the consensus value was computed from labs {', '.join(result.labs)}, "
            f"not from the included labs {', '.join(labs_in)}",
            hint="pass the same labs and include flags to consensus and degrees_of_equivalence",
        )
    x, uu, dd = d["x"], d["u"], d["dof"]
    value, tau = result.value, result.tau
    tau2 = 0.0 if not math.isfinite(tau) else tau**2
    dj = x - value
    c = np.zeros(len(x))
    c[inc] = np.nan_to_num(np.asarray(result.weights, float), nan=0.0)
    notes: list[str] = []
    z = float(stats.norm.ppf((1 + coverage) / 2))
    k = float(stats.t.ppf((1 + coverage) / 2, result.dof)) if math.isfinite(result.dof) else z
    sigma2 = uu**2 + tau2
    u_d = np.sqrt(np.where(inc, np.maximum(sigma2 * (1 - 2 * c) + result.u**2, 0.0), sigma2 + result.u**2))
    U_d = k * u_d
    u_d_method, n_used = f"closed form, k = {k:.4g}", 0
    boot_seed = seed if seed is not None else result.seed
    if result.u_method == "bootstrap" and bootstrap is not False:
        if boot_seed is None:
            raise InputError(
                "the bootstrap for U(d_j) needs a seed",
                key="seed",
                hint="pass seed=<the lot's seed> or bootstrap=False",
            )
        rng = np.random.default_rng(boot_seed)
        xi, ui, di = x[inc], uu[inc], dd[inc]
        mub, xb, _ = _dl_bootstrap(xi, ui, di, value, int(n_boot), rng, return_x=True)
        D = xb - mub[:, None]
        D = D - D.mean(axis=0) + dj[inc]  # NICOB: centre each column on d_j
        hw = np.array([_half_width(D[:, j], dj[inc][j], coverage) for j in range(D.shape[1])])
        u_d[inc], U_d[inc] = D.std(axis=0, ddof=1), hw
        ex = ~inc
        u_d[ex] = np.sqrt(uu[ex] ** 2 + float(np.var(mub, ddof=1)) + tau2)
        U_d[ex] = z * u_d[ex]
        u_d_method, n_used = "bootstrap (NICOB DoEUnilateralDL, MRA)", int(n_boot)
        notes.append(
            f"U(d) of included labs from NICOB's bootstrap ({n_boot} replicates, seed "
            f"{boot_seed}), symmetric half-width; excluded labs: z u(d)"
        )
    d_loo = dj.copy()
    u_loo, U_loo = u_d.copy(), U_d.copy()
    if leave_one_out:
        idx = np.flatnonzero(inc)
        if len(idx) < 3:
            d_loo[inc] = u_loo[inc] = U_loo[inc] = np.nan
            notes.append("leave-one-out needs at least 3 included labs: not computed")
        elif result.method.startswith("bayes"):
            d_loo[inc] = u_loo[inc] = U_loo[inc] = np.nan
            notes.append("leave-one-out not computed for Bayesian methods (one MCMC fit per lab)")
        else:
            for j in idx:
                rest = idx[idx != j]
                mu_j, tau_j, u_j = _loo(result.method, x[rest], uu[rest])
                d_loo[j] = x[j] - mu_j
                u_loo[j] = math.sqrt(uu[j] ** 2 + tau_j**2 + u_j**2)
                U_loo[j] = (
                    z * u_loo[j]
                    if result.method != "mean"
                    else float(stats.t.ppf((1 + coverage) / 2, len(rest) - 1)) * u_loo[j]
                )
            if (~inc).any():
                notes.append("excluded labs: leave-one-out difference = d (they are not in the value)")
    return DoEResult(
        analyte=result.analyte,
        unit_of_measure=result.unit_of_measure,
        method=result.method,
        value=value,
        tau=tau,
        coverage=float(coverage),
        lab=tuple(d["labs"]),
        included=tuple(bool(v) for v in inc),
        x=tuple(map(float, x)),
        u_x=tuple(map(float, uu)),
        d=tuple(map(float, dj)),
        u_d=tuple(map(float, u_d)),
        U_d=tuple(map(float, U_d)),
        d_low=tuple(map(float, dj - U_d)),
        d_high=tuple(map(float, dj + U_d)),
        d_loo=tuple(map(float, d_loo)),
        u_d_loo=tuple(map(float, u_loo)),
        U_d_loo=tuple(map(float, U_loo)),
        u_d_method=u_d_method,
        n_boot=n_used,
        seed=boot_seed if n_used else None,
        notes=tuple(notes),
        clauses={
            "d": "CIPM MRA-D-05: d_j = x_j - x_ref",
            "U_d": "NICOB DoEUnilateralDL (Koepke et al. 2017)"
            if n_used
            else "var(x_j - mu) with x_j's weight in mu",
            "d_loo": "NICOB leave-one-out DoE (Koepke et al. 2017)",
        },
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class BilateralDoEResult(Result):
    """Bilateral degrees of equivalence D_ij = x_i - x_j with U(D_ij) (CIPM MRA-D-05, 2015)."""

    analyte: str = ""
    lab: tuple[str, ...]
    d: tuple[tuple[float, ...], ...]  # d[i][j] = x_i - x_j
    U_d: tuple[tuple[float, ...], ...]  # k sqrt(u_i^2 + u_j^2)
    k: float
    coverage: float
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"lab_i": a, "lab_j": b, "d": self.d[i][j], "U_d": self.U_d[i][j]}
            for i, a in enumerate(self.lab)
            for j, b in enumerate(self.lab)
            if i != j
        ]
        return pd.DataFrame(rows)


def bilateral_degrees_of_equivalence(
    values, u, *, labs=None, coverage: float = 0.95, analyte: str = ""
) -> BilateralDoEResult:
    r"""Bilateral degrees of equivalence between every pair of labs (CIPM MRA-D-05; Koepke et al. 2017).

    .. math::  D_{ij} = x_i - x_j, \qquad U(D_{ij}) = k \sqrt{u_i^2 + u_j^2}

    with k the normal quantile at ``coverage`` (1.96 for 95 %): the labs' results are taken as
    independent; a pair is equivalent when |D_ij| <= U(D_ij).  Unlike the unilateral DoE this
    does not depend on the consensus estimator, so excluded labs are compared like any other.
    """
    _checks.require_level(coverage, "coverage")
    x = _checks.require_finite_array(values, what="lab values")
    names = tuple(str(v) for v in (labs if labs is not None else range(1, x.size + 1)))
    # u = 0 is allowed: an excluded lab with identical replicates is still compared
    uu = _checks.require_lab_finite(u, names if labs is not None else None, what="u")
    _checks.require_lab_positive(np.where(uu == 0, 1.0, uu), labs, what="u")
    k = float(stats.norm.ppf(0.5 + coverage / 2))
    d = x[:, None] - x[None, :]
    U = k * np.sqrt(uu[:, None] ** 2 + uu[None, :] ** 2)
    return BilateralDoEResult(
        analyte=analyte,
        lab=names,
        d=tuple(map(tuple, d.tolist())),
        U_d=tuple(map(tuple, U.tolist())),
        k=k,
        coverage=coverage,
        clauses={"bilateral": "CIPM MRA-D-05 (2015); D_ij = x_i - x_j, U = k sqrt(u_i^2 + u_j^2)"},
    )
