"""Proficiency testing and blind-sample tests (ISO 13528:2022; IUPAC Harmonized Protocol 2006).

``assigned`` (x_pt, u(x_pt): certified value, Algorithm A, expert laboratories), ``sigma``
(sigma_pt: given, Horwitz with Thompson's modification, robust s*), ``scores`` (z, z', zeta, E_n,
their classes, the u(x_pt) <= 0.3 sigma_pt check), ``items`` (PT items' homogeneity, Annex B.2,
and stability, B.5) and ``assessment`` (a whole round, item by item).  Compute only.
"""

from .assessment import ItemAssessment, ProficiencyRound, assess_item, assess_round
from .assigned import AssignedValue, assigned_value
from .items import ItemStability, item_homogeneity, item_stability
from .scores import (
    ParticipantScore,
    UncertaintyCheck,
    classify,
    en_score,
    uncertainty_check,
    z_prime_score,
    z_score,
    zeta_score,
)
from .sigma import SigmaPt, horwitz, sigma_pt

__all__ = [
    "AssignedValue",
    "ItemAssessment",
    "ItemStability",
    "ParticipantScore",
    "ProficiencyRound",
    "SigmaPt",
    "UncertaintyCheck",
    "assess_item",
    "assess_round",
    "assigned_value",
    "classify",
    "en_score",
    "horwitz",
    "item_homogeneity",
    "item_stability",
    "sigma_pt",
    "uncertainty_check",
    "z_prime_score",
    "z_score",
    "zeta_score",
]
