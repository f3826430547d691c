"""Machine-checkable style rules (STYLE.md): citations in docstrings, no plotting in compute modules."""

import importlib
import inspect
import re
import subprocess
import sys

import pytest

COMPUTE = ["homogeneity", "stability", "characterization", "outliers", "robust", "certificate", "drmd",
           "bayes.models", "bayes.diagnostics"]
# helpers that implement no procedure of a standard
UTILITIES = {"conclusion", "unit_means", "by_analyte", "cache_info", "clear_cache", "config_hash", "make_fit"}
CITES = re.compile(r"\([^)]*(ISO|JJF|GUM|JCGM|NIST|eCerto|Koepke|Guide|ICH|CIPM|DIN|GB/T|Vehtari|NICOB|"
                   r"DRMD|Linsinger|AccelStab|ERM|W3C|Grubbs|Dixon|Cochran|Mandel|Scheff|DerSimonian|Paule|"
                   r"Welch|STYLE)")


def public_functions():
    for m in COMPUTE:
        mod = importlib.import_module(f"rmwork.{m}")
        for name, f in inspect.getmembers(mod, inspect.isfunction):
            if not name.startswith("_") and f.__module__ == mod.__name__ and name not in UTILITIES:
                yield f"{m}.{name}", f


@pytest.mark.parametrize("name, func", list(public_functions()), ids=lambda x: x if isinstance(x, str) else "")
def test_public_function_docstring_cites_its_source(name, func):
    first = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
    assert CITES.search(first), f"{name}: first docstring line cites no document: {first!r}"


def test_compute_modules_import_no_matplotlib_or_pymc():
    code = ("import sys; import " + ", ".join(f"rmwork.{m}" for m in COMPUTE) +
            ", rmwork.bayes, rmwork.workbook; "
            "bad = [m for m in ('matplotlib', 'pymc', 'pytensor', 'nutpie') if m in sys.modules]; "
            "print(bad); sys.exit(bool(bad))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_result_class_is_reexported_from_rmwork_results():
    import dataclasses

    from rmwork import results

    for module, names in results._RESULT_MODULES.items():
        for name in names:
            cls = getattr(results, name)
            assert dataclasses.is_dataclass(cls) and hasattr(cls, "to_dict"), name
