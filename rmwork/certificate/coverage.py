"""Welch–Satterthwaite effective degrees of freedom and the coverage factor (GUM JCGM 100:2008,
G.4.1, Formula (G.2b); 6.2.1; G.3 and Table G.2)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from scipy import stats

from .._checks import require_choice, require_level
from ..errors import InputError
from ..results import Result

DOF_RULES = ("truncate", "exact")
DOF_RULE_DEFAULT = "truncate"  # GUM G.4.1: truncate ν_eff to the next lower integer (as in GUM H.1)
_CLAUSE_WS = "GUM JCGM 100:2008, G.4.1, Formula (G.2b)"
_CLAUSE_K = "GUM JCGM 100:2008, 6.2.1 Formula (18); G.3 and G.4.1 (t_p(ν_eff), Table G.2)"


def _check_u(u: float, key: str) -> float:
    if not math.isfinite(u) or u < 0:
        raise InputError(
            f"standard uncertainty must be a finite number ≥ 0, got {u!r}",
            key=key,
            hint="enter the absolute standard uncertainty in the analyte's unit",
        )
    return u


def _check_dof(d, key: str) -> float:
    d = math.inf if d is None else float(d)
    if math.isnan(d) or d <= 0:
        raise InputError(
            f"degrees of freedom must be > 0 (or inf when unknown), got {d!r}",
            key=key,
            hint="enter a positive number, or leave it out for an infinite ν (Type B)",
        )
    return d


@dataclass(frozen=True, slots=True, kw_only=True)
class DofEffResult(Result):
    """Effective degrees of freedom by Welch–Satterthwaite (GUM JCGM 100:2008, G.4.1)."""

    dof_eff: float  # inf when every component has infinite dof
    u_c: float  # combined standard uncertainty used in the numerator
    n_components: int
    n_infinite: int  # components with infinite dof (no term in the denominator)
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __float__(self) -> float:
        return float(self.dof_eff)


def dof_eff(u_components, dofs, *, u_c: float | None = None) -> DofEffResult:
    r"""Effective degrees of freedom by Welch–Satterthwaite (GUM JCGM 100:2008, G.4.1, Formula (G.2b)).

    Parameters
    ----------
    u_components : sequence of float
        Contributions u_i(y) = |c_i| u(x_i), all in the same unit (or all relative).
    dofs : sequence of float
        ν_i per contribution; ``inf`` (or ``None``) when unknown or Type B taken as exact.
    u_c : float, optional
        Combined standard uncertainty for the numerator. Default sqrt(Σ u_i²). GUM G.4.1 computes
        its example from the rounded u_c (1.03 %), which is why it prints 19.0.

    Returns
    -------
    DofEffResult
        ``dof_eff`` (``inf`` when every ν_i is infinite), ``u_c``; ``float(result)`` gives ν_eff.

    Raises
    ------
    InputError
        Lengths differ, a u_i is negative or non-finite, a ν_i ≤ 0, or all u_i are 0.

    Notes
    -----
    .. math::

        \nu_{eff} = \frac{u_c^4(y)}{\sum_{i=1}^{N} u_i^4(y)/\nu_i}

    Components with ν_i = ∞ add nothing to the denominator. The result is not rounded or
    truncated here; :func:`coverage_factor` applies the ``dof_rule``.

    Validated against GUM G.4.1 (u_rel 0.25 %, 0.57 %, 0.82 % on 9, 4, 14 dof: u_c 1.03 %,
    ν_eff 19.0): ``tests/test_certificate.py::test_dof_eff_gum_g41_example``.
    """
    us = [float(u) for u in u_components]
    ds = [math.inf if d is None else float(d) for d in dofs]
    if len(us) != len(ds):
        raise InputError(
            f"{len(us)} uncertainty components but {len(ds)} degrees of freedom",
            key="dof",
            hint="give one ν per component (inf when unknown)",
        )
    for i, (u, d) in enumerate(zip(us, ds)):
        _check_u(u, f"u_components[{i}]")
        _check_dof(d, f"dofs[{i}]")
    if not us:
        raise InputError(
            "Welch–Satterthwaite (GUM G.4.1) needs at least 1 component, found 0",
            key="u_components",
            hint="give the uncertainty components",
        )
    notes = []
    uc = math.sqrt(sum(u * u for u in us)) if u_c is None else float(u_c)
    if u_c is not None:
        notes.append(
            f"u_c supplied by the caller ({uc:g}); sqrt(Σ u_i²) = {math.sqrt(sum(u * u for u in us)):g}"
        )
    if not (math.isfinite(uc) and uc > 0):
        raise InputError(
            f"Welch–Satterthwaite (GUM G.4.1) needs u_c > 0, found {uc!r}",
            key="u_components",
            hint="check the uncertainty components",
        )
    denom = sum(u**4 / d for u, d in zip(us, ds) if math.isfinite(d))
    n_inf = sum(1 for d in ds if math.isinf(d))
    if denom == 0:
        nu = math.inf
        notes.append(
            "every contribution with finite dof is 0 or every dof is infinite: ν_eff = ∞ "
            "(normal distribution)"
        )
    else:
        nu = uc**4 / denom
    return DofEffResult(
        dof_eff=nu,
        u_c=uc,
        n_components=len(us),
        n_infinite=n_inf,
        notes=tuple(notes),
        clauses={"dof_eff": _CLAUSE_WS},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageFactorResult(Result):
    """Coverage factor k for a coverage probability p (GUM JCGM 100:2008, 6.2-6.3, G.3-G.4)."""

    k: float
    coverage: float  # p (nominal when k is fixed)
    dof_eff: float  # ν_eff as given
    dof_used: float  # ν used for the quantile (after dof_rule); inf for the normal
    distribution: str  # "t", "normal" or "fixed"
    dof_rule: str  # "truncate" or "exact"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __float__(self) -> float:
        return float(self.k)


def coverage_factor(
    dof_eff: float = math.inf,
    coverage: float = 0.95,
    *,
    k: float | None = None,
    dof_rule: str = DOF_RULE_DEFAULT,
) -> CoverageFactorResult:
    r"""Coverage factor k = t_p(ν_eff) (GUM JCGM 100:2008, G.4.1 step 3 and Table G.2; 6.2.1).

    Parameters
    ----------
    dof_eff : float or DofEffResult
        Effective degrees of freedom; ``inf`` gives the normal quantile.
    coverage : float
        Coverage probability p, in (0, 1).
    k : float, optional
        A fixed coverage factor (e.g. 2). Then ν_eff is not used and ``coverage`` is recorded as the
        nominal ("approximately") probability.
    dof_rule : {"truncate", "exact"}
        ``"truncate"`` (default): a non-integer ν_eff is truncated to the next lower integer before
        t_p is taken, as GUM G.4.1 allows and as the GUM's H.1 example does (a ν_eff between 16 and 17,
        16.76 from the rounded Table H.1 entries, used as t_99(16) = 2.92); it gives the conservative
        (larger) k of the two options. ``"exact"``: the non-integer ν_eff
        is used as is (``scipy.stats.t`` accepts real ν; equivalent to exact interpolation in
        Table G.2).

    Returns
    -------
    CoverageFactorResult
        ``k``, ``coverage``, ``dof_used``, ``distribution`` ("t", "normal" or "fixed").

    Raises
    ------
    InputError
        k ≤ 0, ν_eff ≤ 0, or ν_eff < 1 with ``dof_rule="truncate"``; unknown ``dof_rule``.

    Notes
    -----
    .. math::

        k = t_{(1+p)/2}(\nu), \quad \nu = \lfloor\nu_{eff}\rfloor \text{ (truncate) or } \nu_{eff};
        \qquad k = z_{(1+p)/2} \text{ when } \nu_{eff} = \infty

    Validated against GUM H.1 (t_99(16) = 2.92) and G.4.1 (t_95(19) = 2.09):
    ``tests/test_certificate.py::test_budget_gum_h1_end_gauge_k99``,
    ``tests/test_certificate.py::test_dof_eff_gum_g41_example``.
    """
    coverage = require_level(coverage, "coverage")
    require_choice(dof_rule, DOF_RULES, thing="rule for non-integer degrees of freedom", key="dof_rule")
    nu = float(dof_eff)
    notes: list[str] = []
    clauses = {"k": _CLAUSE_K}
    if k is not None:
        k = float(k)
        if not (math.isfinite(k) and k > 0):
            raise InputError(
                f"coverage factor must be > 0, got {k!r}",
                key="k",
                hint="enter a positive k (e.g. 2) or leave it out to take k from ν_eff",
            )
        notes.append(f"k fixed at {k:g} by the user: coverage probability approximately {coverage:g}")
        return CoverageFactorResult(
            k=k,
            coverage=coverage,
            dof_eff=nu,
            dof_used=math.nan,
            distribution="fixed",
            dof_rule=dof_rule,
            notes=tuple(notes),
            clauses=clauses,
        )
    if math.isnan(nu) or nu <= 0:
        raise InputError(
            f"coverage factor (GUM G.4.1) needs ν_eff > 0, found {nu!r}",
            key="dof_eff",
            hint="check the degrees of freedom of the budget components",
        )
    q = (1.0 + coverage) / 2.0
    if math.isinf(nu):
        kk = float(stats.norm.ppf(q))
        notes.append("ν_eff infinite: k from the normal distribution")
        return CoverageFactorResult(
            k=kk,
            coverage=coverage,
            dof_eff=nu,
            dof_used=math.inf,
            distribution="normal",
            dof_rule=dof_rule,
            notes=tuple(notes),
            clauses=clauses,
        )
    if dof_rule == "truncate":
        used = float(math.floor(nu))
        if used < 1:
            raise InputError(
                f"coverage factor (GUM G.4.1) with truncated ν needs ν_eff ≥ 1, found {nu:g}",
                key="dof_eff",
                hint="add data, or use dof_rule='exact' or a fixed k",
            )
        if used != nu:
            notes.append(f"ν_eff = {nu:.4g} truncated to {used:g} (GUM G.4.1)")
    else:
        used = nu
    kk = float(stats.t.ppf(q, used))
    return CoverageFactorResult(
        k=kk,
        coverage=coverage,
        dof_eff=nu,
        dof_used=used,
        distribution="t",
        dof_rule=dof_rule,
        notes=tuple(notes),
        clauses=clauses,
    )
