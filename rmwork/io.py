"""Reading data tables: CSV/XLSX and eCerto's layouts to a tidy DataFrame.

Every row keeps ``source_row`` (the row number a user sees in a spreadsheet: the header is
row 1), so that messages can name it.  Column names are case-insensitive (CONTRACT.md).
CSV files are read as UTF-8 (with or without BOM) or GB18030 (a superset of GBK/GB2312);
the delimiter and a decimal comma are detected, or set in the parameter file.
"""

from __future__ import annotations

import csv
import difflib
import io as _io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError

REQUIRED = {
    "homogeneity": ("analyte", "unit", "value"),
    "stability": ("analyte", "value"),          # plus time or date
    "characterization": ("analyte", "lab", "value"),
}
OPTIONAL = {
    "homogeneity": ("replicate", "fill_order", "run_order", "unit_of_measure", "group"),
    "stability": ("time", "date", "unit", "temperature", "replicate", "unit_of_measure", "u"),
    "characterization": ("u", "dof", "replicate", "include", "unit_of_measure", "U", "k", "method"),
}
NUMERIC = {
    "homogeneity": ("value", "fill_order", "run_order"),
    "stability": ("value", "time", "temperature", "u"),
    "characterization": ("value", "u", "dof", "U", "k"),
}
# eCerto's homogeneity sheet: analyte, H_type, Flasche, value, unit (unit = unit of measure)
ECERTO_HOMOG = {"flasche": "unit", "h_type": "group"}
ENCODINGS = ("utf-8-sig", "gb18030")
HUGE = 1e150  # |x| above this: sums of squares of differences can overflow float64
NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def require_file(path, *, key: str | None = None, file: str | None = None, shown=None) -> Path:
    """The path must exist and be a regular file (``shown``: the path as the user wrote it)."""
    p = Path(path)
    shown = path if shown is None else shown
    if not p.exists():
        raise InputError(f"data file '{shown}' does not exist", file=file, key=key,
                         hint="check the path (relative paths start at the parameter file's folder)")
    if not p.is_file():
        raise InputError(f"'{shown}' is not a file", file=file, key=key, hint="name a CSV or XLSX file")
    return p


def _decode(raw: bytes, name: str, encoding: str | None) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"cannot be read as {encoding} ({exc.__class__.__name__})", file=name,
                             hint="set 'encoding' to the file's real encoding") from None
    for enc in ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("is neither UTF-8 nor GB18030 text", file=name,
                     hint="save it as UTF-8 CSV or set 'encoding' in the parameter file")


def _sniff(text: str, name: str, decimal: str | None) -> tuple[str, str]:
    """Delimiter and decimal separator of a CSV text.

    A European spreadsheet writes ``;`` between fields and ``,`` as decimal mark.  With a
    ``,`` delimiter a decimal comma cannot be told apart, so we only accept ``decimal=','``
    with another delimiter and say so.
    """
    sample = "\n".join(text.splitlines()[:50])
    try:
        delim = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delim = ","
    if decimal is None:
        if delim != ",":
            cells = [c.strip().strip('"') for line in sample.splitlines()[1:]
                     for c in line.split(delim)]
            commas = sum(bool(re.fullmatch(r"[-+]?\d+,\d+", c)) for c in cells)
            dots = sum(bool(re.fullmatch(r"[-+]?\d+\.\d+", c)) for c in cells)
            if commas and dots:
                raise InputError("mixes decimal commas and decimal points", file=name,
                                 hint="set 'decimal' in the parameter file or fix the file")
            decimal = "," if commas else "."
        else:
            decimal = "."
    elif decimal == "," and delim == ",":
        raise InputError("decimal ',' with ',' as field delimiter is ambiguous", file=name,
                         hint="use ';' between fields")
    return delim, decimal


def read_table(path, *, study: str, sheet: str | None = None, decimal: str | None = None,
               encoding: str | None = None, display_name: str | None = None) -> pd.DataFrame:
    """Read one study's data table (CSV or XLSX, or an eCerto layout) into a tidy frame.

    Columns are lower-cased; required columns are checked (with a close-match hint for a
    misspelt one); numeric columns are parsed with the row named on failure; ``source_row``
    holds the spreadsheet row.
    """
    p = require_file(path)
    name = display_name or _display(p)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frames = _read_excel(p, name, sheet)
        if study == "stability" and sheet is None and _is_ecerto_stability(frames):
            df = _ecerto_stability(frames, name)
            sheet_label = None
        else:
            sheet_label, df = next(iter(frames.items()))
    elif suffix in (".csv", ".txt", ".tsv"):
        raw = p.read_bytes()
        if not raw.strip():
            raise InputError("the file is empty", file=name, hint="export the data table again")
        text = _decode(raw, name, encoding)
        delim, dec = _sniff(text, name, decimal)
        try:
            df = pd.read_csv(_io.StringIO(text), sep=delim, dtype=str, keep_default_na=False,
                             skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"is not a readable CSV table ({str(exc).splitlines()[0]})", file=name,
                             hint="check the delimiter and quoting") from None
        df.attrs["decimal"] = dec
        sheet_label = None
    else:
        raise InputError(f"unknown file type '{p.suffix}'", file=name, hint="use .csv or .xlsx")
    if df.shape[0] == 0:
        raise InputError("the table has no data rows", file=name, sheet=sheet_label,
                         hint="add the results below the header row")
    return tidy(df, study=study, name=name, sheet=sheet_label, decimal=df.attrs.get("decimal", "."))


