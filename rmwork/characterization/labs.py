"""Laboratory summary of a characterization table (ISO Guide 35:2017, 9.2).

One row per laboratory with u (and optionally dof, or U and k), or replicate rows per
laboratory; the include flag and the lot's exclusions. Compute only.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _checks
from ..errors import InputError
from ..results import Result


@dataclass(frozen=True, slots=True, kw_only=True)
class LabSummary(Result):
    """Per-laboratory summary of a characterization table (ISO Guide 35:2017, 9.2)."""

    analyte: str = ""
    unit_of_measure: str = ""
    layout: str  # "per-lab" (u given) or "replicates"
    lab: tuple[str, ...]
    value: tuple[float, ...]  # laboratory mean (or the reported value)
    u: tuple[float, ...]  # standard uncertainty of the laboratory value
    dof: tuple[float, ...]  # inf when not given
    n: tuple[int, ...]  # results per laboratory
    sd: tuple[float, ...]  # SD of the replicates (NaN in the per-lab layout)
    include: tuple[bool, ...]
    excluded: tuple[tuple[str, str], ...] = ()  # (lab, reason)
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _replicates: pd.DataFrame | None = field(
        default=None, repr=False, compare=False
    )  # DataFrame lab/value (replicate layout)
    _where: str | None = field(default=None, repr=False, compare=False)

    @property
    def n_labs(self) -> int:
        return len(self.lab)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "lab": self.lab,
                "n": self.n,
                "value": self.value,
                "sd": self.sd,
                "u": self.u,
                "dof": self.dof,
                "include": self.include,
            }
        )


@contextmanager
def naming(analyte: str | None):
    """Put the analyte's name in front of an InputError raised inside (one line, STYLE.md 5)."""
    try:
        yield
    except InputError as e:
        if analyte and f"analyte '{analyte}'" not in str(e.problem):
            e.problem = f"analyte '{analyte}', {e.problem}"
            e.args = (str(e),)
        raise


