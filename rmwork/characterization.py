"""Characterization of a reference material from interlaboratory results (ISO Guide 35:2017, clause 9).

Covers the laboratory summary of a characterization table (9.2, one row per laboratory or
replicate rows), the consensus value and its standard uncertainty u_char (9.3-9.5; JJF 1343-2022
6.3) by the estimators of the NIST Consensus Builder (Koepke et al. 2017): mean of laboratory
means, weighted mean, DerSimonian-Laird with NICOB's parametric bootstrap or the Knapp-Hartung
adjustment, Paule-Mandel, hierarchical Bayes (Gaussian or Laplace laboratory effects, via
:mod:`rmwork.bayes`) and the linear opinion pool; unilateral degrees of equivalence with
leave-one-out differences (CIPM MRA; NICOB); the advisory screening of :mod:`rmwork.outliers`;
and a method-choice aid in the spirit of the NIST Decision Tree (Possolo et al. 2021).
Compute only: no rounding, no plotting, no file reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import _checks, outliers
from .errors import InputError
from .results import ConfidenceInterval, Result

METHODS = ("mean", "weighted-mean", "dersimonian-laird", "paule-mandel", "bayes-gauss",
           "bayes-laplace", "linear-pool")                  # CONTRACT.md
COMPARE_METHODS = ("mean", "weighted-mean", "dersimonian-laird", "paule-mandel", "linear-pool")
N_BOOT = 10_000        # NICOB's default number of bootstrap replicates (server.R, DoEbootrep)
N_POOL = 100_000       # NICOB linearOP sample size m = 1e5
DOF_INFINITE = 10_000  # NICOB treats nu > 10000 as infinitely many degrees of freedom
PHI_A, PHI_B = 0.4668994, -0.3998882  # NICOB: scale of Student t with nu <= 2 (no finite variance)
ALPHA_Q = 0.05         # brief / NIST Decision Tree test of consistency (the DT itself uses 0.10)

CLAUSES = {
    "value": "ISO Guide 35:2017, 9.3-9.5; JJF 1343-2022, 6.3",
    "u": "ISO Guide 35:2017, 9.5 (u_char)",
    "tau": "Koepke et al., Metrologia 54 (2017) S34 (dark uncertainty)",
    "q_statistic": "Cochran (1954)",
    "i2": "Higgins & Thompson (2002)",
}
METHOD_CLAUSES = {
    "mean": "ISO Guide 35:2017, 9.5.2 (mean of laboratory means, u = s/sqrt(p))",
    "weighted-mean": "ISO Guide 35:2017, 9.5.3 (weighted mean); GUM G.4.1 for dof_eff",
    "dersimonian-laird": "DerSimonian & Laird (1986); NICOB parametric bootstrap (Koepke et al. 2017)",
    "paule-mandel": "Paule & Mandel (1982)",
    "bayes-gauss": "NICOB hierarchical Gauss-Gauss (Koepke et al. 2017)",
    "bayes-laplace": "NICOB hierarchical Laplace-Gauss (Koepke et al. 2017)",
    "linear-pool": "NICOB linear opinion pool (Koepke et al. 2017; Toman 2007)",
}


# ---------------------------------------------------------------------------------------------
# laboratory summary

@dataclass(frozen=True, slots=True, kw_only=True)
class LabSummary(Result):
    """Per-laboratory summary of a characterization table (ISO Guide 35:2017, 9.2)."""

    analyte: str = ""
    unit_of_measure: str = ""
    layout: str                     # "per-lab" (u given) or "replicates"
    lab: tuple[str, ...]
    value: tuple[float, ...]        # laboratory mean (or the reported value)
    u: tuple[float, ...]            # standard uncertainty of the laboratory value
    dof: tuple[float, ...]          # inf when not given
    n: tuple[int, ...]              # results per laboratory
    sd: tuple[float, ...]           # SD of the replicates (NaN in the per-lab layout)
    include: tuple[bool, ...]
    excluded: tuple[tuple[str, str], ...] = ()   # (lab, reason)
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _replicates: object = field(default=None, repr=False, compare=False)   # DataFrame lab/value (replicate layout)
    _where: str | None = field(default=None, repr=False, compare=False)

    @property
    def n_labs(self) -> int:
        return len(self.lab)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"lab": self.lab, "n": self.n, "value": self.value, "sd": self.sd,
                             "u": self.u, "dof": self.dof, "include": self.include})


def _norm_include(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    s = str(v).strip().lower()
    if s in ("yes", "y", "true", "1", "1.0", "", "nan", "none"):
        return True
    if s in ("no", "n", "false", "0", "0.0"):
        return False
    raise InputError(f"include value '{v}' is not yes or no", column="include", hint="write yes or no")


def lab_summary(df: pd.DataFrame, lab: str = "lab", value: str = "value", u: str = "u", dof: str = "dof",
                include: str = "include", *, exclude: Mapping[str, str] | None = None,
                analyte: str | None = None, unit_of_measure: str = "") -> LabSummary:
    r"""Per-laboratory values, uncertainties and degrees of freedom (ISO Guide 35:2017, 9.2).

    Parameters
    ----------
    df : pandas.DataFrame
        Characterization table of one analyte: either one row per laboratory with ``u`` (and
        optionally ``dof``; or ``U`` and ``k``, then u = U/k), or several replicate rows per
        laboratory without ``u``.
    lab, value, u, dof, include : str
        Column names. ``include`` (yes/no) is a per-laboratory flag; labs with ``no`` are kept out
        of the consensus value but still get degrees of equivalence.
    exclude : mapping of lab -> reason, optional
        Further labs to keep out of the value (the lot file's ``characterization.exclude``).
    analyte, unit_of_measure : str, optional
        Labels copied to the result; with several analytes in ``df``, ``analyte`` selects one.

    Returns
    -------
    LabSummary
        ``lab``, ``value``, ``u``, ``dof``, ``n``, ``sd``, ``include`` per laboratory and
        ``excluded`` (lab, reason).

    Raises
    ------
    InputError
        Missing columns, several analytes without a choice, non-finite values, a lab with one
        result and no u, a repeated lab in the per-lab layout, non-positive u or dof (the message
        names the lab and, where known, the file).

    Notes
    -----
    Replicate layout: :math:`\bar x_j`, :math:`s_j`, :math:`u_j = s_j/\sqrt{n_j}`,
    :math:`\nu_j = n_j - 1`. A missing dof means infinitely many degrees of freedom.

    Validated against eCerto SR3 (Si, 10 labs x 6 replicates; mean of lab means 0.0492917):
    ``tests/test_characterization.py``.
    """
    where = df.attrs.get("file") if hasattr(df, "attrs") else None
    if lab not in df.columns or value not in df.columns:
        missing = lab if lab not in df.columns else value
        raise InputError(f"required column '{missing}' is missing", file=where,
                         hint=f"the table has {', '.join(map(str, df.columns))}")
    notes: list[str] = []
    if "analyte" in df.columns and df["analyte"].nunique() > 1:
        if analyte is None:
            raise InputError(f"the table holds analytes {', '.join(map(str, df['analyte'].unique()))}",
                             file=where, hint="pass analyte=... or use by_analyte(...)")
        df = df[df["analyte"].astype(str) == str(analyte)]
        if df.empty:
            raise InputError(f"analyte '{analyte}' is not in the table", file=where,
                             hint="check the analyte name")
    if analyte is None and "analyte" in df.columns and len(df):
        analyte = str(df["analyte"].iloc[0])
    if not unit_of_measure and "unit_of_measure" in df.columns and len(df):
        unit_of_measure = str(df["unit_of_measure"].iloc[0])
    rows = df["source_row"].tolist() if "source_row" in df.columns else None
    labs_all = df[lab].astype(str).tolist()
    try:
        vals = np.asarray(df[value], dtype=float)
    except (TypeError, ValueError):
        raise InputError("values must be numbers", file=where, column=value,
                         hint="check the column for text") from None
    bad = ~np.isfinite(vals)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"lab '{labs_all[i]}': the value is {vals[i]!r}, not a finite number",
                         file=where, row=None if rows is None else rows[i], column=value,
                         hint="enter a result or delete the row")
    has_u = u in df.columns and df[u].notna().any()
    if not has_u and {"U", "k"} <= set(df.columns) and df["U"].notna().any():
        df = df.assign(**{u: np.asarray(df["U"], float) / np.asarray(df["k"], float)})
        has_u = True
        notes.append("u = U/k from the columns U and k")
    inc_rows = [(_norm_include(v)) for v in df[include]] if include in df.columns else [True] * len(df)
    order = list(dict.fromkeys(labs_all))
    inc_lab = {}
    for name, flag in zip(labs_all, inc_rows):
        if inc_lab.setdefault(name, flag) != flag:
            raise InputError(f"lab '{name}': include is yes on some rows and no on others", file=where,
                             column=include, hint="use one include value per laboratory")
    if has_u:
        layout = "per-lab"
        _checks.require_unique_labels(labs_all, what="lab", where=where)
        uu = np.asarray(df[u], dtype=float)
        if np.isnan(uu).any():
            i = int(np.flatnonzero(np.isnan(uu))[0])
            raise InputError(f"lab '{labs_all[i]}': u is empty", file=where,
                             row=None if rows is None else rows[i], column=u,
                             hint="enter the lab's standard uncertainty")
        uu = _checks.require_lab_positive(uu, labs_all, what="u", where=where)
        dd = np.asarray(df[dof], dtype=float) if dof in df.columns else np.full(len(df), np.inf)
        if np.isnan(dd).any() and dof in df.columns:
            notes.append("labs without dof are taken to have infinitely many degrees of freedom")
        dd = np.where(np.isnan(dd), np.inf, dd)
        dd = _checks.require_lab_positive(dd, labs_all, what="dof", where=where, allow_inf=True)
        value_t, u_t, dof_t = vals, uu, dd
        n_t, sd_t = np.ones(len(vals), int), np.full(len(vals), np.nan)
        reps = None
    else:
        layout = "replicates"
        frame = pd.DataFrame({"lab": labs_all, "value": vals})
        g = frame.groupby("lab", sort=False)["value"]
        n_t = g.count().reindex(order).to_numpy(int)
        single = [name for name, k in zip(order, n_t) if k < 2]
        if single:
            raise InputError(f"lab '{single[0]}' has 1 result and the table gives no u", file=where,
                             hint="give u (one row per lab) or at least 2 replicates per lab")
        value_t = g.mean().reindex(order).to_numpy(float)
        sd_t = g.std(ddof=1).reindex(order).to_numpy(float)
        u_t = sd_t / np.sqrt(n_t)
        dof_t = (n_t - 1).astype(float)
        reps = frame
        zero = [name for name, s in zip(order, sd_t) if s == 0]
        if zero:
            notes.append(f"lab '{zero[0]}' has identical replicates: u = 0; weighted estimators "
                         "cannot use it")
    include_t = np.array([inc_lab[name] for name in order])
    excluded = [(name, "include = no in the data table") for name, f in zip(order, include_t) if not f]
    for name, reason in (exclude or {}).items():
        if name not in order:
            raise InputError(f"excluded lab '{name}' is not in the table", file=where, key="exclude",
                             hint=f"labs are {', '.join(order)}")
        if include_t[order.index(name)]:
            include_t[order.index(name)] = False
            excluded.append((name, str(reason)))
    for name, reason in excluded:
        notes.append(f"lab '{name}' kept out of the consensus value ({reason}); it still gets a "
                     "degree of equivalence")
    return LabSummary(analyte="" if analyte is None else str(analyte), unit_of_measure=unit_of_measure,
                      layout=layout, lab=tuple(order), value=tuple(float(v) for v in value_t),
                      u=tuple(float(v) for v in u_t), dof=tuple(float(v) for v in dof_t),
                      n=tuple(int(v) for v in n_t), sd=tuple(float(v) for v in sd_t),
                      include=tuple(bool(v) for v in include_t), excluded=tuple(excluded),
                      notes=tuple(notes), _replicates=reps, _where=where,
                      clauses={"u": "ISO Guide 35:2017, 9.2: u_j = s_j/sqrt(n_j) for replicates"})


# ---------------------------------------------------------------------------------------------
# array cores (pure)

def _dl_core(x: np.ndarray, u: np.ndarray):
    """DerSimonian-Laird along the last axis: (mu, tau2, Q, sum of weights)."""
    w0 = 1.0 / u ** 2
    s1 = w0.sum(-1)
    xw = (w0 * x).sum(-1) / s1
    q = (w0 * (x - xw[..., None]) ** 2).sum(-1)
    c = s1 - (w0 ** 2).sum(-1) / s1
    tau2 = np.maximum(0.0, (q - (x.shape[-1] - 1)) / c)       # DL (1986): truncate at zero
    w = 1.0 / (u ** 2 + tau2[..., None])
    return (w * x).sum(-1) / w.sum(-1), tau2, q, w.sum(-1)


def _pm_core(x: np.ndarray, u: np.ndarray):
    """Paule-Mandel: tau2 solves sum w (x - mu)^2 = p - 1, w = 1/(u^2 + tau2)."""
    p = len(x)

    def f(t2):
        w = 1.0 / (u ** 2 + t2)
        m = (w * x).sum() / w.sum()
        return float((w * (x - m) ** 2).sum() - (p - 1))

    if f(0.0) <= 0:
        tau2 = 0.0
    else:
        hi = max(float(np.var(x, ddof=1)), float(np.max(u ** 2)), 1e-300)
        while f(hi) > 0:
            hi *= 4
        tau2 = optimize.brentq(f, 0.0, hi, xtol=1e-15 * hi, rtol=1e-15, maxiter=500)
    w = 1.0 / (u ** 2 + tau2)
    return float((w * x).sum() / w.sum()), tau2, float(w.sum())


def _sample_tau2(x, u, size, rng):
    """NICOB sampleFromTau2Dist: tau2 via a gamma approximation to Cochran's Q (Biggerstaff &
    Tweedie 1997, Formulas (5) and (7)), fitted at the untruncated moment estimate."""
    w = 1.0 / u ** 2
    s1, s2, s3 = w.sum(), (w ** 2).sum(), (w ** 3).sum()
    p = len(x)
    c = s1 - s2 / s1
    xw = (w * x).sum() / s1
    q = (w * (x - xw) ** 2).sum()
    t2m = (q - (p - 1)) / c
    e_q = (p - 1) + c * t2m
    v_q = 2 * (p - 1) + 4 * c * t2m + 2 * (s2 - 2 * s3 / s1 + s2 ** 2 / s1 ** 2) * t2m ** 2
    if not (v_q > 0 and e_q > 0):
        return np.full(size, max(0.0, t2m))
    qs = rng.gamma(e_q ** 2 / v_q, v_q / e_q, size)
    return np.maximum(0.0, (qs - (p - 1)) / c)


def _scaled_t(nu: np.ndarray, rng, shape) -> np.ndarray:
    """Student t draws scaled to unit SD (NICOB: factor phi for nu <= 2); normal for nu infinite."""
    nu = np.broadcast_to(nu, shape)
    finite = nu <= DOF_INFINITE
    out = rng.standard_normal(shape)
    if finite.any():
        nf = nu[finite]
        phi = np.where(nf > 2, np.sqrt(nf / np.where(nf > 2, nf - 2, 1.0)),
                       1.5 * (1 - 0.75 * (PHI_A - 4 * PHI_B * (nf ** -0.75 - 1) / 3)) ** (-4 / 3))
        out[finite] = rng.standard_t(nf) / phi
    return out


def _dl_bootstrap(x, u, dof, mu, n_boot, rng, *, return_x=False):
    """NICOB bootDL: tau2* from the approximate distribution, x* ~ N(mu, tau2* + u^2),
    u* = u sqrt(nu/chi2_nu) (labs with finite dof), mu* = DL(x*, u*)."""
    p = len(x)
    tau2b = _sample_tau2(x, u, n_boot, rng)
    xb = mu + rng.standard_normal((n_boot, p)) * np.sqrt(tau2b[:, None] + u ** 2)
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
    u: float                        # standard uncertainty of the consensus value (u_char)
    tau: float                      # between-laboratory SD (dark uncertainty); NaN if not modelled
    ci95: ConfidenceInterval        # 95 % interval
    ci: ConfidenceInterval          # interval at ``coverage``
    coverage: float
    dof: float                      # degrees of freedom of u (inf: normal)
    n_labs: int                     # labs in the value
    labs: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...] = ()
    weights: tuple[float, ...] = ()  # normalised weights of the included labs (NaN where undefined)
    q_statistic: float = math.nan
    q_dof: int = 0
    q_p_value: float = math.nan
    i2: float = math.nan
    u_closed_form: float = math.nan  # (sum w)^-1/2 (weighted, DL, PM) or s/sqrt(p) (mean)
    u_method: str = ""              # how u and the interval were obtained
    knapp_hartung: bool = False
    n_boot: int = 0                 # bootstrap / pool sample size (0: none)
    seed: int | None = None
    diagnostics_passed: bool | None = None   # Bayesian methods: the MCMC gate
    bayes_summary: Mapping | None = None
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _draws: object = field(default=None, repr=False, compare=False)     # bootstrap / pool / posterior draws of mu
    _data: object = field(default=None, repr=False, compare=False)      # dict of included x, u, dof
    _fit: object = field(default=None, repr=False, compare=False)

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
        x = np.asarray(values, dtype=float).ravel() if not isinstance(values, pd.Series) \
            else values.to_numpy(float)
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
            raise InputError("this estimator needs the labs' standard uncertainties u", file=where,
                             hint="give u, or use method='mean'")
        uu = np.full(p_all, np.nan)
    else:
        uu = np.asarray(u, dtype=float).ravel()
        if len(uu) != p_all:
            raise ValueError(f"`u` must have {p_all} entries, got {len(uu)}")
        uu = _checks.require_lab_positive(uu, labs, what="u", where=where)
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
    return dict(x=x, u=uu, dof=dd, labs=labs, include=inc, excluded=excluded, where=where,
                summary=summary)


def consensus(values, u=None, dof=None, method: str = "dersimonian-laird", seed: int | None = None, *,
              labs=None, include=None, coverage: float = 0.95, knapp_hartung: bool = False,
              bootstrap: bool | None = None, n_boot: int = N_BOOT, n_pool: int = N_POOL,
              bayes_settings=None, analyte: str = "", unit_of_measure: str = "") -> ConsensusResult:
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
    knapp_hartung : bool
        DerSimonian-Laird / Paule-Mandel: u and the interval by Knapp & Hartung (2003), with
        t on p - 1 degrees of freedom (no bootstrap).
    bootstrap : bool or None
        DerSimonian-Laird: NICOB's parametric bootstrap for u and the interval (using the labs'
        dof). ``None`` runs it when a seed is given and otherwise uses the closed form; the
        choice is recorded in ``u_method`` and ``notes``.
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
    d = _inputs(values, u, dof, labs, include, need_u=method != "mean")
    if isinstance(values, LabSummary):
        analyte = analyte or values.analyte
        unit_of_measure = unit_of_measure or values.unit_of_measure
    inc = d["include"]
    x, uu, dd = d["x"][inc], d["u"][inc], d["dof"][inc]
    labs_in = [lab for lab, f in zip(d["labs"], inc) if f]
    p = len(x)
    loc = ", ".join(part for part in (d["where"], f"analyte '{analyte}'" if analyte else None) if part)
    _checks.require_at_least(p, 2, what="included laboratories", formula=f"consensus ({method})",
                             where=loc or None)
    notes: list[str] = []
    clauses = dict(CLAUSES, method=METHOD_CLAUSES[method])
    have_u = bool(np.isfinite(uu).all())
    if have_u:
        qres = outliers.cochran_q(x, uu, labs_in)
        q, q_p, i2 = qres.statistic, qres.p_value, qres.i2
    else:
        q = q_p = i2 = math.nan
    random_needed = method in ("linear-pool", "bayes-gauss", "bayes-laplace") or (
        method == "dersimonian-laird" and bootstrap is True and not knapp_hartung)
    if random_needed and seed is None:
        raise InputError(f"consensus method '{method}' draws random numbers and needs a seed",
                         key="seed", hint="pass seed=<the lot's seed> (or bootstrap=False for the "
                                          "closed-form DerSimonian-Laird)")
    rng = np.random.default_rng(seed) if seed is not None else None
    tau, weights, draws, fit, diag, bsum = math.nan, np.full(p, np.nan), None, None, None, None
    u_cf, dof_out, n_draws, u_method = math.nan, math.inf, 0, "closed form"
    if method == "mean":
        value = float(np.mean(x))
        u_cf = u_out = float(np.std(x, ddof=1)) / math.sqrt(p)
        dof_out, weights = float(p - 1), np.full(p, 1.0 / p)
        notes.append("mean of laboratory means: u = s/sqrt(p), t on p - 1 degrees of freedom; "
                     "the labs' own uncertainties are not used")
        if u_out == 0:
            notes.append("all laboratory means are equal: u = 0")
    elif method == "weighted-mean":
        w = 1.0 / uu ** 2
        value = float((w * x).sum() / w.sum())
        u_cf = u_out = float(w.sum() ** -0.5)
        tau, weights = 0.0, w / w.sum()
        finite = np.isfinite(dd)
        if finite.any():
            terms = np.where(finite, (weights * uu) ** 4 / np.where(finite, dd, 1.0), 0.0)
            dof_out = float(u_out ** 4 / terms.sum())
            notes.append(f"degrees of freedom by Welch-Satterthwaite (GUM G.4.1): {dof_out:.4g}")
        if have_u and q_p < ALPHA_Q:
            notes.append(f"Cochran's Q p = {q_p:.3g} < {ALPHA_Q}: the labs are mutually "
                         "inconsistent and the weighted mean understates u; consider "
                         "dersimonian-laird or a Bayesian model")
    elif method in ("dersimonian-laird", "paule-mandel"):
        if method == "dersimonian-laird":
            mu, tau2, _, wsum = (float(v) for v in _dl_core(x, uu))
        else:
            mu, tau2, wsum = _pm_core(x, uu)
        value, tau = mu, math.sqrt(tau2)
        w = 1.0 / (uu ** 2 + tau2)
        weights = w / w.sum()
        u_cf = u_out = wsum ** -0.5
        if tau2 == 0:
            notes.append(f"Q = {q:.4g} <= p - 1 = {p - 1}: tau = 0, {method} equals the weighted mean"
                         if method == "dersimonian-laird" else
                         "sum of weighted squared deviations <= p - 1 at tau = 0: tau = 0, "
                         "Paule-Mandel equals the weighted mean")
        if knapp_hartung:
            u_out = math.sqrt(float((w * (x - mu) ** 2).sum()) / ((p - 1) * w.sum()))
            dof_out, u_method = float(p - 1), "knapp-hartung"
            clauses["u"] = "Knapp & Hartung (2003): u^2 = sum w (x - mu)^2 / ((p-1) sum w), t on p-1"
        elif method == "dersimonian-laird" and (bootstrap or (bootstrap is None and seed is not None)):
            draws = _dl_bootstrap(x, uu, dd, mu, int(n_boot), rng)
            u_out, u_method, n_draws = float(np.std(draws, ddof=1)), "bootstrap", int(n_boot)
            clauses["u"] = "NICOB parametric bootstrap (Koepke et al. 2017, A.2); symmetric interval"
            notes.append(f"u and the interval from NICOB's parametric bootstrap ({n_boot} replicates, "
                         f"seed {seed}); closed-form (sum w)^-1/2 = {u_cf:.6g}")
        elif method == "dersimonian-laird":
            notes.append("no seed: u = (sum w)^-1/2 (closed form) and a normal interval, without "
                         "NICOB's bootstrap" if bootstrap is None else
                         "bootstrap=False: u = (sum w)^-1/2 (closed form) and a normal interval")
    elif method == "linear-pool":
        draws = _pool_sample(x, uu, dd, int(n_pool), rng)
        value, u_out = float(np.mean(draws)), float(np.std(draws, ddof=1))
        u_method, n_draws, weights = "mixture", int(n_pool), np.full(p, 1.0 / p)
        notes.append(f"linear pool of {p} labs with equal weights, {n_pool} draws (seed {seed}); "
                     "interval from the 2.5 % and 97.5 % quantiles")
    else:
        from . import bayes  # heavy (PyMC): imported only when a Bayesian method is asked for

        effects = "gauss" if method == "bayes-gauss" else "laplace"
        fit = bayes.hierarchical(x, uu, None if np.isinf(dd).all() else dd, effects=effects, seed=seed,
                                 settings=bayes_settings, labs=labs_in)
        smu = fit.summary["mu"]
        value, u_out = float(smu["mean"]), float(smu["sd"])
        tau = float(fit.summary["tau"]["mean"])
        draws = np.asarray(fit.draws["mu"], dtype=float).ravel()
        u_method, n_draws = "posterior", int(draws.size)
        diag = bool(fit.diagnostics.passed)
        bsum = {"mu": dict(smu), "tau": dict(fit.summary["tau"])}
        notes.append(f"posterior mean and SD of mu; tau is the posterior mean ({effects} laboratory "
                     "effects)")
        if not diag:
            notes.extend(str(m) for m in fit.diagnostics.messages)
            notes.append("MCMC diagnostics failed: not for the certificate")
        w = 1.0 / (uu ** 2 + tau ** 2)
        weights = w / w.sum()   # approximate: the posterior has no fixed weights
    if have_u and q_p < ALPHA_Q and method in ("dersimonian-laird", "paule-mandel", "bayes-gauss",
                                               "bayes-laplace", "linear-pool"):
        notes.append(f"Cochran's Q = {q:.4g} on {p - 1} dof (p = {q_p:.3g}), I^2 = {100 * i2:.3g} %: "
                     "dark uncertainty is present")
    interval = _interval(u_method, value, u_out, dof_out, draws, coverage)
    interval95 = _interval(u_method, value, u_out, dof_out, draws, 0.95)
    return ConsensusResult(
        analyte=str(analyte), unit_of_measure=str(unit_of_measure), method=method, value=float(value),
        u=float(u_out), tau=float(tau), ci95=interval95, ci=interval, coverage=float(coverage),
        dof=float(dof_out), n_labs=p, labs=tuple(labs_in), excluded=tuple(d["excluded"]),
        weights=tuple(float(v) for v in weights), q_statistic=float(q), q_dof=p - 1,
        q_p_value=float(q_p), i2=float(i2), u_closed_form=float(u_cf), u_method=u_method,
        knapp_hartung=bool(knapp_hartung), n_boot=n_draws, seed=seed, diagnostics_passed=diag,
        bayes_summary=bsum, notes=tuple(notes), clauses=clauses, _draws=draws,
        _data={"x": x, "u": uu, "dof": dd}, _fit=fit)


# ---------------------------------------------------------------------------------------------
# degrees of equivalence

@dataclass(frozen=True, slots=True, kw_only=True)
class DoEResult(Result):
    """Unilateral degrees of equivalence d_j = x_j - x_ref with U(d_j) (CIPM MRA; NICOB)."""

    analyte: str = ""
    unit_of_measure: str = ""
    method: str
    value: float                    # the consensus value x_ref
    tau: float
    coverage: float
    lab: tuple[str, ...]
    included: tuple[bool, ...]
    x: tuple[float, ...]            # laboratory values
    u_x: tuple[float, ...]          # laboratory standard uncertainties
    d: tuple[float, ...]
    u_d: tuple[float, ...]
    U_d: tuple[float, ...]          # half-width at ``coverage`` (95 % by default)
    d_low: tuple[float, ...]
    d_high: tuple[float, ...]
    d_loo: tuple[float, ...]        # x_j - consensus of the other labs (included labs)
    u_d_loo: tuple[float, ...]
    U_d_loo: tuple[float, ...]
    u_d_method: str
    n_boot: int = 0
    seed: int | None = None
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"lab": self.lab, "included": self.included, "x": self.x, "u_x": self.u_x,
                             "d": self.d, "u_d": self.u_d, "U_d": self.U_d, "d_low": self.d_low,
                             "d_high": self.d_high, "d_loo": self.d_loo, "u_d_loo": self.u_d_loo,
                             "U_d_loo": self.U_d_loo})


def _loo(method: str, x: np.ndarray, u: np.ndarray):
    """Consensus of the other labs: (mu, tau, u) by the method's deterministic part."""
    p = len(x)
    if method == "mean":
        return float(np.mean(x)), 0.0, float(np.std(x, ddof=1)) / math.sqrt(p)
    if method == "weighted-mean":
        w = 1 / u ** 2
        return float((w * x).sum() / w.sum()), 0.0, float(w.sum() ** -0.5)
    if method == "dersimonian-laird":
        mu, tau2, _, wsum = (float(v) for v in _dl_core(x, u))
        return mu, math.sqrt(tau2), wsum ** -0.5
    if method == "paule-mandel":
        mu, tau2, wsum = _pm_core(x, u)
        return mu, math.sqrt(tau2), wsum ** -0.5
    if method == "linear-pool":  # exact moments of the equal-weight mixture
        m = float(np.mean(x))
        return m, 0.0, math.sqrt(float(np.mean(u ** 2) + np.mean((x - m) ** 2)))
    return math.nan, math.nan, math.nan


