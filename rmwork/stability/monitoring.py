"""Post-certification monitoring against the certified value (ERM Application Note 1 (2010); ISO Guide 35:2017, clause 8).

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _checks
from ..results import Result
from ._common import CLAUSES

# ---------------------------------------------------------------------------------------------
# post-certification monitoring


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringResult(Result):
    """Post-certification monitoring against the certified value (ERM Application Note 1)."""

    analyte: str = ""
    certified_value: float
    u_c: float  # standard uncertainty of the certified value
    k: float
    n_points: int
    measured: tuple[float, ...]
    u_m: tuple[float, ...]
    d: tuple[float, ...]  # measured - certified
    U_d: tuple[float, ...]  # k sqrt(u_c^2 + u_m^2)
    passed: tuple[bool, ...]  # |d| <= U_d
    all_passed: bool
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"measured": self.measured, "u_m": self.u_m, "d": self.d, "U_d": self.U_d, "passed": self.passed}
        )


def monitoring_check(
    certified_value: float, u_c: float, measured, u_m, k: float = 2.0, *, analyte: str = ""
) -> MonitoringResult:
    r"""Compare monitoring results with the certified value (ERM Application Note 1 (2010); ISO Guide 35:2017, clause 8).

    Parameters
    ----------
    certified_value, u_c : float
        mu_c and its standard uncertainty (u_CRM).
    measured, u_m : float or sequence
        Monitoring results and their standard uncertainties (a scalar u_m applies to all).
    k : float
        Coverage factor (2).

    Returns
    -------
    MonitoringResult
        ``d``, ``U_d``, ``passed`` per result, ``all_passed``.

    Notes
    -----
    .. math::  |\mu_c - \mu_m| \le k \sqrt{u_c^2 + u_m^2}

    Validated by hand: ``tests/test_stability.py``.

    References
    ----------
    .. [1] T. Linsinger, ERM Application Note 1: Comparison of a measurement result with the
           certified value, European Commission JRC-IRMM (2010).
    """
    mc = float(_checks.require_finite_array([certified_value], what="certified_value")[0])
    uc = float(_checks.require_positive_array([u_c], what="u_c", allow_zero=True)[0])
    x = np.atleast_1d(_checks.require_finite_array(measured, what="measured"))
    um = np.atleast_1d(_checks.require_positive_array(u_m, what="u_m", allow_zero=True))
    if um.size == 1:
        um = np.full(x.size, float(um[0]))
    _checks.require_same_length(x, um, names=("measured", "u_m"))
    kk = float(_checks.require_positive_array([k], what="k")[0])
    d = x - mc
    U_d = kk * np.sqrt(uc**2 + um**2)
    passed = np.abs(d) <= U_d
    notes = (
        []
        if passed.all()
        else [
            f"{int((~passed).sum())} of {x.size} results differ from the "
            "certified value by more than U_d: investigate the stability"
        ]
    )
    return MonitoringResult(
        analyte=str(analyte),
        certified_value=mc,
        u_c=uc,
        k=kk,
        n_points=int(x.size),
        measured=tuple(x.tolist()),
        u_m=tuple(um.tolist()),
        d=tuple(d.tolist()),
        U_d=tuple(U_d.tolist()),
        passed=tuple(bool(p) for p in passed),
        all_passed=bool(passed.all()),
        notes=tuple(notes),
        clauses=CLAUSES,
    )
