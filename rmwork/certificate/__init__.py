"""Uncertainty budget, coverage factor, rounding and certificate data of a CRM (GUM JCGM 100:2008;
ISO Guide 35:2017; ISO Guide 31:2015; JJF 1059.1-2012; JJF 1343-2022).

The certified value x_CRM carries the combined standard uncertainty
u_CRM = sqrt(u_char² + u_bb² + u_lts² + u_sts² + Σ u_extra²) (ISO Guide 35:2017, combination of the
characterization, between-unit, long-term and transport contributions by the law of propagation of
uncertainty, GUM 5.1.2). Its effective degrees of freedom follow Welch–Satterthwaite (GUM G.4.1,
Formula (G.2b)), the coverage factor the t distribution (GUM G.3, G.4.1, Table G.2) and U = k u_CRM
(GUM 6.2.1, Formula (18)). Certified value and U are rounded by one of four named rules:
``gum`` (GUM 7.2.6), ``jjf`` (JJF 1059.1-2012 with GB/T 8170-2008 for the value), ``din1333`` (as
eCerto implements DIN 1333) and ``none``. This is the only compute module that rounds (STYLE.md 7).

It also holds the reviewer checks shown next to the certificate, the period of validity and the
metadata items of the certificate (ISO Guide 31:2015; JJF 1186-2018 items as listed in
``shared/zh/GLOSSARY.md``). No matplotlib, no file I/O.
"""

from .budget import BudgetComponent, BudgetResult, Component, budget
from .certified import CertifiedValue, certify
from .checks import CHECK_STATUSES, STABILITY_SHARE_MAX, U_BB_RATIO_MAX, CheckItem, ChecksResult, checks
from .coverage import (
    DOF_RULE_DEFAULT,
    DOF_RULES,
    CoverageFactorResult,
    DofEffResult,
    coverage_factor,
    dof_eff,
)
from .metadata import CertificateMetadata
from .rounding import (
    ROUNDING_RULES,
    RoundedValue,
    round_certified,
    round_din1333,
    round_gum,
    round_jjf,
    round_none,
)
from .validity import ValidityPeriod, validity_period

__all__ = [
    "Component",
    "BudgetComponent",
    "BudgetResult",
    "budget",
    "DofEffResult",
    "dof_eff",
    "CoverageFactorResult",
    "coverage_factor",
    "RoundedValue",
    "round_gum",
    "round_jjf",
    "round_din1333",
    "round_none",
    "round_certified",
    "CertifiedValue",
    "certify",
    "CheckItem",
    "ChecksResult",
    "checks",
    "ValidityPeriod",
    "validity_period",
    "CertificateMetadata",
    "ROUNDING_RULES",
    "DOF_RULES",
    "DOF_RULE_DEFAULT",
    "CHECK_STATUSES",
    "U_BB_RATIO_MAX",
    "STABILITY_SHARE_MAX",
]