def degrees_of_equivalence(values, u=None, result: ConsensusResult | None = None, *, labs=None,
                           include=None, dof=None, method: str | None = None, seed: int | None = None,
                           leave_one_out: bool = True, coverage: float = 0.95, n_boot: int = N_BOOT,
                           bootstrap: bool | None = None) -> DoEResult:
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
    d = _inputs(values, u, dof, labs, include, need_u=True)
    inc = d["include"]
    if result is None:
        result = consensus(values if isinstance(values, LabSummary) else d["x"],
                           None if isinstance(values, LabSummary) else d["u"],
                           None if isinstance(values, LabSummary) else d["dof"],
                           method=method or "dersimonian-laird", seed=seed,
                           labs=None if isinstance(values, LabSummary) else d["labs"],
                           include=None if isinstance(values, LabSummary) else inc)
    elif method is not None and method != result.method:
        raise ValueError(f"`method` {method!r} differs from the result's method {result.method!r}")
    labs_in = [lab for lab, f in zip(d["labs"], inc) if f]
    if list(result.labs) != labs_in:
        raise InputError(f"the consensus value was computed from labs {', '.join(result.labs)}, "
                         f"not from the included labs {', '.join(labs_in)}",
                         hint="pass the same labs and include flags to consensus and "
                              "degrees_of_equivalence")
    x, uu, dd = d["x"], d["u"], d["dof"]
    value, tau = result.value, result.tau
    tau2 = 0.0 if not math.isfinite(tau) else tau ** 2
    dj = x - value
    c = np.zeros(len(x))
    c[inc] = np.nan_to_num(np.asarray(result.weights, float), nan=0.0)
    notes: list[str] = []
    z = float(stats.norm.ppf((1 + coverage) / 2))
    k = float(stats.t.ppf((1 + coverage) / 2, result.dof)) if math.isfinite(result.dof) else z
    sigma2 = uu ** 2 + tau2
    u_d = np.sqrt(np.where(inc, np.maximum(sigma2 * (1 - 2 * c) + result.u ** 2, 0.0),
                           sigma2 + result.u ** 2))
    U_d = k * u_d
    u_d_method, n_used = f"closed form, k = {k:.4g}", 0
    boot_seed = seed if seed is not None else result.seed
    if result.u_method == "bootstrap" and bootstrap is not False:
        if boot_seed is None:
            raise InputError("the bootstrap for U(d_j) needs a seed", key="seed",
                             hint="pass seed=<the lot's seed> or bootstrap=False")
        rng = np.random.default_rng(boot_seed)
        xi, ui, di = x[inc], uu[inc], dd[inc]
        mub, xb, _ = _dl_bootstrap(xi, ui, di, value, int(n_boot), rng, return_x=True)
        D = xb - mub[:, None]
        D = D - D.mean(axis=0) + dj[inc]           # NICOB: centre each column on d_j
        hw = np.array([_half_width(D[:, j], dj[inc][j], coverage) for j in range(D.shape[1])])
        u_d[inc], U_d[inc] = D.std(axis=0, ddof=1), hw
        ex = ~inc
        u_d[ex] = np.sqrt(uu[ex] ** 2 + float(np.var(mub, ddof=1)) + tau2)
        U_d[ex] = z * u_d[ex]
        u_d_method, n_used = "bootstrap (NICOB DoEUnilateralDL, MRA)", int(n_boot)
        notes.append(f"U(d) of included labs from NICOB's bootstrap ({n_boot} replicates, seed "
                     f"{boot_seed}), symmetric half-width; excluded labs: z u(d)")
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
                u_loo[j] = math.sqrt(uu[j] ** 2 + tau_j ** 2 + u_j ** 2)
                U_loo[j] = z * u_loo[j] if result.method != "mean" else \
                    float(stats.t.ppf((1 + coverage) / 2, len(rest) - 1)) * u_loo[j]
            if (~inc).any():
                notes.append("excluded labs: leave-one-out difference = d (they are not in the value)")
    return DoEResult(
        analyte=result.analyte, unit_of_measure=result.unit_of_measure, method=result.method,
        value=value, tau=tau, coverage=float(coverage), lab=tuple(d["labs"]),
        included=tuple(bool(v) for v in inc), x=tuple(map(float, x)), u_x=tuple(map(float, uu)),
        d=tuple(map(float, dj)), u_d=tuple(map(float, u_d)), U_d=tuple(map(float, U_d)),
        d_low=tuple(map(float, dj - U_d)), d_high=tuple(map(float, dj + U_d)),
        d_loo=tuple(map(float, d_loo)), u_d_loo=tuple(map(float, u_loo)),
        U_d_loo=tuple(map(float, U_loo)), u_d_method=u_d_method, n_boot=n_used,
        seed=boot_seed if n_used else None, notes=tuple(notes),
        clauses={"d": "CIPM MRA-D-05: d_j = x_j - x_ref",
                 "U_d": "NICOB DoEUnilateralDL (Koepke et al. 2017)" if n_used else
                        "var(x_j - mu) with x_j's weight in mu",
                 "d_loo": "NICOB leave-one-out DoE (Koepke et al. 2017)"})


