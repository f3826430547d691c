"""All input validation and its wording (private).

One concept, one message: every check that can reach a user raises :class:`InputError`
from here, so the wording is the same in every study.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence, Sized

import numpy as np

from .errors import InputError


def require_choice(got, allowed: Sequence[str], *, thing: str, key=None, file=None):
    """Raise unless ``got`` is one of ``allowed``; suggest the close match."""
    if got in allowed:
        return got
    close = difflib.get_close_matches(str(got), [str(a) for a in allowed], n=1)
    hint = (
        f"did you mean '{close[0]}'? Allowed: {', '.join(allowed)}"
        if close
        else f"use one of {', '.join(allowed)}"
    )
    raise InputError(f"'{got}' is not a {thing}", key=key, file=file, hint=hint)


def require_finite_array(values, *, what: str, where: str | None = None, rows=None) -> np.ndarray:
    """Return ``values`` as a float array; raise naming the first non-finite entry."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers", file=where, hint="check the input") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = None if rows is None else list(rows)[i]
        raise InputError(
            f"{what} contains a non-finite value ({float(arr.ravel()[i])!r})",
            file=where,
            row=row,
            hint="enter a finite number or delete the row",
        )
    return arr


def require_positive_array(
    values, *, what: str, where: str | None = None, rows=None, allow_zero: bool = False
) -> np.ndarray:
    arr = require_finite_array(values, what=what, where=where, rows=rows)
    bad = arr < 0 if allow_zero else arr <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = None if rows is None else list(rows)[i]
        rule = "not negative" if allow_zero else "positive"
        raise InputError(
            f"{what} must be {rule}, got {float(arr.ravel()[i])!r}",
            file=where,
            row=row,
            hint=f"enter a {rule} value",
        )
    return arr


def require_at_least(n: int, minimum: int, *, what: str, formula: str, where: str | None = None):
    """Formula-not-applicable message: '<where>: <formula> needs <condition>, <found>'."""
    if n < minimum:
        raise InputError(
            f"{formula} needs at least {minimum} {what}, found {n}",
            file=where,
            hint="add data or remove the study from the parameter file",
        )


def require_level(level: float, name: str = "level") -> float:
    """Programming-error check (scipy style) for a probability in (0, 1)."""
    if not (isinstance(level, (int, float)) and 0 < level < 1 and math.isfinite(level)):
        raise ValueError(f"`{name}` must be in (0, 1), got {level!r}")
    return float(level)


def require_same_length(*arrays: Sized, names: Sequence[str]):
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ValueError(f"`{'`, `'.join(names)}` must have the same length, got {lengths}")


# --- per-lab checks (characterization, outliers, robust) --------------------------------------


def _lab_name(labs, i: int) -> str:
    return f"lab '{labs[i]}'" if labs is not None else f"entry {i + 1}"


def require_lab_finite(values, labs=None, *, what: str, where: str | None = None) -> np.ndarray:
    """Return ``values`` as a 1-D float array; raise naming the first lab with a non-finite entry."""
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(
            f"{what} must be numbers", file=where, hint="check the column for text or empty cells"
        ) from None
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{_lab_name(labs, i)}: {what} is {float(arr[i])!r}, not a finite number",
            file=where,
            hint="enter a finite number or exclude the lab",
        )
    return arr


def require_lab_positive(
    values, labs=None, *, what: str, where: str | None = None, allow_inf: bool = False
) -> np.ndarray:
    """Return ``values`` as a float array; raise naming the first lab whose entry is not > 0.

    With ``allow_inf`` an infinite entry is accepted (degrees of freedom: "infinitely many").
    """
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(
            f"{what} must be numbers", file=where, hint="check the column for text or empty cells"
        ) from None
    ok = (arr > 0) & (np.isfinite(arr) | (allow_inf & (arr == np.inf)))
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise InputError(
            f"{_lab_name(labs, i)}: {what} must be positive, got {float(arr[i])!r}",
            file=where,
            hint=f"enter a positive {what} or exclude the lab",
        )
    return arr


def require_unique_labels(labs, *, what: str = "lab", where: str | None = None) -> list[str]:
    """Labels as strings; raise naming the first repeated label."""
    out = [str(v) for v in labs]
    seen = set()
    for v in out:
        if v in seen:
            raise InputError(
                f"{what} '{v}' appears more than once",
                file=where,
                hint=f"give each {what} one row, or use the replicate layout without u",
            )
        seen.add(v)
    return out
