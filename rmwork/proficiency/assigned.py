"""Assigned value x_pt and its standard uncertainty u(x_pt) (ISO 13528:2022, clause 7).

Three ways, one function each, chosen by name in :func:`assigned_value`:
``certified`` (the certified value of the RM used as PT item, 7.4), ``algorithm-a`` (robust
consensus of the participants, 7.7 and C.3.1, u(x_pt) = 1.25 s*/sqrt(p)) and ``experts`` (a
subset of expert laboratories, 7.6).  Compute only: no rounding, no plotting, no files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import _checks
from ..errors import InputError
from ..results import Result
from ..robust import algorithm_a

ASSIGNED_METHODS = ("certified", "algorithm-a", "experts")
ALGORITHM_A_MIN = 3  # rmwork.robust.algorithm_a needs at least 3 results (median and MAD to start)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignedValue(Result):
    """Assigned value x_pt with u(x_pt) (ISO 13528:2022, clause 7)."""

    method: str  # certified | algorithm-a | experts
    x_pt: float
    u_x_pt: float  # standard uncertainty u(x_pt)
    k: float  # coverage factor of U(x_pt) = k u(x_pt), used by E_n
    U_x_pt: float
    n_used: int  # results the value rests on (0 for a certified value)
    used: tuple[str, ...] = ()  # participant codes the value rests on
    s_star: float = math.nan  # Algorithm A's robust SD of the results used (nan otherwise)
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _assigned_certified(values, codes, *, certified: Mapping | None, k: float, where, **_):
    """x_pt = certified value of the RM used as PT item, u(x_pt) its standard uncertainty (7.4)."""
    if not certified or certified.get("value") is None or certified.get("u") is None:
        raise InputError(
            "assigned 'certified' needs the certified value and its standard uncertainty",
            file=where,
            key="proficiency.certified",
            hint="add certified: {value: ..., u: ..., k: 2}",
        )
    x, u = float(certified["value"]), float(certified["u"])
    _checks.require_positive_array([u], what="certified u", where=where)
    kk = float(certified.get("k") or k)
    return AssignedValue(
        method="certified",
        x_pt=x,
        u_x_pt=u,
        k=kk,
        U_x_pt=kk * u,
        n_used=0,
        clauses={"x_pt": "ISO 13528:2022, 7.4 (certified reference material)"},
    )


def _assigned_algorithm_a(values, codes, *, k: float, where, **_):
    """x_pt = x* of Algorithm A over the participants, u(x_pt) = 1.25 s*/sqrt(p) (7.7.3, C.3.1)."""
    if len(values) < ALGORITHM_A_MIN:
        raise InputError(
            f"Algorithm A (ISO 13528:2022, C.3.1) needs at least {ALGORITHM_A_MIN} "
            f"participants' results, found {len(values)}",
            file=where,
            key="proficiency.assigned",
            hint="add participants or use assigned: certified",
        )
    r = algorithm_a(values, codes)
    return AssignedValue(
        method="algorithm-a",
        x_pt=r.x_star,
        u_x_pt=r.u_x_star,
        k=k,
        U_x_pt=k * r.u_x_star,
        n_used=r.n_labs,
        used=tuple(codes),
        s_star=r.s_star,
        notes=r.notes,
        clauses={
            "x_pt": "ISO 13528:2022, 7.7 and C.3.1 (Algorithm A)",
            "u_x_pt": "ISO 13528:2022, 7.7.3, Formula (7): u(x_pt) = 1.25 s*/sqrt(p)",
        },
    )


def _assigned_experts(values, codes, *, experts: Sequence[str], k: float, where, **_):
    """x_pt = mean of the expert laboratories' results, u(x_pt) = s/sqrt(p_e) (7.6)."""
    experts = [str(e) for e in experts or ()]
    missing = [e for e in experts if e not in codes]
    if missing:
        raise InputError(
            f"expert laboratory '{missing[0]}' has no result in the participants' table",
            file=where,
            key="proficiency.experts",
            hint=f"participants are {', '.join(codes)}",
        )
    if len(experts) < 2:
        raise InputError(
            f"assigned 'experts' needs at least 2 expert laboratories, found {len(experts)}",
            file=where,
            key="proficiency.experts",
            hint="list the expert laboratories' codes",
        )
    idx = [codes.index(e) for e in experts]
    x = np.asarray(values, dtype=float)[idx]
    s = float(np.std(x - x.mean(), ddof=1))
    u = s / math.sqrt(len(x))
    return AssignedValue(
        method="experts",
        x_pt=float(np.mean(x)),
        u_x_pt=u,
        k=k,
        U_x_pt=k * u,
        n_used=len(x),
        used=tuple(experts),
        notes=(
            "u(x_pt) = s/sqrt(p) of the expert laboratories' results (their "
            "reported uncertainties are not combined)",
        ),
        clauses={"x_pt": "ISO 13528:2022, 7.6 (consensus value from expert laboratories)"},
    )


_DISPATCH: dict[str, Callable[..., AssignedValue]] = {
    "certified": _assigned_certified,
    "algorithm-a": _assigned_algorithm_a,
    "experts": _assigned_experts,
}


def assigned_value(
    values,
    codes,
    method: str = "algorithm-a",
    *,
    certified: Mapping | None = None,
    experts: Sequence[str] = (),
    k: float = 2.0,
    where: str | None = None,
) -> AssignedValue:
    r"""Assigned value x_pt and u(x_pt) by the named method (ISO 13528:2022, 7.4, 7.6, 7.7).

    Parameters
    ----------
    values, codes : sequences
        One result per participant and the participants' codes (messages name them).
    method : {"certified", "algorithm-a", "experts"}
    certified : mapping, optional
        ``{value, u, k}`` of the RM used as PT item (``certified``).
    experts : sequence of str
        Codes of the expert laboratories (``experts``).
    k : float
        Coverage factor of U(x_pt) = k u(x_pt) for E_n (a certified ``k`` takes precedence).

    Notes
    -----
    ``algorithm-a``: :math:`x_{pt} = x^*`, :math:`u(x_{pt}) = 1.25\,s^*/\sqrt{p}`;
    ``experts``: :math:`x_{pt} = \bar x_e`, :math:`u(x_{pt}) = s_e/\sqrt{p_e}`;
    ``certified``: the certificate's value and standard uncertainty.

    Validated against ISO 13528:2022 Examples E.3 and E.7 (Algorithm A, u(x*)):
    ``tests/test_proficiency.py``.
    """
    _checks.require_choice(
        method,
        ASSIGNED_METHODS,
        thing="method for the assigned value",
        key="proficiency.assigned",
        file=where,
    )
    x = _checks.require_lab_finite(values, list(codes), what="value", where=where)
    return _DISPATCH[method](
        x, [str(c) for c in codes], certified=certified, experts=experts, k=float(k), where=where
    )
