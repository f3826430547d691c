"""Helpers for tests and doctests: published reference inputs and printed-value tolerances."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

import pandas as pd


def reference(name: str) -> pd.DataFrame:
    """Input table of a published reference case shipped in ``rmwork/data/reference``."""
    path = resources.files("rmwork") / "data" / "reference" / f"{name}.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p)


def printed(text: str):
    """Approx-equal to a value as printed: +/- half a unit in its last printed digit."""
    import pytest

    d = Decimal(text)
    return pytest.approx(float(d), abs=0.5 * 10.0 ** d.as_tuple().exponent * (1 + 1e-9))


def printed_mc(text: str, rel: float = 0.03):
    """Approx-equal for Monte Carlo / MCMC values: 1 unit in the last printed digit widened by ~3 %
    relative (rule of shared reference/README.md)."""
    import pytest

    d = Decimal(text)
    unit = 10.0 ** d.as_tuple().exponent
    return pytest.approx(float(d), abs=unit + rel * abs(float(d)))
