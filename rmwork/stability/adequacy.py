"""Does the straight line fit before u_lts, u_sts or a shelf life is taken from it (ISO Guide 35:2017, B.3)?

ISO Guide 35:2017, B.3 derives u_lts = s(b1) t_shelf from a straight line; the number means
something only if the line describes the data.  Three checks, chosen by the design:

* replicate results at some time points: the lack-of-fit F test, the scatter of the time-point
  means about the line against the pure (repeatability) error (Draper & Smith, *Applied
  Regression Analysis*, 3rd ed. 1998, 2.1);
* otherwise: a curvature test, the two-sided t-test of the quadratic term of
  y = a + b (t - t_mean) + c (t - t_mean)^2 on n - 3 degrees of freedom, and
* the Wald-Wolfowitz runs test on the signs of the residuals in time order, one-sided (too few
  runs: the points leave the line in long stretches), with the exact distribution of the number
  of runs (Swed & Eisenhart, Ann. Math. Statist. 14 (1943) 66-87).

The line is adequate when every check that the design allows passes at alpha; when none is
possible (three time points, no replicates) it is not adequate, because it cannot be checked.

Compute only: no file reading, no plotting, no rounding (the finding sentences print numbers to
two significant digits; the numbers themselves are in the fields).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..results import Result

CLAUSES = {
    "adequacy": "ISO Guide 35:2017, B.3 (a straight line before u_lts): lack-of-fit F with pure "
    "error; without replicates the t-test of a quadratic term and the Wald-Wolfowitz "
    "runs test of the residual signs in time order (exact distribution)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LackOfFitTest(Result):
    """F = (SS_lof/(m - 2)) / (SS_pe/(n - m)) for m distinct times and n results (pure error)."""

    statistic: float  # F
    dof: tuple[int, int]  # (m - 2, n - m)
    p_value: float  # upper tail of F(m - 2, n - m)
    passed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CurvatureTest(Result):
    """t-test of the quadratic term c of y = a + b (t - t_centre) + c (t - t_centre)^2."""

    statistic: float  # t = c / s(c)
    dof: int  # n - 3
    p_value: float  # two-sided
    passed: bool
    quadratic: float  # c, per month^2
    se_quadratic: float  # s(c)
    coefficients: tuple[float, float, float]  # (a, b, c) on centred time
    time_centre: float  # t_centre (months)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunsTest(Result):
    """Wald-Wolfowitz runs test of the residual signs in time order (one-sided: too few runs)."""

    statistic: int  # number of runs R
    n_positive: int
    n_negative: int
    expected: float  # E(R) = 1 + 2 n1 n2 / (n1 + n2)
    p_value: float  # exact P(R <= observed)
    smallest_p: float  # P(R = 2): the test cannot go below this
    passed: bool
    signs: tuple[int, ...]  # +1 / -1 in time order (zero residuals dropped)


@dataclass(frozen=True, slots=True, kw_only=True)
class LineAdequacy(Result):
    """Whether a straight stability line fits its data (ISO Guide 35:2017, B.3; Draper & Smith 2.1; Swed & Eisenhart 1943).

    ``adequate`` is what a certificate reads; ``finding`` / ``finding_zh`` say in one plain
    sentence what was found.  ``time_max`` and ``n_excluded`` record the fitting window and the
    points left out (listed with their reasons in the line's ``excluded``).
    """

    adequate: bool
    assessed: bool  # at least one check was possible
    basis: str  # "lack of fit" | "curvature and runs" | "none"
    alpha: float
    lack_of_fit: LackOfFitTest | None = None
    curvature: CurvatureTest | None = None
    runs: RunsTest | None = None
    time_max: float | None = None  # fitting window: t <= time_max
    n_excluded: int = 0
    finding: str
    finding_zh: str
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


# ---------------------------------------------------------------------------------------------
# cores on arrays (pure; checked by hand in the tests)


def _lack_of_fit_test(t: np.ndarray, y: np.ndarray, sse: float, alpha: float) -> LackOfFitTest | None:
    levels = np.unique(t)
    m, n = levels.size, t.size
    dof_lof, dof_pe = m - 2, n - m
    if dof_pe <= 0 or dof_lof <= 0:
        return None
    # centred within each time point before the sum of squares
    ss_pe = float(sum(((y[t == lv] - y[t == lv].mean()) ** 2).sum() for lv in levels))
    if ss_pe <= 0:
        return None
    f = ((sse - ss_pe) / dof_lof) / (ss_pe / dof_pe)
    p = float(stats.f.sf(f, dof_lof, dof_pe))
    return LackOfFitTest(statistic=float(f), dof=(dof_lof, dof_pe), p_value=p, passed=bool(p >= alpha))


def _curvature_test(t: np.ndarray, y: np.ndarray, alpha: float) -> CurvatureTest | None:
    n = t.size
    if np.unique(t).size < 4:
        return None
    centre = float(t.mean())
    scale = float(np.sqrt(((t - centre) ** 2).mean()))
    z = (t - centre) / scale  # centred and scaled: a well-conditioned design
    X = np.column_stack([np.ones(n), z, z * z])
    q, r = np.linalg.qr(X)
    coef = np.linalg.solve(r, q.T @ (y - y.mean()))
    resid = (y - y.mean()) - X @ coef
    dof = n - 3
    s2 = float(resid @ resid) / dof
    r_inv = np.linalg.inv(r)
    se = math.sqrt(s2 * float(r_inv[2] @ r_inv[2]))
    if se == 0:
        return None
    t_stat = float(coef[2] / se)
    p = float(2 * stats.t.sf(abs(t_stat), dof))
    a, b, c = float(coef[0] + y.mean()), float(coef[1] / scale), float(coef[2] / scale**2)
    return CurvatureTest(
        statistic=t_stat,
        dof=dof,
        p_value=p,
        passed=bool(p >= alpha),
        quadratic=c,
        se_quadratic=se / scale**2,
        coefficients=(a, b, c),
        time_centre=centre,
    )


def runs_distribution(n1: int, n2: int) -> dict[int, float]:
    """Exact P(R = r) of the number of runs of n1 + and n2 - in random order (Swed & Eisenhart 1943).

    .. math::

        P(R = 2k) = \\frac{2\\binom{n_1-1}{k-1}\\binom{n_2-1}{k-1}}{\\binom{n_1+n_2}{n_1}}, \\quad
        P(R = 2k+1) = \\frac{\\binom{n_1-1}{k}\\binom{n_2-1}{k-1}
                     + \\binom{n_1-1}{k-1}\\binom{n_2-1}{k}}{\\binom{n_1+n_2}{n_1}}

    Counted in exact integers and divided once.
    """
    total = math.comb(n1 + n2, n1)
    out = {}
    for r in range(2, n1 + n2 + 1):
        k = r // 2
        if r % 2 == 0:
            count = 2 * math.comb(n1 - 1, k - 1) * math.comb(n2 - 1, k - 1)
        else:
            count = math.comb(n1 - 1, k) * math.comb(n2 - 1, k - 1) + math.comb(n1 - 1, k - 1) * math.comb(
                n2 - 1, k
            )
        if count:
            out[r] = count / total
    return out


def _runs_test(t: np.ndarray, resid: np.ndarray, alpha: float, notes: list) -> RunsTest | None:
    order = np.argsort(t, kind="stable")
    e = resid[order]
    tol = 1e-12 * max(float(np.abs(e).max()), 1e-300)
    zero = np.abs(e) <= tol
    if zero.any():
        notes.append(f"{int(zero.sum())} residual(s) exactly on the line left out of the runs test")
    signs = np.sign(e[~zero]).astype(int)
    n1, n2 = int((signs > 0).sum()), int((signs < 0).sum())
    if n1 == 0 or n2 == 0:
        return None
    runs = 1 + int((signs[1:] != signs[:-1]).sum())
    pmf = runs_distribution(n1, n2)
    p = float(min(1.0, sum(v for r, v in pmf.items() if r <= runs)))
    smallest = pmf[2]
    if smallest >= alpha:
        notes.append(
            f"with {n1} residuals above and {n2} below the line the runs test cannot "
            f"reach alpha = {alpha:g} (smallest possible p = {smallest:.2g})"
        )
    return RunsTest(
        statistic=runs,
        n_positive=n1,
        n_negative=n2,
        expected=1 + 2 * n1 * n2 / (n1 + n2),
        p_value=p,
        smallest_p=float(smallest),
        passed=bool(p >= alpha),
        signs=tuple(int(s) for s in signs),
    )


# ---------------------------------------------------------------------------------------------
# the check of one line

ALPHA = 0.01
"""Default level of each check.  Two shape checks run together without replicates; at 1 % each
the chance of calling a right straight line wrong stays near 2 %, and 1 % is the level at which
GB/T 4883 acts on data (statistical outlier).  A lot may set another (``stability.adequacy_alpha``)."""


def line_adequacy(
    t, y, fitted, sse: float, *, alpha: float = ALPHA, time_max: float | None = None, n_excluded: int = 0
) -> LineAdequacy:
    r"""Adequacy of a straight stability line (ISO Guide 35:2017, B.3; lack of fit: Draper & Smith 2.1; runs: Swed & Eisenhart 1943).

    Parameters
    ----------
    t, y : array
        Times (months) and values of the points fitted.
    fitted : array
        The line's values at ``t``.
    sse : float
        Residual sum of squares of the line.
    alpha : float
        Significance level of each check.
    time_max, n_excluded
        The fitting window and the number of points left out, recorded on the result.

    Returns
    -------
    LineAdequacy

    Notes
    -----
    Lack of fit, m distinct times, n results, pure error from the replicates:

    .. math::  F = \frac{(SSE - SS_{pe})/(m - 2)}{SS_{pe}/(n - m)}

    Without replicates, :math:`t = \hat c / s(\hat c)` on n - 3 degrees of freedom for the
    quadratic term, and the exact lower tail :math:`P(R \le r)` of the number of runs of the
    residual signs in time order.

    Validated by hand (independent F, enumeration of the runs distribution) and on NIST Norris
    and eCerto CRM001 analyte Y: ``tests/test_stability_adequacy.py``.
    """
    t, y, fitted = (np.asarray(v, float) for v in (t, y, fitted))
    notes: list[str] = []
    lof = _lack_of_fit_test(t, y, sse, alpha)
    curv = runs = None
    tests: list[LackOfFitTest | CurvatureTest | RunsTest]
    if lof is not None:
        basis, tests = "lack of fit", [lof]
    else:
        curv = _curvature_test(t, y, alpha)
        runs = _runs_test(t, y - fitted, alpha, notes)
        # a runs test too short to reach alpha is shown but decides nothing
        tests = [x for x in (curv, runs) if x is not None and not (x is runs and runs.smallest_p >= alpha)]
        basis = "curvature and runs" if tests else "none"
    assessed = bool(tests)
    adequate = assessed and all(x.passed for x in tests)
    en, zh = _finding(lof, curv, runs, adequate, assessed, int(np.unique(t).size), alpha)
    return LineAdequacy(
        adequate=bool(adequate),
        assessed=assessed,
        basis=basis,
        alpha=float(alpha),
        lack_of_fit=lof,
        curvature=curv,
        runs=runs,
        time_max=None if time_max is None else float(time_max),
        n_excluded=int(n_excluded),
        finding=en,
        finding_zh=zh,
        notes=tuple(notes),
        clauses=CLAUSES,
    )


# ---------------------------------------------------------------------------------------------
# the finding in plain words (en, zh)


def _g(x: float) -> str:
    return f"{x:.2g}"


def _finding(lof, curv, runs, adequate, assessed, n_times, alpha) -> tuple[str, str]:
    level = f"{100 * alpha:g} %"
    if not assessed:
        return (
            f"The straight line could not be checked: with {n_times} time points and no repeated "
            "results no degrees of freedom are left to test its shape, so the stability "
            "uncertainty and shelf life from it are not supported.",
            f"无法检验直线模型：仅有 {n_times} 个时间点且无重复测量结果，没有剩余自由度检验其形状，"
            "由此得到的稳定性不确定度和有效期缺乏依据。",
        )
    en, zh = [], []
    if lof is not None:
        if lof.passed:
            en.append(
                f"the time-point means scatter about the line no more than the repeatability "
                f"explains (lack-of-fit F = {_g(lof.statistic)}, p = {_g(lof.p_value)})"
            )
            zh.append(
                f"各时间点平均值围绕直线的离散与重复性一致（失拟 F = {_g(lof.statistic)}，"
                f"p = {_g(lof.p_value)}）"
            )
        else:
            en.append(
                f"the time-point means scatter about the line more than the repeatability "
                f"explains, significant at the {level} level (lack-of-fit F = {_g(lof.statistic)}, p = {_g(lof.p_value)})"
            )
            zh.append(
                f"各时间点平均值围绕直线的离散超出重复性所能解释的范围，在 {level} 水平下显著（失拟 F = {_g(lof.statistic)}，"
                f"p = {_g(lof.p_value)}）"
            )
    if curv is not None:
        word = "no curvature significant" if curv.passed else "a curvature significant"
        en.append(
            f"{word} at the {level} level (quadratic term t = {_g(curv.statistic)}, p = {_g(curv.p_value)})"
        )
        zh.append(
            f"二次项在 {level} 水平下{'不显著' if curv.passed else '显著，数据呈弯曲趋势'}"
            f"（t = {_g(curv.statistic)}，p = {_g(curv.p_value)}）"
        )
    if runs is not None:
        if runs.passed:
            en.append(
                f"the residuals in time order change sign as often as random scatter would "
                f"({runs.statistic} runs, about {runs.expected:.0f} expected, p = {_g(runs.p_value)})"
            )
            zh.append(
                f"按时间顺序的残差符号变化与随机波动一致（游程数 {runs.statistic}，期望约 "
                f"{runs.expected:.0f}，p = {_g(runs.p_value)}）"
            )
        else:
            en.append(
                f"the residuals in time order stay on one side of the line in long stretches, "
                f"significant at the {level} level "
                f"({runs.statistic} runs where about {runs.expected:.0f} are expected, "
                f"p = {_g(runs.p_value)})"
            )
            zh.append(
                f"按时间顺序的残差长时间位于直线同一侧，在 {level} 水平下显著（游程数 {runs.statistic}，期望约 "
                f"{runs.expected:.0f}，p = {_g(runs.p_value)}）"
            )
    if adequate:
        return (
            "The straight line fits the data: " + "; ".join(en) + ".",
            "直线模型与数据相符：" + "；".join(zh) + "。",
        )
    return (
        "The straight line does not fit the data: " + "; ".join(en) + ". The stability "
        "uncertainty and shelf life from this line are not supported; restrict the fitting window "
        "to the time before the change, or exclude the affected points with a reason, in the "
        "parameter file.",
        "直线模型与数据不符：" + "；".join(zh) + "。由此直线得到的稳定性不确定度和有效期缺乏依据；"
        "请在参数文件中将拟合时间范围限制在变化之前，或注明理由剔除受影响的数据点。",
    )
