"""Homogeneity and stability of the proficiency test items (ISO 13528:2022, Annex B).

Homogeneity reuses :func:`rmwork.homogeneity.sufficient_homogeneity` (B.2: s_s <= 0.3 sigma_pt
and the expanded criterion).  Stability is the check of B.5: the difference between the mean of
the items measured before (or in the homogeneity study) and after the round,
|y1 - y2| <= 0.3 sigma_pt.  Compute only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..homogeneity import SufficientHomogeneityResult, sufficient_homogeneity
from ..results import Result

STABILITY_LIMIT = 0.3  # ISO 13528:2022, B.5: |y1 - y2| <= 0.3 sigma_pt


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemStability(Result):
    """Stability of the PT items between two occasions (ISO 13528:2022, B.5)."""

    item: str = ""
    y1: float  # mean of the first occasion (or of the homogeneity study)
    y2: float  # mean of the second occasion
    n1: int
    n2: int
    difference: float  # |y1 - y2|
    sigma_pt: float
    limit: float  # 0.3 sigma_pt
    passed: bool
    basis: str  # what y1 is: "first time point" or "homogeneity study"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def item_homogeneity(
    df: pd.DataFrame, sigma_pt: float, *, alpha: float = 0.05, item: str = "", where: str | None = None
) -> SufficientHomogeneityResult:
    """Sufficient homogeneity of PT items (ISO 13528:2022, B.2): s_s <= 0.3 sigma_pt (and expanded).

    Validated against ISO 13528:2022 Example E.2 (arsenic: s_s 0.00060 <= 0.00842):
    ``tests/test_proficiency.py`` and ``tests/test_homogeneity.py``.
    """
    return sufficient_homogeneity(df, sigma_pt, alpha=alpha, analyte=item, where=where)


def item_stability(
    first,
    second,
    sigma_pt: float,
    *,
    item: str = "",
    basis: str = "first time point",
    where: str | None = None,
) -> ItemStability:
    r"""Stability check of PT items (ISO 13528:2022, B.5): :math:`|\bar y_1 - \bar y_2| \le 0.3\sigma_{pt}`.

    ``first``: results of the first occasion (before the round, or the homogeneity study's
    results); ``second``: results after the round.

    Validated against ISO 13528:2022 Example E.2 (arsenic: y1 0.18715, y2 0.19375, difference
    0.00660 <= 0.00842): ``tests/test_proficiency.py``.
    """
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if a.size == 0 or b.size == 0:
        raise InputError(
            "the stability check (ISO 13528:2022, B.5) needs results on two occasions",
            file=where,
            hint="give results before and after the round (two times)",
        )
    if not (math.isfinite(sigma_pt) and sigma_pt > 0):
        raise InputError(
            f"sigma_pt must be positive, got {sigma_pt!r}", key="proficiency.sigma_pt", file=where
        )
    y1, y2 = float(a.mean()), float(b.mean())
    d = abs(y1 - y2)
    limit = STABILITY_LIMIT * sigma_pt
    return ItemStability(
        item=str(item),
        y1=y1,
        y2=y2,
        n1=int(a.size),
        n2=int(b.size),
        difference=d,
        sigma_pt=float(sigma_pt),
        limit=limit,
        passed=bool(d <= limit),
        basis=basis,
        clauses={"check": "ISO 13528:2022, B.5: |y1 - y2| <= 0.3 sigma_pt"},
    )
