"""Stability (ISO Guide 35:2017, clause 8 and Annex B.3; JJF 1343-2022; ICH Q1E; Arrhenius).

One module per procedure, as the standards are written:

============================  =================================================================
``trend``                     straight line on time, long-term ``regression`` and ``transport``
                              (ISO Guide 35:2017, 8.7.3 and B.3); bands of the line
``isochronous_design``        ``isochronous``: each test temperature against the reference
                              (ISO Guide 35:2017, clause 8; Lamberty et al. 1998)
``shelf_life``                ``shelf_life_prediction`` (band leaves mu_c +- U; ICH Q1E),
                              ``poolability`` (ICH Q1E B.2), ``shelf_life_suggestion`` (eCerto)
``accelerated``               ``arrhenius`` (rate constants against 1/T), ``arrhenius_joint``
                              (AccelStab zero-order model)
``monitoring``                ``monitoring_check`` (ERM Application Note 1),
                              ``monitoring_interval_check`` (x_c +- U only), ``monitoring_trend`` (eCerto LTS)
``bayesian``                  ``bayesian_trend``: Bayesian sensitivity analysis of u_lts
``adequacy``                  ``line_adequacy``: does the straight line fit (lack of fit; curvature
                              and runs of the residual signs), attached to every line as ``.adequacy``
``study``                     ``StabilityStudy``: every study of one analyte (``Workbook.stability()``)
============================  =================================================================

Time is in months throughout; :func:`months_from_dates` converts dates at 30.4375 days per
month (365.25/12, eCerto's ``calc_time_diff(exact = TRUE)``).  Temperatures are in degrees
Celsius in the data and converted to kelvin (+273.15) inside the Arrhenius functions.

Compute only: no file reading, no plotting, no rounding.
"""

from ._common import CLAUSES, DAYS_PER_MONTH, GAS_CONSTANT, KELVIN_OFFSET, by_analyte, months_from_dates
from .accelerated import ArrheniusJointResult, ArrheniusResult, arrhenius, arrhenius_joint
from .adequacy import CurvatureTest, LackOfFitTest, LineAdequacy, RunsTest, line_adequacy, runs_distribution
from .bayesian import BayesianTrendResult, bayesian_trend
from .isochronous_design import IsochronousResult, isochronous
from .monitoring import (
    MonitoringResult,
    MonitoringTrendResult,
    monitoring_check,
    monitoring_interval_check,
    monitoring_trend,
)
from .shelf_life import (
    PoolabilityResult,
    ShelfLifePredictionResult,
    ShelfLifeSuggestionResult,
    poolability,
    shelf_life_prediction,
    shelf_life_suggestion,
)
from .study import StabilityStudy
from .trend import StabilityRegressionResult, TransportResult, regression, transport

__all__ = [
    "CLAUSES",
    "DAYS_PER_MONTH",
    "GAS_CONSTANT",
    "KELVIN_OFFSET",
    "by_analyte",
    "months_from_dates",
    "ArrheniusJointResult",
    "ArrheniusResult",
    "arrhenius",
    "arrhenius_joint",
    "BayesianTrendResult",
    "bayesian_trend",
    "IsochronousResult",
    "isochronous",
    "MonitoringResult",
    "monitoring_check",
    "MonitoringTrendResult",
    "monitoring_interval_check",
    "monitoring_trend",
    "PoolabilityResult",
    "ShelfLifePredictionResult",
    "ShelfLifeSuggestionResult",
    "poolability",
    "shelf_life_prediction",
    "shelf_life_suggestion",
    "StabilityRegressionResult",
    "TransportResult",
    "regression",
    "transport",
    "StabilityStudy",
    "LineAdequacy",
    "LackOfFitTest",
    "CurvatureTest",
    "RunsTest",
    "line_adequacy",
    "runs_distribution",
]