# ---------------------------------------------------------------------------------------------
# screening (advisory)

@dataclass(frozen=True, slots=True, kw_only=True)
class ScreeningResult(Result):
    """Advisory screening of laboratory results (ISO 5725-2:2019, 7.3; eCerto Tables C1/C2)."""

    analyte: str = ""
    n_labs: int
    labs: tuple[str, ...]
    rows: tuple[dict, ...]          # per-lab: means, SD, letters and p-values
    flags: tuple[str, ...]          # sentences: which lab, which test, which level
    grubbs: object = None
    grubbs_double: object = None
    dixon: object = None
    cochran: object = None
    mandel_h: object = None
    mandel_k: object = None
    scheffe: object = None
    normality: object = None
    cochran_q: object = None
    alpha: float = 0.05
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows))


def _try(notes: list, name: str, fn: Callable, *args, **kw):
    try:
        return fn(*args, **kw)
    except InputError as e:
        notes.append(f"{name} not applied: {e}")
        return None


def screen(data, lab: str = "lab", value: str = "value", u: str = "u", dof: str = "dof",
           include: str = "include", *, alpha: float = 0.05, seed: int = outliers.DEFAULT_SEED,
           n_sim: int = outliers.N_SIM, analyte: str | None = None,
           exclude: Mapping[str, str] | None = None) -> ScreeningResult:
    r"""Advisory outlier and consistency screening of the included labs (ISO 5725-2:2019, 7.3).

    Runs on the laboratory means: Grubbs single and double, Dixon, Mandel's h, normality
    (Shapiro-Wilk, Kolmogorov-Smirnov, skewness, kurtosis) and Cochran's Q with I^2 (when u is
    known); on replicates, where the table has them: Cochran's C (repeated), Mandel's k and the
    Scheffé letter groups. Nothing is removed: the result lists flags for the analyst.

    Parameters
    ----------
    data : pandas.DataFrame or LabSummary
        Characterization table of one analyte (see :func:`lab_summary`) or its summary.
    lab, value, u, dof, include : str
        Column names.
    alpha : float
        Level of the flags (ISO 5725-2 words: straggler at 5 %, outlier at 1 %).
    seed, n_sim : int
        Seed and size of the simulated Dixon and double-Grubbs null distributions.
    analyte : str, optional
        Analyte to select when the table holds several.
    exclude : mapping of lab -> reason, optional

    Returns
    -------
    ScreeningResult
        Per-lab ``rows`` (``to_frame()``), ``flags`` and every test's result.

    Raises
    ------
    InputError
        As :func:`lab_summary`; a test that does not apply (too few labs, no replicates) is
        skipped with a note instead.

    Notes
    -----
    Excluded labs are not screened (eCerto removes filtered labs before its Table C1). See the
    functions of :mod:`rmwork.outliers` for each statistic and its p-value convention.

    Validated against eCerto SR3 (Si): ``tests/test_characterization.py``.
    """
    s = data if isinstance(data, LabSummary) else lab_summary(
        data, lab=lab, value=value, u=u, dof=dof, include=include, exclude=exclude, analyte=analyte)
    inc = np.asarray(s.include, bool)
    labs_in = [name for name, f in zip(s.lab, inc) if f]
    means = np.asarray(s.value, float)[inc]
    notes: list[str] = []
    if (~inc).any():
        notes.append("excluded labs are not screened: " + ", ".join(n for n, f in zip(s.lab, inc) if not f))
    g = _try(notes, "Grubbs' test", outliers.grubbs, means, labs_in, alpha=alpha)
    g2 = _try(notes, "the double Grubbs test", outliers.grubbs_double, means, labs_in, alpha=alpha,
              n_sim=n_sim, seed=seed)
    dx = _try(notes, "Dixon's test", outliers.dixon, means, labs_in, alpha=alpha, n_sim=n_sim, seed=seed)
    mh = _try(notes, "Mandel's h", outliers.mandel_h, means, labs_in)
    nm = _try(notes, "normality tests", outliers.normality, means, labs_in)
    uu = np.asarray(s.u, float)[inc]
    cq = None
    if np.all(np.isfinite(uu) & (uu > 0)):
        cq = _try(notes, "Cochran's Q", outliers.cochran_q, means, uu, labs_in)
    else:
        notes.append("Cochran's Q not applied: a lab has no usable u (u = 0 or missing)")
    cc = mk = sch = None
    if s.layout == "replicates" and s._replicates is not None:
        reps = s._replicates[s._replicates["lab"].isin(labs_in)]
        sd = np.asarray(s.sd, float)[inc]
        nn = np.asarray(s.n, float)[inc]
        cc = _try(notes, "Cochran's C", outliers.cochran, sd ** 2, nn, labs_in, alpha=alpha)
        mk = _try(notes, "Mandel's k", outliers.mandel_k, sd, nn, labs_in)
        sch = _try(notes, "Scheffé's comparison", outliers.scheffe, reps["value"], reps["lab"])
    else:
        notes.append("one row per lab: Cochran's C, Mandel's k and Scheffé need replicates")
    rows = []
    for i, name in enumerate(labs_in):
        row = {"lab": name, "n": s.n[s.lab.index(name)], "mean": float(means[i]),
               "sd": s.sd[s.lab.index(name)], "u": float(uu[i])}
        if sch is not None:
            j = sch.labs.index(name)
            row["scheffe_05"], row["scheffe_01"] = sch.groups_05[j], sch.groups_01[j]
        row["dixon_p"] = (dx.p_value_low if name == dx.lab_low else dx.p_value_high
                          if name == dx.lab_high else math.nan) if dx else math.nan
        row["grubbs_p"] = (g.p_value_low if name == g.lab_low else g.p_value_high
                           if name == g.lab_high else math.nan) if g else math.nan
        row["grubbs2_p"] = (g2.p_value_low if name in g2.labs_low else g2.p_value_high
                            if name in g2.labs_high else math.nan) if g2 else math.nan
        row["cochran_p"] = next((r["p_value"] for r in cc.rounds if r["lab"] == name), math.nan) \
            if cc else math.nan
        row["mandel_h"] = mh.values[i] if mh else math.nan
        row["mandel_k"] = mk.values[i] if mk else math.nan
        rows.append(row)
    flags = []
    if g:
        for name, p2 in ((g.lab_low, min(1, 2 * g.p_value_low)), (g.lab_high, min(1, 2 * g.p_value_high))):
            if p2 <= alpha:
                flags.append(f"lab '{name}': Grubbs {outliers._level(p2) or 'flag'} (p = {p2:.3g})")
    if g2 and g2.flagged:
        flags.append(f"labs {', '.join(g2.flagged)}: double Grubbs flag")
    if dx and dx.flagged:
        flags.append(f"lab(s) {', '.join(dx.flagged)}: Dixon {dx.ratio} flag")
    if cc:
        for r in cc.rounds:
            if r["lab"] in cc.flagged:
                flags.append(f"lab '{r['lab']}': Cochran C {r['level'] or 'flag'} (p = {r['p_value']:.3g})")
    if mh and mh.flagged:
        flags.append(f"lab(s) {', '.join(mh.flagged)}: Mandel h beyond the 1 % limit")
    if mk and mk.flagged:
        flags.append(f"lab(s) {', '.join(mk.flagged)}: Mandel k beyond the 1 % limit")
    if nm and nm.shapiro_p < alpha:
        flags.append(f"lab means not normal by Shapiro-Wilk (p = {nm.shapiro_p:.3g})")
    if cq and cq.p_value < alpha:
        flags.append(f"results inconsistent with their uncertainties: Cochran's Q p = {cq.p_value:.3g}, "
                     f"I^2 = {100 * cq.i2:.3g} %")
    return ScreeningResult(analyte=s.analyte, n_labs=len(labs_in), labs=tuple(labs_in), rows=tuple(rows),
                           flags=tuple(flags), grubbs=g, grubbs_double=g2, dixon=dx, cochran=cc,
                           mandel_h=mh, mandel_k=mk, scheffe=sch, normality=nm, cochran_q=cq,
                           alpha=alpha, notes=tuple(notes),
                           clauses={"screening": "ISO 5725-2:2019, 7.3 (advisory; nothing removed)"})


