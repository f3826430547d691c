"""Standard deviation for proficiency assessment sigma_pt (ISO 13528:2022, clause 8).

One function per way, chosen by name in :func:`sigma_pt`: ``given`` (a number fixed for fitness
for purpose, 8.2), ``horwitz`` (the general model of 8.4: Horwitz's function with Thompson's
modification, as in the IUPAC Harmonized Protocol 2006, 3.5) and ``robust`` (s* of Algorithm A
from the round's results, 8.6).  Compute only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from ..results import Result
from ..robust import algorithm_a

# Thompson (2000) / IUPAC Harmonized Protocol 2006: the Horwitz function and its low and high ends
HORWITZ_LOW = 1.2e-7  # below: sigma = 0.22 c
HORWITZ_HIGH = 0.138  # above: sigma = 0.01 c^0.5
# mass fraction (kg/kg) per unit of measure, for the Horwitz function, which needs c as a mass fraction
MASS_FRACTION = {
    "g/g": 1.0,
    "kg/kg": 1.0,
    "1": 1.0,
    "%": 1e-2,
    "g/100 g": 1e-2,
    "g/100g": 1e-2,
    "mg/g": 1e-3,
    "g/kg": 1e-3,
    "‰": 1e-3,
    "mg/kg": 1e-6,
    "µg/g": 1e-6,
    "μg/g": 1e-6,
    "ug/g": 1e-6,
    "ppm": 1e-6,
    "µg/kg": 1e-9,
    "μg/kg": 1e-9,
    "ug/kg": 1e-9,
    "ng/g": 1e-9,
    "ppb": 1e-9,
    "ng/kg": 1e-12,
    "pg/g": 1e-12,
    "ppt": 1e-12,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SigmaPt(Result):
    """sigma_pt and how it was set (ISO 13528:2022, clause 8)."""

    method: str  # given | horwitz | robust
    sigma_pt: float  # in the analyte's unit
    sigma_pt_rel: float  # sigma_pt / |x_pt|
    c_mass_fraction: float = math.nan  # horwitz: x_pt as a mass fraction
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def horwitz(c: float) -> float:
    r"""Horwitz function with Thompson's modification (ISO 13528:2022, 8.4; IUPAC Harmonized Protocol 2006).

    ``c`` is a mass fraction (1 mg/kg = 1e-6); returns the predicted reproducibility standard
    deviation as a mass fraction.

    Notes
    -----
    .. math::

        \sigma_H = \begin{cases} 0.22\,c & c < 1.2\times10^{-7} \\
                   0.02\,c^{0.8495} & 1.2\times10^{-7} \le c \le 0.138 \\
                   0.01\,c^{0.5} & c > 0.138 \end{cases}

    M. Thompson, Analyst 125 (2000) 385-386; Thompson, Ellison and Wood, Pure Appl. Chem. 78
    (2006) 145-196, 3.5.

    Validated against ISO 13528:2022 Example E.9 (sigma_pt 0.186 mg/kg at 1.195 mg/kg, 0.356 at
    2.565 mg/kg): ``tests/test_proficiency.py``.
    """
    if not (isinstance(c, (int, float)) and math.isfinite(c) and 0 < c <= 1):
        raise InputError(
            f"the Horwitz function needs a mass fraction 0 < c <= 1, got {c!r}",
            key="proficiency.sigma_pt",
            hint="check the assigned value and the unit of measure",
        )
    if c < HORWITZ_LOW:
        return 0.22 * c
    if c <= HORWITZ_HIGH:
        return 0.02 * c**0.8495
    return 0.01 * math.sqrt(c)


def mass_fraction_factor(unit: str, factor: float | None = None, *, where=None) -> float:
    """Mass fraction per unit of measure (for :func:`horwitz`); ``factor`` overrides (ISO 13528:2022, 8.4)."""
    if factor is not None:
        return float(factor)
    f = MASS_FRACTION.get(str(unit).strip())
    if f is None:
        raise InputError(
            f"sigma_pt 'horwitz' needs the result as a mass fraction; unit '{unit}' is not "
            "a mass fraction rmwork knows",
            file=where,
            key="proficiency.sigma_pt",
            hint=f"use one of {', '.join(sorted(MASS_FRACTION))}, set "
            "proficiency.mass_fraction_factor, or give sigma_pt as a number",
        )
    return f


def _check_positive(sigma: float, method: str, where) -> float:
    if not (math.isfinite(sigma) and sigma > 0):
        raise InputError(
            f"sigma_pt ({method}) must be positive, got {sigma!r}",
            file=where,
            key="proficiency.sigma_pt",
            hint="give a positive sigma_pt (fitness for purpose), or another method",
        )
    return float(sigma)


def _sigma_given(*, value, x_pt, where, **_) -> SigmaPt:
    s = _check_positive(float(value), "given", where)
    return SigmaPt(
        method="given",
        sigma_pt=s,
        sigma_pt_rel=s / abs(x_pt) if x_pt else math.nan,
        clauses={"sigma_pt": "ISO 13528:2022, 8.2 (fitness for purpose)"},
    )


def _sigma_horwitz(*, x_pt, unit, factor, where, **_) -> SigmaPt:
    f = mass_fraction_factor(unit, factor, where=where)
    c = x_pt * f
    s = _check_positive(horwitz(c) / f, "horwitz", where)
    return SigmaPt(
        method="horwitz",
        sigma_pt=s,
        sigma_pt_rel=s / abs(x_pt),
        c_mass_fraction=c,
        notes=(f"c = x_pt = {c:.6g} as a mass fraction ({unit or 'factor'} x {f:g})",),
        clauses={
            "sigma_pt": "ISO 13528:2022, 8.4; Thompson (2000) modification of the Horwitz "
            "function (IUPAC Harmonized Protocol 2006, 3.5)"
        },
    )


def _sigma_robust(*, values, codes, x_pt, where, **_) -> SigmaPt:
    if len(values) < 3:
        raise InputError(
            f"sigma_pt 'robust' (Algorithm A, ISO 13528:2022, C.3.1) needs at least 3 "
            f"participants' results, found {len(values)}",
            file=where,
            key="proficiency.sigma_pt",
            hint="give sigma_pt as a number",
        )
    r = algorithm_a(values, codes)
    s = _check_positive(r.s_star, "robust", where)
    return SigmaPt(
        method="robust",
        sigma_pt=s,
        sigma_pt_rel=s / abs(x_pt) if x_pt else math.nan,
        notes=r.notes,
        clauses={"sigma_pt": "ISO 13528:2022, 8.6 (s* of Algorithm A, C.3.1)"},
    )


_DISPATCH: dict[str, Callable[..., SigmaPt]] = {
    "given": _sigma_given,
    "horwitz": _sigma_horwitz,
    "robust": _sigma_robust,
}


def sigma_pt(
    spec,
    *,
    x_pt: float,
    values=(),
    codes=(),
    unit: str = "",
    factor: float | None = None,
    where: str | None = None,
) -> SigmaPt:
    """sigma_pt by a number or the name ``horwitz`` / ``robust`` (ISO 13528:2022, 8.2, 8.4, 8.6).

    Raises InputError for sigma_pt <= 0 (whatever the method gives), an unknown unit for Horwitz,
    or too few results for the robust SD.

    Validated against ISO 13528:2022 Examples E.9 (Horwitz) and E.3 (s*): ``tests/test_proficiency.py``.
    """
    if isinstance(spec, str):
        if spec not in ("horwitz", "robust"):
            raise InputError(
                f"'{spec}' is not a sigma_pt",
                file=where,
                key="proficiency.sigma_pt",
                hint="give a positive number, 'horwitz' or 'robust'",
            )
        method = spec
    else:
        method = "given"
    return _DISPATCH[method](
        value=spec,
        x_pt=float(x_pt),
        values=list(values),
        codes=list(codes),
        unit=unit,
        factor=factor,
        where=where,
    )
