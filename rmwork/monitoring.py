"""How a lot's post-certification monitoring results are judged (ISO Guide 35:2017, 8.9 and 8.10; ERM Application Note 1).

ISO Guide 35:2017, 8.9 asks the producer to monitor the stability of a certified material and
8.10 (with ERM Application Note 1) says how one result is compared with the certified value:
|x_m − x_c| ≤ k·√(u_c² + u_m²).  That needs the standard uncertainty u_m of each monitoring
result, which eCerto's monitoring (LTS) input does not carry.  rmwork never guesses it (neither
from the scatter of the monitoring results, which holds any drift, nor from the file's
``Coef_of_Var``, which is U/CertVal); the lot states the rule under ``stability.monitoring``:

- a column ``u`` in the table, or ``u:`` (the monitoring method's standard uncertainty, one
  number or one per analyte, applied to every result and printed as stated): the check above;
- ``check: certified-interval``: each result against x_c ± U only, reported as the weaker check
  it is (it ignores the measurement's own uncertainty).

Either way eCerto's LTS trend is added: the line on time and the time at which the line,
started at x_c, leaves x_c ± U.  Without a rule, ``validate`` and ``run`` refuse in one line.

The metadata rows of eCerto's file (KW, KW_Unit, CertVal, U, U_Def) are checked against the
lot: a unit other than the lot's is refused when the data are read, a certified value or U other
than the lot's certificate when the certificate is made (``validate`` computes it for this).
The lot's own certificate is what every check uses; the file's values only have to agree.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from . import params
from .errors import InputError

KEY = "stability.monitoring"
DAYS = 30.4375  # rmwork's month (stability._common.DAYS_PER_MONTH)
# eCerto's U_Def: what its U is, as a multiple of the certificate's quantities
_U_DEF = {"1s": "u", "2s": "2u", "CI": "U"}


# ---------------------------------------------------------------------------------------------
# when the data are read (validate and run)


def judged(lot: params.Lot, df: pd.DataFrame) -> pd.DataFrame:
    """The monitoring table with its rule: ``u`` filled from the lot when stated, the rule in
    ``attrs["monitoring_rule"]``; refused (one line) when the lot gives no rule or a contradictory one."""
    src = lot.params.stability.monitoring
    f = df.attrs.get("file")
    if lot.params.characterization is None:
        raise InputError(
            "monitoring results are compared with the certified value, and the lot certifies none "
            "(it has no characterization)",
            file=str(lot.path),
            key=KEY,
            hint="add the lot's characterization, or check a measurement against a certificate "
            "with a verification lot (kind: verification)",
        )
    _units_agree(lot, df)
    has_col = "u" in df.columns and df["u"].notna().any()
    if src.check == "certified-interval":
        if has_col or src.u is not None:
            raise InputError(
                "'check: certified-interval' ignores the results' uncertainty, but "
                + ("the table has a column 'u'" if has_col else "the lot states u"),
                file=f,
                key=f"{KEY}.check",
                hint="remove 'check: certified-interval' to use u (the stronger ERM Application Note 1 "
                "check), or remove u",
            )
        out = df.copy()
        out.attrs.update(df.attrs, monitoring_rule={"check": src.check, "u_m_source": ""})
        return out
    if not has_col and src.u is None:
        raise InputError(
            "monitoring results need a column 'u' (standard uncertainty of each result) to be compared "
            "with the certified value (ERM Application Note 1), and this table has none",
            file=f,
            key=f"{KEY}.u",
            hint=f"set '{KEY}.u' to the monitoring method's standard uncertainty (in the results' unit), "
            f"or '{KEY}.check: certified-interval' for the weaker check against the certified value ± U",
        )
    if has_col and src.u is not None:
        raise InputError(
            "the table has a column 'u' and the lot states u as well",
            file=f,
            key=f"{KEY}.u",
            hint="keep one: remove the key u, or the column",
        )
    out = df.copy()
    if has_col:
        out["u"] = _column_u(df, f)
        source = "the table's column u"
    else:
        out["u"] = _stated_u(src.u, df, f)
        source = f"stated in the lot as {KEY}.u: the monitoring method's standard uncertainty"
    out.attrs.update(df.attrs, monitoring_rule={"check": src.check, "u_m_source": source})
    return out


def _column_u(df: pd.DataFrame, f) -> pd.Series:
    u = pd.to_numeric(df["u"], errors="coerce")
    bad = ~(u > 0) | ~np.isfinite(u.astype(float))
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise InputError(
            f"u = {df['u'].iloc[i]!r} is not a positive number",
            file=f,
            row=_row(df, i),
            column="u",
            hint="give every monitoring result its standard uncertainty",
        )
    return u.astype(float)


def _stated_u(u, df: pd.DataFrame, f) -> pd.Series:
    analytes = list(pd.unique(df["analyte"].astype(str)))
    if not isinstance(u, dict):
        if len(analytes) > 1:
            raise InputError(
                f"one u for the monitoring results of {', '.join(analytes)}",
                file=f,
                key=f"{KEY}.u",
                hint="give u per analyte, e.g. 'u: {"
                + ", ".join(f"{a}: …" for a in analytes[:3])
                + "}', or read one analyte ('analytes:' or 'sheet:')",
            )
        return pd.Series(float(u), index=df.index)
    missing = [a for a in analytes if a not in u]
    extra = [a for a in u if a not in analytes]
    if missing or extra:
        raise InputError(
            (f"no u for {', '.join(missing)}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"u for {', '.join(extra)}, which the table does not hold" if extra else ""),
            file=f,
            key=f"{KEY}.u",
            hint=f"give u for exactly the analytes monitored ({', '.join(analytes)})",
        )
    return df["analyte"].astype(str).map({a: float(v) for a, v in u.items()}).astype(float)


def _units_agree(lot: params.Lot, df: pd.DataFrame) -> None:
    """A monitoring unit (eCerto's KW_Unit, or the table's) other than the lot's analyte unit is refused."""
    if "unit_of_measure" not in df.columns:
        return
    for a, g in df.groupby("analyte", sort=False):
        lot_a = lot.params.analytes.get(str(a))
        want = getattr(lot_a, "unit", None)
        units = [str(x) for x in pd.unique(g["unit_of_measure"].dropna())]
        if want and units and units[0] != want:
            raise InputError(
                f"analyte '{a}': the monitoring results are in {units[0]}, the lot certifies it in {want}",
                **_where_meta(df, g, "KW_Unit"),
                hint="monitor in the certified unit (convert the results), or check that the file "
                "belongs to this material",
            )


