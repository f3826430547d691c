"""Everything the characterization section reports for one analyte (ISO Guide 35:2017, clause 9).

:func:`study` runs, for one analyte, the laboratory summary (9.2), the advisory screening
(ISO 5725-2, 7.3), the consensus value with u_char (9.5), the degrees of equivalence (CIPM
MRA-D-05) and the method-choice aid, and returns one typed :class:`CharacterizationStudy`;
its ``to_dict()`` is the analyte's ``characterization`` entry of results.json.
Compute only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .. import outliers
from ..results import Result
from .equivalence import (
    BilateralDoEResult,
    DoEResult,
    bilateral_degrees_of_equivalence,
    degrees_of_equivalence,
)
from .estimators import ConsensusResult, consensus
from .labs import LabSummary, lab_summary
from .recommendation import Recommendation, recommend
from .screening import ScreeningResult, screen

# the keys of the dict each analyte used to be, for code that still reads them by key
_LEGACY_KEYS = {
    "summary": "summary",
    "consensus": "consensus",
    "doe": "doe",
    "screening": "screening",
    "recommendation": "recommendation",
    "bilateral": "bilateral",
    "frame": "_frame",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CharacterizationStudy(Result):
    """Characterization of one analyte: lab summary, screening, consensus, DoE, recommendation
    (ISO Guide 35:2017, clause 9). When the analyte cannot be characterized, ``reason`` says why
    and only ``summary`` is set: the certificate withholds the analyte."""

    analyte: str
    unit_of_measure: str = ""
    method: str  # the lot's estimator
    summary: LabSummary
    reason: str = ""  # why not characterized ("" when it is)
    screening: ScreeningResult | None = None
    consensus: ConsensusResult | None = None
    doe: DoEResult | None = None
    bilateral: BilateralDoEResult | None = None
    recommendation: Recommendation | None = None
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _frame: object = field(default=None, repr=False, compare=False)  # the analyte's data rows

    @property
    def characterized(self) -> bool:
        return self.consensus is not None

    @property
    def status(self) -> str:
        return "characterized" if self.characterized else "not characterized"

    # what a certificate reads (None when not characterized: never a number that is not there)
    @property
    def value(self) -> float | None:
        return self.consensus.value if self.consensus is not None else None

    @property
    def u(self) -> float | None:
        """u_char, the standard uncertainty of the consensus value."""
        return self.consensus.u if self.consensus is not None else None

    @property
    def dof(self) -> float | None:
        return self.consensus.dof if self.consensus is not None else None

    @property
    def dof_source(self) -> str:
        return self.consensus.dof_source if self.consensus is not None else ""

    @property
    def frame(self) -> pd.DataFrame | None:
        return self._frame

    def __getitem__(self, key: str):
        """Old dict access (``study["consensus"]``), kept for notebooks written against it."""
        return getattr(self, _LEGACY_KEYS[key])

    def to_dict(self) -> dict:
        labs = self.summary.to_frame().to_dict(orient="list")
        if not self.characterized:
            return {
                "status": self.status,
                "reason": self.reason,
                "method": self.method,
                "n_labs": sum(self.summary.include),
                "labs_table": labs,
                "excluded": [list(e) for e in self.summary.excluded],
                "notes": list(self.notes),
            }
        # characterized: study() sets the consensus together with every part below
        assert self.consensus is not None and self.doe is not None and self.bilateral is not None
        assert self.screening is not None and self.recommendation is not None
        d = self.consensus.to_dict()
        d["status"] = self.status
        d["labs_table"] = labs
        d["degrees_of_equivalence"] = self.doe.to_dict()
        d["bilateral_degrees_of_equivalence"] = self.bilateral.to_dict()
        d["screening"] = self.screening.to_dict()
        d["recommendation"] = self.recommendation.to_dict()
        return d

    def __str__(self) -> str:
        if not self.characterized:
            return f"CharacterizationStudy {self.analyte}: not characterized: {self.reason}"
        r = self.consensus
        assert r is not None  # characterized
        unit = f" {self.unit_of_measure}" if self.unit_of_measure else ""
        return (
            f"CharacterizationStudy {self.analyte}: {r.method}, {r.value:.6g}{unit}, "
            f"u_char = {r.u:.3g}{unit} (ν {r.dof:g}), {r.n_labs} labs"
        )


def why_not_characterized(summary: LabSummary, method: str) -> str:
    """The reason an analyte cannot be characterized from its labs, or "" (ISO Guide 35:2017, 9.5).

    A consensus value needs at least two laboratories in it (9.5), and the estimators that use
    the labs' u (every one but the mean of lab means, and the checks of all) need u > 0.
    """
    from ..certificate.reasons import join, reason  # the texts (en, zh) of every withholding reason

    s, a = summary, summary.analyte
    labs_in = [name for name, f in zip(s.lab, s.include) if f]
    if len(s.lab) == 1:
        return reason("characterized.one_lab", analyte=a, lab=s.lab[0])
    if not labs_in:
        why = join(reason("characterized.excluded_lab", lab=lab, why=r) for lab, r in s.excluded)
        return reason("characterized.all_excluded", analyte=a, why=why)
    if len(labs_in) == 1:
        return reason("characterized.one_left", analyte=a, lab=labs_in[0])
    zero = [name for name, u, f in zip(s.lab, s.u, s.include) if f and u == 0]
    if zero:
        what = reason("zero_u.replicates" if s.layout == "replicates" else "zero_u.table")
        return reason("characterized.zero_u", analyte=a, lab=zero[0], what=what, method=method)
    return ""


def study(
    df: pd.DataFrame,
    *,
    analyte: str,
    method: str = "dersimonian-laird",
    seed: int | None = None,
    exclude: Mapping[str, str] | None = None,
    unit_of_measure: str = "",
    knapp_hartung: bool = False,
    interval: str | None = None,
    interval_reason: str = "",
    alpha: float = 0.05,
    bayes_settings=None,
) -> CharacterizationStudy:
    """Complete characterization of one analyte from its table (ISO Guide 35:2017, clause 9).

    Parameters
    ----------
    df : pandas.DataFrame
        The analyte's rows of the characterization table (see :func:`lab_summary`).
    analyte, unit_of_measure : str
        Labels of the results.
    method, seed, knapp_hartung, interval, interval_reason, bayes_settings
        As in :func:`consensus` (the lot's ``characterization.method``, ``.interval`` and ``seed``).
    exclude : mapping of lab -> reason, optional
        The lot's ``characterization.exclude`` for this analyte.
    alpha : float
        Level of the screening flags.

    Returns
    -------
    CharacterizationStudy
        With ``reason`` and only the lab summary when the analyte cannot be characterized (one
        laboratory, every laboratory excluded, a laboratory in the value with u = 0): the lot
        goes on with the other analytes. Excluded laboratories take part in no check (screening,
        Cochran's Q, recommendation) and still get degrees of equivalence.
    """
    summ = lab_summary(df, exclude=exclude, analyte=analyte, unit_of_measure=unit_of_measure)
    reason = why_not_characterized(summ, method)
    if reason:
        return CharacterizationStudy(
            analyte=analyte,
            unit_of_measure=summ.unit_of_measure,
            method=method,
            summary=summ,
            reason=reason,
            notes=summ.notes,
            _frame=df,
            clauses={"reason": "ISO Guide 35:2017, 9.5"},
        )
    # the summary itself goes in, so the excluded labs keep their reasons in every result
    res = consensus(
        summ,
        method=method,
        seed=seed,
        knapp_hartung=knapp_hartung,
        interval=interval,
        interval_reason=interval_reason,
        bayes_settings=bayes_settings,
        analyte=analyte,
        unit_of_measure=summ.unit_of_measure,
    )
    doe = degrees_of_equivalence(summ, result=res, method=method, seed=seed)
    # the simulated screening p-values (Dixon, double Grubbs) need a seed: the lot's, else the fixed
    # default that keeps them reproducible (outliers.DEFAULT_SEED)
    scr = screen(summ, alpha=alpha, seed=outliers.DEFAULT_SEED if seed is None else seed)
    rec = recommend(summ, seed=seed, bayes_settings=bayes_settings)
    bil = bilateral_degrees_of_equivalence(summ.value, summ.u, labs=list(summ.lab), analyte=analyte)
    return CharacterizationStudy(
        analyte=analyte,
        unit_of_measure=summ.unit_of_measure,
        method=method,
        summary=summ,
        screening=scr,
        consensus=res,
        doe=doe,
        bilateral=bil,
        recommendation=rec,
        clauses={"study": "ISO Guide 35:2017, clause 9"},
        _frame=df,
    )
