"""Uncertainty budget, coverage factor, rounding and certificate data of a CRM (GUM JCGM 100:2008;
ISO Guide 35:2017; ISO Guide 31:2015; JJF 1059.1-2012; JJF 1343-2022).

The certified value x_CRM carries the combined standard uncertainty
u_CRM = sqrt(u_char² + u_bb² + u_lts² + u_sts² + Σ u_extra²) (ISO Guide 35:2017, combination of the
characterization, between-unit, long-term and transport contributions by the law of propagation of
uncertainty, GUM 5.1.2). Its effective degrees of freedom follow Welch–Satterthwaite (GUM G.4.1,
Formula (G.2b)), the coverage factor the t distribution (GUM G.3, G.4.1, Table G.2) and U = k u_CRM
(GUM 6.2.1, Formula (18)). Certified value and U are rounded by one of four named rules:
``gum`` (GUM 7.2.6), ``jjf`` (JJF 1059.1-2012 with GB/T 8170-2008 for the value), ``din1333`` (as
eCerto implements DIN 1333) and ``none``. This is the only compute module that rounds (STYLE.md 7).

It also holds the reviewer checks shown next to the certificate, the period of validity and the
metadata items of the certificate (ISO Guide 31:2015; JJF 1186-2018 items as listed in
``shared/zh/GLOSSARY.md``). No matplotlib, no file I/O.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from scipy import stats

from ._checks import require_choice, require_level
from .errors import InputError
from .results import Result

__all__ = [
    "Component", "BudgetComponent", "BudgetResult", "budget",
    "DofEffResult", "dof_eff", "CoverageFactorResult", "coverage_factor",
    "RoundedValue", "round_gum", "round_jjf", "round_din1333", "round_none", "round_certified",
    "CertifiedValue", "certify",
    "CheckItem", "ChecksResult", "checks",
    "ValidityPeriod", "validity_period",
    "CertificateMetadata",
    "ROUNDING_RULES", "DOF_RULES",
]

ROUNDING_RULES = ("gum", "jjf", "din1333", "none")
DOF_RULES = ("truncate", "exact")
DOF_RULE_DEFAULT = "truncate"  # GUM G.4.1: truncate ν_eff to the next lower integer (as in GUM H.1)
U_BB_RATIO_MAX = 1.0 / 3.0  # rmwork convention after the ISO 13528:2022 0.3 σ_pt criterion: u_bb ≤ u_char/3
STABILITY_SHARE_MAX = 0.5  # rmwork convention: (u_lts² + u_sts²)/u_CRM² above this → "attention"
_GUARD_SIG = 12  # significant digits kept before rounding: absorbs binary noise (3*0.1 = 0.30000000000000004)

_STUDY_COMPONENTS = {
    # symbol: (source study, clause)
    "u_char": ("characterization", "ISO Guide 35:2017 (characterization; u_char)"),
    "u_bb": ("homogeneity (between-unit)", "ISO Guide 35:2017, clause 7 (u_bb = u_hom)"),
    "u_lts": ("long-term stability", "ISO Guide 35:2017, clause 8 (u_lts)"),
    "u_sts": ("transport (short-term) stability", "ISO Guide 35:2017, clause 8 (u_sts = u_trn)"),
}
_CLAUSE_U_CRM = ("ISO Guide 35:2017, u_CRM = sqrt(u_char² + u_hom² + u_lts² + u_trn²); "
                 "GUM JCGM 100:2008, 5.1.2, Formula (10)")
_CLAUSE_WS = "GUM JCGM 100:2008, G.4.1, Formula (G.2b)"
_CLAUSE_K = "GUM JCGM 100:2008, 6.2.1 Formula (18); G.3 and G.4.1 (t_p(ν_eff), Table G.2)"


# ---------------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    """A user-defined budget component (input to :func:`budget`).

    Give either ``u`` (absolute, in the analyte's unit) or ``u_rel`` (relative to the certified
    value; then :func:`budget` needs ``value``). ``dof`` is ``inf`` when unknown (Type B).
    ``reason`` says where the component comes from; it is shown in table U1.
    """

    name: str
    u: float | None = None
    u_rel: float | None = None
    dof: float = math.inf
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetComponent(Result):
    """One row of the uncertainty budget (table U1)."""

    name: str           # symbol: u_char, u_bb, u_lts, u_sts or the user's name
    source: str         # study or reason
    u: float            # absolute standard uncertainty, analyte's unit
    u_rel: float        # u/|value|; nan when no value was given
    dof: float          # inf when unknown
    share: float        # u_i²/u_CRM²


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetResult(Result):
    """Uncertainty budget of a certified value (ISO Guide 35:2017; GUM 5.1.2 and G.4.1)."""

    components: tuple[BudgetComponent, ...]
    u: float            # u_CRM = sqrt(Σ u_i²)
    u_rel: float        # u/|value|; nan without value
    dof_eff: float      # Welch–Satterthwaite, GUM (G.2b); inf when every dof is infinite
    value: float        # nan when not given
    u_char: float       # nan when absent from the budget
    u_bb: float
    u_lts: float
    u_sts: float
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def component(self, name: str) -> BudgetComponent:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_frame(self):
        """One row per component plus a combined row ``u_CRM``."""
        import pandas as pd

        rows = [{k: v for k, v in c.to_dict().items()} for c in self.components]
        rows.append({"name": "u_CRM", "source": "combined", "u": self.u,
                     "u_rel": None if math.isnan(self.u_rel) else self.u_rel,
                     "dof": None if math.isinf(self.dof_eff) else self.dof_eff,
                     "share": 1.0})
        return pd.DataFrame(rows)


def _as_u(x, attrs: Sequence[str], *, key: str):
    """Float, or a result object carrying one of ``attrs`` (e.g. a HomogeneityResult for u_bb)."""
    if x is None:
        return None, None
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return float(x), None
    for a in attrs:
        if hasattr(x, a) and getattr(x, a) is not None:
            return float(getattr(x, a)), x
    raise InputError(f"{type(x).__name__} has no attribute {' or '.join(attrs)}", key=key,
                     hint="pass a number (standard uncertainty in the analyte's unit) or the study's result")


def _check_u(u: float, key: str) -> float:
    if not math.isfinite(u) or u < 0:
        raise InputError(f"standard uncertainty must be a finite number ≥ 0, got {u!r}", key=key,
                         hint="enter the absolute standard uncertainty in the analyte's unit")
    return u


def _check_dof(d, key: str) -> float:
    d = math.inf if d is None else float(d)
    if math.isnan(d) or d <= 0:
        raise InputError(f"degrees of freedom must be > 0 (or inf when unknown), got {d!r}", key=key,
                         hint="enter a positive number, or leave it out for an infinite ν (Type B)")
    return d


def budget(u_char=None, u_bb=None, u_lts=None, u_sts=None, *, value: float | None = None,
           dof: Mapping[str, float] | None = None,
           extra: Iterable[Component | Mapping[str, Any]] = ()) -> BudgetResult:
    r"""Combined standard uncertainty of a certified value (ISO Guide 35:2017; GUM 5.1.2, Formula (10)).

    Combines the characterization, between-unit homogeneity, long-term and transport stability
    contributions and any user components (all absolute, in the analyte's unit, sensitivity
    coefficient 1) in quadrature, with per-component shares and the Welch–Satterthwaite
    effective degrees of freedom.

    Parameters
    ----------
    u_char, u_bb, u_lts, u_sts : float or result object, optional
        Standard uncertainties. A result object is accepted where it has the attribute of the same
        name (``u_char`` also accepts ``.u``, the characterization result); its ``dof`` is then used
        for ``u_char`` unless ``dof`` says otherwise (a note records it). ``None`` leaves the
        component out of the budget (a note records it).
    value : float, optional
        Certified value; needed for relative uncertainties and for components given as ``u_rel``.
    dof : mapping, optional
        Degrees of freedom per component name (``"u_char"``, ``"u_bb"``, ..., or a user name);
        missing names are infinite (Type B / unknown).
    extra : iterable of :class:`Component` or mappings with the same keys
        Further components (``name``, ``u`` or ``u_rel``, ``dof``, ``reason``).

    Returns
    -------
    BudgetResult
        ``components`` (name, source, u, u_rel, dof, share), ``u`` (u_CRM), ``u_rel``, ``dof_eff``,
        and ``u_char``, ``u_bb``, ``u_lts``, ``u_sts`` (nan when absent).

    Raises
    ------
    InputError
        No component, a negative or non-finite u, dof ≤ 0, a dof for an unknown component, a
        relative component without ``value``, or u_CRM = 0.

    Notes
    -----
    .. math::

        u_{CRM} = \sqrt{u_{char}^2 + u_{bb}^2 + u_{lts}^2 + u_{sts}^2 + \sum_j u_j^2}, \qquad
        \text{share}_i = u_i^2 / u_{CRM}^2, \qquad
        \nu_{eff} = \frac{u_{CRM}^4}{\sum_i u_i^4/\nu_i}

    ISO Guide 35:2017 writes u_hom and u_trn for rmwork's u_bb and u_sts.

    Validated against GUM H.1 (end gauge, u_c = 32 nm, ν_eff = 16) and EURACHEM/CITAC QUAM A1:
    ``tests/test_certificate.py::test_budget_gum_h1_end_gauge_k99``,
    ``tests/test_certificate.py::test_budget_quam_a1_cadmium_standard``.

    References
    ----------
    .. [1] ISO Guide 35:2017, Reference materials -- Guidance for characterization and assessment
           of homogeneity and stability.
    .. [2] JCGM 100:2008 (GUM), 5.1.2 and Annex G.
    """
    notes: list[str] = []
    dof = dict(dof or {})
    rows: list[tuple[str, str, float, float]] = []  # name, source, u, dof
    study_u = {}
    if value is not None:
        value = float(value)
        if not math.isfinite(value):
            raise InputError(f"certified value must be finite, got {value!r}", key="value",
                             hint="enter the certified value")

    for name, x in (("u_char", u_char), ("u_bb", u_bb), ("u_lts", u_lts), ("u_sts", u_sts)):
        attrs = (name, "u") if name == "u_char" else (name,)
        u, src = _as_u(x, attrs, key=name)
        if u is None:
            study_u[name] = math.nan
            notes.append(f"{name} not given: left out of the budget")
            continue
        u = _check_u(u, name)
        study_u[name] = u
        if name not in dof and src is not None and getattr(src, "dof", None) is not None \
                and name == "u_char":
            dof[name] = float(src.dof)
            notes.append(f"dof of u_char taken from the characterization result: {float(src.dof):g}")
        rows.append((name, _STUDY_COMPONENTS[name][0], u, dof.get(name)))

    seen = {r[0] for r in rows} | set(_STUDY_COMPONENTS)
    for i, comp in enumerate(extra):
        if isinstance(comp, Mapping):
            unknown = set(comp) - {"name", "u", "u_rel", "dof", "reason"}
            if unknown:
                raise InputError(f"unknown key(s) {', '.join(sorted(unknown))} in extra component {i + 1}",
                                 key="extra", hint="use name, u or u_rel, dof, reason")
            comp = Component(**comp)
        name = str(comp.name).strip()
        if not name:
            raise InputError(f"extra component {i + 1} has no name", key="extra",
                             hint="give every component a name")
        if name in seen:
            raise InputError(f"component name '{name}' is used twice", key="extra",
                             hint="give every component its own name")
        seen.add(name)
        if (comp.u is None) == (comp.u_rel is None):
            raise InputError(f"component '{name}' needs exactly one of u or u_rel", key="extra",
                             hint="give the absolute u, or u_rel together with the certified value")
        if comp.u_rel is not None:
            if value is None:
                raise InputError(f"component '{name}' is relative (u_rel) but no certified value was given",
                                 key="value", hint="pass value= to budget()")
            u = _check_u(float(comp.u_rel), name) * abs(value)
        else:
            u = _check_u(float(comp.u), name)
        d = dof.pop(name) if name in dof else comp.dof
        rows.append((name, comp.reason or "user component", u, d))

    if not rows:
        raise InputError("the budget has no component", key="budget",
                         hint="give at least u_char, or extra components")
    names = {r[0] for r in rows}
    stray = set(dof) - names
    if stray:
        raise InputError(f"dof given for component(s) not in the budget: {', '.join(sorted(stray))}",
                         key="dof", hint=f"use one of {', '.join(sorted(names))}")

    us = np.array([r[2] for r in rows])
    dofs = np.array([_check_dof(r[3], f"dof.{r[0]}") for r in rows])
    u_crm = float(math.sqrt(float(np.sum(us ** 2))))
    if u_crm == 0:
        raise InputError("every budget component is 0, so u_CRM = 0", key="budget",
                         hint="a certified value needs an uncertainty; check the inputs")
    ws = dof_eff(us, dofs)
    notes.extend(ws.notes)
    comps = tuple(
        BudgetComponent(name=r[0], source=r[1], u=r[2],
                        u_rel=(r[2] / abs(value)) if value not in (None, 0.0) else math.nan,
                        dof=float(d), share=r[2] ** 2 / u_crm ** 2)
        for r, d in zip(rows, dofs))
    if value == 0.0:
        notes.append("certified value is 0: relative uncertainties undefined (nan)")
    clauses = {"u": _CLAUSE_U_CRM, "dof_eff": _CLAUSE_WS}
    clauses.update({k: v[1] for k, v in _STUDY_COMPONENTS.items() if k in names})
    return BudgetResult(
        components=comps, u=u_crm,
        u_rel=u_crm / abs(value) if value not in (None, 0.0) else math.nan,
        dof_eff=ws.dof_eff, value=math.nan if value is None else value,
        u_char=study_u["u_char"], u_bb=study_u["u_bb"], u_lts=study_u["u_lts"],
        u_sts=study_u["u_sts"], notes=tuple(notes), clauses=clauses)


# ---------------------------------------------------------------------------------------------
# Welch–Satterthwaite and the coverage factor
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class DofEffResult(Result):
    """Effective degrees of freedom by Welch–Satterthwaite (GUM JCGM 100:2008, G.4.1)."""

    dof_eff: float          # inf when every component has infinite dof
    u_c: float              # combined standard uncertainty used in the numerator
    n_components: int
    n_infinite: int         # components with infinite dof (no term in the denominator)
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
        raise InputError(f"{len(us)} uncertainty components but {len(ds)} degrees of freedom",
                         key="dof", hint="give one ν per component (inf when unknown)")
    for i, (u, d) in enumerate(zip(us, ds)):
        _check_u(u, f"u_components[{i}]")
        _check_dof(d, f"dofs[{i}]")
    if not us:
        raise InputError("Welch–Satterthwaite (GUM G.4.1) needs at least 1 component, found 0",
                         key="u_components", hint="give the uncertainty components")
    notes = []
    uc = math.sqrt(sum(u * u for u in us)) if u_c is None else float(u_c)
    if u_c is not None:
        notes.append(f"u_c supplied by the caller ({uc:g}); sqrt(Σ u_i²) = "
                     f"{math.sqrt(sum(u * u for u in us)):g}")
    if not (math.isfinite(uc) and uc > 0):
        raise InputError(f"Welch–Satterthwaite (GUM G.4.1) needs u_c > 0, found {uc!r}",
                         key="u_components", hint="check the uncertainty components")
    denom = sum(u ** 4 / d for u, d in zip(us, ds) if math.isfinite(d))
    n_inf = sum(1 for d in ds if math.isinf(d))
    if denom == 0:
        nu = math.inf
        notes.append("every contribution with finite dof is 0 or every dof is infinite: ν_eff = ∞ "
                     "(normal distribution)")
    else:
        nu = uc ** 4 / denom
    return DofEffResult(dof_eff=nu, u_c=uc, n_components=len(us), n_infinite=n_inf,
                        notes=tuple(notes), clauses={"dof_eff": _CLAUSE_WS})


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageFactorResult(Result):
    """Coverage factor k for a coverage probability p (GUM JCGM 100:2008, 6.2-6.3, G.3-G.4)."""

    k: float
    coverage: float         # p (nominal when k is fixed)
    dof_eff: float          # ν_eff as given
    dof_used: float         # ν used for the quantile (after dof_rule); inf for the normal
    distribution: str       # "t", "normal" or "fixed"
    dof_rule: str           # "truncate" or "exact"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __float__(self) -> float:
        return float(self.k)


def coverage_factor(dof_eff: float = math.inf, coverage: float = 0.95, *, k: float | None = None,
                    dof_rule: str = DOF_RULE_DEFAULT) -> CoverageFactorResult:
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
            raise InputError(f"coverage factor must be > 0, got {k!r}", key="k",
                             hint="enter a positive k (e.g. 2) or leave it out to take k from ν_eff")
        notes.append(f"k fixed at {k:g} by the user: coverage probability approximately {coverage:g}")
        return CoverageFactorResult(k=k, coverage=coverage, dof_eff=nu, dof_used=math.nan,
                                    distribution="fixed", dof_rule=dof_rule, notes=tuple(notes),
                                    clauses=clauses)
    if math.isnan(nu) or nu <= 0:
        raise InputError(f"coverage factor (GUM G.4.1) needs ν_eff > 0, found {nu!r}", key="dof_eff",
                         hint="check the degrees of freedom of the budget components")
    q = (1.0 + coverage) / 2.0
    if math.isinf(nu):
        kk = float(stats.norm.ppf(q))
        notes.append("ν_eff infinite: k from the normal distribution")
        return CoverageFactorResult(k=kk, coverage=coverage, dof_eff=nu, dof_used=math.inf,
                                    distribution="normal", dof_rule=dof_rule, notes=tuple(notes),
                                    clauses=clauses)
    if dof_rule == "truncate":
        used = float(math.floor(nu))
        if used < 1:
            raise InputError(f"coverage factor (GUM G.4.1) with truncated ν needs ν_eff ≥ 1, found {nu:g}",
                             key="dof_eff", hint="add data, or use dof_rule='exact' or a fixed k")
        if used != nu:
            notes.append(f"ν_eff = {nu:.4g} truncated to {used:g} (GUM G.4.1)")
    else:
        used = nu
    kk = float(stats.t.ppf(q, used))
    return CoverageFactorResult(k=kk, coverage=coverage, dof_eff=nu, dof_used=used, distribution="t",
                                dof_rule=dof_rule, notes=tuple(notes), clauses=clauses)


# ---------------------------------------------------------------------------------------------
# Rounding rules
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class RoundedValue(Result):
    """Certified value and U as printed on the certificate (strings keep their trailing zeros)."""

    value: float
    U: float
    value_rounded: str
    U_rounded: str
    decimals: int | None    # decimal places of both; negative = tens, hundreds...; None for "none"
    rule: str
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _dec(x: float, sig: int = _GUARD_SIG) -> Decimal:
    """Exact decimal of the shortest repr of ``x``, cut to ``sig`` significant digits (half-even).

    The repr is the decimal the user typed (2.675, not 2.67499999999999982236431605997495353221893310546875);
    the cut removes noise left by arithmetic (0.1*3 = 0.30000000000000004), which would otherwise
    be rounded *up* to 0.31 by a round-up rule.
    """
    d = Decimal(repr(float(x)))
    if d == 0:
        return Decimal(0)
    return d.quantize(Decimal(1).scaleb(d.adjusted() - sig + 1), rounding=ROUND_HALF_EVEN)


def _quantize(d: Decimal, decimals: int, mode: str) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=mode)


def _fmt(d: Decimal) -> str:
    s = format(d, "f")
    if d == 0 and s.startswith("-"):
        s = s[1:]
    return s


def _check_round_inputs(value: float, U: float) -> tuple[float, float]:
    value, U = float(value), float(U)
    if not math.isfinite(value):
        raise InputError(f"certified value must be finite, got {value!r}", key="value",
                         hint="check the characterization result")
    if not (math.isfinite(U) and U > 0):
        raise InputError(f"rounding needs an expanded uncertainty U > 0, got {U!r}", key="U",
                         hint="check the uncertainty budget")
    return value, U


def _value_dec(value: float, decimals: int) -> Decimal:
    d = Decimal(repr(value))
    if d == 0:
        return d
    # keep enough digits below the rounding position, at least _GUARD_SIG significant ones
    sig = max(_GUARD_SIG, d.adjusted() + decimals + 3)
    return _dec(value, sig)


def _round_sig_up(value: float, U: float, sig_digits: int, value_mode: str, rule: str,
                  clauses: Mapping[str, str]) -> RoundedValue:
    value, U = _check_round_inputs(value, U)
    if int(sig_digits) not in (1, 2):
        raise InputError(f"sig_digits must be 1 or 2, got {sig_digits!r}", key="sig_digits",
                         hint="GUM 7.2.6: U is quoted with at most two significant digits")
    du = _dec(U)
    decimals = -du.adjusted() + int(sig_digits) - 1
    ur = _quantize(du, decimals, ROUND_UP)
    notes = []
    if ur.adjusted() > du.adjusted():  # 0.0996 -> 0.100: one digit too many after the carry
        decimals -= 1
        ur = _quantize(du, decimals, ROUND_UP)
        notes.append("rounding U up carried into a new leading digit; one decimal fewer kept")
    vr = _quantize(_value_dec(value, decimals), decimals, value_mode)
    return RoundedValue(value=value, U=U, value_rounded=_fmt(vr), U_rounded=_fmt(ur),
                        decimals=decimals, rule=rule, notes=tuple(notes), clauses=dict(clauses))


def round_gum(value: float, U: float, *, sig_digits: int = 2) -> RoundedValue:
    """Round U up to two significant digits and the value half-up to its place (GUM JCGM 100:2008, 7.2.6).

    GUM 7.2.6: U is quoted with at most two significant digits, and "it may sometimes be
    appropriate to round uncertainties up rather than to the nearest digit"; rmwork always rounds
    U up (never understates it). The value is rounded half-up (ties away from zero) to the last
    decimal place of the rounded U. When rounding up carries into a new digit (0.0996 → 0.100) one
    decimal fewer is kept (0.10).

    Parameters
    ----------
    value, U : float
        Certified value and expanded uncertainty (U > 0).
    sig_digits : {2, 1}
        Significant digits of U.

    Returns
    -------
    RoundedValue
        ``value_rounded`` and ``U_rounded`` as strings with trailing zeros kept (U 0.2 → "0.20"),
        ``decimals``.

    Notes
    -----
    Inputs are taken as the decimal of their shortest repr, cut to 12 significant digits, so that
    2.675 rounds to 2.68 and 0.30000000000000004 is treated as 0.3 (not rounded up to 0.31).

    Validated against U 0.01234 → "0.013", value 1.23456 → "1.235"; U 123.4 → "130"; GUM G.4.1
    U95 2.2 %: ``tests/test_certificate.py::test_round_gum_cases``.
    """
    return _round_sig_up(value, U, sig_digits, ROUND_HALF_UP, "gum",
                         {"U_rounded": "GUM JCGM 100:2008, 7.2.6 (≤ 2 significant digits, rounded up)",
                          "value_rounded": "GUM JCGM 100:2008, 7.2.6 (same decimal place as U)"})


def round_jjf(value: float, U: float, *, sig_digits: int = 2) -> RoundedValue:
    """Round U up to two significant digits and the value half-even (JJF 1059.1-2012; GB/T 8170-2008).

    As :func:`round_gum` for U (at most two significant digits, rounded up so that U is never
    understated), but the value follows the GB/T 8170-2008 rule of rounding off ("四舍六入五成双"):
    a 5 followed only by zeros rounds to the even digit (2.665 → 2.66, 2.675 → 2.68), otherwise to
    the nearest. The rule is applied to the exact decimal of the value (see :func:`round_gum`).

    The JJF 1059.1-2012 and JJF 1343-2022 clause texts on rounding were not checked (GLOSSARY.md,
    gaps 1 and 4): U rounded up to 1-2 significant digits follows common Chinese practice
    ("只进不舍" for uncertainties); switch to ``round_gum`` if a reviewer requires half-up.

    Validated against: ``tests/test_certificate.py::test_round_jjf_value_half_even``.
    """
    return _round_sig_up(value, U, sig_digits, ROUND_HALF_EVEN, "jjf",
                         {"U_rounded": "JJF 1059.1-2012, 5.3.8 (≤ 2 significant digits, rounded up; "
                                       "clause text not checked)",
                          "value_rounded": "GB/T 8170-2008, 3.3 (round half to even)"})


def _decimals_din1333(du: Decimal) -> int:
    # eCerto digits_DIN1333: position of the first non-zero digit, one more if that digit is 1 or 2
    return -du.adjusted() + (1 if du.as_tuple().digits[0] in (1, 2) else 0)


def round_din1333(value: float, U: float) -> RoundedValue:
    """Round U up and the value half-up to the DIN 1333 place, as eCerto does (DIN 1333; eCerto digits_DIN1333).

    eCerto functions reproduced: ``digits_DIN1333``, ``round_up``, ``round_DIN1333``.

    Number of decimals n: the position of U's first significant digit, plus one when that digit
    is 1 or 2 (U keeps two significant digits when it starts with 1 or 2, otherwise one):
    0.011 → 3, 0.021 → 3, 0.0299999 → 3, 0.03 → 2, 0.031 → 2, 0.000299 → 5, 29.01 → 0, 3.01 → 0,
    200 → -1, 300 → -2. U is rounded up to n decimals, the value half-up (ties away from zero) to n
    decimals. n is taken from the unrounded U (eCerto): U 0.0996 → n 2 → "0.10".

    Differences from eCerto (R, janlisec/eCerto ``R/fnc_digits_DIN1333.R``, ``R/fnc_round_DIN1333.R``,
    ``round_up`` in ``R/app_utils.R``), all on floating-point edge cases:

    * eCerto reads the digit positions from ``as.character(x)`` and from x + sqrt(.Machine$double.eps)
      (1.5e-8); rmwork uses the decimal of the shortest repr cut to 12 significant digits. Both give
      the table above; they differ only within about 1.5e-8 (absolute) below a digit boundary, and
      eCerto's string parsing fails for numbers R prints in scientific notation (U < 1e-4, e.g.
      1e-05), where rmwork is correct.
    * eCerto's ``round_up`` computes ``ceiling(|x| 10^n + sqrt(eps)) / 10^n``, so a U that is already
      on the grid goes up one more unit (U 0.2, n 2 → 0.21; U 0.03 → 0.04). rmwork leaves it
      (U 0.2 → "0.20"): DIN 1333 rounds up only digits that are there.
    * eCerto's ``round_DIN1333`` adds sqrt(eps) before truncation (half-up with a guard); rmwork
      rounds the exact decimal half-up, so 2.675 → 2.68 in both.

    Validated against the eCerto unit test ``tests/testthat/test-digits_DIN1333.R`` (the table
    above): ``tests/test_certificate.py::test_round_din1333_ecerto_digits_table``.
    """
    value, U = _check_round_inputs(value, U)
    du = _dec(U)
    n = _decimals_din1333(du)
    ur = _quantize(du, n, ROUND_UP)
    vr = _quantize(_value_dec(value, n), n, ROUND_HALF_UP)
    return RoundedValue(value=value, U=U, value_rounded=_fmt(vr), U_rounded=_fmt(ur), decimals=n,
                        rule="din1333",
                        clauses={"U_rounded": "DIN 1333 as in eCerto digits_DIN1333/round_up (U rounded up)",
                                 "value_rounded": "DIN 1333 as in eCerto round_DIN1333 (half-up)"})


def round_none(value: float, U: float) -> RoundedValue:
    """No rounding: full-precision strings (repr) of value and U (GUM JCGM 100:2008, 7.2.6).

    GUM 7.2.6 allows extra digits where results are used in further calculations.
    """
    value, U = float(value), float(U)
    return RoundedValue(value=value, U=U, value_rounded=repr(value), U_rounded=repr(U), decimals=None,
                        rule="none", notes=("not rounded: full precision shown",),
                        clauses={"value_rounded": "GUM JCGM 100:2008, 7.2.6"})


def round_certified(value: float, U: float, rule: str = "gum") -> RoundedValue:
    """Round a certified value and its U by a named rule (GUM 7.2.6; JJF 1059.1-2012; DIN 1333).

    ``rule`` is one of ``gum`` (:func:`round_gum`), ``jjf`` (:func:`round_jjf`), ``din1333``
    (:func:`round_din1333`), ``none`` (:func:`round_none`).
    """
    require_choice(rule, ROUNDING_RULES, thing="rounding rule", key="certificate.rounding")
    return {"gum": round_gum, "jjf": round_jjf, "din1333": round_din1333, "none": round_none}[rule](value, U)


# ---------------------------------------------------------------------------------------------
# Certified value
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class CertifiedValue(Result):
    """Certified value with its uncertainty budget, k, U and the printed strings
    (ISO Guide 35:2017; GUM 6.2.1; ISO Guide 31:2015).

    ``to_dict()`` holds the contract's ``certified`` keys (value, u_char, u_bb, u_lts, u_sts, u,
    dof_eff, k, U, value_rounded, U_rounded) followed by the extras below. Absent components and an
    infinite ν_eff become ``null`` in JSON (a note says which).
    """

    value: float
    u_char: float
    u_bb: float
    u_lts: float
    u_sts: float
    u: float                # u_CRM
    dof_eff: float
    k: float
    U: float
    value_rounded: str
    U_rounded: str
    analyte: str = ""
    unit_of_measure: str = ""
    u_rel: float = math.nan
    U_rel: float = math.nan
    coverage: float = 0.95
    distribution: str = "t"   # of k: "t", "normal" or "fixed"
    dof_used: float = math.nan
    dof_rule: str = DOF_RULE_DEFAULT
    rounding: str = "gum"
    decimals: int | None = None
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _budget: BudgetResult | None = field(default=None, repr=False, compare=False)

    @property
    def budget(self) -> BudgetResult | None:
        return self._budget


def certify(value: float, budget: BudgetResult, *, coverage: float = 0.95, k: float | None = None,
            rounding: str = "gum", dof_rule: str = DOF_RULE_DEFAULT, analyte: str = "",
            unit_of_measure: str = "") -> CertifiedValue:
    r"""Certified value with k, U = k u_CRM and the rounded strings (GUM JCGM 100:2008, 6.2.1, Formula (18)).

    k follows GUM G.4.1 and the strings the chosen rounding rule (GUM 7.2.6, DIN 1333, JJF).

    Parameters
    ----------
    value : float
        Certified value (from the characterization), in ``unit_of_measure``.
    budget : BudgetResult
        From :func:`budget`.
    coverage : float
        Coverage probability p (default 0.95).
    k : float, optional
        Fixed coverage factor (e.g. 2); default: k = t_p(ν_eff) by :func:`coverage_factor`.
    rounding : {"gum", "jjf", "din1333", "none"}
        Rounding rule for the printed strings (:func:`round_certified`).
    dof_rule : {"truncate", "exact"}
        Non-integer ν_eff: truncate (default, GUM G.4.1, as in H.1) or use as is.
    analyte, unit_of_measure : str
        Carried into the result (certificate table, DRMD).

    Returns
    -------
    CertifiedValue

    Raises
    ------
    InputError
        Non-finite value, unknown rounding rule, invalid k or coverage.

    Notes
    -----
    U = k u_CRM with k = t_{(1+p)/2}(ν_eff), or the normal quantile when ν_eff = ∞ (every
    component Type B or of unknown ν; then k(95 %) = 1.96, not 2: pass ``k=2`` for the
    conventional value).

    Validated against GUM H.1 (U(99 %) = 93 nm): ``tests/test_certificate.py::test_budget_gum_h1_end_gauge_k99``.
    """
    if not isinstance(budget, BudgetResult):
        raise TypeError(f"`budget` must be a BudgetResult (from rmwork.certificate.budget), got {type(budget).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"certified value must be finite, got {value!r}", key="value",
                         hint="check the characterization result")
    require_choice(rounding, ROUNDING_RULES, thing="rounding rule", key="certificate.rounding")
    notes = list(budget.notes)
    if math.isfinite(budget.value) and budget.value != value:
        notes.append(f"budget was built for value {budget.value!r}; certified value is {value!r} "
                     "(relative components were scaled to the budget's value)")
    cf = coverage_factor(budget.dof_eff, coverage, k=k, dof_rule=dof_rule)
    notes.extend(cf.notes)
    U = cf.k * budget.u
    rv = round_certified(value, U, rounding)
    notes.extend(rv.notes)
    if math.isinf(budget.dof_eff):
        notes.append("dof_eff infinite: written as null in results.json")
    clauses = dict(budget.clauses)
    clauses.update(cf.clauses)
    clauses["U"] = "GUM JCGM 100:2008, 6.2.1, Formula (18): U = k u_c"
    clauses.update(rv.clauses)
    rel = (lambda x: x / abs(value)) if value != 0 else (lambda x: math.nan)
    return CertifiedValue(
        value=value, u_char=budget.u_char, u_bb=budget.u_bb, u_lts=budget.u_lts, u_sts=budget.u_sts,
        u=budget.u, dof_eff=budget.dof_eff, k=cf.k, U=U, value_rounded=rv.value_rounded,
        U_rounded=rv.U_rounded, analyte=str(analyte), unit_of_measure=str(unit_of_measure),
        u_rel=rel(budget.u), U_rel=rel(U), coverage=cf.coverage, distribution=cf.distribution,
        dof_used=cf.dof_used, dof_rule=dof_rule, rounding=rounding, decimals=rv.decimals,
        notes=tuple(notes), clauses=clauses, _budget=budget)


# ---------------------------------------------------------------------------------------------
# Reviewer checks
# ---------------------------------------------------------------------------------------------

CHECK_STATUSES = ("pass", "attention", "not evaluated")


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckItem(Result):
    """One reviewer check: ``quantity`` compared with ``limit`` (pass when quantity ≤ limit)."""

    check: str              # u_bb_vs_u_char | stability_share | method_agreement | U_rounded_not_smaller
    status: str             # pass | attention | not evaluated
    quantity: float
    limit: float
    subject: str = ""       # e.g. the method name
    reason: str = ""        # why not evaluated
    clause: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksResult(Result):
    """Reviewer checks of a certified value (rmwork conventions; ISO 17034:2016 / Guide 35:2017 context)."""

    items: tuple[CheckItem, ...]
    passed: bool            # no item with status "attention"
    n_attention: int
    analyte: str = ""
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([i.to_dict() for i in self.items])


def _method_pairs(method_values) -> list[tuple[str, float, float]]:
    if method_values is None:
        return []
    if hasattr(method_values, "iterrows"):  # DataFrame with method/lab, value, u
        df = method_values
        name_col = "method" if "method" in df.columns else "lab"
        return [(str(r[name_col]), float(r["value"]), float(r["u"])) for _, r in df.iterrows()]
    out = []
    for name, v in dict(method_values).items():
        if isinstance(v, Mapping):
            x, u = v["value"], v["u"]
        else:
            x, u = v
        out.append((str(name), float(x), float(u)))
    return out


def checks(certified: CertifiedValue, *, u_char: float | None = None, u_bb: float | None = None,
           u_lts: float | None = None, u_sts: float | None = None, method_values=None,
           u_bb_ratio_max: float = U_BB_RATIO_MAX,
           stability_share_max: float = STABILITY_SHARE_MAX) -> ChecksResult:
    r"""Reviewer checks of homogeneity, stability share and method agreement (ISO Guide 35:2017; GUM 6.2.1).

    The limits are rmwork conventions (see Notes), stated with each item.

    Parameters
    ----------
    certified : CertifiedValue
    u_char, u_bb, u_lts, u_sts : float, optional
        Override the components stored in ``certified``.
    method_values : mapping or DataFrame, optional
        Independent methods: ``{name: (value, u)}`` or ``{name: {"value": .., "u": ..}}``, or a
        frame with columns ``method`` (or ``lab``), ``value``, ``u`` (standard uncertainties).
    u_bb_ratio_max : float
        Limit of u_bb/u_char (default 1/3).
    stability_share_max : float
        Limit of (u_lts² + u_sts²)/u_CRM² (default 0.5).

    Returns
    -------
    ChecksResult
        ``items`` (check, status "pass"/"attention"/"not evaluated", quantity, limit), ``passed``.

    Notes
    -----
    * ``u_bb_vs_u_char``: u_bb/u_char ≤ 1/3, i.e. heterogeneity adds at most about 5 % to
      sqrt(u_char² + u_bb²) (rmwork convention after the 0.3 σ_pt criterion of ISO 13528).
    * ``stability_share``: (u_lts² + u_sts²)/u_CRM² ≤ 0.5; above it the shelf life drives the
      uncertainty (consider a shorter validity period or more stability data).
    * ``method_agreement``: |x_CRM − x_m| ≤ k sqrt(u_CRM² + u_m²) for each independent method m
      (En-type comparison with the certificate's k).
    * ``U_rounded_not_smaller``: the printed U is not smaller than the computed U.

    These are advisory: ``attention`` asks the reviewer to look, it does not change any number.

    Validated against hand calculations: ``tests/test_certificate.py::test_checks_*``.
    """
    uc = certified.u_char if u_char is None else float(u_char)
    ub = certified.u_bb if u_bb is None else float(u_bb)
    ul = certified.u_lts if u_lts is None else float(u_lts)
    us = certified.u_sts if u_sts is None else float(u_sts)
    items: list[CheckItem] = []

    def _st(ok: bool) -> str:
        return "pass" if ok else "attention"

    if math.isfinite(uc) and uc > 0 and math.isfinite(ub):
        q = ub / uc
        items.append(CheckItem(check="u_bb_vs_u_char", status=_st(q <= u_bb_ratio_max), quantity=q,
                               limit=u_bb_ratio_max, clause="rmwork convention (cf. ISO 13528:2022, 0.3 σ_pt)"))
    else:
        items.append(CheckItem(check="u_bb_vs_u_char", status="not evaluated", quantity=math.nan,
                               limit=u_bb_ratio_max, reason="u_bb or u_char missing"))

    stab = [x for x in (ul, us) if math.isfinite(x)]
    if stab and certified.u > 0:
        q = sum(x * x for x in stab) / certified.u ** 2
        items.append(CheckItem(check="stability_share", status=_st(q <= stability_share_max), quantity=q,
                               limit=stability_share_max, clause="rmwork convention (ISO Guide 35:2017, clause 8)"))
    else:
        items.append(CheckItem(check="stability_share", status="not evaluated", quantity=math.nan,
                               limit=stability_share_max, reason="no stability component"))

    for name, x, um in _method_pairs(method_values):
        if not (math.isfinite(x) and math.isfinite(um) and um >= 0):
            raise InputError(f"method '{name}': value and u must be finite numbers (u ≥ 0)",
                             key="method_values", hint="enter the method's result and its standard uncertainty")
        d = abs(certified.value - x)
        lim = certified.k * math.sqrt(certified.u ** 2 + um ** 2)
        items.append(CheckItem(check="method_agreement", status=_st(d <= lim), quantity=d, limit=lim,
                               subject=name, clause="|x_CRM − x_m| ≤ k sqrt(u_CRM² + u_m²)"))

    if certified.rounding != "none":
        ur = float(certified.U_rounded)
        items.append(CheckItem(check="U_rounded_not_smaller", status=_st(ur >= certified.U * (1 - 1e-12)),
                               quantity=certified.U, limit=ur, clause="GUM JCGM 100:2008, 7.2.6"))
    n_att = sum(1 for i in items if i.status == "attention")
    return ChecksResult(items=tuple(items), passed=n_att == 0, n_attention=n_att,
                        analyte=certified.analyte,
                        clauses={"u_bb_vs_u_char": "rmwork convention", "stability_share": "rmwork convention",
                                 "method_agreement": "GUM JCGM 100:2008, 6.2.1 (U = k u)"})


# ---------------------------------------------------------------------------------------------
# Period of validity
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class ValidityPeriod(Result):
    """Period of validity of the certificate (ISO Guide 31:2015 certificate item; ISO Guide 35:2017, clause 8)."""

    certification_date: str     # ISO 8601
    shelf_life_months: int      # validity period used (whole months)
    expiry: str                 # ISO 8601, last day of validity
    justification: str
    justification_zh: str
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _parse_date(d, key: str) -> _dt.date:
    if isinstance(d, _dt.datetime):
        return d.date()
    if isinstance(d, _dt.date):
        return d
    try:
        return _dt.date.fromisoformat(str(d).strip())
    except ValueError:
        raise InputError(f"'{d}' is not a date", key=key, hint="write the date as YYYY-MM-DD") from None


def _add_months(d: _dt.date, months: int) -> _dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return _dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def validity_period(shelf_life_months: float, certification_date, *,
                    basis: str = "the long-term stability study") -> ValidityPeriod:
    """Expiry date and justification of the period of validity (ISO Guide 35:2017, clause 8; ISO Guide 31:2015).

    Parameters
    ----------
    shelf_life_months : float
        Shelf life supported by the stability study (months; the time for which u_lts was
        evaluated). A fractional value is truncated to whole months (a note records it).
    certification_date : str or datetime.date
        ``YYYY-MM-DD``.
    basis : str
        What supports the shelf life (English), used in the justification.

    Returns
    -------
    ValidityPeriod
        ``expiry`` = certification date + shelf life (same day of month, clamped to the month's
        end), ``justification`` (en) and ``justification_zh``.

    Raises
    ------
    InputError
        Shelf life not positive or shorter than one month; date not ISO formatted.

    Validated against: ``tests/test_certificate.py::test_validity_period_month_end``.
    """
    d = _parse_date(certification_date, "certificate.certification_date")
    s = float(shelf_life_months)
    if not math.isfinite(s) or s < 1:
        raise InputError(f"shelf life must be at least 1 month, got {shelf_life_months!r}",
                         key="stability.long_term.shelf_life", hint="enter the shelf life in months")
    n = int(math.floor(s))
    notes = []
    if n != s:
        notes.append(f"shelf life {s:g} months truncated to {n} whole months")
    exp = _add_months(d, n)
    en = (f"The certificate is valid for {n} months from the date of certification "
          f"({d.isoformat()}), i.e. until {exp.isoformat()}, provided the material is kept unopened "
          f"under the stated storage conditions. The period is supported by {basis}, in which the "
          f"long-term stability uncertainty u_lts was evaluated for a shelf life of {n} months and is "
          f"included in the certified uncertainty.")
    zh = (f"本证书自定值日期（{d.isoformat()}）起 {n} 个月内有效，即有效期至 {exp.isoformat()}，"
          f"前提是标准物质在规定的储存条件下保存且未开封。有效期依据长期稳定性研究确定，"
          f"长期稳定性不确定度 u_lts 按 {n} 个月的有效期评定，并已计入标准值的不确定度。")
    return ValidityPeriod(certification_date=d.isoformat(), shelf_life_months=n, expiry=exp.isoformat(),
                          justification=en, justification_zh=zh, notes=tuple(notes),
                          clauses={"expiry": "ISO Guide 35:2017, clause 8 (shelf life, u_lts); "
                                             "ISO Guide 31:2015 (period of validity)"})


# ---------------------------------------------------------------------------------------------
# Certificate metadata
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateMetadata:
    """Certificate items other than the values (ISO Guide 31:2015; JJF 1186-2018 items, GLOSSARY.md §1).

    Free text is used as given (it is HTML-escaped on the page and XML-escaped in the DRMD).
    ``minimum_sample_intake`` is a number in ``minimum_sample_intake_unit``.
    """

    material: str
    producer: str
    rm_number: str = ""             # 标准物质编号, e.g. GBW07401
    lot: str = ""                   # 批号
    certificate_id: str = ""
    description: str = ""           # 标准物质描述
    intended_use: str = ""          # 预期用途
    storage: str = ""               # 储存条件
    instructions: str = ""          # 使用说明
    traceability: str = ""          # 计量溯源性声明
    homogeneity_stability: str = ""  # 均匀性及稳定性说明
    safety: str = ""                # 安全信息
    minimum_sample_intake: float | None = None  # 最小取样量
    minimum_sample_intake_unit: str = "g"
    certification_date: str = ""    # 定值日期, YYYY-MM-DD
    validity: ValidityPeriod | None = None
    producer_address: str = ""
    producer_city: str = ""
    producer_country_code: str = ""  # ISO 3166 alpha-2, e.g. CN, DE
    producer_email: str = ""
    approver: str = ""
    approver_role: str = ""
    methods: str = ""               # 定值方法
    language: str = "en"            # language of the free text above (DRMD lang attribute)

    # items Guide 31 / DRMD v0.3.0 need on every certificate
    REQUIRED = ("material", "producer", "intended_use", "storage", "instructions",
                "minimum_sample_intake")

    def missing(self) -> list[str]:
        """Names of required items that are empty."""
        out = []
        for k in self.REQUIRED:
            v = getattr(self, k)
            if v is None or (isinstance(v, str) and not v.strip()):
                out.append(k)
        return out

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> "CertificateMetadata":
        """Build from a parameter-file mapping; unknown keys raise InputError naming them."""
        names = [f for f in cls.__dataclass_fields__ if f != "REQUIRED"]
        unknown = set(d) - set(names)
        if unknown:
            raise InputError(f"unknown certificate item(s): {', '.join(sorted(unknown))}",
                             key="certificate", hint=f"use {', '.join(names)}")
        kw = dict(d)
        if kw.get("minimum_sample_intake") is not None:
            kw["minimum_sample_intake"] = float(kw["minimum_sample_intake"])
        return cls(**kw)
