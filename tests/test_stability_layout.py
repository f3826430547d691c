"""The stability package: one module per procedure, every former public name still importable
from ``rmwork.stability``, and every public function's first docstring line cites its source."""

import importlib
import inspect
import pkgutil
import re

import pytest

import rmwork.stability as S

# every public name of the single module rmwork/stability.py before the split (issue 13)
FORMER_PUBLIC = """
DAYS_PER_MONTH KELVIN_OFFSET GAS_CONSTANT CLAUSES months_from_dates StabilityRegressionResult
TransportResult regression transport IsochronousResult isochronous ShelfLifePredictionResult
shelf_life_prediction PoolabilityResult poolability ShelfLifeSuggestionResult
shelf_life_suggestion ArrheniusResult arrhenius ArrheniusJointResult arrhenius_joint
MonitoringResult monitoring_check BayesianTrendResult bayesian_trend by_analyte
""".split()

CITES = re.compile(r"\([^)]*(ISO|JJF|ICH|eCerto|AccelStab|ERM|Arrhenius|Swed|Durbin|NIST)")


def _submodules():
    return [importlib.import_module(f"rmwork.stability.{m.name}") for m in pkgutil.iter_modules(S.__path__)]


@pytest.mark.parametrize("name", FORMER_PUBLIC)
def test_stability_former_public_name_is_reexported(name):
    assert getattr(S, name) is not None
    assert name in S.__all__


def test_stability_submodule_public_functions_cite_their_source():
    seen = 0
    for mod in _submodules():
        for name, f in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("_") or f.__module__ != mod.__name__ or name == "by_analyte":
                continue
            seen += 1
            first = (f.__doc__ or "").strip().splitlines()[0]
            assert CITES.search(first), f"{mod.__name__}.{name}: {first!r}"
    assert seen >= 13


def test_stability_submodules_stay_under_800_lines():
    for mod in _submodules():
        n = len(inspect.getsource(mod).splitlines())
        assert n < 800, f"{mod.__name__}: {n} lines"
