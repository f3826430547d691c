"""One number, one spelling: the display policy of every quantity the report prints.

Display precision only: ``results.json`` keeps the full values, and the certified value and its
U keep the rounding of :mod:`rmwork.certificate.rounding` (their printed strings are used as
they are, :func:`certified`).  Each function below returns a :class:`Printed` number — its
decimal digits (a :class:`~decimal.Decimal` whose exponent is the last printed place) and the
name of the quantity it is — so that

* the same quantity (same analyte, symbol and base) is rounded once, by one rule, and prints the
  same digits in every table, sentence, summary and certificate page;
* a column is printed in one notation (:func:`column_texts`): fixed while its magnitudes allow a
  sane width, otherwise scientific for the whole column, with one exponent style (``2.3e-06``);
* the report can be checked by machine: each printed occurrence carries its quantity name
  (``data-q="X/u_bb_rel/homogeneity-mean"`` on the table cell or on a ``<span>`` in a sentence).

The rules, by kind of quantity:

==================  ================================================  ===============================
kind                rule                                              source
==================  ================================================  ===============================
uncertainty         2 significant digits, to the nearest              GUM (JCGM 100:2008) 7.2.6
value (estimate)    to the decimal place of its uncertainty           GUM 7.2.6 ("rounded to be
                    (as rounded above); without one, 5 significant     consistent with their
                    digits                                            uncertainties"), 7.2.2
relative            in percent, 2 significant digits, and the header  GUM 7.2.6; ISO Guide 35:2017
uncertainty         or sentence says relative to what                 (relative transfer, 9.9)
p-value             2 significant digits                              rmwork policy (a p-value is a
                                                                      screening aid, ASA 2016)
degrees of freedom  integer when integral, otherwise one decimal       GUM G.4.1, G.6.4 (ν_eff is
ν                   rounded down (never above the computed ν)          truncated, not rounded up)
test statistic      4 significant digits (F, t, Q, G, h, k ...)       rmwork policy (compare with
                                                                      its critical value)
score               two decimals (z, z′, ζ, E_n)                      rmwork policy (limits 1, 2, 3;
                                                                      ISO 13528:2022, 9.4–9.7)
coverage factor k   3 significant digits                              as rmwork.certificate prints k
count               integer                                           —
==================  ================================================  ===============================
"""

from __future__ import annotations

import math
import numbers as _numbers
import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation

__all__ = [
    "Printed",
    "uncertainty",
    "value",
    "relative",
    "p_value",
    "dof",
    "statistic",
    "score",
    "coverage_factor",
    "count",
    "measured",
    "certified",
    "column_texts",
    "tag",
    "spans",
    "plain",
    "sentence",
    "Sentence",
    "marked",
    "qname",
    "MISSING",
]

MISSING = "–"  # a value that does not exist (None, NaN): the en dash, as the tables print it
FIXED_MIN = Decimal("1e-4")  # below this a fixed number starts with four zeros: scientific instead
FIXED_MAX = Decimal("1e6")  # from a million up: scientific
FIXED_WIDTH = 12  # characters: a fixed number wider than this makes its column scientific
UNCERTAINTY_DIGITS = 2  # GUM 7.2.6
P_DIGITS = 2
STATISTIC_DIGITS = 4
K_DIGITS = 3
VALUE_DIGITS_WITHOUT_U = 5

# markers of a tagged number inside a sentence (Unicode private use area: never in user text)
_OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
_TAGGED = re.compile(f"{_OPEN}([^{_MID}]*){_MID}([^{_CLOSE}]*){_CLOSE}")


@dataclass(frozen=True, slots=True)
class Printed:
    """A number as printed: ``digits`` (None for a missing or infinite value) and its quantity.

    ``digits`` carries the precision in its exponent: ``Decimal("0.00097")`` prints five
    decimals in fixed notation and two significant digits in scientific notation.
    """

    digits: Decimal | None
    q: str = ""
    special: str = MISSING  # what a missing value prints as ("–", or "∞" for an infinite ν)
    verbatim: str = ""  # printed as given in any notation (the certificate's rounded strings)

    def fixed(self) -> str:
        if self.verbatim:
            return self.verbatim
        if self.digits is None:
            return self.special
        d = self.digits
        return format(abs(d) if d.is_zero() else d, "f")

    def scientific(self) -> str:
        if self.verbatim:
            return self.verbatim
        if self.digits is None:
            return self.special
        d = self.digits
        if d.is_zero():
            return "0"
        e = d.adjusted()
        m = d.scaleb(-e)
        return f"{format(m, 'f')}e{e:+03d}"

    def fits_fixed(self) -> bool:
        """Whether fixed notation reads well: 1e-4 <= |x| < 1e6 and at most 12 characters."""
        if self.digits is None or self.digits.is_zero():
            return True
        a = abs(self.digits)
        return FIXED_MIN <= a < FIXED_MAX and len(self.fixed()) <= FIXED_WIDTH

    def text(self) -> str:
        """The number alone (a sentence): fixed when it fits, otherwise scientific."""
        return self.fixed() if self.fits_fixed() else self.scientific()

    def __str__(self) -> str:
        return self.text()


