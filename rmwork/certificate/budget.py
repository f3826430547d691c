"""Uncertainty budget of a certified value: u_CRM = sqrt(u_char² + u_bb² + u_lts² + u_sts² + Σ u_extra²)
(ISO Guide 35:2017; GUM JCGM 100:2008, 5.1.2, Formula (10)), with shares and ν_eff (GUM G.4.1)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..results import Result
from .coverage import _CLAUSE_WS, _check_dof, _check_u, dof_eff

_STUDY_COMPONENTS = {
    # symbol: (source study, clause)
    "u_char": ("characterization", "ISO Guide 35:2017 (characterization; u_char)"),
    "u_bb": ("homogeneity (between-unit)", "ISO Guide 35:2017, clause 7 (u_bb = u_hom)"),
    "u_lts": ("long-term stability", "ISO Guide 35:2017, clause 8 (u_lts)"),
    "u_sts": ("transport (short-term) stability", "ISO Guide 35:2017, clause 8 (u_sts = u_trn)"),
}
_CLAUSE_U_CRM = (
    "ISO Guide 35:2017, u_CRM = sqrt(u_char² + u_hom² + u_lts² + u_trn²); "
    "GUM JCGM 100:2008, 5.1.2, Formula (10)"
)


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

    name: str  # symbol: u_char, u_bb, u_lts, u_sts or the user's name
    source: str  # study or reason
    u: float  # absolute standard uncertainty, analyte's unit
    u_rel: float  # u/|value|; nan when no value was given
    dof: float  # inf when unknown
    share: float  # u_i²/u_CRM²
    dof_source: str = ""  # where ν comes from (ANOVA, regression, estimator, Type B)


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetResult(Result):
    """Uncertainty budget of a certified value (ISO Guide 35:2017; GUM 5.1.2 and G.4.1)."""

    components: tuple[BudgetComponent, ...]
    u: float  # u_CRM = sqrt(Σ u_i²)
    u_rel: float  # u/|value|; nan without value
    dof_eff: float  # Welch–Satterthwaite, GUM (G.2b); inf when every dof is infinite
    value: float  # nan when not given
    u_char: float  # nan when absent from the budget
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
        rows.append(
            {
                "name": "u_CRM",
                "source": "combined",
                "u": self.u,
                "u_rel": None if math.isnan(self.u_rel) else self.u_rel,
                "dof": None if math.isinf(self.dof_eff) else self.dof_eff,
                "share": 1.0,
            }
        )
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
    raise InputError(
        f"{type(x).__name__} has no attribute {' or '.join(attrs)}",
        key=key,
        hint="pass a number (standard uncertainty in the analyte's unit) or the study's result",
    )


def budget(
    u_char=None,
    u_bb=None,
    u_lts=None,
    u_sts=None,
    *,
    value: float | None = None,
    dof: Mapping[str, float] | None = None,
    dof_sources: Mapping[str, str] | None = None,
    extra: Iterable[Component | Mapping[str, Any]] = (),
) -> BudgetResult:
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
    dof_sources : mapping, optional
        Where each component's ν comes from (shown in table U1); missing names get "Type B" for an
        infinite ν.
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
    rows: list[tuple[str, str, float, float | None]] = []  # name, source, u, dof (None: infinite)
    study_u = {}
    if value is not None:
        value = float(value)
        if not math.isfinite(value):
            raise InputError(
                f"certified value must be finite, got {value!r}",
                key="value",
                hint="enter the certified value",
            )

    for name, x in (("u_char", u_char), ("u_bb", u_bb), ("u_lts", u_lts), ("u_sts", u_sts)):
        attrs = (name, "u") if name == "u_char" else (name,)
        u, src = _as_u(x, attrs, key=name)
        if u is None:
            study_u[name] = math.nan
            notes.append(f"{name} not given: left out of the budget")
            continue
        u = _check_u(u, name)
        study_u[name] = u
        if name not in dof and src is not None and getattr(src, "dof", None) is not None and name == "u_char":
            dof[name] = float(src.dof)
            notes.append(f"dof of u_char taken from the characterization result: {float(src.dof):g}")
        rows.append((name, _STUDY_COMPONENTS[name][0], u, dof.get(name)))

    seen = {r[0] for r in rows} | set(_STUDY_COMPONENTS)
    for i, comp in enumerate(extra):
        if isinstance(comp, Mapping):
            unknown = set(comp) - {"name", "u", "u_rel", "dof", "reason"}
            if unknown:
                raise InputError(
                    f"unknown key(s) {', '.join(sorted(unknown))} in extra component {i + 1}",
                    key="extra",
                    hint="use name, u or u_rel, dof, reason",
                )
            comp = Component(**comp)
        name = str(comp.name).strip()
        if not name:
            raise InputError(
                f"extra component {i + 1} has no name", key="extra", hint="give every component a name"
            )
        if name in seen:
            raise InputError(
                f"component name '{name}' is used twice",
                key="extra",
                hint="give every component its own name",
            )
        seen.add(name)
        if (comp.u is None) == (comp.u_rel is None):
            raise InputError(
                f"component '{name}' needs exactly one of u or u_rel",
                key="extra",
                hint="give the absolute u, or u_rel together with the certified value",
            )
        if comp.u_rel is not None:
            if value is None:
                raise InputError(
                    f"component '{name}' is relative (u_rel) but no certified value was given",
                    key="value",
                    hint="pass value= to budget()",
                )
            u = _check_u(float(comp.u_rel), name) * abs(value)
        else:
            assert comp.u is not None  # exactly one of u, u_rel is given (checked above)
            u = _check_u(float(comp.u), name)
        d = dof.pop(name) if name in dof else comp.dof
        rows.append((name, comp.reason or "user component", u, d))

    if not rows:
        raise InputError(
            "the budget has no component", key="budget", hint="give at least u_char, or extra components"
        )
    names = {r[0] for r in rows}
    stray = set(dof) - names
    if stray:
        raise InputError(
            f"dof given for component(s) not in the budget: {', '.join(sorted(stray))}",
            key="dof",
            hint=f"use one of {', '.join(sorted(names))}",
        )

    us = np.array([r[2] for r in rows])
    dofs = np.array([_check_dof(r[3], f"dof.{r[0]}") for r in rows])
    u_crm = float(math.sqrt(float(np.sum(us**2))))
    if u_crm == 0:
        raise InputError(
            "every budget component is 0, so u_CRM = 0",
            key="budget",
            hint="a certified value needs an uncertainty; check the inputs",
        )
    ws = dof_eff(us, dofs)
    notes.extend(ws.notes)
    comps = tuple(
        BudgetComponent(
            name=r[0],
            source=r[1],
            u=r[2],
            u_rel=(r[2] / abs(value)) if value not in (None, 0.0) else math.nan,
            dof=float(d),
            share=r[2] ** 2 / u_crm**2,
            dof_source=_dof_source(r[0], float(d), dof_sources),
        )
        for r, d in zip(rows, dofs)
    )
    if value == 0.0:
        notes.append("certified value is 0: relative uncertainties undefined (nan)")
    clauses = {"u": _CLAUSE_U_CRM, "dof_eff": _CLAUSE_WS}
    clauses.update({k: v[1] for k, v in _STUDY_COMPONENTS.items() if k in names})
    return BudgetResult(
        components=comps,
        u=u_crm,
        u_rel=u_crm / abs(value) if value not in (None, 0.0) else math.nan,
        dof_eff=ws.dof_eff,
        value=math.nan if value is None else value,
        u_char=study_u["u_char"],
        u_bb=study_u["u_bb"],
        u_lts=study_u["u_lts"],
        u_sts=study_u["u_sts"],
        notes=tuple(notes),
        clauses=clauses,
    )


def _dof_source(name: str, d: float, sources: Mapping[str, str] | None) -> str:
    if sources and name in sources:
        return sources[name]
    return "" if sources is None else ("Type B or unknown: ν = ∞" if math.isinf(d) else "given")