def analytes_known(df: pd.DataFrame, certified: set[str]) -> None:
    """Monitoring results of an analyte the lot does not characterize are refused, never dropped."""
    extra = [a for a in pd.unique(df["analyte"].astype(str)) if a not in certified]
    if extra:
        raise InputError(
            f"monitoring results of {', '.join(extra)}, which the lot does not characterize",
            file=df.attrs.get("file"),
            key=f"{KEY}.analytes",
            hint=f"read only the lot's analytes ('{KEY}.analytes: [{', '.join(sorted(certified))}]' "
            "or 'sheet:')",
        )


# ---------------------------------------------------------------------------------------------
# when the certificate is made


def evaluate(cv, unit: str, g: pd.DataFrame, analyte: str):
    """The monitoring result of one analyte against the lot's certified value ``cv`` (ISO Guide 35:2017, 8.9 and 8.10).

    ``g`` is the analyte's rows of the table :func:`judged` returned.  The file's metadata must
    agree with ``cv`` (else InputError); then the lot's rule and eCerto's trend.
    """
    from . import stability as smod

    _metadata_agrees(cv, unit, g, analyte)
    rule = g.attrs.get("monitoring_rule") or {"check": "uncertainty", "u_m_source": "the table's column u"}
    x = g["value"].to_numpy(float)
    if rule["check"] == "certified-interval":
        res = smod.monitoring_interval_check(cv.value, cv.U, x, u_c=cv.u, k=cv.k, analyte=analyte)
    else:
        res = smod.monitoring_check(
            cv.value,
            cv.u,
            x,
            g["u"].to_numpy(float),
            k=cv.k,
            analyte=analyte,
            U=cv.U,
            u_m_source=rule["u_m_source"],
        )
    trend, note = _trend(cv, g, x, analyte)
    return replace(res, trend=trend, notes=res.notes + ((note,) if note else ()))