def _decimal(x) -> Decimal | None:
    """The float's shortest repr as a Decimal (0.035 stays 0.035, not 0.03499999...)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return Decimal(repr(f))


def _sig(d: Decimal, n: int, rounding=ROUND_HALF_EVEN) -> Decimal:
    """``d`` rounded to ``n`` significant digits (exponent kept, trailing zeros printed)."""
    if d.is_zero():
        return Decimal(0)
    q = Decimal(1).scaleb(d.adjusted() - n + 1)
    r = d.quantize(q, rounding=rounding)
    if r.adjusted() > d.adjusted():  # 9.96 -> 10.0: keep n digits, not n + 1
        r = r.quantize(q.scaleb(1), rounding=rounding)
    return r


def _strip(d: Decimal) -> Decimal:
    """Trailing zeros dropped, as ``%g`` does (for values with no stated precision)."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def _special(x) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return MISSING
    if math.isinf(f):
        return "∞" if f > 0 else "−∞"
    return MISSING


def qname(analyte: str, symbol: str, base: str) -> str:
    """The name of a quantity: analyte, symbol (field name) and base (study or reference).

    ``base`` tells apart quantities with the same symbol: ``homogeneity`` (u_bb at the
    homogeneity study) and ``budget`` (u_bb transferred to the certified value), or for a
    relative value what it is relative to (``homogeneity-mean``, ``certified``).
    """
    return f"{analyte}/{symbol}/{base}"


# ---------------------------------------------------------------------------------------------
# one function per kind


def uncertainty(u, *, q: str = "", digits: int = UNCERTAINTY_DIGITS) -> Printed:
    """An uncertainty to 2 significant digits, rounded to the nearest (GUM JCGM 100:2008, 7.2.6).

    GUM 7.2.6: "it usually suffices to quote u_c(y) and U ... to at most two significant digits";
    28.05 kHz is rounded to 28 kHz.  Rounding *up* is kept for the certified U
    (:mod:`rmwork.certificate.rounding`), which this function never reprints.
    """
    d = _decimal(u)
    return Printed(None if d is None else _sig(d, digits), q, _special(u))


def value(x, u=None, *, q: str = "") -> Printed:
    """An estimate to the decimal place of its uncertainty, as that is printed (GUM 7.2.6).

    GUM 7.2.6: y = 10.057 62 Ω with u_c(y) = 27 mΩ is printed 10.058 Ω; GUM 7.2.2: m_S =
    100.021 47 g with u_c = 0.35 mg.  Without a finite, positive uncertainty the value gets
    5 significant digits (trailing zeros dropped).
    """
    d = _decimal(x)
    if d is None:
        return Printed(None, q, _special(x))
    ud = _decimal(u)
    if ud is None or ud <= 0:
        return Printed(_strip(_sig(d, VALUE_DIGITS_WITHOUT_U)), q)
    place = int(_sig(ud, UNCERTAINTY_DIGITS).as_tuple().exponent)
    if d.adjusted() - place > 20:  # an uncertainty 1e20 times smaller than the value: 21 digits
        return Printed(_sig(d, 21), q)
    return Printed(d.quantize(Decimal(1).scaleb(place), rounding=ROUND_HALF_EVEN), q)


def relative(r, *, q: str = "", digits: int = UNCERTAINTY_DIGITS) -> Printed:
    """A relative uncertainty (a fraction) printed in percent, 2 significant digits (GUM 7.2.6).

    The caller's header or sentence says "%" and relative to what (the certified value or a
    study mean); 0.2009 prints as 20.
    """
    d = _decimal(r)
    return Printed(None if d is None else _sig(d * 100, digits), q, _special(r))


def p_value(p, *, q: str = "") -> Printed:
    """A p-value to 2 significant digits (0.07483 -> 0.075; 2.132e-06 -> 2.1e-06)."""
    d = _decimal(p)
    return Printed(None if d is None else _sig(d, P_DIGITS), q, _special(p))


def dof(nu, *, q: str = "") -> Printed:
    """Degrees of freedom: an integer when integral, else one decimal rounded down (GUM G.4.1).

    Rounded down so that the printed ν is never larger than the ν that chose k (GUM G.4.1
    truncates ν_eff to the next lower integer for the t table): 0.9372 -> 0.9, 17.94 -> 17.9.
    """
    d = _decimal(nu)
    if d is None:
        return Printed(None, q, _special(nu))
    if d == d.to_integral_value():
        return Printed(d.quantize(Decimal(1)), q)
    return Printed(d.quantize(Decimal("0.1"), rounding=ROUND_FLOOR), q)


