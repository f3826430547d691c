"""Shared fixtures and the test tiers.  Tests never need ../shared: every reference input ships
in rmwork/data.

Tiers (markers registered in pyproject.toml, applied here by file): ``stats`` the statistics
and their inputs, pure Python in this process (``make test-fast`` runs ``stats and not slow``);
``e2e`` notebook, CLI and process runs; ``browser`` a headless browser; ``slow`` files that
compile Bayesian models or run many lots.  A file not listed here counts as ``e2e``, so that the
fast tier never grows slow by accident: add a new statistics file to STATS.
"""

import os
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")
# PITFALLS.md: PyTensor's C linker gives identical draws cold and warm
os.environ.setdefault("PYTENSOR_FLAGS", "linker=cvm")
# The Ctrl-C tests need Ctrl-C to be deliverable.  A shell without job control starts a
# background command (`make test &` in a script, nohup) with SIGINT ignored, and every process it
# starts inherits that; Python then installs no KeyboardInterrupt handler (measured: five
# interrupt tests failed so).  A handler set here is reset to the default at each exec, so the
# rmwork processes the tests start get Ctrl-C too.
signal.signal(signal.SIGINT, signal.default_int_handler)


STATS = {
    "test_homogeneity",
    "test_stability",
    "test_characterization",
    "test_outliers",
    "test_robust",
    "test_certificate",
    "test_drmd",
    "test_params_io",
    "test_properties",
    "test_workbook",
    "test_style",
    "test_bayes",
    # in-process statistics and their inputs added by the 2026-12 issues
    "test_certificate_status",
    "test_certificate_dof",
    "test_characterization_dof",
    "test_characterization_report",
    "test_characterization_standalone",
    "test_characterization_structure",
    "test_characterization_study",
    "test_stability_adequacy",
    "test_stability_layout",
    "test_stability_report",
    "test_stability_study",
    "test_params_strict",
    "test_io_ecerto_layouts",
    "test_io_example_lot",
    "test_io_lab_sheet",
    "test_io_sources",
}
BROWSER = {"test_browser"}
SLOW = {
    "test_bayes",
    "test_bad_input",
    "test_batch_warm",
    "test_reproducibility",
    "test_dask",
    "test_bayes_service",
    "test_browser",
}


def tiers(module: str) -> list[str]:
    """The markers of a test file (its module name)."""
    marks = ["stats"] if module in STATS else ["e2e"]
    marks += ["browser"] * (module in BROWSER) + ["slow"] * (module in SLOW)
    return marks


def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in tiers(Path(str(item.fspath)).stem):
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def rmwork_cmd():
    """The CLI as a user runs it (the console script of this interpreter's environment)."""
    exe = Path(sys.executable).parent / "rmwork"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]
