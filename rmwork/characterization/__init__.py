"""Characterization of a reference material from interlaboratory results (ISO Guide 35:2017, clause 9).

One module per procedure, as the Guide is written:

- :mod:`.labs` -- the laboratory summary of a characterization table (9.2, one row per
  laboratory or replicate rows);
- :mod:`.estimators` -- the consensus value and u_char (9.3-9.5; JJF 1343-2022 6.3) by the
  estimators of the NIST Consensus Builder (Koepke et al. 2017), one function per estimator;
- :mod:`.equivalence` -- unilateral degrees of equivalence with leave-one-out differences and
  the bilateral ones (CIPM MRA; NICOB);
- :mod:`.screening` -- the advisory screening of :mod:`rmwork.outliers`;
- :mod:`.recommendation` -- a method-choice aid in the spirit of the NIST Decision Tree
  (Possolo et al. 2021);
- :mod:`.studies` -- all of these for one analyte, as one typed result;
- :mod:`.methods` -- the one list of method names and the shared constants.

Every public name is importable from here (CONTRACT.md). Compute only: no rounding, no
plotting, no file reading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from ..errors import InputError
from .equivalence import (
    BilateralDoEResult,
    DoEResult,
    bilateral_degrees_of_equivalence,
    degrees_of_equivalence,
)
from .estimators import FITS, INTERVALS, ConsensusResult, consensus
from .estimators import _dl_bootstrap as _dl_bootstrap  # the array cores, for tests that reach into them
from .estimators import _dl_core as _dl_core
from .estimators import _pm_core as _pm_core
from .labs import LabSummary, lab_summary
from .methods import ALPHA_Q, CLAUSES, COMPARE_METHODS, DOF_INFINITE, METHOD_CLAUSES, METHODS, N_BOOT, N_POOL
from .recommendation import Recommendation, recommend
from .screening import ScreeningResult, screen
from .studies import CharacterizationStudy, study, why_not_characterized

__all__ = [
    "METHODS",
    "COMPARE_METHODS",
    "INTERVALS",
    "FITS",
    "ALPHA_Q",
    "CLAUSES",
    "DOF_INFINITE",
    "METHOD_CLAUSES",
    "N_BOOT",
    "N_POOL",
    "LabSummary",
    "lab_summary",
    "ConsensusResult",
    "consensus",
    "DoEResult",
    "degrees_of_equivalence",
    "BilateralDoEResult",
    "bilateral_degrees_of_equivalence",
    "ScreeningResult",
    "screen",
    "Recommendation",
    "recommend",
    "by_analyte",
    "CharacterizationStudy",
    "study",
    "why_not_characterized",
]


def by_analyte(
    func: Callable,
    df: pd.DataFrame,
    *,
    analyte: str = "analyte",
    lab: str = "lab",
    value: str = "value",
    u: str = "u",
    dof: str = "dof",
    include: str = "include",
    exclude: Mapping[str, Mapping[str, str]] | None = None,
    **kwargs,
) -> dict:
    """Apply a characterization function to every analyte of a long table (ISO Guide 35:2017, 9).

    Parameters
    ----------
    func : callable
        :func:`lab_summary`, :func:`screen`, :func:`consensus`, :func:`degrees_of_equivalence` or
        :func:`recommend` (the last three receive each analyte's :class:`LabSummary`).
    df : pandas.DataFrame
        Characterization table with an analyte column.
    analyte, lab, value, u, dof, include : str
        Column names.
    exclude : mapping analyte -> {lab: reason}, optional
        Labs to keep out of each analyte's value.
    **kwargs
        Passed to ``func`` (e.g. ``method=``, ``seed=``).

    Returns
    -------
    dict
        Analyte name -> result, in the table's order.

    Raises
    ------
    InputError
        The analyte column is missing, or as ``func``.

    Examples
    --------
    >>> from rmwork.testing import reference
    >>> res = by_analyte(lab_summary, reference("characterization_ecerto_sr3_si"))
    >>> list(res)
    ['Si']
    """
    where = df.attrs.get("file") if hasattr(df, "attrs") else None
    if analyte not in df.columns:
        raise InputError(
            f"required column '{analyte}' is missing",
            file=where,
            hint="add an analyte column or call the function on the table directly",
        )
    out: dict[str, object] = {}
    for name in dict.fromkeys(df[analyte].astype(str)):
        sub = df[df[analyte].astype(str) == name].copy()
        sub.attrs = dict(df.attrs)
        excl = (exclude or {}).get(name)
        cols = dict(lab=lab, value=value, u=u, dof=dof, include=include)
        if func is lab_summary:
            out[name] = lab_summary(sub, **cols, exclude=excl, analyte=name)
        elif func is screen:
            out[name] = screen(
                sub, lab=lab, value=value, u=u, dof=dof, include=include, exclude=excl, analyte=name, **kwargs
            )
        else:
            out[name] = func(lab_summary(sub, **cols, exclude=excl, analyte=name), **kwargs)
    return out


# Public names live here (CONTRACT.md): say so to help(), pickle and the style checks, as numpy's
# set_module does, although each is defined in the module of its procedure.
for _name in __all__:
    _obj = globals()[_name]
    if callable(_obj):
        _obj.__module__ = __name__
del _name, _obj
