"""One analyte's stability studies together (ISO Guide 35:2017, clause 8): the typed result a lot's
workbook returns for each analyte, and the one place the results.json ``stability`` entry is built.

Compute only: no file reading, no plotting, no rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results import Result, plain
from .accelerated import ArrheniusJointResult, ArrheniusResult
from .bayesian import BayesianTrendResult
from .isochronous_design import IsochronousResult
from .monitoring import MonitoringResult
from .trend import StabilityRegressionResult, TransportResult

# results that arrive after the study is built: the Bayesian sensitivity fit (from a background
# sampler) and the post-certification monitoring check (it needs the certified value)
_LATE = {"bayes": BayesianTrendResult, "monitoring": MonitoringResult}

# the keys of the dict this class replaces (read by report code written against it)
_LEGACY = {
    "long_term": "long_term",
    "frame": "long_term_data",
    "transport": "transport",
    "transport_frame": "transport_data",
    "isochronous": "isochronous",
    "accelerated": "accelerated",
    "accelerated_frame": "accelerated_data",
    "bayes": "bayes",
    "monitoring": "monitoring",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StabilityStudy(Result):
    """Every stability study of one analyte (ISO Guide 35:2017, clause 8 and B.3).

    Attributes
    ----------
    analyte, unit_of_measure : str
    long_term : StabilityRegressionResult or None
        The long-term regression (u_lts); ``long_term.adequacy`` says whether the line fits.
    transport : TransportResult or None
        The transport regression (u_sts); ``transport.adequacy`` likewise.
    isochronous : IsochronousResult or None
    accelerated : ArrheniusResult or ArrheniusJointResult or None
    bayes : BayesianTrendResult or None
        Bayesian sensitivity analysis of the long-term slope (never used on the certificate).
    monitoring : MonitoringResult or None
        Post-certification monitoring (attached once the certified value exists).
    long_term_data, transport_data, accelerated_data : pandas.DataFrame or None
        The rows each study fitted (for the figures); not part of :meth:`to_dict`.

    ``bayes`` and ``monitoring`` are attached once each (:meth:`attach`), because they arrive
    after the study is built; every other attribute is fixed at construction.
    """

    analyte: str
    unit_of_measure: str = ""
    long_term: StabilityRegressionResult | None = None
    transport: TransportResult | None = None
    isochronous: IsochronousResult | None = None
    accelerated: ArrheniusResult | ArrheniusJointResult | None = None
    long_term_data: object = field(default=None, repr=False, compare=False)
    transport_data: object = field(default=None, repr=False, compare=False)
    accelerated_data: object = field(default=None, repr=False, compare=False)
    _late: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def bayes(self) -> BayesianTrendResult | None:
        return self._late.get("bayes")

    @property
    def monitoring(self) -> MonitoringResult | None:
        return self._late.get("monitoring")

    def attach(self, name: str, result) -> None:
        """Attach a result that arrives later (``"bayes"`` or ``"monitoring"``), once."""
        if name not in _LATE or not isinstance(result, _LATE[name]):
            raise TypeError(f"StabilityStudy.attach: {name!r} takes a {_LATE.get(name, 'known name')}")
        if name in self._late:
            raise ValueError(f"StabilityStudy.attach: {name} of {self.analyte} is already attached")
        self._late[name] = result

    def lines(self) -> dict:
        """The straight-line fits of this analyte: {"long_term": ..., "transport": ...} (present only)."""
        return {
            k: r for k, r in (("long_term", self.long_term), ("transport", self.transport)) if r is not None
        }

    def to_dict(self) -> dict:
        """The analyte's results.json ``stability`` entry (a study not run is absent)."""
        out: dict = {}
        if self.long_term is not None:
            out["long_term"] = self.long_term.to_dict()
            if self.bayes is not None:
                out["long_term"]["bayes"] = self.bayes.to_dict()
        if self.isochronous is not None:
            out["isochronous"] = {k: v.to_dict() for k, v in self.isochronous.fits.items()}
        if self.transport is not None:
            out["transport"] = self.transport.to_dict()
        if self.accelerated is not None:
            out["accelerated"] = self.accelerated.to_dict()
        if self.monitoring is not None:
            out["monitoring"] = self.monitoring.to_dict()
        return plain(out)

    def __str__(self) -> str:
        parts = [
            f"{k}: slope {r.slope:.4g} per month, s(b1) {r.se_slope:.3g}, p {r.p_value:.3g}"
            for k, r in self.lines().items()
        ]
        parts += [k for k in ("isochronous", "accelerated", "bayes", "monitoring") if getattr(self, k)]
        return f"StabilityStudy {self.analyte} [{self.unit_of_measure}]: " + "; ".join(parts)

    # -- the dict view this class replaced (``study["long_term"]``, ``"frame" in study``) -------
    def __getitem__(self, key: str):
        value = getattr(self, _LEGACY[key]) if key in _LEGACY else None
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def keys(self) -> list[str]:
        return [k for k in _LEGACY if k in self]

    def items(self):
        return [(k, self[k]) for k in self.keys()]
