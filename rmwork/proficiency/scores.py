"""Performance scores and their classification (ISO 13528:2022, clause 9).

z (9.4), z' (9.5), zeta (9.6) and E_n (9.7), one formula each; the check whether u(x_pt) is
negligible (9.2.1: u(x_pt) <= 0.3 sigma_pt, else z' is the score to use); and the
classifications |z| <= 2 satisfactory, 2 < |z| < 3 questionable, |z| >= 3 unsatisfactory (the
same for z' and zeta), |E_n| <= 1 satisfactory, |E_n| > 1 unsatisfactory.  Compute only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from ..results import Result

SCORES = ("z", "z_prime", "zeta", "en")
NEGLIGIBLE = 0.3  # ISO 13528:2022, 9.2.1: u(x_pt) <= 0.3 sigma_pt
CLAUSES = {
    "z": "ISO 13528:2022, 9.4: z = (x - x_pt)/sigma_pt",
    "z_prime": "ISO 13528:2022, 9.5: z' = (x - x_pt)/sqrt(sigma_pt^2 + u^2(x_pt))",
    "zeta": "ISO 13528:2022, 9.6: zeta = (x - x_pt)/sqrt(u^2(x) + u^2(x_pt))",
    "en": "ISO 13528:2022, 9.7: E_n = (x - x_pt)/sqrt(U^2(x) + U^2(x_pt))",
    "class": "ISO 13528:2022, 9.4 to 9.7: |z| <= 2 satisfactory, 2 < |z| < 3 questionable, "
    "|z| >= 3 unsatisfactory; |E_n| <= 1 satisfactory",
}


def z_score(x: float, x_pt: float, sigma_pt: float) -> float:
    """z score (ISO 13528:2022, 9.4): z = (x - x_pt)/sigma_pt."""
    return (x - x_pt) / sigma_pt


def z_prime_score(x: float, x_pt: float, sigma_pt: float, u_x_pt: float) -> float:
    """z' score (ISO 13528:2022, 9.5): z' = (x - x_pt)/sqrt(sigma_pt^2 + u^2(x_pt))."""
    return (x - x_pt) / math.hypot(sigma_pt, u_x_pt)


def zeta_score(x: float, u_x: float, x_pt: float, u_x_pt: float) -> float:
    """zeta score (ISO 13528:2022, 9.6): zeta = (x - x_pt)/sqrt(u^2(x) + u^2(x_pt))."""
    return (x - x_pt) / math.hypot(u_x, u_x_pt)


def en_score(x: float, U_x: float, x_pt: float, U_x_pt: float) -> float:
    """E_n score (ISO 13528:2022, 9.7): E_n = (x - x_pt)/sqrt(U^2(x) + U^2(x_pt))."""
    return (x - x_pt) / math.hypot(U_x, U_x_pt)


def classify(score: float, kind: str = "z") -> str:
    """Classification of a score (ISO 13528:2022, 9.4 to 9.6 for z, z', zeta; 9.7 for E_n)."""
    a = abs(score)
    if kind == "en":
        return "satisfactory" if a <= 1 else "unsatisfactory"
    if a <= 2:
        return "satisfactory"
    return "questionable" if a < 3 else "unsatisfactory"


@dataclass(frozen=True, slots=True, kw_only=True)
class UncertaintyCheck(Result):
    """Whether u(x_pt) is negligible against sigma_pt (ISO 13528:2022, 9.2.1)."""

    u_x_pt: float
    sigma_pt: float
    limit: float  # 0.3 sigma_pt
    negligible: bool  # u(x_pt) <= 0.3 sigma_pt
    score: str  # "z" when negligible, else "z_prime"
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def uncertainty_check(u_x_pt: float, sigma_pt: float) -> UncertaintyCheck:
    """u(x_pt) <= 0.3 sigma_pt, else z' is used (ISO 13528:2022, 9.2.1).

    Validated against ISO 13528:2022 Example E.4 (u(x_pt) = 0.0041 > 0.3 x 0.0066):
    ``tests/test_proficiency.py``.
    """
    limit = NEGLIGIBLE * sigma_pt
    ok = bool(u_x_pt <= limit)
    return UncertaintyCheck(
        u_x_pt=float(u_x_pt),
        sigma_pt=float(sigma_pt),
        limit=limit,
        negligible=ok,
        score="z" if ok else "z_prime",
        clauses={"check": "ISO 13528:2022, 9.2.1: u(x_pt) <= 0.3 sigma_pt"},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantScore(Result):
    """One participant's scores and classes (ISO 13528:2022, clause 9)."""

    participant: str
    item: str = ""
    x: float
    u: float = math.nan  # standard uncertainty reported (nan: none)
    k: float = math.nan  # coverage factor reported (nan: none)
    z: float
    z_prime: float
    zeta: float = math.nan  # nan when not asked for
    en: float = math.nan
    score: str  # the score the class is taken from: z or z_prime
    class_: str  # classification of that score
    class_zeta: str = ""
    class_en: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = Result.to_dict(self)
        d["class"] = d.pop("class_")
        return d


def participant_scores(
    code: str,
    x: float,
    *,
    x_pt: float,
    u_x_pt: float,
    U_x_pt: float,
    sigma_pt: float,
    headline: str,
    want=("z", "z_prime"),
    u: float = math.nan,
    k: float = math.nan,
    item: str = "",
    where=None,
) -> ParticipantScore:
    """All asked-for scores of one participant (ISO 13528:2022, 9.4 to 9.7).

    zeta and E_n need the participant's u (E_n also k, default 2 with a note); asking for them
    for a participant without u raises InputError naming the participant.
    """
    notes = []
    zeta = en = math.nan
    if ("zeta" in want or "en" in want) and not (math.isfinite(u) and u > 0):
        asked = [s for s in ("zeta", "en") if s in want]
        raise InputError(
            f"participant '{code}'"
            + (f", item '{item}'" if item else "")
            + f": {' and '.join(asked)} need{'s' if len(asked) == 1 else ''} the participant's "
            "standard uncertainty u, which is missing",
            file=where,
            column="u",
            hint="enter u for this participant, or leave zeta/en out of proficiency.scores",
        )
    if "zeta" in want:
        zeta = zeta_score(x, u, x_pt, u_x_pt)
    if "en" in want:
        kk = k if math.isfinite(k) and k > 0 else 2.0
        if not (math.isfinite(k) and k > 0):
            notes.append("no k reported: U = 2u")
        en = en_score(x, kk * u, x_pt, U_x_pt)
    z, zp = z_score(x, x_pt, sigma_pt), z_prime_score(x, x_pt, sigma_pt, u_x_pt)
    main = z if headline == "z" else zp
    return ParticipantScore(
        participant=str(code),
        item=str(item),
        x=float(x),
        u=float(u),
        k=float(k),
        z=z,
        z_prime=zp,
        zeta=zeta,
        en=en,
        score=headline,
        class_=classify(main, "z"),
        class_zeta=classify(zeta, "z") if "zeta" in want else "",
        class_en=classify(en, "en") if "en" in want else "",
        notes=tuple(notes),
    )
