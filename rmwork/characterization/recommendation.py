"""Method-choice aid for the consensus estimator (after the NIST Decision Tree, Possolo et al. 2021).

Cochran's Q and Shapiro-Wilk of (x - median)/u decide the recommendation; every estimator of
:data:`COMPARE_METHODS` is computed beside it. Compute only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .. import _checks, outliers
from ..results import Result
from .estimators import ConsensusResult, _inputs, consensus
from .labs import LabSummary
from .methods import ALPHA_Q, COMPARE_METHODS, N_BOOT


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation(Result):
    """Recommended consensus estimator with the reason (after the NIST Decision Tree)."""

    analyte: str = ""
    method: str
    reason: str
    alternatives: tuple[str, ...]
    consistent: bool
    normal: bool | None
    q_statistic: float
    q_p_value: float
    i2: float
    shapiro_p: float  # Shapiro-Wilk of (x - median)/u
    alpha: float
    comparison: tuple[ConsensusResult, ...]
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "method": r.method,
                    "value": r.value,
                    "u": r.u,
                    "tau": r.tau,
                    "ci95_low": r.ci95.low,
                    "ci95_high": r.ci95.high,
                    "dof": r.dof,
                    "n_labs": r.n_labs,
                    "u_method": r.u_method,
                    "recommended": r.method == self.method,
                }
                for r in self.comparison
            ]
        )


def recommend(
    values,
    u=None,
    dof=None,
    *,
    labs=None,
    include=None,
    alpha: float = ALPHA_Q,
    alpha_normality: float = 0.05,
    seed: int | None = None,
    methods: tuple[str, ...] = COMPARE_METHODS,
    n_boot: int = N_BOOT,
    bayes_settings=None,
) -> Recommendation:
    r"""Recommend a consensus estimator and compare all of them (after the NIST Decision Tree, 2021).

    Parameters
    ----------
    values, u, dof, labs, include
        As in :func:`consensus`.
    alpha : float
        Level of Cochran's Q test of mutual consistency (the Decision Tree uses 0.10).
    alpha_normality : float
        Level of the Shapiro-Wilk test of (x - median)/u.
    seed : int, optional
        Seed for the bootstrap, the linear pool and Bayesian fits; without it the random
        estimators are left out of the comparison (with a note) and DL uses its closed form.
    methods : tuple of str
        Estimators to compare (add ``bayes-gauss``/``bayes-laplace`` for MCMC fits).

    Returns
    -------
    Recommendation
        ``method``, ``reason``, ``alternatives``, the test results and ``comparison`` (one
        :class:`ConsensusResult` per estimator; ``to_frame()`` tabulates them).

    Raises
    ------
    InputError
        As :func:`consensus`; fewer than 3 included labs for the normality test is a note.

    Notes
    -----
    The branches follow the Decision Tree's logic with rmwork's estimators:

    ========================== ============== ===========================================
    Cochran's Q (p >= alpha)   Shapiro-Wilk   recommendation
    ========================== ============== ===========================================
    consistent                 normal         ``weighted-mean``
    consistent                 not normal     ``bayes-laplace`` (the DT's weighted median
                                              is not implemented)
    inconsistent               normal         ``dersimonian-laird`` (alternative:
                                              ``bayes-gauss``, the DT's choice)
    inconsistent               not normal     ``bayes-laplace``
    ========================== ============== ===========================================

    The Decision Tree also tests symmetry (MGG bootstrap test) to choose a skew-Student
    model; rmwork has no skew model and reports the skewness in :func:`screen` instead.
    The recommendation is an aid: the choice is the analyst's and belongs in the lot file.

    Validated against NICOB PCB 28 (Shapiro-Wilk p 0.5301; inconsistent, normal ->
    dersimonian-laird): ``tests/test_characterization.py``.

    References
    ----------
    .. [1] A. Possolo, A. Koepke, D. Newton, M. R. Winchester, "Decision tree for key
           comparisons", J. Res. NIST 126 (2021) 126007, https://doi.org/10.6028/jres.126.007
    """
    d = _inputs(values, u, dof, labs, include, need_u=True)
    inc = d["include"]
    x, uu = d["x"][inc], d["u"][inc]
    labs_in = [lab for lab, f in zip(d["labs"], inc) if f]
    _checks.require_at_least(len(x), 2, what="included laboratories", formula="recommend")
    notes: list[str] = []
    cq = outliers.cochran_q(x, uu, labs_in)
    consistent = cq.p_value >= alpha
    normal, sw_p = None, math.nan
    if len(x) >= 3:
        z = (x - np.median(x)) / uu
        if np.ptp(z) > 0:
            sw_p = float(stats.shapiro(z).pvalue)
            normal = sw_p >= alpha_normality
    if normal is None:
        notes.append("Shapiro-Wilk needs at least 3 labs that differ: normality not tested")
    q_txt = f"Cochran's Q = {cq.statistic:.4g} on {cq.dof} dof, p = {cq.p_value:.3g}"
    sw_txt = "normality not tested" if normal is None else f"Shapiro-Wilk of (x - median)/u p = {sw_p:.3g}"
    alts: tuple[str, ...]
    if consistent and normal is not False:
        method, alts = "weighted-mean", ("dersimonian-laird",)
        reason = (
            f"{q_txt} >= {alpha}: no evidence of dark uncertainty; {sw_txt}. The weighted "
            "mean (DerSimonian-Laird gives the same value when tau = 0)."
        )
    elif consistent:
        method, alts = "bayes-laplace", ("linear-pool",)
        reason = (
            f"{q_txt} >= {alpha}, but {sw_txt} < {alpha_normality}: heavy tails or an odd lab; "
            "Laplace laboratory effects resist it (the NIST Decision Tree's weighted median "
            "is not in rmwork)."
        )
    elif normal is not False:
        method, alts = "dersimonian-laird", ("bayes-gauss", "paule-mandel")
        reason = (
            f"{q_txt} < {alpha}: the labs disagree beyond their uncertainties (dark "
            f"uncertainty); {sw_txt}: Gaussian laboratory effects. DerSimonian-Laird with "
            "the Knapp–Hartung interval (t on p − 1); the Decision Tree's own choice is "
            "hierarchical Bayes (Gauss)."
        )
    else:
        method, alts = "bayes-laplace", ("dersimonian-laird", "linear-pool")
        reason = (
            f"{q_txt} < {alpha} and {sw_txt} < {alpha_normality}: dark uncertainty with "
            "non-Gaussian laboratory effects; hierarchical Bayes with Laplace effects."
        )
    comparison = []
    for m in methods:
        if seed is None and m in ("linear-pool", "bayes-gauss", "bayes-laplace"):
            notes.append(f"{m} left out of the comparison: it needs a seed")
            continue
        comparison.append(
            consensus(
                values if isinstance(values, LabSummary) else d["x"],
                None if isinstance(values, LabSummary) else d["u"],
                None if isinstance(values, LabSummary) else d["dof"],
                method=m,
                seed=seed,
                labs=None if isinstance(values, LabSummary) else d["labs"],
                include=None if isinstance(values, LabSummary) else inc,
                n_boot=n_boot,
                bayes_settings=bayes_settings,
            )
        )
    return Recommendation(
        analyte=values.analyte if isinstance(values, LabSummary) else "",
        method=method,
        reason=reason,
        alternatives=alts,
        consistent=bool(consistent),
        normal=normal,
        q_statistic=cq.statistic,
        q_p_value=cq.p_value,
        i2=cq.i2,
        shapiro_p=sw_p,
        alpha=alpha,
        comparison=tuple(comparison),
        notes=tuple(notes),
        clauses={
            "method": "NIST Decision Tree (Possolo et al. 2021), adapted",
            "q_p_value": "Cochran (1954)",
            "shapiro_p": "NIST Decision Tree: Shapiro-Wilk of (x - median)/u",
        },
    )
