"""A proficiency round or blind-sample test, item by item (ISO 13528:2022, clauses 7 to 9, Annex B).

:func:`assess_item` sets x_pt and sigma_pt, checks u(x_pt) <= 0.3 sigma_pt and scores every
participant; :func:`assess_round` does it for each PT item of a participants' table
(columns ``participant``, ``value``, optional ``u``, ``k``, ``item``) and attaches the items'
homogeneity and stability checks.  Compute only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .. import _checks
from ..homogeneity import SufficientHomogeneityResult
from ..results import Result
from .assigned import AssignedValue, assigned_value
from .items import ItemStability
from .scores import SCORES, ParticipantScore, UncertaintyCheck, participant_scores, uncertainty_check
from .sigma import SigmaPt
from .sigma import sigma_pt as _sigma_pt


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemAssessment(Result):
    """Assigned value, sigma_pt, the u(x_pt) check and every participant's scores for one PT item."""

    analyte: str = ""
    item: str = ""
    unit_of_measure: str = ""
    n_participants: int
    assigned: AssignedValue
    sigma: SigmaPt
    check: UncertaintyCheck
    scores: tuple[str, ...]  # scores computed: z, z_prime, zeta, en
    participants: tuple[ParticipantScore, ...]
    homogeneity: SufficientHomogeneityResult | None = None
    stability: ItemStability | None = None
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def counts(self) -> dict[str, int]:
        out = {"satisfactory": 0, "questionable": 0, "unsatisfactory": 0}
        for p in self.participants:
            out[p.class_] += 1
        return out

    def to_dict(self) -> dict:
        """results.json keys: assigned_value, u_assigned, sigma_pt, participants.<code>.{z, z_prime, zeta, en, class}."""
        return {
            "item": self.item,
            "analyte": self.analyte,
            "unit": self.unit_of_measure,
            "n_participants": self.n_participants,
            "assigned_value": self.assigned.x_pt,
            "u_assigned": self.assigned.u_x_pt,
            "U_assigned": self.assigned.U_x_pt,
            "k_assigned": self.assigned.k,
            "assigned_method": self.assigned.method,
            "assigned_detail": self.assigned.to_dict(),
            "sigma_pt": self.sigma.sigma_pt,
            "sigma_pt_rel": self.sigma.sigma_pt_rel,
            "sigma_pt_method": self.sigma.method,
            "sigma_pt_detail": self.sigma.to_dict(),
            "u_check": self.check.to_dict(),
            "scores": list(self.scores),
            "counts": self.counts(),
            "participants": {p.participant: p.to_dict() for p in self.participants},
            **({"homogeneity": self.homogeneity.to_dict()} if self.homogeneity is not None else {}),
            **({"stability": self.stability.to_dict()} if self.stability is not None else {}),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ProficiencyRound(Result):
    """Every PT item of a round (ISO 13528:2022); ``to_dict`` gives the results.json section."""

    analyte: str
    unit_of_measure: str = ""
    items: Mapping[str, ItemAssessment]

    def to_dict(self) -> dict:
        """The first item's keys at the top (the contract's ``proficiency.*``), every item under ``items``."""
        first = next(iter(self.items.values()))
        out = first.to_dict()
        if len(self.items) > 1:
            out["items"] = {k: v.to_dict() for k, v in self.items.items()}
        return out


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), math.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(float)


