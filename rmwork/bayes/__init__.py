"""Bayesian models of certification studies (PyMC models sampled with nutpie).

* :func:`hierarchical` -- NIST Consensus Builder hierarchical Gauss / Laplace consensus
  (Koepke et al., Metrologia 54 (2017) S34);
* :func:`random_effects` -- one-way random-effects homogeneity model (ISO Guide 35:2017, clause 7);
* :func:`linear_trend` -- linear stability model (ISO Guide 35:2017, B.3);
* :func:`diagnose` -- the convergence gate (Vehtari et al. 2021);
* :class:`SamplerSettings`, :class:`BayesFit`, :class:`Diagnostics`.

Layout (STYLE.md section 6): ``models.py`` builds ``pm.Model`` objects and fits them,
``sampling.py`` compiles each model structure once per process and samples, ``diagnostics.py``
gates the fit.  Importing this package does not import PyMC, PyTensor, nutpie or ArviZ (seconds
of start-up); they are imported by the first fit.
"""

from .diagnostics import ESS_BULK_MIN, ESS_TAIL_MIN, MAX_DIVERGENT, RHAT_MAX, Diagnostics, diagnose
from .models import (
    EFFECTS,
    HierarchicalFit,
    RandomEffectsFit,
    TrendFit,
    build_hierarchical,
    build_linear_trend,
    build_random_effects,
    hierarchical,
    linear_trend,
    random_effects,
)
from .sampling import BayesFit, SamplerSettings, cache_info, clear_cache, config_hash, sample

__all__ = [
    "hierarchical",
    "random_effects",
    "linear_trend",
    "diagnose",
    "sample",
    "BayesFit",
    "HierarchicalFit",
    "RandomEffectsFit",
    "TrendFit",
    "SamplerSettings",
    "Diagnostics",
    "build_hierarchical",
    "build_random_effects",
    "build_linear_trend",
    "config_hash",
    "cache_info",
    "clear_cache",
    "EFFECTS",
    "RHAT_MAX",
    "ESS_BULK_MIN",
    "ESS_TAIL_MIN",
    "MAX_DIVERGENT",
]
