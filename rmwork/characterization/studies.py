"""Everything the characterization section reports for one analyte (ISO Guide 35:2017, clause 9).

:func:`study` runs, for one analyte, the laboratory summary (9.2), the advisory screening
(ISO 5725-2, 7.3), the consensus value with u_char (9.5), the degrees of equivalence (CIPM
MRA-D-05) and the method-choice aid, and returns one typed :class:`CharacterizationStudy`;
its ``to_dict()`` is the analyte's ``characterization`` entry of results.json.
Compute only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from ..results import Result
from .equivalence import BilateralDoEResult, DoEResult, bilateral_degrees_of_equivalence, degrees_of_equivalence
from .estimators import ConsensusResult, consensus
from .labs import LabSummary, lab_summary
from .recommendation import Recommendation, recommend
from .screening import ScreeningResult, screen

# the keys of the dict each analyte used to be, for code that still reads them by key
_LEGACY_KEYS = {"summary": "summary", "consensus": "consensus", "doe": "doe", "screening": "screening",
                "recommendation": "recommendation", "bilateral": "bilateral", "frame": "_frame"}


@dataclass(frozen=True, slots=True, kw_only=True)
class CharacterizationStudy(Result):
    """Characterization of one analyte: lab summary, screening, consensus, DoE, recommendation
    (ISO Guide 35:2017, clause 9)."""

    analyte: str
    unit_of_measure: str = ""
    summary: LabSummary
    screening: ScreeningResult
    consensus: ConsensusResult
    doe: DoEResult
    bilateral: BilateralDoEResult
    recommendation: Recommendation
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _frame: object = field(default=None, repr=False, compare=False)    # the analyte's data rows

    # what a certificate reads
    @property
    def value(self) -> float:
        return self.consensus.value

    @property
    def u(self) -> float:
        """u_char, the standard uncertainty of the consensus value."""
        return self.consensus.u

    @property
    def dof(self) -> float:
        return self.consensus.dof

    @property
    def method(self) -> str:
        return self.consensus.method

    @property
    def frame(self) -> pd.DataFrame | None:
        return self._frame

    def __getitem__(self, key: str):
        """Old dict access (``study["consensus"]``), kept for notebooks written against it."""
        return getattr(self, _LEGACY_KEYS[key])

    def to_dict(self) -> dict:
        d = self.consensus.to_dict()
        d["labs_table"] = self.summary.to_frame().to_dict(orient="list")
        d["degrees_of_equivalence"] = self.doe.to_dict()
        d["bilateral_degrees_of_equivalence"] = self.bilateral.to_dict()
        d["screening"] = self.screening.to_dict()
        d["recommendation"] = self.recommendation.to_dict()
        return d

    def __str__(self) -> str:
        r = self.consensus
        unit = f" {self.unit_of_measure}" if self.unit_of_measure else ""
        return (f"CharacterizationStudy {self.analyte}: {r.method}, {r.value:.6g}{unit}, "
                f"u_char = {r.u:.3g}{unit}, {r.n_labs} labs")


def study(df: pd.DataFrame, *, analyte: str, method: str = "dersimonian-laird", seed: int | None = None,
          exclude: Mapping[str, str] | None = None, unit_of_measure: str = "", knapp_hartung: bool = False,
          interval: str | None = None, interval_reason: str = "", alpha: float = 0.05,
          bayes_settings=None) -> CharacterizationStudy:
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
    """
    summ = lab_summary(df, exclude=exclude, analyte=analyte, unit_of_measure=unit_of_measure)
    x, u, dof = list(summ.value), list(summ.u), list(summ.dof)
    kw = dict(labs=list(summ.lab), include=list(summ.include))
    res = consensus(x, u, dof, method=method, seed=seed, knapp_hartung=knapp_hartung, interval=interval,
                    interval_reason=interval_reason,
                    bayes_settings=bayes_settings, analyte=analyte, unit_of_measure=summ.unit_of_measure, **kw)
    doe = degrees_of_equivalence(x, u, res, dof=dof, method=method, seed=seed, **kw)
    scr = screen(df, alpha=alpha, seed=seed, analyte=analyte, exclude=exclude)
    rec = recommend(x, u, dof, seed=seed, bayes_settings=bayes_settings, **kw)
    bil = bilateral_degrees_of_equivalence(x, u, labs=list(summ.lab), analyte=analyte)
    return CharacterizationStudy(analyte=analyte, unit_of_measure=summ.unit_of_measure, summary=summ,
                                 screening=scr, consensus=res, doe=doe, bilateral=bil, recommendation=rec,
                                 clauses={"study": "ISO Guide 35:2017, clause 9"}, _frame=df)
