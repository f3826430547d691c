"""Advisory screening of laboratory results (ISO 5725-2:2019, 7.3; eCerto Tables C1/C2).

Grubbs, Dixon, Cochran's C, Mandel's h and k, Scheffé, normality and Cochran's Q on the
included laboratories, from :mod:`rmwork.outliers`. Nothing is removed. Compute only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import outliers
from ..errors import InputError
from ..results import Result
from .labs import LabSummary, lab_summary


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreeningResult(Result):
    """Advisory screening of laboratory results (ISO 5725-2:2019, 7.3; eCerto Tables C1/C2)."""

    analyte: str = ""
    n_labs: int
    labs: tuple[str, ...]
    rows: tuple[dict, ...]  # per-lab: means, SD, letters and p-values
    flags: tuple[str, ...]  # sentences: which lab, which test, which level
    grubbs: object = None
    grubbs_double: object = None
    dixon: object = None
    cochran: object = None
    mandel_h: object = None
    mandel_k: object = None
    scheffe: object = None
    normality: object = None
    cochran_q: object = None
    alpha: float = 0.05
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows))


def _try(notes: list, name: str, fn: Callable, *args, **kw):
    try:
        return fn(*args, **kw)
    except InputError as e:
        notes.append(f"{name} not applied: {e}")
        return None


def screen(
    data,
    lab: str = "lab",
    value: str = "value",
    u: str = "u",
    dof: str = "dof",
    include: str = "include",
    *,
    alpha: float = 0.05,
    seed: int = outliers.DEFAULT_SEED,
    n_sim: int = outliers.N_SIM,
    analyte: str | None = None,
    exclude: Mapping[str, str] | None = None,
) -> ScreeningResult:
    r"""Advisory outlier and consistency screening of the included labs (ISO 5725-2:2019, 7.3).

    Runs on the laboratory means: Grubbs single and double, Dixon, Mandel's h, normality
    (Shapiro-Wilk, Kolmogorov-Smirnov, skewness, kurtosis) and Cochran's Q with I^2 (when u is
    known); on replicates, where the table has them: Cochran's C (repeated), Mandel's k and the
    Scheffé letter groups. Nothing is removed: the result lists flags for the analyst.

    Parameters
    ----------
    data : pandas.DataFrame or LabSummary
        Characterization table of one analyte (see :func:`lab_summary`) or its summary.
    lab, value, u, dof, include : str
        Column names.
    alpha : float
        Level of the flags (ISO 5725-2 words: straggler at 5 %, outlier at 1 %).
    seed, n_sim : int
        Seed and size of the simulated Dixon and double-Grubbs null distributions.
    analyte : str, optional
        Analyte to select when the table holds several.
    exclude : mapping of lab -> reason, optional

    Returns
    -------
    ScreeningResult
        Per-lab ``rows`` (``to_frame()``), ``flags`` and every test's result.

    Raises
    ------
    InputError
        As :func:`lab_summary`; a test that does not apply (too few labs, no replicates) is
        skipped with a note instead.

    Notes
    -----
    Excluded labs are not screened (eCerto removes filtered labs before its Table C1). See the
    functions of :mod:`rmwork.outliers` for each statistic and its p-value convention.

    Validated against eCerto SR3 (Si): ``tests/test_characterization.py``.
    """
    s = (
        data
        if isinstance(data, LabSummary)
        else lab_summary(
            data, lab=lab, value=value, u=u, dof=dof, include=include, exclude=exclude, analyte=analyte
        )
    )
    inc = np.asarray(s.include, bool)
    labs_in = [name for name, f in zip(s.lab, inc) if f]
    means = np.asarray(s.value, float)[inc]
    notes: list[str] = []
    if (~inc).any():
        notes.append("excluded labs are not screened: " + ", ".join(n for n, f in zip(s.lab, inc) if not f))
    g = _try(notes, "Grubbs' test", outliers.grubbs, means, labs_in, alpha=alpha)
    g2 = _try(
        notes,
        "the double Grubbs test",
        outliers.grubbs_double,
        means,
        labs_in,
        alpha=alpha,
        n_sim=n_sim,
        seed=seed,
    )
    dx = _try(notes, "Dixon's test", outliers.dixon, means, labs_in, alpha=alpha, n_sim=n_sim, seed=seed)
    mh = _try(notes, "Mandel's h", outliers.mandel_h, means, labs_in)
    nm = _try(notes, "normality tests", outliers.normality, means, labs_in)
    uu = np.asarray(s.u, float)[inc]
    cq = None
    if np.all(np.isfinite(uu) & (uu > 0)):
        cq = _try(notes, "Cochran's Q", outliers.cochran_q, means, uu, labs_in)
    else:
        notes.append("Cochran's Q not applied: a lab has no usable u (u = 0 or missing)")
    cc = mk = sch = None
    if s.layout == "replicates" and s._replicates is not None:
        reps = s._replicates[s._replicates["lab"].isin(labs_in)]
        sd = np.asarray(s.sd, float)[inc]
        nn = np.asarray(s.n, float)[inc]
        cc = _try(notes, "Cochran's C", outliers.cochran, sd**2, nn, labs_in, alpha=alpha)
        mk = _try(notes, "Mandel's k", outliers.mandel_k, sd, nn, labs_in)
        sch = _try(notes, "Scheffé's comparison", outliers.scheffe, reps["value"], reps["lab"])
    else:
        notes.append("one row per lab: Cochran's C, Mandel's k and Scheffé need replicates")
    rows = []
    for i, name in enumerate(labs_in):
        row = {
            "lab": name,
            "n": s.n[s.lab.index(name)],
            "mean": float(means[i]),
            "sd": s.sd[s.lab.index(name)],
            "u": float(uu[i]),
        }
        if sch is not None:
            j = sch.labs.index(name)
            row["scheffe_05"], row["scheffe_01"] = sch.groups_05[j], sch.groups_01[j]
        row["dixon_p"] = (
            (dx.p_value_low if name == dx.lab_low else dx.p_value_high if name == dx.lab_high else math.nan)
            if dx
            else math.nan
        )
        row["grubbs_p"] = (
            (g.p_value_low if name == g.lab_low else g.p_value_high if name == g.lab_high else math.nan)
            if g
            else math.nan
        )
        row["grubbs2_p"] = (
            (g2.p_value_low if name in g2.labs_low else g2.p_value_high if name in g2.labs_high else math.nan)
            if g2
            else math.nan
        )
        row["cochran_p"] = (
            next((r["p_value"] for r in cc.rounds if r["lab"] == name), math.nan) if cc else math.nan
        )
        row["mandel_h"] = mh.values[i] if mh else math.nan
        row["mandel_k"] = mk.values[i] if mk else math.nan
        rows.append(row)
    flags = []
    if g:
        for name, p2 in ((g.lab_low, min(1, 2 * g.p_value_low)), (g.lab_high, min(1, 2 * g.p_value_high))):
            if p2 <= alpha:
                flags.append(f"lab '{name}': Grubbs {outliers._level(p2) or 'flag'} (p = {p2:.3g})")
    if g2 and g2.flagged:
        flags.append(f"labs {', '.join(g2.flagged)}: double Grubbs flag")
    if dx and dx.flagged:
        flags.append(f"lab(s) {', '.join(dx.flagged)}: Dixon {dx.ratio} flag")
    if cc:
        for r in cc.rounds:
            if r["lab"] in cc.flagged:
                flags.append(f"lab '{r['lab']}': Cochran C {r['level'] or 'flag'} (p = {r['p_value']:.3g})")
    if mh and mh.flagged:
        flags.append(f"lab(s) {', '.join(mh.flagged)}: Mandel h beyond the 1 % limit")
    if mk and mk.flagged:
        flags.append(f"lab(s) {', '.join(mk.flagged)}: Mandel k beyond the 1 % limit")
    if nm and nm.shapiro_p < alpha:
        flags.append(f"lab means not normal by Shapiro-Wilk (p = {nm.shapiro_p:.3g})")
    if cq and cq.p_value < alpha:
        flags.append(
            f"results inconsistent with their uncertainties: Cochran's Q p = {cq.p_value:.3g}, "
            f"I² = {100 * cq.i2:.3g} %"
        )
    return ScreeningResult(
        analyte=s.analyte,
        n_labs=len(labs_in),
        labs=tuple(labs_in),
        rows=tuple(rows),
        flags=tuple(flags),
        grubbs=g,
        grubbs_double=g2,
        dixon=dx,
        cochran=cc,
        mandel_h=mh,
        mandel_k=mk,
        scheffe=sch,
        normality=nm,
        cochran_q=cq,
        alpha=alpha,
        notes=tuple(notes),
        clauses={"screening": "ISO 5725-2:2019, 7.3 (advisory; nothing removed)"},
    )
