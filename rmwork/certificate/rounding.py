"""Rounding of the certified value and U by a named rule: ``gum`` (GUM 7.2.6), ``jjf``
(JJF 1059.1-2012 with GB/T 8170-2008 for the value), ``din1333`` (as eCerto implements DIN 1333) and
``none``. This is the only compute module that rounds (STYLE.md 7)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

from .._checks import require_choice
from ..errors import InputError
from ..results import Result

ROUNDING_RULES = ("gum", "jjf", "din1333", "none")
_GUARD_SIG = 12  # significant digits kept before rounding: absorbs binary noise (3*0.1 = 0.30000000000000004)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundedValue(Result):
    """Certified value and U as printed on the certificate (strings keep their trailing zeros)."""

    value: float
    U: float
    value_rounded: str
    U_rounded: str
    decimals: int | None  # decimal places of both; negative = tens, hundreds...; None for "none"
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
        raise InputError(
            f"certified value must be finite, got {value!r}",
            key="value",
            hint="check the characterization result",
        )
    if not (math.isfinite(U) and U > 0):
        raise InputError(
            f"rounding needs an expanded uncertainty U > 0, got {U!r}",
            key="U",
            hint="check the uncertainty budget",
        )
    return value, U


def _value_dec(value: float, decimals: int) -> Decimal:
    d = Decimal(repr(value))
    if d == 0:
        return d
    # keep enough digits below the rounding position, at least _GUARD_SIG significant ones
    sig = max(_GUARD_SIG, d.adjusted() + decimals + 3)
    return _dec(value, sig)


def _round_sig_up(
    value: float, U: float, sig_digits: int, value_mode: str, rule: str, clauses: Mapping[str, str]
) -> RoundedValue:
    value, U = _check_round_inputs(value, U)
    if int(sig_digits) not in (1, 2):
        raise InputError(
            f"sig_digits must be 1 or 2, got {sig_digits!r}",
            key="sig_digits",
            hint="GUM 7.2.6: U is quoted with at most two significant digits",
        )
    du = _dec(U)
    decimals = -du.adjusted() + int(sig_digits) - 1
    ur = _quantize(du, decimals, ROUND_UP)
    notes = []
    if ur.adjusted() > du.adjusted():  # 0.0996 -> 0.100: one digit too many after the carry
        decimals -= 1
        ur = _quantize(du, decimals, ROUND_UP)
        notes.append("rounding U up carried into a new leading digit; one decimal fewer kept")
    vr = _quantize(_value_dec(value, decimals), decimals, value_mode)
    return RoundedValue(
        value=value,
        U=U,
        value_rounded=_fmt(vr),
        U_rounded=_fmt(ur),
        decimals=decimals,
        rule=rule,
        notes=tuple(notes),
        clauses=dict(clauses),
    )


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
    return _round_sig_up(
        value,
        U,
        sig_digits,
        ROUND_HALF_UP,
        "gum",
        {
            "U_rounded": "GUM JCGM 100:2008, 7.2.6 (≤ 2 significant digits, rounded up)",
            "value_rounded": "GUM JCGM 100:2008, 7.2.6 (same decimal place as U)",
        },
    )


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
    return _round_sig_up(
        value,
        U,
        sig_digits,
        ROUND_HALF_EVEN,
        "jjf",
        {
            "U_rounded": "JJF 1059.1-2012, 5.3.8 (≤ 2 significant digits, rounded up; "
            "clause text not checked)",
            "value_rounded": "GB/T 8170-2008, 3.3 (round half to even)",
        },
    )


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
    return RoundedValue(
        value=value,
        U=U,
        value_rounded=_fmt(vr),
        U_rounded=_fmt(ur),
        decimals=n,
        rule="din1333",
        clauses={
            "U_rounded": "DIN 1333 as in eCerto digits_DIN1333/round_up (U rounded up)",
            "value_rounded": "DIN 1333 as in eCerto round_DIN1333 (half-up)",
        },
    )


def round_none(value: float, U: float) -> RoundedValue:
    """No rounding: full-precision strings (repr) of value and U (GUM JCGM 100:2008, 7.2.6).

    GUM 7.2.6 allows extra digits where results are used in further calculations.
    """
    value, U = float(value), float(U)
    return RoundedValue(
        value=value,
        U=U,
        value_rounded=repr(value),
        U_rounded=repr(U),
        decimals=None,
        rule="none",
        notes=("not rounded: full precision shown",),
        clauses={"value_rounded": "GUM JCGM 100:2008, 7.2.6"},
    )


def round_certified(value: float, U: float, rule: str = "gum") -> RoundedValue:
    """Round a certified value and its U by a named rule (GUM 7.2.6; JJF 1059.1-2012; DIN 1333).

    ``rule`` is one of ``gum`` (:func:`round_gum`), ``jjf`` (:func:`round_jjf`), ``din1333``
    (:func:`round_din1333`), ``none`` (:func:`round_none`).
    """
    require_choice(rule, ROUNDING_RULES, thing="rounding rule", key="certificate.rounding")
    return {"gum": round_gum, "jjf": round_jjf, "din1333": round_din1333, "none": round_none}[rule](value, U)