def _read_excel(p: Path, name: str, sheet: str | None) -> dict[str, pd.DataFrame]:
    try:
        frames = pd.read_excel(p, sheet_name=sheet if sheet is not None else None, dtype=object,
                               engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise InputError(f"is not a readable Excel file ({exc.__class__.__name__})", file=name,
                         hint="open it in a spreadsheet program and save it again as .xlsx") from None
    except ValueError as exc:
        raise InputError(str(exc).splitlines()[0], file=name, hint="check the sheet name") from None
    if isinstance(frames, pd.DataFrame):
        frames = {sheet: frames}
    frames = {k: v for k, v in frames.items() if v.shape[0] > 0 or sheet is not None}
    if not frames:
        raise InputError("the workbook has no data", file=name, hint="add a sheet with the table")
    return frames


def _is_ecerto_stability(frames) -> bool:
    cols = [{str(c).strip().lower() for c in f.columns} for f in frames.values()]
    return all({"value", "date"} <= c and "analyte" not in c for c in cols)


def _ecerto_stability(frames, name) -> pd.DataFrame:
    """eCerto's stability layout: one sheet per analyte with columns Value and Date."""
    parts = []
    for sheet, f in frames.items():
        f = f.rename(columns=lambda c: str(c).strip().lower())[["value", "date"]].copy()
        f["source_row"] = np.arange(2, len(f) + 2)
        f["analyte"] = sheet
        f["source_sheet"] = sheet
        parts.append(f)
    df = pd.concat(parts, ignore_index=True)
    df.attrs["layout"] = "ecerto-stability"
    return df


def _blank_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is None, NaN or blank text (vectorised: a million rows in a second)."""
    blank = pd.Series(True, index=df.index)
    for c in df.columns:
        s = df[c]
        blank &= s.isna().to_numpy() | s.astype(str).str.strip().eq("").to_numpy()
    return blank


def _plain_text(s: pd.Series) -> bool:
    """Every cell is text (a CSV column): strip it vectorised, as the cell-wise rule would."""
    return pd.api.types.is_string_dtype(s) and not s.isna().any()


def _to_number_fast(series: pd.Series, decimal: str) -> np.ndarray | None:
    """The column as floats when every cell is a plain finite number within range (vectorised),
    else None: then :func:`_to_number` goes cell by cell and names the first bad one."""
    text = series.astype(str).str.strip()       # str(True) is not a number: bools fall through
    if not text.str.fullmatch(NUMBER.pattern.strip("^$")).all():
        return None
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    elif text.str.contains(",", regex=False).any():
        return None
    out = text.astype(float).to_numpy(dtype=float)
    if not (np.isfinite(out).all() and (np.abs(out) <= HUGE).all()):
        return None
    return out


def _to_number(series: pd.Series, *, column: str, name: str, sheet, rows, decimal: str) -> np.ndarray:
    fast = _to_number_fast(series, decimal)
    if fast is not None:
        return fast
    out = np.empty(len(series))
    for i, (v, r) in enumerate(zip(series.tolist(), rows)):
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            x = float(v)
        else:
            s = "" if v is None else str(v).strip()
            if s == "" or s.lower() in ("nan", "na", "n/a"):
                raise InputError("the cell is empty" if s == "" else f"'{s}' is not a number",
                                 file=name, sheet=sheet, row=r, column=column,
                                 hint="enter a number or delete the row")
            if s.lower() in ("inf", "+inf", "-inf", "infinity", "-infinity"):
                raise InputError(f"'{s}' is not a finite number", file=name, sheet=sheet, row=r,
                                 column=column, hint="enter a finite number or delete the row")
            if not NUMBER.match(s):
                raise InputError(f"'{s}' is not a number", file=name, sheet=sheet, row=r,
                                 column=column, hint="enter a number or delete the row")
            if decimal == ",":
                s = s.replace(",", ".")
            elif "," in s:
                raise InputError(f"'{s}' has a decimal comma but the file uses '.'", file=name,
                                 sheet=sheet, row=r, column=column,
                                 hint="set 'decimal: \",\"' in the parameter file or fix the cell")
            x = float(s)
        if not np.isfinite(x):
            raise InputError(f"'{v}' is not a finite number", file=name, sheet=sheet, row=r,
                             column=column, hint="enter a finite number or delete the row")
        if abs(x) > HUGE:
            raise InputError(f"'{v}' is too large to analyse (squares overflow above {HUGE:.0e})",
                             file=name, sheet=sheet, row=r, column=column,
                             hint="express the results in a larger unit")
        out[i] = x
    return out


def tidy(df: pd.DataFrame, *, study: str, name: str, sheet=None, decimal: str = ".") -> pd.DataFrame:
    """Normalise column names, check required columns, parse numbers and dates."""
    layout = df.attrs.get("layout")
    df = df.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    if study == "homogeneity" and ("flasche" in df.columns or "h_type" in df.columns):
        # eCerto Homog_Test: 'unit' there is the unit of measure, 'Flasche' the bottle
        df = df.rename(columns={"unit": "unit_of_measure"}).rename(columns=ECERTO_HOMOG)
        layout = "ecerto-homogeneity"
    dup = [c for c in set(df.columns) if list(df.columns).count(c) > 1]
    if dup:
        raise InputError(f"column '{dup[0]}' appears twice", file=name, sheet=sheet,
                         hint="column names are case-insensitive; rename one")
    if "source_row" not in df.columns:
        df["source_row"] = np.arange(2, len(df) + 2)
    # drop rows that are entirely empty (spreadsheets keep formatted blank rows)
    data_cols = [c for c in df.columns if c not in ("source_row", "source_sheet")]
    blank = _blank_rows(df[data_cols])
    df = df.loc[~blank].reset_index(drop=True)
    if df.empty:
        raise InputError("the table has no data rows", file=name, sheet=sheet,
                         hint="add the results below the header row")
    known = set(REQUIRED[study]) | set(OPTIONAL[study]) | {"source_row", "source_sheet", "u_rel"}
    required = list(REQUIRED[study])
    if study == "stability" and "time" not in df.columns and "date" not in df.columns:
        required.append("time")
    single_analyte = study == "homogeneity" and "analyte" not in df.columns
    if single_analyte:
        required.remove("analyte")
    for col in required:
        if col not in df.columns:
            close = difflib.get_close_matches(col, [c for c in df.columns if c not in known], n=1)
            hint = f"did you mean '{close[0]}'?" if close else \
                f"the table has {', '.join(c for c in df.columns if c != 'source_row')}"
            raise InputError(f"required column '{col}' is missing", file=name, sheet=sheet, hint=hint)
    if single_analyte:
        df["analyte"] = "value"
    rows = df["source_row"].tolist()
    for col in NUMERIC[study]:
        if col in df.columns:
            df[col] = _to_number(df[col], column=col, name=name, sheet=sheet, rows=rows, decimal=decimal)
    for col in ("analyte", "unit", "lab"):
        if col in df.columns:
            s = df[col].str.strip() if _plain_text(df[col]) else df[col].map(
                lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).strip())
            empty = s == ""
            if empty.any():
                r = rows[int(np.flatnonzero(empty.to_numpy())[0])]
                raise InputError("the cell is empty", file=name, sheet=sheet, row=r, column=col,
                                 hint=f"enter the {col} or delete the row")
            df[col] = s.astype(object)
    if "date" in df.columns and "time" not in df.columns:
        parsed = []
        for v, r in zip(df["date"].tolist(), rows):
            try:
                parsed.append(pd.Timestamp(v) if not isinstance(v, str) else
                              pd.to_datetime(v.strip(), dayfirst="." in v))
            except (ValueError, TypeError):
                raise InputError(f"'{v}' is not a date", file=name, sheet=sheet, row=r, column="date",
                                 hint="write dates as YYYY-MM-DD") from None
            if pd.isna(parsed[-1]):
                raise InputError("the date is empty", file=name, sheet=sheet, row=r, column="date",
                                 hint="enter a date or delete the row")
        df["date"] = pd.to_datetime(pd.Series(parsed))
    if "include" in df.columns:
        def _yn(v, r):
            s = str(v).strip().lower()
            if s in ("yes", "y", "true", "1", "1.0", "") or v is True:
                return True
            if s in ("no", "n", "false", "0", "0.0") or v is False:
                return False
            raise InputError(f"'{v}' is not yes or no", file=name, sheet=sheet, row=r, column="include",
                             hint="write yes or no")
        df["include"] = [_yn(v, r) for v, r in zip(df["include"].tolist(), rows)]
    df.attrs["file"] = name
    df.attrs["layout"] = layout or "long"
    return df