def _trend(cv, g: pd.DataFrame, x: np.ndarray, analyte: str):
    from . import stability as smod

    if x.size < 3:
        return None, f"{x.size} monitoring results: no trend (a line on time needs at least 3)"
    start = ""
    if "date" in g.columns and g["date"].notna().all():
        t = smod.months_from_dates(g["date"])
        start = pd.Timestamp(g["date"].min()).date().isoformat()
    elif "time" in g.columns and g["time"].notna().all():
        t = g["time"].to_numpy(float) - float(g["time"].min())
    else:
        return None, "the monitoring results have no date or time: no trend"
    if np.ptp(t) == 0:
        return None, "every monitoring result has the same date: no trend"
    tr = smod.monitoring_trend(t, x, cv.value, cv.U, analyte=analyte)
    return replace(tr, start_date=start, exit_date=exit_date(tr, start)), ""


def exit_date(trend, start: str) -> str:
    """The date at which the trend leaves x_c ± U (start + t_exit months of 30.4375 days)."""
    if not start or trend is None or not math.isfinite(trend.t_exit) or trend.t_exit > 1e5:
        return ""
    return (pd.Timestamp(start) + pd.Timedelta(days=round(trend.t_exit * DAYS))).date().isoformat()


def _metadata_agrees(cv, unit: str, g: pd.DataFrame, analyte: str) -> None:
    units = [str(u) for u in pd.unique(g["unit_of_measure"].dropna())] if "unit_of_measure" in g else []
    if units and unit and units[0] != unit:
        raise InputError(
            f"analyte '{analyte}': the monitoring results are in {units[0]}, the certified value in {unit}",
            **_where_meta(g, g, "KW_Unit"),
            hint="monitor in the certified unit (convert the results)",
        )
    meta = (g.attrs.get("meta") or {}).get(analyte)
    if not meta:
        return
    stated = _number(meta.get("CertVal"))
    if stated is not None and not _agree(stated, cv.value, cv.value_rounded):
        raise InputError(
            f"analyte '{analyte}': the monitoring file states the certified value {meta.get('CertVal')}, "
            f"the lot certifies {cv.value_rounded} {unit}".rstrip(),
            **_where_meta(g, g, "CertVal"),
            hint="use the monitoring file of this material and lot, or correct CertVal",
        )
    U = _number(meta.get("U"))
    kind = _U_DEF.get(str(meta.get("U_Def") or "").strip())
    if U is None or kind is None:
        return
    mine = {"u": (cv.u, None), "2u": (2 * cv.u, None), "U": (cv.U, cv.U_rounded)}[kind]
    if not _agree(U, *mine):
        shown = {"u": f"u = {cv.u:.4g}", "2u": f"2u = {2 * cv.u:.4g}", "U": f"U = {cv.U_rounded}"}[kind]
        raise InputError(
            f"analyte '{analyte}': the monitoring file states U = {meta.get('U')} ({meta.get('U_Def')}), "
            f"the lot's certificate gives {shown} {unit}".rstrip(),
            **_where_meta(g, g, "U"),
            hint="use the monitoring file of this material and lot, or correct U and U_Def",
        )


def _agree(stated: float, value: float, printed: str | None) -> bool:
    """Equal within half a unit of the last digit printed on each side (the file's, the certificate's)."""
    tol = _half_unit(repr(stated))
    if printed:
        tol += _half_unit(printed)
        value = float(printed)
    return abs(stated - value) <= tol * (1 + 1e-9)


def _half_unit(text: str) -> float:
    try:
        e = Decimal(text).as_tuple().exponent
    except InvalidOperation:
        return 0.0
    return 0.5 * 10.0 ** int(e) if isinstance(e, int) else 0.0


def _number(v) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _row(df: pd.DataFrame, i: int):
    return int(df["source_row"].iloc[i]) if "source_row" in df.columns else None


def _where_meta(df: pd.DataFrame, g: pd.DataFrame, column: str) -> dict:
    """Where a metadata cell is: eCerto's monitoring sheet, row 2, the named column; else the table."""
    f = g["source_file"].iloc[0] if "source_file" in g.columns and len(g) else df.attrs.get("file")
    if (df.attrs.get("meta") or {}).get(str(g["analyte"].iloc[0])):
        sheet = g["source_sheet"].iloc[0] if "source_sheet" in g.columns else None
        return {"file": f, "sheet": sheet, "row": 2, "column": column}
    return {"file": f, "column": "unit_of_measure"}