def _norm_include(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    s = str(v).strip().lower()
    if s in ("yes", "y", "true", "1", "1.0", "", "nan", "none"):
        return True
    if s in ("no", "n", "false", "0", "0.0"):
        return False
    raise InputError(f"include value '{v}' is not yes or no", column="include", hint="write yes or no")


def lab_summary(
    df: pd.DataFrame,
    lab: str = "lab",
    value: str = "value",
    u: str = "u",
    dof: str = "dof",
    include: str = "include",
    *,
    exclude: Mapping[str, str] | None = None,
    analyte: str | None = None,
    unit_of_measure: str = "",
) -> LabSummary:
    r"""Per-laboratory values, uncertainties and degrees of freedom (ISO Guide 35:2017, 9.2).

    Parameters
    ----------
    df : pandas.DataFrame
        Characterization table of one analyte: either one row per laboratory with ``u`` (and
        optionally ``dof``; or ``U`` and ``k``, then u = U/k), or several replicate rows per
        laboratory without ``u``.
    lab, value, u, dof, include : str
        Column names. ``include`` (yes/no) is a per-laboratory flag; labs with ``no`` are kept out
        of the consensus value but still get degrees of equivalence.
    exclude : mapping of lab -> reason, optional
        Further labs to keep out of the value (the lot file's ``characterization.exclude``).
    analyte, unit_of_measure : str, optional
        Labels copied to the result; with several analytes in ``df``, ``analyte`` selects one.

    Returns
    -------
    LabSummary
        ``lab``, ``value``, ``u``, ``dof``, ``n``, ``sd``, ``include`` per laboratory and
        ``excluded`` (lab, reason).

    Raises
    ------
    InputError
        Missing columns, several analytes without a choice, non-finite values, a lab with one
        result and no u, a repeated lab in the per-lab layout, negative u, non-positive dof (the message
        names the analyte, the lab and, where known, the file). u = 0 is read with a note: the
        study withholds such an analyte, naming the lab (:func:`rmwork.characterization.study`).

    Notes
    -----
    Replicate layout: :math:`\bar x_j`, :math:`s_j`, :math:`u_j = s_j/\sqrt{n_j}`,
    :math:`\nu_j = n_j - 1`. A missing dof means infinitely many degrees of freedom.

    Validated against eCerto SR3 (Si, 10 labs x 6 replicates; mean of lab means 0.0492917):
    ``tests/test_characterization.py``.
    """
    if analyte is None and "analyte" in df.columns and df["analyte"].nunique() == 1:
        who: str | None = str(df["analyte"].iloc[0])
    else:
        who = analyte
    with naming(who):
        return _lab_summary(
            df, lab, value, u, dof, include, exclude=exclude, analyte=analyte, unit_of_measure=unit_of_measure
        )


def _lab_summary(
    df: pd.DataFrame,
    lab: str = "lab",
    value: str = "value",
    u: str = "u",
    dof: str = "dof",
    include: str = "include",
    *,
    exclude: Mapping[str, str] | None = None,
    analyte: str | None = None,
    unit_of_measure: str = "",
) -> LabSummary:
    where = df.attrs.get("file") if hasattr(df, "attrs") else None
    if lab not in df.columns or value not in df.columns:
        missing = lab if lab not in df.columns else value
        raise InputError(
            f"required column '{missing}' is missing",
            file=where,
            hint=f"the table has {', '.join(map(str, df.columns))}",
        )
    notes: list[str] = []
    if "analyte" in df.columns and df["analyte"].nunique() > 1:
        if analyte is None:
            raise InputError(
                f"the table holds analytes {', '.join(map(str, df['analyte'].unique()))}",
                file=where,
                hint="pass analyte=... or use by_analyte(...)",
            )
        df = df[df["analyte"].astype(str) == str(analyte)]
        if df.empty:
            raise InputError(
                f"analyte '{analyte}' is not in the table", file=where, hint="check the analyte name"
            )
    if analyte is None and "analyte" in df.columns and len(df):
        analyte = str(df["analyte"].iloc[0])
    if not unit_of_measure and "unit_of_measure" in df.columns and len(df):
        unit_of_measure = str(df["unit_of_measure"].iloc[0])
    rows = df["source_row"].tolist() if "source_row" in df.columns else None
    labs_all = df[lab].astype(str).tolist()
    try:
        vals = np.asarray(df[value], dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "values must be numbers", file=where, column=value, hint="check the column for text"
        ) from None
    bad = ~np.isfinite(vals)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"lab '{labs_all[i]}': the value is {vals[i]!r}, not a finite number",
            file=where,
            row=None if rows is None else rows[i],
            column=value,
            hint="enter a result or delete the row",
        )
    has_u = u in df.columns and df[u].notna().any()
    if not has_u and {"U", "k"} <= set(df.columns) and df["U"].notna().any():
        df = df.assign(**{u: np.asarray(df["U"], float) / np.asarray(df["k"], float)})
        has_u = True
        notes.append("u = U/k from the columns U and k")
    inc_rows = [(_norm_include(v)) for v in df[include]] if include in df.columns else [True] * len(df)
    order = list(dict.fromkeys(labs_all))
    inc_lab: dict[object, bool] = {}
    for name, flag in zip(labs_all, inc_rows):
        if inc_lab.setdefault(name, flag) != flag:
            raise InputError(
                f"lab '{name}': include is yes on some rows and no on others",
                file=where,
                column=include,
                hint="use one include value per laboratory",
            )
    if has_u:
        layout = "per-lab"
        _checks.require_unique_labels(labs_all, what="lab", where=where)
        uu = np.asarray(df[u], dtype=float)
        if np.isnan(uu).any():
            i = int(np.flatnonzero(np.isnan(uu))[0])
            raise InputError(
                f"lab '{labs_all[i]}': u is empty",
                file=where,
                row=None if rows is None else rows[i],
                column=u,
                hint="enter the lab's standard uncertainty",
            )
        # u = 0 is read (the study withholds the analyte, naming the lab); u < 0 is a typing error
        _checks.require_lab_positive(np.where(uu == 0, 1.0, uu), labs_all, what="u", where=where)
        for name in (n for n, v in zip(labs_all, uu) if v == 0):
            notes.append(f"lab '{name}' gives u = 0; weighted estimators cannot use it")
        dd = np.asarray(df[dof], dtype=float) if dof in df.columns else np.full(len(df), np.inf)
        if np.isnan(dd).any() and dof in df.columns:
            notes.append("labs without dof are taken to have infinitely many degrees of freedom")
        dd = np.where(np.isnan(dd), np.inf, dd)
        dd = _checks.require_lab_positive(dd, labs_all, what="dof", where=where, allow_inf=True)
        value_t, u_t, dof_t = vals, uu, dd
        n_t, sd_t = np.ones(len(vals), int), np.full(len(vals), np.nan)
        reps = None
    else:
        layout = "replicates"
        frame = pd.DataFrame({"lab": labs_all, "value": vals})
        g = frame.groupby("lab", sort=False)["value"]
        n_t = g.count().reindex(order).to_numpy(int)
        single = [name for name, k in zip(order, n_t) if k < 2]
        if single:
            raise InputError(
                f"lab '{single[0]}' has 1 result and the table gives no u",
                file=where,
                hint="give u (one row per lab) or at least 2 replicates per lab",
            )
        value_t = g.mean().reindex(order).to_numpy(float)
        sd_t = g.std(ddof=1).reindex(order).to_numpy(float)
        u_t = sd_t / np.sqrt(n_t)
        dof_t = (n_t - 1).astype(float)
        reps = frame
        zero = [name for name, s in zip(order, sd_t) if s == 0]
        if zero:
            notes.append(
                f"lab '{zero[0]}' has identical replicates: u = 0; weighted estimators cannot use it"
            )
    include_t = np.array([inc_lab[name] for name in order])
    excluded = [(name, "include = no in the data table") for name, f in zip(order, include_t) if not f]
    for name, reason in (exclude or {}).items():
        if name not in order:
            raise InputError(
                f"excluded lab '{name}' is not in the table",
                file=where,
                key="exclude",
                hint=f"labs are {', '.join(order)}",
            )
        if include_t[order.index(name)]:
            include_t[order.index(name)] = False
            excluded.append((name, str(reason)))
    for name, reason in excluded:
        notes.append(
            f"lab '{name}' kept out of the consensus value ({reason}); it still gets a degree of equivalence"
        )
    return LabSummary(
        analyte="" if analyte is None else str(analyte),
        unit_of_measure=unit_of_measure,
        layout=layout,
        lab=tuple(order),
        value=tuple(float(v) for v in value_t),
        u=tuple(float(v) for v in u_t),
        dof=tuple(float(v) for v in dof_t),
        n=tuple(int(v) for v in n_t),
        sd=tuple(float(v) for v in sd_t),
        include=tuple(bool(v) for v in include_t),
        excluded=tuple(excluded),
        notes=tuple(notes),
        _replicates=reps,
        _where=where,
        clauses={"u": "ISO Guide 35:2017, 9.2: u_j = s_j/sqrt(n_j) for replicates"},
    )
