"""Machine-checkable style rules (STYLE.md): citations in docstrings, import hygiene, layering."""

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rmwork"
EXECUTION = {"papermill", "nbclient", "jupyter_client", "multiprocessing"}
HEAVY = ("matplotlib", "pymc", "pytensor", "nutpie", "arviz", "arviz_stats", "numba")

COMPUTE = [
    "homogeneity",
    "stability",
    "characterization",
    "outliers",
    "robust",
    "certificate",
    "drmd",
    "bayes.models",
    "bayes.diagnostics",
]
# helpers that implement no procedure of a standard
UTILITIES = {
    "conclusion",
    "unit_means",
    "by_analyte",
    "cache_info",
    "clear_cache",
    "config_hash",
    "make_fit",
    "structure",
}
CITES = re.compile(
    r"\([^)]*(ISO|JJF|GUM|JCGM|NIST|eCerto|Koepke|Guide|ICH|CIPM|DIN|GB/T|Vehtari|NICOB|"
    r"DRMD|Linsinger|AccelStab|ERM|W3C|Grubbs|Dixon|Cochran|Mandel|Scheff|DerSimonian|Paule|"
    r"Welch|STYLE)"
)


def public_functions():
    for m in COMPUTE:
        mod = importlib.import_module(f"rmwork.{m}")
        for name, f in inspect.getmembers(mod, inspect.isfunction):
            if not name.startswith("_") and f.__module__ == mod.__name__ and name not in UTILITIES:
                yield f"{m}.{name}", f


@pytest.mark.parametrize(
    "name, func", list(public_functions()), ids=lambda x: x if isinstance(x, str) else ""
)
def test_public_function_docstring_cites_its_source(name, func):
    first = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
    assert CITES.search(first), f"{name}: first docstring line cites no document: {first!r}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, as absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            out |= {base} | {f"{base}.{a.name}" for a in node.names}
    return out


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        # a submodule's import of its own package (``from . import x``) is no dependency of the
        # package on it: the package's __init__ has run before
        graph[name] = {m for m in _imports(path) if m in files and m != name and not name.startswith(m + ".")}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                return stack[stack.index(w) :] + [w]
            if w not in state and (found := visit(w)):
                return found
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_cycle_finder_finds_a_cycle_written_in_the_test():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_import_hygiene_execution_layer_apart_no_cycles_and_cheap_statistics():
    """Issue 13: only rmwork/run imports papermill, nbclient, jupyter_client or multiprocessing;
    nothing else imports rmwork.run (rmwork/cli.py is the console-script shim); no import cycle
    in rmwork, counting imports inside functions; and, in one fresh interpreter (STYLE.md 1), the
    compute modules, rmwork.bayes and the workbook leave matplotlib, PyMC, PyTensor, nutpie, ArviZ
    and numba unimported, and the figure functions never import pyplot."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name == "rmwork.run" or name.startswith("rmwork.run."):
            continue
        imported = _imports(path)
        bad = sorted(m for m in imported if m.split(".")[0] in EXECUTION)
        if name != "rmwork.cli":
            bad += sorted(m for m in imported if m == "rmwork.run" or m.startswith("rmwork.run."))
        if bad:
            offenders.append(f"{name}: {', '.join(bad)}")
    assert offenders == []
    assert _cycle(_graph()) is None
    code = (
        "import sys; import "
        + ", ".join(f"rmwork.{m}" for m in COMPUTE)
        + ", rmwork.bayes, rmwork.workbook\n"
        f"bad = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not bad, f'imported {bad}'\n"
        "from rmwork.report import stability as R\n"
        "from rmwork.testing import reference\n"
        "R.figure_s2(None, rmwork.stability.regression(reference('stability_nist_norris')))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _result_classes():
    """Every public Result subclass defined in rmwork (the execution layer and the report
    aside), found by walking the package, not from rmwork.results' own list."""
    import pkgutil

    import rmwork
    from rmwork.results import Result

    found = {}
    for info in pkgutil.walk_packages(rmwork.__path__, "rmwork."):
        if info.name.startswith(("rmwork.run", "rmwork.report", "rmwork.cli")):
            continue
        mod = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(mod, inspect.isclass):
            if (
                issubclass(cls, Result)
                and cls is not Result
                and cls.__module__ == mod.__name__
                and not name.startswith("_")
            ):
                found[name] = cls
    return found


def test_every_result_class_is_reexported_from_rmwork_results():
    import dataclasses

    from rmwork import results

    classes = _result_classes()
    assert {"HomogeneityResult", "ConsensusResult", "BayesFit"} <= set(classes)  # the walk works
    missing = sorted(n for n, cls in classes.items() if getattr(results, n, None) is not cls)
    assert missing == [], f"not re-exported from rmwork.results: {missing}"
    for name, cls in classes.items():
        assert dataclasses.is_dataclass(cls) and hasattr(cls, "to_dict"), name
