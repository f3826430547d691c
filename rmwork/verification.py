"""Verifying a certified value with a laboratory's measurements (ISO Guide 35:2017, 8.10;
ERM Application Note 1, Linsinger 2010).

Per analyte: the laboratory's result x_m with its standard uncertainty u_m (as the laboratory
gives it, or from the repeatability of its results combined with the components it names), the
difference to the certified value Delta = x_m - x_c, u_Delta = sqrt(u_m^2 + u_c^2), the check
|Delta| <= k u_Delta, and E_n = Delta / sqrt(U_m^2 + U_c^2).  Compute only: reading a
certificate (report folder, DRMD, typed) lives in :mod:`rmwork.comparison`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _checks
from .errors import InputError
from .results import Result

CLAUSES = {
    "delta": "ERM Application Note 1: Delta_m = c_m - c_CRM",
    "u_delta": "ERM Application Note 1: u_Delta = sqrt(u_m^2 + u_CRM^2)",
    "passed": "ERM Application Note 1; ISO Guide 35:2017, 8.10: |Delta_m| <= U_Delta = k u_Delta",
    "en": "ISO 13528:2022, 9.7 form: E_n = Delta / sqrt(U_m^2 + U_CRM^2)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CertifiedEntry(Result):
    """One certified value as the certificate states it: value, U, k (ISO Guide 31:2015)."""

    analyte: str
    value: float
    U: float
    k: float
    u: float  # U / k
    unit_of_measure: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LabResult(Result):
    """The verifying laboratory's result for one analyte and its standard uncertainty (GUM)."""

    analyte: str
    unit_of_measure: str = ""
    x_m: float
    u_m: float
    basis: str  # "given" (column u) or "repeatability"
    n_results: int
    n_units: int
    s: float = math.nan  # SD of the results (or of unit means)
    u_rep: float = math.nan  # s / sqrt(n)
    components: tuple[tuple[str, float], ...] = ()  # (name, u) named by the laboratory
    values: tuple[float, ...] = field(default=(), repr=False)
    units: tuple[str, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationResult(Result):
    """Measured value against certified value (ERM Application Note 1; ISO Guide 35:2017, 8.10)."""

    analyte: str
    unit_of_measure: str = ""
    x_m: float
    u_m: float
    x_c: float
    u_c: float
    U_c: float
    k_c: float
    delta: float  # x_m - x_c
    u_delta: float  # sqrt(u_m^2 + u_c^2)
    k: float  # coverage factor of U_Delta
    U_delta: float  # k u_Delta
    en: float  # Delta / sqrt((k u_m)^2 + U_c^2)
    passed: bool  # |Delta| <= k u_Delta
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _component_u(c: Mapping, x_m: float) -> float:
    return float(c["u"]) * abs(x_m) if c.get("relative") else float(c["u"])


def _lab_given(x, u, units, *, analyte, where, **_) -> dict:
    """u_m as the laboratory states it for its result (one value per analyte)."""
    if np.isnan(u).any():
        raise InputError(
            f"analyte '{analyte}': column 'u' is empty in some rows",
            file=where,
            column="u",
            hint="give the laboratory's u in every row of the analyte, or in none (then u "
            "comes from the repeatability and verification.components)",
        )
    if np.unique(u).size > 1:
        raise InputError(
            f"analyte '{analyte}': rows give different u ({', '.join(f'{v:g}' for v in np.unique(u))})",
            file=where,
            column="u",
            hint="u is the standard uncertainty of the laboratory's result: give one value "
            "per analyte, or leave the column empty to combine repeatability and components",
        )
    _checks.require_positive_array(u[:1], what="u", where=where)
    return dict(
        x_m=float(np.mean(x)),
        u_m=float(u[0]),
        basis="given",
        notes=("u_m as stated by the laboratory for its mean result",),
    )


def _lab_repeatability(x, u, units, *, analyte, components, where, **_) -> dict:
    """u_m = sqrt(s^2/n + sum u_j^2): repeatability of the mean and the named components (GUM 4.2, 5.1)."""
    uniq = list(dict.fromkeys(units)) if units is not None else []
    notes = []
    if units is not None and len(uniq) >= 2 and len(uniq) < len(x):
        # results nested in units: the unit means are the independent observations
        means = np.array([x[np.asarray(units) == v].mean() for v in uniq])
        vals, notes = means, [f"x_m = mean of {len(uniq)} unit means; s from the unit means"]
    else:
        vals = x
    if vals.size < 2:
        raise InputError(
            f"analyte '{analyte}': one result gives no repeatability",
            file=where,
            column="u",
            hint="enter the laboratory's u in column 'u', or measure replicates",
        )
    s = float(np.std(vals - vals.mean(), ddof=1))
    u_rep = s / math.sqrt(vals.size)
    x_m = float(vals.mean())
    comps = tuple(
        (str(c["name"]), _component_u(c, x_m)) for c in components if c.get("analyte") in (None, analyte)
    )
    if not comps:
        notes.append("no other uncertainty components named: u_m is the repeatability of the mean only")
    u_m = math.sqrt(u_rep**2 + sum(v**2 for _, v in comps))
    return dict(
        x_m=x_m, u_m=u_m, basis="repeatability", s=s, u_rep=u_rep, components=comps, notes=tuple(notes)
    )


def lab_result(
    df: pd.DataFrame,
    *,
    analyte: str,
    unit_of_measure: str = "",
    components: Sequence[Mapping] = (),
    where: str | None = None,
) -> LabResult:
    r"""The laboratory's result x_m and u_m for one analyte (ERM Application Note 1; GUM, JCGM 100:2008, 5.1).

    With a ``u`` column the laboratory's stated u of its result is used (one value per analyte);
    without it :math:`u_m = \sqrt{s^2/n + \sum_j u_j^2}`, s the SD of the results (of the unit
    means when replicates are nested in units) and u_j the components the laboratory names
    (absolute, or relative to x_m).
    """
    x = _checks.require_finite_array(
        df["value"],
        what="column 'value'",
        where=where,
        rows=df["source_row"] if "source_row" in df.columns else None,
    )
    u = (
        pd.to_numeric(df["u"], errors="coerce").to_numpy(float)
        if "u" in df.columns
        else np.full(len(df), np.nan)
    )
    units = df["unit"].astype(str).tolist() if "unit" in df.columns else None
    fn = _lab_repeatability if np.isnan(u).all() else _lab_given
    d = fn(x, u, units, analyte=analyte, components=components, where=where)
    return LabResult(
        analyte=str(analyte),
        unit_of_measure=str(unit_of_measure),
        n_results=int(x.size),
        n_units=len(set(units)) if units is not None else 0,
        values=tuple(map(float, x)),
        units=tuple(units or ()),
        **d,
    )


def compare(lab: LabResult, cert: CertifiedEntry, *, k: float = 2.0) -> VerificationResult:
    r"""Compare a measurement with the certified value (ERM Application Note 1; ISO Guide 35:2017, 8.10).

    Notes
    -----
    .. math::

        \Delta = x_m - x_c, \quad u_\Delta = \sqrt{u_m^2 + u_c^2}, \quad
        |\Delta| \le k\,u_\Delta, \quad E_n = \frac{\Delta}{\sqrt{(k u_m)^2 + U_c^2}}

    with :math:`u_c = U_c/k_c` from the certificate.

    Validated against ISO 13528:2022 Example E.4 (the same E_n) and by hand:
    ``tests/test_verification.py``.
    """
    if not (math.isfinite(k) and k > 0):
        raise InputError(f"k must be positive, got {k!r}", key="verification.k", hint="use k = 2")
    delta = lab.x_m - cert.value
    u_delta = math.hypot(lab.u_m, cert.u)
    en = delta / math.hypot(k * lab.u_m, cert.U)
    notes = list(lab.notes)
    if lab.unit_of_measure and cert.unit_of_measure and lab.unit_of_measure != cert.unit_of_measure:
        raise InputError(
            f"analyte '{lab.analyte}': results in {lab.unit_of_measure}, certified value in "
            f"{cert.unit_of_measure}",
            column="unit_of_measure",
            hint="convert the results to the certificate's unit",
        )
    return VerificationResult(
        analyte=lab.analyte,
        unit_of_measure=cert.unit_of_measure or lab.unit_of_measure,
        x_m=lab.x_m,
        u_m=lab.u_m,
        x_c=cert.value,
        u_c=cert.u,
        U_c=cert.U,
        k_c=cert.k,
        delta=delta,
        u_delta=u_delta,
        k=float(k),
        U_delta=k * u_delta,
        en=en,
        passed=bool(abs(delta) <= k * u_delta),
        notes=tuple(notes),
        clauses=CLAUSES,
    )


def verdict(res: VerificationResult, lang: str = "en") -> str:
    """Plain statement of the comparison (ERM Application Note 1)."""
    if lang == "zh":
        return (
            f"{res.analyte}：|Δ| = {abs(res.delta):.4g} {'≤' if res.passed else '>'} U_Δ = {res.U_delta:.4g}"
            f"（k = {res.k:g}），E_n = {res.en:.3g}；"
            + ("测量结果与标准值一致。" if res.passed else "测量结果与标准值存在显著差异。")
        )
    return (
        f"{res.analyte}: |Δ| = {abs(res.delta):.4g} {'≤' if res.passed else '>'} U_Δ = {res.U_delta:.4g} "
        f"(k = {res.k:g}), E_n = {res.en:.3g}: "
        + (
            "no significant difference between the measurement and the certified value."
            if res.passed
            else "the measurement differs significantly from the certified value."
        )
    )