def assess_item(
    df: pd.DataFrame,
    *,
    analyte: str = "",
    item: str = "",
    assigned: str = "algorithm-a",
    sigma_pt="robust",
    certified: Mapping | None = None,
    experts: Sequence[str] = (),
    k: float = 2.0,
    scores: Sequence[str] | None = None,
    unit_of_measure: str = "",
    mass_fraction_factor: float | None = None,
    where: str | None = None,
) -> ItemAssessment:
    """Score one PT item's participants (ISO 13528:2022, 7, 8, 9.2.1, 9.4-9.7).

    ``df`` has one row per participant (``participant``, ``value``, optional ``u``, ``k``).
    ``scores`` defaults to z and z', plus zeta and E_n when the table has a ``u`` column.

    Validated against ISO 13528:2022 Example E.4 (mercury in feed: z, z', zeta, E_n of 21
    participants) and E.3/E.7 (Algorithm A): ``tests/test_proficiency.py``.
    """
    codes = _checks.require_unique_labels(df["participant"].astype(str), what="participant", where=where)
    x = _checks.require_lab_finite(df["value"], codes, what="value", where=where)
    u, kk = _column(df, "u"), _column(df, "k")
    want = tuple(scores) if scores else (("z", "z_prime") + (("zeta", "en") if "u" in df.columns else ()))
    for s in want:
        _checks.require_choice(s, SCORES, thing="score", key="proficiency.scores", file=where)
    av = assigned_value(x, codes, assigned, certified=certified, experts=experts, k=k, where=where)
    sg = _sigma_pt(
        sigma_pt,
        x_pt=av.x_pt,
        values=x,
        codes=codes,
        unit=unit_of_measure,
        factor=mass_fraction_factor,
        where=where,
    )
    chk = uncertainty_check(av.u_x_pt, sg.sigma_pt)
    parts = tuple(
        participant_scores(
            c,
            float(xi),
            x_pt=av.x_pt,
            u_x_pt=av.u_x_pt,
            U_x_pt=av.U_x_pt,
            sigma_pt=sg.sigma_pt,
            headline=chk.score,
            want=want,
            u=float(ui),
            k=float(ki),
            item=item,
            where=where,
        )
        for c, xi, ui, ki in zip(codes, x, u, kk)
    )
    notes = []
    if not chk.negligible:
        notes.append(
            f"u(x_pt) = {av.u_x_pt:.4g} > 0.3 sigma_pt = {chk.limit:.4g}: performance is "
            "judged on z' (ISO 13528:2022, 9.2.1 and 9.5)"
        )
    return ItemAssessment(
        analyte=str(analyte),
        item=str(item),
        unit_of_measure=str(unit_of_measure),
        n_participants=len(codes),
        assigned=av,
        sigma=sg,
        check=chk,
        scores=want,
        participants=parts,
        notes=tuple(notes),
        clauses={"scores": "ISO 13528:2022, 9"},
    )


def assess_round(
    df: pd.DataFrame,
    *,
    analyte: str = "",
    homogeneity: Mapping | None = None,
    stability: Mapping | None = None,
    alpha: float = 0.05,
    where: str | None = None,
    **kw,
) -> ProficiencyRound:
    """Every PT item of a round (ISO 13528:2022, 7 to 9; items' homogeneity B.2 and stability B.5).

    ``homogeneity`` maps an item ("" for all items) to its homogeneity frame; ``stability`` maps
    an item ("" for all) to ``(first, second, basis)`` result arrays; both are checked against
    the item's sigma_pt.  Other keywords go to :func:`assess_item`.

    Validated against ISO 13528:2022 Examples E.2 and E.4: ``tests/test_proficiency.py``.
    """
    from .items import item_homogeneity, item_stability

    items = {}
    groups = (
        [("", df)]
        if "item" not in df.columns
        else [(str(k), g) for k, g in df.groupby(df["item"].astype(str), sort=False)]
    )
    for name, g in groups:
        res = assess_item(g.reset_index(drop=True), analyte=analyte, item=name, where=where, **kw)
        hom = (homogeneity or {}).get(name, (homogeneity or {}).get(""))
        st = (stability or {}).get(name, (stability or {}).get(""))
        if hom is not None:
            res = replace(
                res,
                homogeneity=item_homogeneity(hom, res.sigma.sigma_pt, alpha=alpha, item=name, where=where),
            )
        if st is not None:
            first, second, basis = st
            res = replace(
                res,
                stability=item_stability(
                    first, second, res.sigma.sigma_pt, item=name, basis=basis, where=where
                ),
            )
        items[name] = res
    return ProficiencyRound(
        analyte=str(analyte), unit_of_measure=str(kw.get("unit_of_measure", "")), items=items
    )
