"""Between-unit homogeneity (ISO Guide 35:2017, clause 7 and Annex B; JJF 1343-2022; ISO 13528:2022 Annex B).

One-way ANOVA of results nested in units gives the between-unit standard deviation s_bb,
the heterogeneity u*_bb that the method's repeatability could hide (Linsinger et al. 2001),
and u_bb = max(s_bb, u*_bb).  Beside it: the F-test verdict at a stated alpha (JJF 1343 style),
the ISO 13528 Annex B criteria against sigma_pt, trends against fill and run order, Cochran's C
on within-unit variances and Grubbs on unit means (screening only; nothing is removed), and a
Bayesian random-effects model as a sensitivity analysis (``bayes``).

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import pandas as pd
from scipy import stats

from . import _checks
from .errors import InputError
from .results import Result

CLAUSES = {
    "anova": "ISO Guide 35:2017, 7.7 and B.3 (one-way ANOVA)",
    "s_bb": "ISO Guide 35:2017, B.3 Formula (B.6): s_bb = sqrt(max(0, (MS_between - MS_within)/n0))",
    "u_bb_star": "ISO Guide 35:2017, B.3 Formula (B.8); Linsinger et al. (2001): "
    "u*_bb = sqrt(MS_within/n0) (2/nu_within)^(1/4)",
    "n0": "ISO Guide 35:2017, B.3 (unbalanced design): n0 = (N - sum n_i^2/N)/(p - 1)",
    "f_test": "JJF 1343-2022 (F-test at alpha; F < F_(1-alpha)(nu_b, nu_w) means no significant "
    "between-unit effect)",
    "u_bb": "ISO Guide 35:2017, 7.8: u_bb = max(s_bb, u*_bb)",
}


# ---------------------------------------------------------------------------------------------
# one-way ANOVA


@dataclass(frozen=True, slots=True, kw_only=True)
class HomogeneityResult(Result):
    """Between-unit homogeneity of one analyte by one-way ANOVA (ISO Guide 35:2017, clause 7)."""

    analyte: str = ""
    group: str = ""  # sub-group (e.g. eCerto's H_type), "" when none
    unit_of_measure: str = ""
    n_units: int  # p
    n_results: int  # N
    mean: float  # mean of unit means
    grand_mean: float  # mean of all results
    ss_between: float
    ss_within: float
    ms_between: float
    ms_within: float
    dof_between: int  # p - 1
    dof_within: int  # N - p
    f_statistic: float
    p_value: float
    alpha: float
    f_critical: float  # F_(1-alpha)(p-1, N-p)
    significant: bool  # F > F_critical
    n0: float
    s_wb: float  # sqrt(MS_within)
    s_bb: float
    u_bb_star: float
    u_bb: float
    s_bb_rel: float
    u_bb_star_rel: float
    u_bb_rel: float
    method: str = "anova"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _anova_core(groups: list[np.ndarray]) -> dict:
    """Sums of squares of a one-way layout on data centred on the grand mean (pure, by hand).

    Centring first: on data with many constant leading digits (NIST SiRstv, 196.xxxx) the
    uncentred sums lose most significant digits.
    """
    allv = np.concatenate(groups)
    centre = allv.mean()
    n_i = np.array([g.size for g in groups], dtype=float)
    # within: each unit centred on its own first result, so a unit of identical results adds
    # exactly 0 (centring on the grand mean first leaves rounding residue, e.g. 1e-39)
    ss_within = 0.0
    for g in groups:
        d = g - g[0]
        ss_within += float(np.sum((d - d.mean()) ** 2)) if np.ptp(g) > 0 else 0.0
    groups = [g - centre for g in groups]
    means = np.array([g.mean() for g in groups])
    grand = np.concatenate(groups).mean()
    ss_between = float(np.sum(n_i * (means - grand) ** 2))
    p, n_total = len(groups), float(n_i.sum())
    return dict(
        p=p,
        N=int(n_total),
        n_i=n_i,
        means=means + centre,
        grand=grand + centre,
        ss_between=ss_between,
        ss_within=ss_within,
        n0=(n_total - np.sum(n_i**2) / n_total) / (p - 1),
    )


def anova(
    df: pd.DataFrame,
    unit: str = "unit",
    value: str = "value",
    *,
    analyte: str = "",
    group: str = "",
    unit_of_measure: str = "",
    alpha: float = 0.05,
    where: str | None = None,
) -> HomogeneityResult:
    r"""Between-unit homogeneity by one-way ANOVA (ISO Guide 35:2017, 7.7, 7.8 and B.3).

    Splits the variance of ``value`` into between-unit and within-unit parts and returns the
    between-unit standard deviation s_bb, the heterogeneity u*_bb that the method's
    repeatability could hide, and u_bb = max(s_bb, u*_bb).

    Parameters
    ----------
    df : pandas.DataFrame
        Long table of one analyte, one row per result.
    unit, value : str
        Columns holding the unit (bottle) identifier and the result.
    analyte, group, unit_of_measure : str
        Context recorded in the result.
    alpha : float
        Significance level of the F-test (JJF 1343 verdict).
    where : str, optional
        Text naming the data source in error messages (file and analyte).

    Returns
    -------
    HomogeneityResult
        ``ms_between``, ``ms_within``, ``f_statistic``, ``p_value``, ``n0``, ``s_bb``,
        ``u_bb_star``, ``u_bb`` (absolute, in the analyte's unit), and ``*_rel`` relative to the
        mean of unit means.

    Raises
    ------
    InputError
        Fewer than two units, no unit with two results, or a non-finite result.

    Notes
    -----
    With p units, N results and n_i results in unit i:

    .. math::

        n_0 = \frac{1}{p-1}\Bigl(N - \frac{\sum_i n_i^2}{N}\Bigr), \qquad
        s_{bb} = \sqrt{\max\Bigl(0, \frac{MS_{between} - MS_{within}}{n_0}\Bigr)}, \qquad
        u^*_{bb} = \sqrt{\frac{MS_{within}}{n_0}} \, \sqrt[4]{\frac{2}{\nu_{within}}}

    with :math:`\nu_{within} = N - p`.  Sums of squares are formed on data centred on the grand
    mean.  When MS_between < MS_within, s_bb = 0 and a note says so.

    Validated against NIST StRD "SiRstv" (certified MS and F), ISO 13528:2022 Example E.2,
    eCerto CRM001 and Homog_Test, CNAS BHA in oil and USP <1010>: ``tests/test_homogeneity.py``.

    References
    ----------
    .. [1] ISO Guide 35:2017, Reference materials -- Guidance for characterization and
           assessment of homogeneity and stability, clause 7 and Annex B.
    .. [2] T. P. J. Linsinger, J. Pauwels, A. M. H. van der Veen, H. Schimmel, A. Lamberty,
           Accred. Qual. Assur. 6 (2001) 20-25, https://doi.org/10.1007/s007690000261

    Examples
    --------
    >>> from rmwork.testing import reference
    >>> res = anova(reference("homogeneity_iso13528_e2_arsenic"))
    >>> print(f"{res.s_bb:.4e} {res.u_bb_star:.5e}")
    6.0093e-04 2.63071e-03
    """
    _checks.require_level(alpha, "alpha")
    for col in (unit, value):
        if col not in df.columns:
            raise InputError(
                f"column '{col}' is missing",
                file=where,
                hint=f"the table has {', '.join(map(str, df.columns))}",
            )
    rows = df["source_row"] if "source_row" in df.columns else None
    values = _checks.require_finite_array(df[value], what=f"column '{value}'", where=where, rows=rows)
    units = df[unit].astype(str).to_numpy()
    # one stable sort instead of a comparison per unit (O(N log N), not O(N x units): 26 s for
    # 200,000 results in 2,000 units); units in order of first appearance, results in file order
    codes, _ = pd.factorize(units)
    groups = np.split(values[np.argsort(codes, kind="stable")], np.cumsum(np.bincount(codes))[:-1])
    formula = "one-way ANOVA (ISO Guide 35:2017, 7.7)"
    _checks.require_at_least(len(groups), 2, what="units", formula=formula, where=where)
    if max(g.size for g in groups) < 2:
        raise InputError(
            f"{formula} needs at least one unit with 2 results; every unit has 1",
            file=where,
            hint="add replicate results per unit",
        )
    core = _anova_core(groups)
    p, n_total, n0 = core["p"], core["N"], float(core["n0"])
    dof_b, dof_w = p - 1, n_total - p
    ms_b, ms_w = core["ss_between"] / dof_b, core["ss_within"] / dof_w
    if not (math.isfinite(ms_b) and math.isfinite(ms_w)):
        raise InputError(
            f"{formula}: the sums of squares overflow (results up to {float(np.max(np.abs(values))):.3g})",
            file=where,
            hint="express the results in a larger unit",
        )
    notes = []
    if ms_w > 0:
        f_stat = ms_b / ms_w
        p_value = float(stats.f.sf(f_stat, dof_b, dof_w))
    else:
        f_stat, p_value = math.inf if ms_b > 0 else math.nan, math.nan
        notes.append(
            "MS_within = 0: the F-test and u*_bb are undefined; the data show no "
            "repeatability scatter (check for rounded or copied results)"
        )
    f_crit = float(stats.f.ppf(1 - alpha, dof_b, dof_w))
    diff = ms_b - ms_w
    s_bb = math.sqrt(diff / n0) if diff > 0 else 0.0
    if diff <= 0:
        notes.append("MS_between <= MS_within: s_bb = 0, u_bb = u*_bb (ISO Guide 35:2017, 7.8)")
    u_bb_star = math.sqrt(ms_w / n0) * (2.0 / dof_w) ** 0.25
    u_bb = max(s_bb, u_bb_star)
    if len(set(core["n_i"].tolist())) > 1:
        notes.append(
            f"unbalanced design (results per unit {int(core['n_i'].min())} to "
            f"{int(core['n_i'].max())}): n0 = {n0:.6g} (ISO Guide 35:2017, B.3)"
        )
    mean = float(np.mean(core["means"]))
    rel = (lambda x: x / abs(mean)) if mean != 0 else (lambda x: math.nan)
    if mean == 0:
        notes.append("mean of unit means is 0: relative values are undefined")
    return HomogeneityResult(
        analyte=str(analyte),
        group=str(group),
        unit_of_measure=str(unit_of_measure),
        n_units=p,
        n_results=n_total,
        mean=mean,
        grand_mean=float(core["grand"]),
        ss_between=core["ss_between"],
        ss_within=core["ss_within"],
        ms_between=ms_b,
        ms_within=ms_w,
        dof_between=dof_b,
        dof_within=dof_w,
        f_statistic=f_stat,
        p_value=p_value,
        alpha=alpha,
        f_critical=f_crit,
        significant=bool(f_stat > f_crit),
        n0=n0,
        s_wb=math.sqrt(ms_w),
        s_bb=s_bb,
        u_bb_star=u_bb_star,
        u_bb=u_bb,
        s_bb_rel=rel(s_bb),
        u_bb_star_rel=rel(u_bb_star),
        u_bb_rel=rel(u_bb),
        notes=tuple(notes),
        clauses=CLAUSES,
    )


def unit_means(
    df: pd.DataFrame, unit: str = "unit", value: str = "value", order: str | None = None
) -> pd.DataFrame:
    """Per-unit count, mean, SD and standard error of the mean (for tables and figures)."""
    g = df.groupby(df[unit].astype(str), sort=False)[value]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "sd": g.std(ddof=1)})
    out["se"] = out["sd"] / np.sqrt(out["n"])
    if order and order in df.columns:
        out[order] = df.groupby(df[unit].astype(str), sort=False)[order].first()
        out = out.sort_values(order, kind="stable")
    out.index.name = "unit"
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# ISO 13528 Annex B criteria


@dataclass(frozen=True, slots=True, kw_only=True)
class SufficientHomogeneityResult(Result):
    """ISO 13528:2022 B.2 criteria for sufficient homogeneity against sigma_pt."""

    analyte: str = ""
    sigma_pt: float
    g: int  # number of units
    m: float  # results per unit (n0 when unbalanced)
    x_bar: float  # general average
    s_x: float  # SD of unit averages
    s_w: float  # within-unit SD
    s_s: float  # between-sample SD
    limit: float  # 0.3 sigma_pt
    passed: bool  # s_s <= 0.3 sigma_pt
    alpha: float
    f1: float
    f2: float
    sqrt_c: float  # expanded criterion, sqrt(F1 (0.3 sigma_pt)^2 + F2 s_w^2)
    passed_expanded: bool  # s_s <= sqrt(c)
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def sufficient_homogeneity(
    df: pd.DataFrame,
    sigma_pt: float,
    unit: str = "unit",
    value: str = "value",
    *,
    alpha: float = 0.05,
    analyte: str = "",
    where: str | None = None,
) -> SufficientHomogeneityResult:
    r"""Criteria for sufficient homogeneity (ISO 13528:2022, B.2.2 and B.2.3; Formulas (B.9)-(B.11)).

    Notes
    -----
    .. math::

        s_s = \sqrt{\max(0, s_x^2 - s_w^2/m)}, \quad s_s \le 0.3\,\sigma_{pt}, \quad
        c = F_1 (0.3\sigma_{pt})^2 + F_2 s_w^2

    with :math:`F_1 = \chi^2_{1-\alpha}(g-1)/(g-1)` and
    :math:`F_2 = (F_{1-\alpha}(g-1, g(m-1)) - 1)/m` from their exact distributions (the standard's
    Table B.1 tabulates them for alpha = 0.05).  For unbalanced data m is replaced by n0.

    Validated against ISO 13528:2022 Example E.2 (s_s 0.00060, sqrt(c) 0.01283, F1 1.88,
    F2 1.01): ``tests/test_homogeneity.py``.
    """
    if not (isinstance(sigma_pt, (int, float)) and math.isfinite(sigma_pt) and sigma_pt > 0):
        raise InputError(
            f"sigma_pt must be a positive number, got {sigma_pt!r}",
            key="sigma_pt",
            file=where,
            hint="give sigma_pt in the analyte's unit",
        )
    res = anova(df, unit, value, analyte=analyte, where=where)
    g, m = res.n_units, res.n0
    unit_avgs = df.groupby(df[unit].astype(str), sort=False)[value].mean().to_numpy(dtype=float)
    s_x = float(np.std(unit_avgs, ddof=1))
    s_w = math.sqrt(res.ms_within)
    s_s = math.sqrt(max(0.0, s_x**2 - s_w**2 / m))
    f1 = float(stats.chi2.ppf(1 - alpha, g - 1) / (g - 1))
    f2 = float((stats.f.ppf(1 - alpha, g - 1, res.dof_within) - 1) / m)
    limit = 0.3 * sigma_pt
    sqrt_c = math.sqrt(f1 * limit**2 + f2 * s_w**2)
    notes = []
    if res.notes and "unbalanced" in " ".join(res.notes):
        notes.append(f"unbalanced design: m replaced by n0 = {m:.6g} (ISO 13528:2022 assumes equal m)")
    return SufficientHomogeneityResult(
        analyte=str(analyte),
        sigma_pt=float(sigma_pt),
        g=g,
        m=m,
        x_bar=float(np.mean(unit_avgs)),
        s_x=s_x,
        s_w=s_w,
        s_s=s_s,
        limit=limit,
        passed=bool(s_s <= limit),
        alpha=alpha,
        f1=f1,
        f2=f2,
        sqrt_c=sqrt_c,
        passed_expanded=bool(s_s <= sqrt_c),
        notes=tuple(notes),
        clauses={
            "criterion": "ISO 13528:2022, B.2.2: s_s <= 0.3 sigma_pt",
            "expanded": "ISO 13528:2022, B.2.3: s_s^2 <= F1 (0.3 sigma_pt)^2 + F2 s_w^2",
        },
    )


# ---------------------------------------------------------------------------------------------
# trend against fill / run order


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendResult(Result):
    """Linear trend of results against a processing order, with the two-sided slope t-test."""

    analyte: str = ""
    order: str  # 'fill_order' or 'run_order'
    on: str  # 'unit means' or 'results'
    n_points: int
    slope: float
    se_slope: float
    t_statistic: float
    p_value: float
    alpha: float
    significant: bool
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def trend(
    df: pd.DataFrame,
    order: str,
    unit: str = "unit",
    value: str = "value",
    *,
    alpha: float = 0.05,
    analyte: str = "",
    where: str | None = None,
) -> TrendResult:
    """Trend against fill or run order, slope t-test (ISO Guide 35:2017, 7.4 and 7.6).

    Fill order is a property of the unit, so the unit means are regressed on it; run order is a
    property of each result, so the results themselves are regressed.  A significant slope
    points at a trend in processing (filling) or in the measurement sequence (drift), which
    the ANOVA would otherwise count as between-unit variation.
    """
    if order not in df.columns:
        raise InputError(f"column '{order}' is missing", file=where)
    if order == "fill_order":
        agg = df.groupby(df[unit].astype(str), sort=False).agg(x=(order, "first"), y=(value, "mean"))
        x, y, on = agg["x"].to_numpy(float), agg["y"].to_numpy(float), "unit means"
    else:
        x, y, on = df[order].to_numpy(float), df[value].to_numpy(float), "results"
    x = _checks.require_finite_array(x, what=f"column '{order}'", where=where)
    if np.unique(x).size < 3:
        raise InputError(
            f"a trend test against {order} needs at least 3 distinct values, found {np.unique(x).size}",
            file=where,
            column=order,
        )
    lr = stats.linregress(x - x.mean(), y - y.mean())  # centred: order numbers and values far from 0
    dof = x.size - 2
    t_stat = lr.slope / lr.stderr if lr.stderr > 0 else math.inf
    p = float(2 * stats.t.sf(abs(t_stat), dof)) if math.isfinite(t_stat) else 0.0
    return TrendResult(
        analyte=str(analyte),
        order=order,
        on=on,
        n_points=int(x.size),
        slope=float(lr.slope),
        se_slope=float(lr.stderr),
        t_statistic=float(t_stat),
        p_value=p,
        alpha=alpha,
        significant=bool(p < alpha),
        clauses={
            "trend": "ISO Guide 35:2017, 7.4/7.6 (trend in filling or "
            "measurement sequence); two-sided t-test of the slope"
        },
    )


# ---------------------------------------------------------------------------------------------
# per-analyte study


@dataclass(frozen=True, slots=True, kw_only=True)
class HomogeneityStudy(Result):
    """Everything the homogeneity section reports for one analyte (and sub-group)."""

    analyte: str
    group: str = ""
    unit_of_measure: str = ""
    anova: HomogeneityResult
    criterion: SufficientHomogeneityResult | None = None
    trends: tuple[TrendResult, ...] = ()
    cochran: object | None = None  # rmwork.outliers result on within-unit variances
    grubbs: object | None = None  # rmwork.outliers result on unit means
    bayes: object | None = None  # rmwork.bayes.BayesFit
    conclusion: str = ""
    notes: tuple[str, ...] = ()

    @property
    def u_bb(self) -> float:
        return self.anova.u_bb


def study(
    df: pd.DataFrame,
    *,
    analyte: str = "",
    group: str = "",
    unit_of_measure: str = "",
    alpha: float = 0.05,
    sigma_pt: float | None = None,
    bayes: bool = False,
    seed: int | None = None,
    sampler_settings=None,
    where: str | None = None,
) -> HomogeneityStudy:
    """Complete homogeneity assessment of one analyte (ISO Guide 35:2017, clause 7; JJF 1343-2022).

    ANOVA, F-test verdict, ISO 13528 Annex B criterion when ``sigma_pt`` is given, trends
    against ``fill_order`` / ``run_order`` where those columns exist, Cochran's C on the
    within-unit variances and Grubbs on the unit means (advisory), and, with ``bayes=True``, a
    random-effects model in PyMC as a sensitivity analysis (seeded from ``seed``).
    """
    res = anova(df, analyte=analyte, group=group, unit_of_measure=unit_of_measure, alpha=alpha, where=where)
    crit = (
        sufficient_homogeneity(df, sigma_pt, alpha=alpha, analyte=analyte, where=where)
        if sigma_pt is not None
        else None
    )
    trends = tuple(
        trend(df, col, alpha=alpha, analyte=analyte, where=where)
        for col in ("fill_order", "run_order")
        if col in df.columns and df[col].notna().all() and df[col].nunique() >= 3
    )
    cochran = grubbs = None
    outliers: ModuleType | None
    try:
        from . import outliers
    except ImportError:  # screening arrives with the characterization module
        outliers = None
    if outliers is not None:
        cochran, grubbs = _screen_units(outliers, df, alpha)
    fit = None
    if bayes:
        if seed is None:
            raise ValueError("`seed` must be given for the Bayesian model")
        fit = bayes_model(df, seed=seed, settings=sampler_settings)
    return HomogeneityStudy(
        analyte=str(analyte),
        group=str(group),
        unit_of_measure=str(unit_of_measure),
        anova=res,
        criterion=crit,
        trends=trends,
        cochran=cochran,
        grubbs=grubbs,
        bayes=fit,
        conclusion=conclusion(res, crit, trends),
    )


def bayes_model(df: pd.DataFrame, *, seed: int, settings=None):
    """The random-effects model of a homogeneity study in PyMC (ISO Guide 35:2017, clause 7; a
    sensitivity analysis beside the ANOVA): :func:`rmwork.bayes.random_effects` on value ~ unit."""
    from . import bayes as _bayes

    return _bayes.random_effects(
        df["value"].to_numpy(float), df["unit"].astype(str).to_numpy(), seed=seed, settings=settings
    )


def _screen_units(outliers, df, alpha):
    """Cochran's C on within-unit variances and Grubbs on unit means, where applicable."""
    stats_ = unit_means(df)
    cochran = grubbs = None
    var_units = stats_[stats_["n"] >= 2]
    if len(var_units) >= 3 and hasattr(outliers, "cochran"):
        try:
            cochran = outliers.cochran(
                var_units["sd"].to_numpy() ** 2, var_units["n"].to_numpy(), labels=var_units["unit"].tolist()
            )
        except (InputError, ValueError, TypeError):
            cochran = None
    if len(stats_) >= 3 and hasattr(outliers, "grubbs"):
        try:
            grubbs = outliers.grubbs(stats_["mean"].to_numpy(), labels=stats_["unit"].tolist())
        except (InputError, ValueError, TypeError):
            grubbs = None
    return cochran, grubbs


def conclusion(
    res: HomogeneityResult,
    crit: SufficientHomogeneityResult | None = None,
    trends: tuple[TrendResult, ...] = (),
) -> str:
    """Plain-language conclusion from the results (English; the report translates)."""
    parts = []
    if not res.ms_within > 0:
        # ISO Guide 35:2017, 7.7: without a within-unit spread neither the F-test nor u*_bb exists
        return (
            "The within-unit spread cannot be estimated: the results of every unit are identical "
            "(MS_within = 0; rounded or copied results?), so the F-test and u*_bb are undefined and "
            "u_bb is not used for a certificate."
        )
    if res.significant:
        parts.append(
            f"The between-unit variation is significant (F = {res.f_statistic:.4g} > "
            f"F_crit = {res.f_critical:.4g}, p = {res.p_value:.3g}); "
            f"s_bb enters the budget as u_bb"
        )
    else:
        parts.append(
            f"No significant between-unit variation at alpha = {res.alpha:g} "
            f"(F = {res.f_statistic:.4g} <= F_crit = {res.f_critical:.4g}, "
            f"p = {res.p_value:.3g})"
        )
    parts.append(
        "u_bb = "
        + (
            "s_bb"
            if res.s_bb >= res.u_bb_star
            else "u*_bb (the method's repeatability limits what the study can detect)"
        )
    )
    if crit is not None:
        parts.append(
            "ISO 13528 criterion s_s <= 0.3 sigma_pt "
            + (
                "met"
                if crit.passed
                else ("not met, expanded criterion met" if crit.passed_expanded else "not met")
            )
        )
    for t in trends:
        if t.significant:
            parts.append(
                f"significant trend against {t.order.replace('_', ' ')} (p = {t.p_value:.3g}): "
                "investigate before certifying"
            )
    return "; ".join(parts) + "."
