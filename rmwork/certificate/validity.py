"""Period of validity of the certificate (ISO Guide 35:2017, clause 8; ISO Guide 31:2015)."""

from __future__ import annotations

import calendar
import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import InputError
from ..results import Result


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidityPeriod(Result):
    """Period of validity of the certificate (ISO Guide 31:2015 certificate item; ISO Guide 35:2017, clause 8)."""

    certification_date: str     # ISO 8601
    shelf_life_months: int      # validity period used (whole months)
    expiry: str                 # ISO 8601, last day of validity
    justification: str
    justification_zh: str
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _parse_date(d, key: str) -> _dt.date:
    if isinstance(d, _dt.datetime):
        return d.date()
    if isinstance(d, _dt.date):
        return d
    try:
        return _dt.date.fromisoformat(str(d).strip())
    except ValueError:
        raise InputError(f"'{d}' is not a date", key=key, hint="write the date as YYYY-MM-DD") from None


def _add_months(d: _dt.date, months: int) -> _dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return _dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def validity_period(shelf_life_months: float, certification_date, *,
                    basis: str = "the long-term stability study") -> ValidityPeriod:
    """Expiry date and justification of the period of validity (ISO Guide 35:2017, clause 8; ISO Guide 31:2015).

    Parameters
    ----------
    shelf_life_months : float
        Shelf life supported by the stability study (months; the time for which u_lts was
        evaluated). A fractional value is truncated to whole months (a note records it).
    certification_date : str or datetime.date
        ``YYYY-MM-DD``.
    basis : str
        What supports the shelf life (English), used in the justification.

    Returns
    -------
    ValidityPeriod
        ``expiry`` = certification date + shelf life (same day of month, clamped to the month's
        end), ``justification`` (en) and ``justification_zh``.

    Raises
    ------
    InputError
        Shelf life not positive or shorter than one month; date not ISO formatted.

    Validated against: ``tests/test_certificate.py::test_validity_period_month_end``.
    """
    d = _parse_date(certification_date, "certificate.certification_date")
    s = float(shelf_life_months)
    if not math.isfinite(s) or s < 1:
        raise InputError(f"shelf life must be at least 1 month, got {shelf_life_months!r}",
                         key="stability.long_term.shelf_life", hint="enter the shelf life in months")
    n = int(math.floor(s))
    notes = []
    if n != s:
        notes.append(f"shelf life {s:g} months truncated to {n} whole months")
    exp = _add_months(d, n)
    en = (f"The certificate is valid for {n} months from the date of certification "
          f"({d.isoformat()}), i.e. until {exp.isoformat()}, provided the material is kept unopened "
          f"under the stated storage conditions. The period is supported by {basis}, in which the "
          f"long-term stability uncertainty u_lts was evaluated for a shelf life of {n} months and is "
          f"included in the certified uncertainty.")
    zh = (f"本证书自定值日期（{d.isoformat()}）起 {n} 个月内有效，即有效期至 {exp.isoformat()}，"
          f"前提是标准物质在规定的储存条件下保存且未开封。有效期依据长期稳定性研究确定，"
          f"长期稳定性不确定度 u_lts 按 {n} 个月的有效期评定，并已计入标准值的不确定度。")
    return ValidityPeriod(certification_date=d.isoformat(), shelf_life_months=n, expiry=exp.isoformat(),
                          justification=en, justification_zh=zh, notes=tuple(notes),
                          clauses={"expiry": "ISO Guide 35:2017, clause 8 (shelf life, u_lts); "
                                             "ISO Guide 31:2015 (period of validity)"})
