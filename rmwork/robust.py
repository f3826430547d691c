"""Robust statistics of ISO 13528:2022, Annex C (Algorithm A, median, nIQR, MADe).

Covers ISO 13528:2022 C.2 (simple robust estimators: median, scaled median absolute deviation
MADe, normalized interquartile range nIQR) and C.3.1 (Algorithm A, with iteration to
convergence), plus the standard uncertainty of the assigned value u(x*) = 1.25 s*/sqrt(p) of
7.7.3, Formula (7). Compute only: no rounding, no plotting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from .results import Result

MADE_FACTOR = 1.483  # ISO 13528:2022, C.2.2: MADe = 1.483 median|x_i - med(x)|
NIQR_FACTOR = 0.7413  # ISO 13528:2022, C.2.3: nIQR = 0.7413 (Q3 - Q1)
ALG_A_DELTA = 1.5  # ISO 13528:2022, C.3.1: delta = 1.5 s*
ALG_A_SCALE = 1.134  # ISO 13528:2022, C.3.1: s* = 1.134 sqrt(sum (x_i* - x*)^2 / (p - 1))
U_X_STAR_FACTOR = 1.25  # ISO 13528:2022, 7.7.3, Formula (7): u(x*) = 1.25 s*/sqrt(p)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlgorithmAResult(Result):
    """Robust mean and standard deviation by Algorithm A (ISO 13528:2022, C.3.1)."""

    x_star: float  # robust mean x*
    s_star: float  # robust standard deviation s*
    u_x_star: float  # 1.25 s*/sqrt(p), ISO 13528:2022 7.7.3, Formula (7)
    n_iter: int  # iterations until x* and s* no longer changed
    n_labs: int  # p
    x_star_initial: float  # median
    s_star_initial: float  # 1.483 MAD
    converged: bool
    tol: float
    method: str = "algorithm-a"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RobustStatistics(Result):
    """Simple robust estimators of location and scale (ISO 13528:2022, C.2)."""

    n_labs: int
    median: float
    mad: float  # median absolute deviation (unscaled)
    made: float  # 1.483 MAD
    q1: float
    q3: float
    niqr: float  # 0.7413 (Q3 - Q1)
    mean: float
    sd: float
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _values(values, labels=None, *, minimum: int, formula: str) -> np.ndarray:
    x = _checks.require_lab_finite(values, labels, what="value")
    _checks.require_at_least(len(x), minimum, what="values", formula=formula)
    return x


def robust_statistics(values, labels=None) -> RobustStatistics:
    r"""Median, MADe and nIQR of participant results (ISO 13528:2022, C.2.1 to C.2.3).

    Parameters
    ----------
    values : array_like
        One result per participant (laboratory means).
    labels : sequence of str, optional
        Laboratory names, used in error messages.

    Returns
    -------
    RobustStatistics
        ``median``, ``mad``, ``made`` = 1.483 MAD, ``q1``, ``q3``, ``niqr`` = 0.7413 (Q3 - Q1),
        and for comparison the arithmetic ``mean`` and ``sd``.

    Raises
    ------
    InputError
        A non-finite value (the message names the lab) or fewer than 2 values.

    Notes
    -----
    .. math::

        \mathrm{MADe}(x) = 1.483\,\mathrm{med}_i |x_i - \mathrm{med}(x)|, \qquad
        \mathrm{nIQR}(x) = 0.7413\,(Q_3 - Q_1)

    Quartiles are interpolated linearly between order statistics (the definition
    ``numpy.quantile(method="linear")``, R type 7); ISO 13528 does not prescribe one and other
    definitions differ for small p.

    Validated against ISO 13528:2022 Example E.3 (atrazine, 34 laboratories: median 0.2620,
    nIQR 0.0402, MADe 0.0386): ``tests/test_robust.py``.

    References
    ----------
    .. [1] ISO 13528:2022, Statistical methods for use in proficiency testing by interlaboratory
           comparison, Annex C.2.

    Examples
    --------
    >>> from rmwork.testing import reference
    >>> r = robust_statistics(reference("robust_iso13528_e3_atrazine")["value"])
    >>> print(f"{r.median:.4f} {r.niqr:.4f} {r.made:.4f}")
    0.2620 0.0402 0.0386
    """
    x = _values(values, labels, minimum=2, formula="robust statistics (ISO 13528:2022, C.2)")
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med)))
    q1, q3 = (float(q) for q in np.quantile(x, [0.25, 0.75]))
    notes: tuple[str, ...] = ()
    if mad == 0:
        notes = (
            "MAD = 0: more than half of the results coincide; MADe = 0 is no usable scale "
            "(ISO 13528:2022, C.2.2)",
        )
    return RobustStatistics(
        n_labs=len(x),
        median=med,
        mad=mad,
        made=MADE_FACTOR * mad,
        q1=q1,
        q3=q3,
        niqr=NIQR_FACTOR * (q3 - q1),
        mean=float(np.mean(x)),
        sd=float(np.std(x, ddof=1)),
        notes=notes,
        clauses={
            "median": "ISO 13528:2022, C.2.1",
            "made": "ISO 13528:2022, C.2.2",
            "niqr": "ISO 13528:2022, C.2.3",
        },
    )


def algorithm_a(values, labels=None, *, tol: float = 1e-12, max_iter: int = 1000) -> AlgorithmAResult:
    r"""Robust mean x* and standard deviation s* by Algorithm A (ISO 13528:2022, C.3.1).

    Starts from the median and the scaled MAD, winsorizes the results at
    x* +/- 1.5 s*, and iterates until x* and s* stop changing.

    Parameters
    ----------
    values : array_like
        One result per participant (laboratory means).
    labels : sequence of str, optional
        Laboratory names, used in error messages.
    tol : float
        Convergence: stop when x* and s* change by less than ``tol`` times the current s*
        (ISO 13528:2022 asks only that the third significant figure no longer changes; iterating
        further changes nothing at that precision).
    max_iter : int
        Iteration limit; reaching it leaves ``converged = False`` and a note.

    Returns
    -------
    AlgorithmAResult
        ``x_star``, ``s_star``, ``u_x_star`` = 1.25 s*/sqrt(p), ``n_iter``.

    Raises
    ------
    InputError
        A non-finite value (the message names the lab) or fewer than 3 values.

    Notes
    -----
    With :math:`x^* = \mathrm{med}(x_i)` and :math:`s^* = 1.483\,\mathrm{med}|x_i - x^*|`,
    each iteration computes :math:`\delta = 1.5 s^*`,

    .. math::

        x_i^* = \min(\max(x_i, x^* - \delta), x^* + \delta), \qquad
        x^* = \frac{1}{p}\sum_i x_i^*, \qquad
        s^* = 1.134 \sqrt{\frac{\sum_i (x_i^* - x^*)^2}{p - 1}}

    and finally :math:`u(x^*) = 1.25\, s^*/\sqrt{p}` (ISO 13528:2022, 7.7.3, Formula (7)).
    When MAD = 0 the algorithm cannot start: x* is the median, s* = 0, and a note says so.

    Validated against ISO 13528:2022 Example E.3 (atrazine: x* 0.2570, s* 0.0395, u(x*) 0.0085):
    ``tests/test_robust.py``.

    References
    ----------
    .. [1] ISO 13528:2022, Annex C.3.1 (Algorithm A) and 7.7.3.
    .. [2] Analytical Methods Committee, "Robust statistics -- how not to reject outliers. Part 1",
           Analyst 114 (1989) 1693-1697, https://doi.org/10.1039/AN9891401693

    Examples
    --------
    >>> from rmwork.testing import reference
    >>> r = algorithm_a(reference("robust_iso13528_e3_atrazine")["value"])
    >>> print(f"{r.x_star:.4f} {r.s_star:.4f} {r.u_x_star:.4f}")
    0.2570 0.0395 0.0085
    """
    x = _values(values, labels, minimum=3, formula="Algorithm A (ISO 13528:2022, C.3.1)")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ValueError(f"`tol` must be positive, got {tol!r}")
    p = len(x)
    x0 = float(np.median(x))
    s0 = MADE_FACTOR * float(np.median(np.abs(x - x0)))
    clauses = {
        "x_star": "ISO 13528:2022, C.3.1",
        "s_star": "ISO 13528:2022, C.3.1",
        "u_x_star": "ISO 13528:2022, 7.7.3, Formula (7)",
    }
    if s0 == 0:
        return AlgorithmAResult(
            x_star=x0,
            s_star=0.0,
            u_x_star=0.0,
            n_iter=0,
            n_labs=p,
            x_star_initial=x0,
            s_star_initial=0.0,
            converged=False,
            tol=tol,
            notes=(
                "MAD = 0: more than half of the results coincide, Algorithm A cannot scale; "
                "x* = median, s* = 0 (ISO 13528:2022, C.3.1)",
            ),
            clauses=clauses,
        )
    xs, ss = x0, s0
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        delta = ALG_A_DELTA * ss
        w = np.clip(x, xs - delta, xs + delta)
        xs_new = float(np.mean(w))
        ss_new = ALG_A_SCALE * float(np.std(w, ddof=1))
        done = abs(xs_new - xs) <= tol * ss and abs(ss_new - ss) <= tol * ss
        xs, ss = xs_new, ss_new
        if done or ss == 0:
            converged = True
            break
    notes = (
        ()
        if converged
        else (
            f"Algorithm A did not converge in {max_iter} iterations: x* and s* "
            "are the last iterate (ISO 13528:2022, C.3.1)",
        )
    )
    return AlgorithmAResult(
        x_star=xs,
        s_star=ss,
        u_x_star=U_X_STAR_FACTOR * ss / math.sqrt(p),
        n_iter=n_iter,
        n_labs=p,
        x_star_initial=x0,
        s_star_initial=s0,
        converged=converged,
        tol=tol,
        notes=notes,
        clauses=clauses,
    )
