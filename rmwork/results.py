"""Result base class shared by every study (STYLE.md section 2).

Every public compute function returns a frozen, keyword-only dataclass derived from
:class:`Result`, with ``to_dict()`` (JSON-ready: numpy scalars to float, NaN to None,
tuples to lists) and ``to_frame()`` (a one-row DataFrame).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, NamedTuple

import numpy as np


class ConfidenceInterval(NamedTuple):
    low: float
    high: float


def plain(value: Any) -> Any:
    """Convert a value to plain JSON types: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, Result):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value) if not f.name.startswith("_")}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """Base of every rmwork result: immutable, keyword-built, JSON-ready."""

    def to_dict(self) -> dict:
        return {
            f.name: plain(getattr(self, f.name))
            for f in fields(self)
            if not f.name.startswith("_") and f.name != "clauses"
        }

    def to_frame(self):
        import pandas as pd

        row = {k: v for k, v in self.to_dict().items() if not isinstance(v, (list, dict))}
        return pd.DataFrame([row])


# Every result class, re-exported for the documentation (lazily: the study modules import this one)
_RESULT_MODULES = {
    "homogeneity": ("HomogeneityResult", "SufficientHomogeneityResult", "TrendResult", "HomogeneityStudy"),
    "stability": (
        "StabilityRegressionResult",
        "TransportResult",
        "IsochronousResult",
        "ShelfLifePredictionResult",
        "PoolabilityResult",
        "ShelfLifeSuggestionResult",
        "ArrheniusResult",
        "ArrheniusJointResult",
        "MonitoringResult",
        "MonitoringTrendResult",
        "BayesianTrendResult",
        "StabilityStudy",
        "LineAdequacy",
        "LackOfFitTest",
        "CurvatureTest",
        "RunsTest",
    ),
    "characterization": (
        "LabSummary",
        "ConsensusResult",
        "DoEResult",
        "BilateralDoEResult",
        "ScreeningResult",
        "Recommendation",
        "CharacterizationStudy",
    ),
    "outliers": (
        "GrubbsResult",
        "GrubbsDoubleResult",
        "DixonResult",
        "CochranResult",
        "MandelResult",
        "ScheffeResult",
        "NormalityResult",
        "CochranQResult",
    ),
    "robust": ("AlgorithmAResult", "RobustStatistics"),
    "certificate": (
        "BudgetComponent",
        "BudgetResult",
        "DofEffResult",
        "CoverageFactorResult",
        "RoundedValue",
        "CertifiedValue",
        "CheckItem",
        "ChecksResult",
        "ValidityPeriod",
    ),
    "certificate.entry": ("CertificateEntry",),
    "certificate.validity": ("ValidityAssessment",),
    "bayes": ("BayesFit", "HierarchicalFit", "RandomEffectsFit", "TrendFit", "Diagnostics"),
    "drmd": ("DrmdValidation",),
    "proficiency": (
        "AssignedValue",
        "SigmaPt",
        "UncertaintyCheck",
        "ParticipantScore",
        "ItemStability",
        "ItemAssessment",
        "ProficiencyRound",
    ),
    "verification": ("CertifiedEntry", "LabResult", "VerificationResult"),
    "comparison": ("Certificate",),
    "signing.check": ("SignatureCheck", "FolderSignatures"),
    "signing.xmldsig": ("CertificateCheck",),
}


def __getattr__(name):
    import importlib

    for module, names in _RESULT_MODULES.items():
        if name in names:
            return getattr(importlib.import_module(f"rmwork.{module}"), name)
    raise AttributeError(f"module 'rmwork.results' has no attribute {name!r}")
