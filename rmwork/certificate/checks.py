"""Reviewer checks of a certified value (rmwork conventions; ISO 17034:2016 / ISO Guide 35:2017 context)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from ..results import Result
from .certified import CertifiedValue
from .reasons import reason

U_BB_RATIO_MAX = 1.0 / 3.0  # rmwork convention after the ISO 13528:2022 0.3 σ_pt criterion: u_bb ≤ u_char/3
STABILITY_SHARE_MAX = 0.5  # rmwork convention: (u_lts² + u_sts²)/u_CRM² above this → "attention"
CHECK_STATUSES = ("pass", "attention", "not evaluated")


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckItem(Result):
    """One reviewer check: ``quantity`` compared with ``limit`` (pass when quantity ≤ limit)."""

    check: str  # u_bb_vs_u_char | stability_share | method_agreement | U_rounded_not_smaller
    status: str  # pass | attention | not evaluated
    quantity: float
    limit: float
    subject: str = ""  # e.g. the method name
    reason: str = ""  # why not evaluated
    clause: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksResult(Result):
    """Reviewer checks of a certified value (rmwork conventions; ISO 17034:2016 / Guide 35:2017 context)."""

    items: tuple[CheckItem, ...]
    passed: bool  # no item with status "attention"
    n_attention: int
    analyte: str = ""
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([i.to_dict() for i in self.items])


def _method_pairs(method_values) -> list[tuple[str, float, float]]:
    if method_values is None:
        return []
    if hasattr(method_values, "iterrows"):  # DataFrame with method/lab, value, u
        df = method_values
        name_col = "method" if "method" in df.columns else "lab"
        return [(str(r[name_col]), float(r["value"]), float(r["u"])) for _, r in df.iterrows()]
    out = []
    for name, v in dict(method_values).items():
        if isinstance(v, Mapping):
            x, u = v["value"], v["u"]
        else:
            x, u = v
        out.append((str(name), float(x), float(u)))
    return out


def checks(
    certified: CertifiedValue,
    *,
    u_char: float | None = None,
    u_bb: float | None = None,
    u_lts: float | None = None,
    u_sts: float | None = None,
    method_values=None,
    u_bb_ratio_max: float = U_BB_RATIO_MAX,
    stability_share_max: float = STABILITY_SHARE_MAX,
) -> ChecksResult:
    r"""Reviewer checks of homogeneity, stability share and method agreement (ISO Guide 35:2017; GUM 6.2.1).

    The limits are rmwork conventions (see Notes), stated with each item.

    Parameters
    ----------
    certified : CertifiedValue
    u_char, u_bb, u_lts, u_sts : float, optional
        Override the components stored in ``certified``.
    method_values : mapping or DataFrame, optional
        Independent methods: ``{name: (value, u)}`` or ``{name: {"value": .., "u": ..}}``, or a
        frame with columns ``method`` (or ``lab``), ``value``, ``u`` (standard uncertainties).
    u_bb_ratio_max : float
        Limit of u_bb/u_char (default 1/3).
    stability_share_max : float
        Limit of (u_lts² + u_sts²)/u_CRM² (default 0.5).

    Returns
    -------
    ChecksResult
        ``items`` (check, status "pass"/"attention"/"not evaluated", quantity, limit), ``passed``.

    Notes
    -----
    * ``u_bb_vs_u_char``: u_bb/u_char ≤ 1/3, i.e. heterogeneity adds at most about 5 % to
      sqrt(u_char² + u_bb²) (rmwork convention after the 0.3 σ_pt criterion of ISO 13528).
    * ``stability_share``: (u_lts² + u_sts²)/u_CRM² ≤ 0.5; above it the shelf life drives the
      uncertainty (consider a shorter validity period or more stability data).
    * ``method_agreement``: |x_CRM − x_m| ≤ k sqrt(u_CRM² + u_m²) for each independent method m
      (En-type comparison with the certificate's k).
    * ``U_rounded_not_smaller``: the printed U is not smaller than the computed U.

    These are advisory: ``attention`` asks the reviewer to look, it does not change any number.

    Validated against hand calculations: ``tests/test_certificate.py::test_checks_*``.
    """
    uc = certified.u_char if u_char is None else float(u_char)
    ub = certified.u_bb if u_bb is None else float(u_bb)
    ul = certified.u_lts if u_lts is None else float(u_lts)
    us = certified.u_sts if u_sts is None else float(u_sts)
    items: list[CheckItem] = []

    def _st(ok: bool) -> str:
        return "pass" if ok else "attention"

    if math.isfinite(uc) and uc > 0 and math.isfinite(ub):
        q = ub / uc
        items.append(
            CheckItem(
                check="u_bb_vs_u_char",
                status=_st(q <= u_bb_ratio_max),
                quantity=q,
                limit=u_bb_ratio_max,
                clause="rmwork convention (cf. ISO 13528:2022, 0.3 σ_pt)",
            )
        )
    else:
        items.append(
            CheckItem(
                check="u_bb_vs_u_char",
                status="not evaluated",
                quantity=math.nan,
                limit=u_bb_ratio_max,
                reason=reason("checks.u_missing"),
            )
        )

    stab = [x for x in (ul, us) if math.isfinite(x)]
    if stab and certified.u > 0:
        q = sum(x * x for x in stab) / certified.u**2
        items.append(
            CheckItem(
                check="stability_share",
                status=_st(q <= stability_share_max),
                quantity=q,
                limit=stability_share_max,
                clause="rmwork convention (ISO Guide 35:2017, clause 8)",
            )
        )
    else:
        items.append(
            CheckItem(
                check="stability_share",
                status="not evaluated",
                quantity=math.nan,
                limit=stability_share_max,
                reason=reason("checks.no_stability"),
            )
        )

    for name, x, um in _method_pairs(method_values):
        if not (math.isfinite(x) and math.isfinite(um) and um >= 0):
            raise InputError(
                f"method '{name}': value and u must be finite numbers (u ≥ 0)",
                key="method_values",
                hint="enter the method's result and its standard uncertainty",
            )
        d = abs(certified.value - x)
        lim = certified.k * math.sqrt(certified.u**2 + um**2)
        items.append(
            CheckItem(
                check="method_agreement",
                status=_st(d <= lim),
                quantity=d,
                limit=lim,
                subject=name,
                clause="|x_CRM − x_m| ≤ k sqrt(u_CRM² + u_m²)",
            )
        )

    if certified.rounding != "none":
        ur = float(certified.U_rounded)
        items.append(
            CheckItem(
                check="U_rounded_not_smaller",
                status=_st(ur >= certified.U * (1 - 1e-12)),
                quantity=certified.U,
                limit=ur,
                clause="GUM JCGM 100:2008, 7.2.6",
            )
        )
    n_att = sum(1 for i in items if i.status == "attention")
    return ChecksResult(
        items=tuple(items),
        passed=n_att == 0,
        n_attention=n_att,
        analyte=certified.analyte,
        clauses={
            "u_bb_vs_u_char": "rmwork convention",
            "stability_share": "rmwork convention",
            "method_agreement": "GUM JCGM 100:2008, 6.2.1 (U = k u)",
        },
    )