def statistic(x, *, q: str = "", digits: int = STATISTIC_DIGITS) -> Printed:
    """A test statistic (F, t, Q, G, C, h, k, ratio) to 4 significant digits."""
    d = _decimal(x)
    return Printed(None if d is None else _sig(d, digits), q, _special(x))


def score(x, *, q: str = "") -> Printed:
    """A performance score (z, z′, ζ, E_n) with two decimals: the class limits 1, 2 and 3 are
    compared at a glance (rmwork policy; ISO 13528:2022, 9.4–9.7 classify on these limits)."""
    d = _decimal(x)
    return Printed(
        None if d is None else d.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), q, _special(x)
    )


def coverage_factor(k, *, q: str = "") -> Printed:
    """The coverage factor k to 3 significant digits (2.14, 2, 3.18), as the certificate prints it."""
    d = _decimal(k)
    return Printed(None if d is None else _strip(_sig(d, K_DIGITS)), q, _special(k))


def count(n, *, q: str = "") -> Printed:
    """A count (n, p, N, runs): an integer."""
    d = _decimal(n)
    return Printed(None if d is None else d.quantize(Decimal(1)), q, _special(n))


def measured(x, digits: int = 6, *, q: str = "") -> Printed:
    """A number without a stated kind: ``digits`` significant digits, trailing zeros dropped.

    The default of :func:`rmwork.report.display.table_html` for plain floats (data as read,
    parameters); a reported quantity uses one of the kinds above.
    """
    d = _decimal(x)
    return Printed(None if d is None else _strip(_sig(d, digits)), q, _special(x))


def certified(text: str, *, q: str = "") -> Printed:
    """The certified value or U as :mod:`rmwork.certificate.rounding` printed it (kept as is,
    whatever the notation of the column)."""
    t = str(text).strip()
    try:
        return Printed(Decimal(t), q, verbatim=t)
    except InvalidOperation:
        return Printed(None, q, t or MISSING)


# ---------------------------------------------------------------------------------------------
# columns and sentences


def _cell(v, digits: int):
    """A table cell as a Printed number, or its text (None, NaN -> "–"; bool -> yes/no)."""
    if isinstance(v, Printed):
        return v
    if v is None:
        return MISSING
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, _numbers.Integral):
        return str(int(v))
    if isinstance(v, _numbers.Real):
        if math.isnan(float(v)):
            return MISSING
        return measured(v, digits)
    return str(v)


def column_texts(values, digits: int = 6) -> list[str]:
    """The cells of one column as printed: every number in one notation.

    Fixed notation when every number fits (:meth:`Printed.fits_fixed`), otherwise scientific for
    all of them (``2.3e-06`` beside ``9.7e-04``, never ``2.274e-06`` beside ``0.0009743``).
    Texts, counts and missing values are printed as they are.
    """
    cells = [_cell(v, digits) for v in values]
    nums = [c for c in cells if isinstance(c, Printed) and c.digits is not None]
    sci = any(not c.fits_fixed() for c in nums)
    return [c if isinstance(c, str) else (c.scientific() if sci else c.fixed()) for c in cells]


def tag(p: Printed, suffix: str = "") -> str:
    """The number (and ``suffix``, e.g. " %") for a sentence, marked with its quantity name.

    The marks become ``<span data-q="...">`` in :func:`spans` (used by the report's paragraphs)
    and vanish in :func:`plain`.
    """
    text = p.text() + suffix
    if not p.q:
        return text
    return f"{_OPEN}{p.q}{_MID}{text}{_CLOSE}"


class Sentence(str):
    """A sentence whose text (what ``str`` operations see) is plain; ``marked`` keeps the
    quantity marks for the HTML (:func:`rmwork.report.display.paragraph` uses it)."""

    marked: str


def sentence(marked: str) -> Sentence:
    """The plain sentence of a text with quantity marks (:func:`tag`), carrying the marks."""
    s = Sentence(plain(marked))
    s.marked = str(marked)
    return s


def marked(text) -> str:
    """The marked text of a :class:`Sentence`, or the text itself."""
    return getattr(text, "marked", None) or str(text)


def plain(text: str) -> str:
    """A sentence without its quantity marks (for plain-text copies)."""
    return _TAGGED.sub(lambda m: m.group(2), str(text))


def spans(escaped: str) -> str:
    """HTML-escaped text with its quantity marks turned into ``<span data-q>`` elements."""
    # the marks pass html.escape unchanged and the name inside was escaped with the sentence
    return _TAGGED.sub(lambda m: f'<span data-q="{m.group(1)}">{m.group(2)}</span>', escaped)
