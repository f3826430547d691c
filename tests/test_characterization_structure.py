"""Structure of rmwork.characterization (issue 13): one module per procedure, one list of methods,
one function per estimator, public names where CONTRACT.md puts them."""

import importlib
import inspect
import pathlib
import re

import pytest

import rmwork
from rmwork import characterization as ch

SUBMODULES = ("labs", "estimators", "equivalence", "screening", "recommendation")


@pytest.mark.parametrize("sub", SUBMODULES)
def test_public_functions_of_every_submodule_cite_a_document(sub):
    mod = importlib.import_module(f"rmwork.characterization.{sub}")
    for name, fn in inspect.getmembers(mod, inspect.isfunction):
        if name.startswith("_") or not fn.__code__.co_filename.endswith(f"{sub}.py"):
            continue
        first = inspect.getdoc(fn).splitlines()[0]
        assert "(" in first and first.rstrip().endswith(")."), f"{sub}.{name}: {first}"


def test_every_estimator_is_one_function_named_after_its_method():
    from rmwork.characterization import estimators

    assert tuple(ch.FITS) == ch.METHODS
    for method, fn in ch.FITS.items():
        assert fn.__name__ == "_fit_" + method.replace("-", "_")
        assert len(inspect.getsource(fn).splitlines()) <= 30, f"{fn.__name__} is not short"
    src = inspect.getsource(estimators.consensus)
    assert not re.search(r"\bif\s+method\s*==", src), "consensus branches on one method name"


def test_methods_is_defined_once_in_the_code_base():
    root = pathlib.Path(rmwork.__file__).parent
    hits = [p for p in root.rglob("*.py") if re.search(r"^METHODS\s*=", p.read_text(), re.M)]
    assert [p.relative_to(root).as_posix() for p in hits] == ["characterization/methods.py"]


def test_lot_file_method_check_uses_the_package_list():
    from pydantic import ValidationError

    from rmwork import params

    for m in ch.METHODS:
        assert params.Characterization(data="c.csv", method=m).method == m
    with pytest.raises(ValidationError, match=", ".join(ch.METHODS)):
        params.Characterization(data="c.csv", method="median")


def test_contract_names_importable_from_the_package():
    from rmwork.characterization import consensus

    for name in (
        "BilateralDoEResult",
        "ConsensusResult",
        "DoEResult",
        "LabSummary",
        "Recommendation",
        "ScreeningResult",
        "bilateral_degrees_of_equivalence",
        "by_analyte",
        "degrees_of_equivalence",
        "lab_summary",
        "recommend",
        "screen",
    ):
        assert getattr(ch, name).__module__ == "rmwork.characterization", name

    sig = inspect.signature(consensus)
    assert list(sig.parameters)[:5] == ["values", "u", "dof", "method", "seed"]
    assert sig.parameters["method"].default == "dersimonian-laird"
    assert consensus.__module__ == "rmwork.characterization"
