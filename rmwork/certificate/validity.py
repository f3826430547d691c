"""Period of validity of the certificate (ISO Guide 35:2017, clause 8; ISO Guide 31:2015)."""

from __future__ import annotations

import calendar
import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from ..results import Result
from .reasons import reason as _reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidityPeriod(Result):
    """Period of validity of the certificate (ISO Guide 31:2015 certificate item; ISO Guide 35:2017, clause 8)."""

    certification_date: str  # ISO 8601
    shelf_life_months: int  # validity period used (whole months)
    expiry: str  # ISO 8601, last day of validity
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


def validity_period(
    shelf_life_months: float,
    certification_date,
    *,
    basis: str = "the long-term stability study",
    requested_months: float | None = None,
    unsupported: Mapping[str, float] | None = None,
) -> ValidityPeriod:
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
    requested_months : float, optional
        The period the lot asked for; when longer than ``shelf_life_months`` the justification
        says that the period was shortened to what the stability data support.
    unsupported : mapping, optional
        Certified analytes whose stability data support a shorter period (certified only because
        the lot set ``validity_supported`` to advise): the justification names them, so that it
        never claims a support the data lack.

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
        raise InputError(
            f"shelf life must be at least 1 month, got {shelf_life_months!r}",
            key="stability.long_term.shelf_life",
            hint="enter the shelf life in months",
        )
    n = int(math.floor(s))
    notes = []
    if n != s:
        notes.append(f"shelf life {s:g} months truncated to {n} whole months")
    exp = _add_months(d, n)
    en = (
        f"The certificate is valid for {n} months from the date of certification "
        f"({d.isoformat()}), i.e. until {exp.isoformat()}, provided the material is kept unopened "
        f"under the stated storage conditions. The period is supported by {basis}, in which the "
        f"long-term stability uncertainty u_lts was evaluated for a shelf life of {n} months and is "
        f"included in the certified uncertainty."
    )
    if requested_months is not None and float(requested_months) > n:
        en += (
            f" The requested period of {float(requested_months):g} months is not supported by the "
            f"stability data; the period was shortened to the {n} months they support."
        )
    if unsupported:
        shown = ", ".join(f"{a} ({m:.3g} months)" for a, m in unsupported.items())
        en = en.replace(
            f"The period is supported by {basis}",
            f"The period is supported by {basis} except for {', '.join(unsupported)}",
            1,
        )
        en += f" For {shown} the stability data support a shorter period only."
    zh = (
        f"本证书自定值日期（{d.isoformat()}）起 {n} 个月内有效，即有效期至 {exp.isoformat()}，"
        f"前提是标准物质在规定的储存条件下保存且未开封。有效期依据长期稳定性研究确定，"
        f"长期稳定性不确定度 u_lts 按 {n} 个月的有效期评定，并已计入标准值的不确定度。"
    )
    if requested_months is not None and float(requested_months) > n:
        zh += f"申请的有效期 {float(requested_months):g} 个月未得到稳定性数据支持，已缩短为数据所支持的 {n} 个月。"
    if unsupported:
        zh += (
            "以下特性量的稳定性数据仅支持较短的有效期："
            + "，".join(f"{a}（{m:.3g} 个月）" for a, m in unsupported.items())
            + "。"
        )
    return ValidityPeriod(
        certification_date=d.isoformat(),
        shelf_life_months=n,
        expiry=exp.isoformat(),
        justification=en,
        justification_zh=zh,
        notes=tuple(notes),
        clauses={
            "expiry": "ISO Guide 35:2017, clause 8 (shelf life, u_lts); "
            "ISO Guide 31:2015 (period of validity)"
        },
    )


# ---------------------------------------------------------------------------------------------
# Validity assessment: what the stability data support (one object for the sentence and the check)
# ---------------------------------------------------------------------------------------------

