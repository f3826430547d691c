"""One cell at a time: numbers, censored results and identifiers, each refused naming its row.

A number is a plain decimal (``1.25``, ``1,25`` with ``decimal: ","``, ``1e-3``).  A censored
result (``<LOD``, ``< 0.1``, ``n.d.``) is not a number: it is refused unless the source says
``censored: exclude``, and then each one is recorded as excluded with its reason, never dropped
silently.  Identifiers read from data (analytes, labs, units, bottle ids) are normalised to
Unicode NFC, and invisible or bidirectional control characters are refused (a zero-width space
would make "X" and "X\\u200b" two analytes; a right-to-left override makes "L3\\u202egnp.exe"
display as "L3exe.png").
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from ..errors import InputError

HUGE = 1e150  # |x| above this: sums of squares of differences can overflow float64
NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")
# below/above a limit, or "not detected" in English and German laboratory usage
CENSORED = re.compile(
    r"^\s*(?:(?:<|>|≤|≥|<=|>=)\s*\S.*|<|"
    r"n\.?\s*d\.?|n\.?\s*n\.?|n\.?\s*q\.?|b\.?\s*d\.?\s*l\.?|not\s+detected|below\s+.*|"
    r"lod|loq|dl|ql|nwg|bg)\s*$",
    re.IGNORECASE,
)
CENSORED_HINT = (
    "censored results are not used by default: enter the number, delete the row, or set "
    "'censored: exclude' for this data source to record each as excluded with its reason"
)
# bidirectional controls are category Cf too; listed so that the message can call them so
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_censored(text: str) -> bool:
    return bool(CENSORED.match(text))


def number(v, *, column: str, name: str, sheet, row, decimal: str) -> float:
    """One numeric cell as float, or InputError naming file, sheet, row and column."""
    where = dict(file=name, sheet=sheet, row=row, column=column)
    if isinstance(v, bool):
        raise InputError(f"'{v}' is not a number", **where, hint="enter a number or delete the row")
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
    else:
        s = "" if v is None else str(v).strip()
        if s == "" or s.lower() in ("nan", "na", "n/a"):
            raise InputError(
                "the cell is empty" if s == "" else f"'{s}' is not a number",
                **where,
                hint="enter a number or delete the row",
            )
        if s.lower() in ("inf", "+inf", "-inf", "infinity", "-infinity"):
            raise InputError(
                f"'{s}' is not a finite number", **where, hint="enter a finite number or delete the row"
            )
        if is_censored(s):
            raise InputError(
                f"'{s}' is a censored result (below or above a limit, or not detected)",
                **where,
                hint=CENSORED_HINT,
            )
        if not NUMBER.match(s):
            raise InputError(f"'{s}' is not a number", **where, hint="enter a number or delete the row")
        if decimal == ",":
            s = s.replace(",", ".")
        elif "," in s:
            raise InputError(
                f"'{s}' has a decimal comma but the file uses '.'",
                **where,
                hint="set 'decimal: \",\"' in the parameter file or fix the cell",
            )
        x = float(s)
    if not np.isfinite(x):
        raise InputError(
            f"'{v}' is not a finite number", **where, hint="enter a finite number or delete the row"
        )
    if abs(x) > HUGE:
        raise InputError(
            f"'{v}' is too large to analyse (squares overflow above {HUGE:.0e})",
            **where,
            hint="express the results in a larger unit",
        )
    return x


def identifier(v, *, column: str, name: str, sheet=None, row=None) -> str:
    """An identifier cell as NFC text; refuse control, invisible and bidirectional characters."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    s = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    s = unicodedata.normalize("NFC", s).strip()
    for ch in s:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc", "Co", "Cs") or ch in BIDI:
            kind = (
                "a bidirectional control character"
                if ch in BIDI
                else "an invisible character"
                if cat == "Cf"
                else "a control character"
            )
            label = unicodedata.name(ch, "")
            raise InputError(
                f"{s.encode('unicode_escape').decode('ascii')!r} contains {kind} "
                f"U+{ord(ch):04X}{' ' + label if label else ''}",
                file=name,
                sheet=sheet,
                row=row,
                column=column,
                hint="retype the identifier; it would read as another name than it shows",
            )
    return s
