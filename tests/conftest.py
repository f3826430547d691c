"""Shared fixtures.  Tests never need ../shared: every reference input ships in rmwork/data."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")
# PITFALLS.md: PyTensor's C linker gives identical draws cold and warm
os.environ.setdefault("PYTENSOR_FLAGS", "linker=cvm")


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def rmwork_cmd():
    """The CLI as a user runs it (the console script of this interpreter's environment)."""
    exe = Path(sys.executable).parent / "rmwork"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]