# ---------------------------------------------------------------------------------------------
# method choice

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
    shapiro_p: float                # Shapiro-Wilk of (x - median)/u
    alpha: float
    comparison: tuple[ConsensusResult, ...]
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"method": r.method, "value": r.value, "u": r.u, "tau": r.tau,
                              "ci95_low": r.ci95.low, "ci95_high": r.ci95.high, "dof": r.dof,
                              "n_labs": r.n_labs, "u_method": r.u_method,
                              "recommended": r.method == self.method} for r in self.comparison])


def recommend(values, u=None, dof=None, *, labs=None, include=None, alpha: float = ALPHA_Q,
              alpha_normality: float = 0.05, seed: int | None = None,
              methods: tuple[str, ...] = COMPARE_METHODS, n_boot: int = N_BOOT,
              bayes_settings=None) -> Recommendation:
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
    sw_txt = "normality not tested" if normal is None else \
        f"Shapiro-Wilk of (x - median)/u p = {sw_p:.3g}"
    if consistent and normal is not False:
        method, alts = "weighted-mean", ("dersimonian-laird",)
        reason = (f"{q_txt} >= {alpha}: no evidence of dark uncertainty; {sw_txt}. The weighted "
                  "mean (DerSimonian-Laird gives the same value when tau = 0).")
    elif consistent:
        method, alts = "bayes-laplace", ("linear-pool",)
        reason = (f"{q_txt} >= {alpha}, but {sw_txt} < {alpha_normality}: heavy tails or an odd lab; "
                  "Laplace laboratory effects resist it (the NIST Decision Tree's weighted median "
                  "is not in rmwork).")
    elif normal is not False:
        method, alts = "dersimonian-laird", ("bayes-gauss", "paule-mandel")
        reason = (f"{q_txt} < {alpha}: the labs disagree beyond their uncertainties (dark "
                  f"uncertainty); {sw_txt}: Gaussian laboratory effects. DerSimonian-Laird with "
                  "NICOB's bootstrap; the Decision Tree's own choice is hierarchical Bayes (Gauss).")
    else:
        method, alts = "bayes-laplace", ("dersimonian-laird", "linear-pool")
        reason = (f"{q_txt} < {alpha} and {sw_txt} < {alpha_normality}: dark uncertainty with "
                  "non-Gaussian laboratory effects; hierarchical Bayes with Laplace effects.")
    comparison = []
    for m in methods:
        if seed is None and m in ("linear-pool", "bayes-gauss", "bayes-laplace"):
            notes.append(f"{m} left out of the comparison: it needs a seed")
            continue
        comparison.append(consensus(values if isinstance(values, LabSummary) else d["x"],
                                    None if isinstance(values, LabSummary) else d["u"],
                                    None if isinstance(values, LabSummary) else d["dof"],
                                    method=m, seed=seed,
                                    labs=None if isinstance(values, LabSummary) else d["labs"],
                                    include=None if isinstance(values, LabSummary) else inc,
                                    n_boot=n_boot, bayes_settings=bayes_settings))
    return Recommendation(analyte=values.analyte if isinstance(values, LabSummary) else "",
                          method=method, reason=reason, alternatives=alts, consistent=bool(consistent),
                          normal=normal, q_statistic=cq.statistic, q_p_value=cq.p_value, i2=cq.i2,
                          shapiro_p=sw_p, alpha=alpha, comparison=tuple(comparison), notes=tuple(notes),
                          clauses={"method": "NIST Decision Tree (Possolo et al. 2021), adapted",
                                   "q_p_value": "Cochran (1954)",
                                   "shapiro_p": "NIST Decision Tree: Shapiro-Wilk of (x - median)/u"})


