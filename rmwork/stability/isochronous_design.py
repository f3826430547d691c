"""Isochronous stability design (ISO Guide 35:2017, clause 8; Lamberty et al. 1998).

Every unit is measured at the end under repeatability conditions; units kept at the reference
temperature are the time-0 points of each test temperature's regression.

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _checks
from ..errors import InputError
from ..results import Result
from ._common import CLAUSES, _context, _require_columns, _where
from .trend import StabilityRegressionResult, _with_reference, regression

# ---------------------------------------------------------------------------------------------
# isochronous design


@dataclass(frozen=True, slots=True, kw_only=True)
class IsochronousResult(Result):
    """Isochronous study: one regression per test temperature (ISO Guide 35:2017, clause 8)."""

    analyte: str = ""
    unit_of_measure: str = ""
    reference_temperature: float
    n_reference: int
    mean_reference: float
    relative: bool  # values divided by mean_reference
    temperatures: tuple[float, ...]
    fits: Mapping[str, StabilityRegressionResult]  # key: f"{temperature:g}"
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for _key, fit in self.fits.items():
            row = {k: v for k, v in fit.to_dict().items() if not isinstance(v, (list, dict))}
            row["temperature"] = fit.temperature
            rows.append(row)
        return pd.DataFrame(rows)


def isochronous(
    df: pd.DataFrame,
    reference_temperature: float,
    *,
    time: str = "time",
    value: str = "value",
    temperature: str = "temperature",
    relative: bool = False,
    shelf_life: float | None = None,
    use_means: bool = False,
    alpha: float = 0.05,
    analyte: str = "",
    unit_of_measure: str = "",
    where: str | None = None,
) -> IsochronousResult:
    r"""Isochronous stability study: regression per test temperature against the reference (ISO Guide 35:2017, clause 8 and B.3).

    Every unit is measured at the end under repeatability conditions; units kept at the
    reference temperature (where the material is taken as stable) are the time-0 points of
    each test temperature's regression.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``time`` (months at the test temperature), ``value``, ``temperature`` (degC).
    reference_temperature : float
        The reference (e.g. -70 degC); its rows enter every fit at time 0.
    relative : bool
        Divide every value by the mean of the reference results (unit "1") first.
    shelf_life : float, optional
        t_shelf for u_lts per temperature.

    Returns
    -------
    IsochronousResult
        ``fits``: a :class:`StabilityRegressionResult` per test temperature (key ``f"{T:g}"``).

    Notes
    -----
    For each test temperature T: :math:`y = b_0 + b_1 t` fitted to the rows at T plus the
    reference rows at t = 0.  With ``relative`` the values are :math:`y/\bar y_{ref}`.

    Validated by hand (by-hand regression of the selected rows): ``tests/test_stability.py``.

    References
    ----------
    .. [1] A. Lamberty, H. Schimmel, J. Pauwels, "The study of the stability of reference
           materials by isochronous measurements", Fresenius J. Anal. Chem. 360 (1998) 359-361.
    """
    where = _where(df, where)
    _require_columns(df, [temperature, value], where)
    analyte, unit_of_measure = _context(df, analyte, unit_of_measure, where)
    temps = pd.to_numeric(df[temperature], errors="coerce")
    ref_mask = np.isclose(temps, float(reference_temperature))
    if not ref_mask.any():
        raise InputError(
            f"no results at the reference temperature {reference_temperature:g} degC",
            file=where,
            column=temperature,
            hint="add the reference samples",
        )
    ref_vals = _checks.require_finite_array(df.loc[ref_mask, value], what=f"column '{value}'", where=where)
    mean_ref = float(ref_vals.mean())
    notes = [
        f"reference: {ref_mask.sum()} results at {reference_temperature:g} degC enter every fit at time 0"
    ]
    work = df.copy()
    if relative:
        if mean_ref == 0:
            raise InputError("the mean of the reference results is 0", file=where, hint="use relative=False")
        work[value] = work[value] / mean_ref
        unit_of_measure = "1"
        notes.append(f"values divided by the reference mean {mean_ref:.6g}: slopes are relative per month")
    tests_t = sorted(float(x) for x in temps[~ref_mask].dropna().unique())
    _checks.require_at_least(
        len(tests_t),
        1,
        what="test temperature besides the reference",
        formula="isochronous design",
        where=where,
    )
    fits = {}
    for T in tests_t:
        sub = _with_reference(work, T, reference_temperature, temperature, time, [], where)
        sub = sub.assign(**{temperature: T})
        fits[f"{T:g}"] = regression(
            sub,
            time,
            value,
            shelf_life,
            use_means=use_means,
            alpha=alpha,
            analyte=analyte,
            unit_of_measure=unit_of_measure,
            where=f"{where or 'data'}, {T:g} degC",
        )
    return IsochronousResult(
        analyte=analyte,
        unit_of_measure=unit_of_measure,
        reference_temperature=float(reference_temperature),
        n_reference=int(ref_mask.sum()),
        mean_reference=mean_ref,
        relative=bool(relative),
        temperatures=tuple(tests_t),
        fits=fits,
        notes=tuple(notes),
        clauses=CLAUSES,
    )
