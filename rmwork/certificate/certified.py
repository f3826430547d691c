"""The certified value with k, U = k u_CRM and the printed strings (GUM JCGM 100:2008, 6.2.1,
Formula (18); ISO Guide 35:2017; ISO Guide 31:2015)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .._checks import require_choice
from ..errors import InputError
from ..results import Result
from .budget import BudgetResult
from .coverage import DOF_RULE_DEFAULT, coverage_factor
from .rounding import ROUNDING_RULES, round_certified


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
    u: float  # u_CRM
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
    distribution: str = "t"  # of k: "t", "normal" or "fixed"
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


def certify(
    value: float,
    budget: BudgetResult,
    *,
    coverage: float = 0.95,
    k: float | None = None,
    rounding: str = "gum",
    dof_rule: str = DOF_RULE_DEFAULT,
    analyte: str = "",
    unit_of_measure: str = "",
) -> CertifiedValue:
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
        raise TypeError(
            f"`budget` must be a BudgetResult (from rmwork.certificate.budget), got {type(budget).__name__}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise InputError(
            f"certified value must be finite, got {value!r}",
            key="value",
            hint="check the characterization result",
        )
    require_choice(rounding, ROUNDING_RULES, thing="rounding rule", key="certificate.rounding")
    notes = list(budget.notes)
    if math.isfinite(budget.value) and budget.value != value:
        notes.append(
            f"budget was built for value {budget.value!r}; certified value is {value!r} "
            "(relative components were scaled to the budget's value)"
        )
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
        value=value,
        u_char=budget.u_char,
        u_bb=budget.u_bb,
        u_lts=budget.u_lts,
        u_sts=budget.u_sts,
        u=budget.u,
        dof_eff=budget.dof_eff,
        k=cf.k,
        U=U,
        value_rounded=rv.value_rounded,
        U_rounded=rv.U_rounded,
        analyte=str(analyte),
        unit_of_measure=str(unit_of_measure),
        u_rel=rel(budget.u),
        U_rel=rel(U),
        coverage=cf.coverage,
        distribution=cf.distribution,
        dof_used=cf.dof_used,
        dof_rule=dof_rule,
        rounding=rounding,
        decimals=rv.decimals,
        notes=tuple(notes),
        clauses=clauses,
        _budget=budget,
    )