# ---------------------------------------------------------------------------------------------
# many analytes

def by_analyte(func: Callable, df: pd.DataFrame, *, analyte: str = "analyte", lab: str = "lab",
               value: str = "value", u: str = "u", dof: str = "dof", include: str = "include",
               exclude: Mapping[str, Mapping[str, str]] | None = None, **kwargs) -> dict:
    """Apply a characterization function to every analyte of a long table (ISO Guide 35:2017, 9).

    Parameters
    ----------
    func : callable
        :func:`lab_summary`, :func:`screen`, :func:`consensus`, :func:`degrees_of_equivalence` or
        :func:`recommend` (the last three receive each analyte's :class:`LabSummary`).
    df : pandas.DataFrame
        Characterization table with an analyte column.
    analyte, lab, value, u, dof, include : str
        Column names.
    exclude : mapping analyte -> {lab: reason}, optional
        Labs to keep out of each analyte's value.
    **kwargs
        Passed to ``func`` (e.g. ``method=``, ``seed=``).

    Returns
    -------
    dict
        Analyte name -> result, in the table's order.

    Raises
    ------
    InputError
        The analyte column is missing, or as ``func``.

    Examples
    --------
    >>> from rmwork.testing import reference
    >>> res = by_analyte(lab_summary, reference("characterization_ecerto_sr3_si"))
    >>> list(res)
    ['Si']
    """
    where = df.attrs.get("file") if hasattr(df, "attrs") else None
    if analyte not in df.columns:
        raise InputError(f"required column '{analyte}' is missing", file=where,
                         hint="add an analyte column or call the function on the table directly")
    out = {}
    for name in dict.fromkeys(df[analyte].astype(str)):
        sub = df[df[analyte].astype(str) == name].copy()
        sub.attrs = dict(df.attrs)
        excl = (exclude or {}).get(name)
        cols = dict(lab=lab, value=value, u=u, dof=dof, include=include)
        if func is lab_summary:
            out[name] = lab_summary(sub, **cols, exclude=excl, analyte=name)
        elif func is screen:
            out[name] = screen(sub, **cols, exclude=excl, analyte=name, **kwargs)
        else:
            out[name] = func(lab_summary(sub, **cols, exclude=excl, analyte=name), **kwargs)
    return out