VALIDITY_MODES = ("requested", "supported")


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidityAssessment(Result):
    """Whether the stability study supports the requested period of validity (ISO Guide 35:2017, 8 and B.3).

    The certificate's validity sentence (:meth:`sentence`) and the reviewer check
    (:meth:`check_item`) are both made from ``supported``, so they cannot disagree.
    """

    analyte: str = ""
    requested_months: float | None  # the lot's validity_months (or shelf_life); None: not given
    supported_months: float  # what the data support (inf: any period)
    basis: str  # "prediction" (significant trend) | "u_lts" (eCerto's U/3 rule)
    mode: str = "requested"  # requested | supported (shorten to what the data support)
    supported: bool | None = None  # requested <= supported; None when nothing was requested
    months: float | None = None  # period the certificate states (None: cannot be stated)
    shortened: bool = False
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def basis_text(self) -> str:
        return str(self._basis())

    def _basis(self):
        return _reason(f"validity.basis.{'prediction' if self.basis == 'prediction' else 'u_lts'}")

    @property
    def blocking(self) -> bool:
        """The certificate cannot state a period the data support."""
        return self.months is None or (self.mode == "requested" and self.supported is False)

    def reason(self) -> str:
        """Why the period is not (or only shortened) supported: a Reason, English with ``.zh``."""
        if self.requested_months is None:
            return _reason("validity.not_given")
        if self.supported:
            return ""
        if self.shortened:
            assert self.months is not None  # shortened only when a period is stated (assess_validity)
            return _reason("validity.shortened", months=int(self.months), basis=self._basis())
        return _reason(
            "validity.not_supported",
            supported=self.supported_months,
            requested=self.requested_months,
            basis=self._basis(),
        )

    def check_item(self):
        from .checks import CheckItem

        if self.requested_months is None:
            return CheckItem(
                check="validity_supported",
                status="not evaluated",
                quantity=math.nan,
                limit=self.supported_months,
                reason=self.reason(),
            )
        ok = bool(self.supported or self.shortened)
        return CheckItem(
            check="validity_supported",
            status="pass" if ok else "attention",
            quantity=float(self.requested_months),
            limit=float(self.supported_months),
            subject=_reason("subject.validity"),
            reason=self.reason(),
            clause="ISO Guide 35:2017, 8 and B.3",
        )

    def sentence(self, lang: str = "en") -> str:
        """What the certificate says about the stability support of its period."""
        zh = lang == "zh"
        if self.requested_months is None:
            return "参数文件未给出有效期。" if zh else "The parameter file gives no period of validity."
        if self.supported is False and not self.shortened:
            return (
                f"申请的有效期 {self.requested_months:g} 个月未得到稳定性数据支持（数据仅支持 "
                f"{self.supported_months:.3g} 个月）。"
                if zh
                else f"The requested period of {self.requested_months:g} months is not supported by the "
                f"stability data, which support {self.supported_months:.3g} months ({self.basis_text})."
            )
        if self.months is None:
            return (
                "稳定性数据不支持任何有效期。"
                if zh
                else "The stability data do not support a period of validity."
            )
        if self.shortened:
            return (
                f"申请的有效期 {self.requested_months:g} 个月未得到稳定性数据支持；有效期缩短为稳定性数据所支持的 "
                f"{int(self.months)} 个月。"
                if zh
                else f"The requested period of {self.requested_months:g} months is not supported by the "
                f"stability data; it is shortened to the {int(self.months)} months they support "
                f"({self.basis_text})."
            )
        return (
            f"有效期 {int(self.months)} 个月得到长期稳定性研究的支持。"
            if zh
            else f"The period of {int(self.months)} months is supported by the long-term stability study "
            f"({self.basis_text})."
        )


def assess_validity(
    requested_months: float | None,
    supported_months: float,
    *,
    basis: str,
    mode: str = "requested",
    analyte: str = "",
) -> ValidityAssessment:
    """Compare the requested period of validity with what the stability data support (ISO Guide 35:2017, 8 and B.3).

    ``supported_months`` comes from the shelf-life prediction (significant trend, B.3) or from
    eCerto's u_lts ≤ U/3 rule (no significant trend). With ``mode="supported"`` a period the data
    do not support is shortened to the whole months they do (at least 1; otherwise none).
    """
    if mode not in VALIDITY_MODES:
        raise InputError(
            f"'{mode}' is not a validity mode",
            key="certificate.validity",
            hint=f"use one of {', '.join(VALIDITY_MODES)}",
        )
    sup = float(supported_months)
    if requested_months is None:
        return ValidityAssessment(
            analyte=analyte,
            requested_months=None,
            supported_months=sup,
            basis=basis,
            mode=mode,
            supported=None,
            months=None,
        )
    req = float(requested_months)
    ok = req <= sup
    months: float | None = req
    shortened = False
    if not ok and mode == "supported":
        months = float(math.floor(sup)) if sup >= 1 else None
        shortened = months is not None
    return ValidityAssessment(
        analyte=analyte,
        requested_months=req,
        supported_months=sup,
        basis=basis,
        mode=mode,
        supported=ok,
        months=months,
        shortened=shortened,
        clauses={"supported_months": "ISO Guide 35:2017, 8 and B.3"},
    )