# ---------------------------------------------------------------------------------------------
# bilateral degrees of equivalence

@dataclass(frozen=True, slots=True, kw_only=True)
class BilateralDoEResult(Result):
    """Bilateral degrees of equivalence D_ij = x_i - x_j with U(D_ij) (CIPM MRA-D-05, 2015)."""

    analyte: str = ""
    lab: tuple[str, ...]
    d: tuple[tuple[float, ...], ...]        # d[i][j] = x_i - x_j
    U_d: tuple[tuple[float, ...], ...]      # k sqrt(u_i^2 + u_j^2)
    k: float
    coverage: float
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        rows = [{"lab_i": a, "lab_j": b, "d": self.d[i][j], "U_d": self.U_d[i][j]}
                for i, a in enumerate(self.lab) for j, b in enumerate(self.lab) if i != j]
        return pd.DataFrame(rows)


def bilateral_degrees_of_equivalence(values, u, *, labs=None, coverage: float = 0.95,
                                     analyte: str = "") -> BilateralDoEResult:
    r"""Bilateral degrees of equivalence between every pair of labs (CIPM MRA-D-05; Koepke et al. 2017).

    .. math::  D_{ij} = x_i - x_j, \qquad U(D_{ij}) = k \sqrt{u_i^2 + u_j^2}

    with k the normal quantile at ``coverage`` (1.96 for 95 %): the labs' results are taken as
    independent; a pair is equivalent when |D_ij| <= U(D_ij).  Unlike the unilateral DoE this
    does not depend on the consensus estimator, so excluded labs are compared like any other.
    """
    _checks.require_level(coverage, "coverage")
    x = _checks.require_finite_array(values, what="lab values")
    uu = _checks.require_positive_array(u, what="lab uncertainties")
    names = tuple(str(v) for v in (labs if labs is not None else range(1, x.size + 1)))
    k = float(stats.norm.ppf(0.5 + coverage / 2))
    d = x[:, None] - x[None, :]
    U = k * np.sqrt(uu[:, None] ** 2 + uu[None, :] ** 2)
    return BilateralDoEResult(analyte=analyte, lab=names, d=tuple(map(tuple, d.tolist())),
                              U_d=tuple(map(tuple, U.tolist())), k=k, coverage=coverage,
                              clauses={"bilateral": "CIPM MRA-D-05 (2015); D_ij = x_i - x_j, "
                                                    "U = k sqrt(u_i^2 + u_j^2)"})
