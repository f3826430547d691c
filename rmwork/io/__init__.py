"""Reading data tables: CSV/XLSX and eCerto's layouts to a tidy DataFrame.

Every row keeps its source: ``source_row`` (the row a user sees in a spreadsheet: the header is
row 1), ``source_sheet`` for Excel and, through :func:`rmwork.workbook.read`, ``source_file``.
Column names are case-insensitive (CONTRACT.md).  The frame's ``attrs`` carry ``file``,
``layout``, ``notes`` (what the report must say about the reading: encoding, sheets skipped,
formula cells) and ``excluded`` (censored results set aside with ``censored: exclude``).

- CSV: UTF-8 (with or without BOM) first; another encoding only when named or unambiguous
  (:mod:`rmwork.io.text`); the delimiter and a decimal comma are detected, or set.
- Excel: one sheet, named or the only visible one; hidden sheets never read unless named;
  formula cells give their cached value, with a note (:mod:`rmwork.io.excel`).
- eCerto's layouts: lab result sheets, one stability sheet per analyte, monitoring input
  (:mod:`rmwork.io.layouts`).
- Cells: numbers, censored results and identifiers (:mod:`rmwork.io.cells`).
"""

from __future__ import annotations

import csv
import difflib
import io as _io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from . import cells, excel, layouts, text

REQUIRED = {
    "homogeneity": ("analyte", "unit", "value"),
    "stability": ("analyte", "value"),  # plus time or date
    "characterization": ("analyte", "lab", "value"),
    "verification": ("analyte", "value"),  # kind: verification, the verifying lab's results
    "participants": ("participant", "value"),  # kind: proficiency
}
OPTIONAL = {
    "homogeneity": ("replicate", "fill_order", "run_order", "unit_of_measure", "group"),
    "stability": (
        "time",
        "date",
        "unit",
        "temperature",
        "replicate",
        "unit_of_measure",
        "u",
        "measurement_file",
        "comment",
    ),
    "characterization": ("u", "dof", "replicate", "include", "unit_of_measure", "U", "k", "method"),
    "verification": ("u", "unit", "replicate", "unit_of_measure"),
    "participants": ("u", "k", "item"),
}
NUMERIC = {
    "homogeneity": ("value", "fill_order", "run_order"),
    "stability": ("value", "time", "temperature", "u"),
    "characterization": ("value", "u", "dof", "U", "k"),
    "verification": ("value",),  # u may be empty: parsed by rmwork.comparison
    "participants": ("value",),  # u, k may be empty (no u reported)
}
IDENTIFIERS = ("analyte", "unit", "lab", "unit_of_measure", "group", "participant", "item")
SOURCE = ("source_file", "source_sheet", "source_row", "source_cell")
# eCerto's homogeneity sheet: analyte, H_type, Flasche, value, unit (unit = unit of measure)
ECERTO_HOMOG = {"flasche": "unit", "h_type": "group"}
LAYOUTS = ("auto", "long", "lab-sheet", "ecerto-stability", "ecerto-monitoring")
HUGE = cells.HUGE
NUMBER = cells.NUMBER


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def require_file(path, *, key: str | None = None, file: str | None = None, shown=None) -> Path:
    """The path must exist and be a regular file (``shown``: the path as the user wrote it)."""
    p = Path(path)
    shown = path if shown is None else shown
    try:
        exists, is_file = p.exists(), p.is_file()
    except (OSError, RuntimeError):  # a symlink loop, a name too long
        raise InputError(
            f"data path '{shown}' cannot be resolved", file=file, key=key, hint="name a regular file"
        ) from None
    if not exists and p.is_symlink():
        raise InputError(
            f"data path '{shown}' cannot be resolved (a symbolic link in a loop or to nothing)",
            file=file,
            key=key,
            hint="name a regular file",
        )
    if not exists:
        raise InputError(
            f"data file '{shown}' does not exist",
            file=file,
            key=key,
            hint="check the path (relative paths start at the parameter file's folder)",
        )
    if not is_file:
        raise InputError(f"'{shown}' is not a file", file=file, key=key, hint="name a CSV or XLSX file")
    return p


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
            cells_ = [c.strip().strip('"') for line in sample.splitlines()[1:] for c in line.split(delim)]
            commas = sum(bool(re.fullmatch(r"[-+]?\d+,\d+", c)) for c in cells_)
            dots = sum(bool(re.fullmatch(r"[-+]?\d+\.\d+", c)) for c in cells_)
            if commas and dots:
                raise InputError(
                    "mixes decimal commas and decimal points",
                    file=name,
                    hint="set 'decimal' in the parameter file or fix the file",
                )
            decimal = "," if commas else "."
        else:
            decimal = "."
    elif decimal == "," and delim == ",":
        raise InputError(
            "decimal ',' with ',' as field delimiter is ambiguous", file=name, hint="use ';' between fields"
        )
    return delim, decimal


def read_table(
    path,
    *,
    study: str,
    sheet: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    display_name: str | None = None,
    **options,
) -> pd.DataFrame:
    """Read one study's data table (CSV or XLSX, or an eCerto layout) into a tidy frame.

    Columns are lower-cased; required columns are checked (with a close-match hint for a
    misspelt one); numeric columns are parsed with the row named on failure; ``source_row``
    holds the spreadsheet row.  ``options``: ``layout``, ``censored``, ``range``, ``lab_cell``,
    ``unit_column`` (see :class:`rmwork.params.DataSource`).
    """
    p = require_file(path)
    return read_bytes(
        p.read_bytes(),
        suffix=p.suffix,
        stem=p.stem,
        study=study,
        name=display_name or _display(p),
        sheet=sheet,
        decimal=decimal,
        encoding=encoding,
        **options,
    )


def read_bytes(
    raw: bytes,
    *,
    suffix: str,
    stem: str,
    study: str,
    name: str,
    sheet: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    layout: str = "auto",
    censored: str = "refuse",
    range: str | None = None,  # noqa: A002 - the lot key is named range (eCerto sheet range)
    lab_cell: str | None = None,
    unit_column: str | None = None,
) -> pd.DataFrame:
    """Parse the exact bytes of one data file (what the runner hashed) into a tidy frame."""
    suffix = suffix.lower()
    notes: list[str] = []
    meta: dict = {}
    if layout == "lab-sheet" and suffix not in (".xlsx", ".xlsm"):
        raise InputError(
            "the lab-sheet layout reads Excel result sheets (.xlsx)",
            file=name,
            key="layout",
            hint="convert the file to .xlsx or use a long table",
        )
    if suffix in (".xlsx", ".xlsm"):
        book = excel.open_book(raw, name)
        df, sheet_label, layout, notes, meta = _read_book(
            book,
            study,
            sheet,
            layout,
            dict(range=range, lab_cell=lab_cell, unit_column=unit_column, stem=stem),
        )
        dec = "."
    elif suffix == ".xls":
        raise InputError(
            "old Excel files (.xls) are not read", file=name, hint="save the file as .xlsx or CSV"
        )
    elif suffix in (".csv", ".txt", ".tsv"):
        if layout not in ("auto", "long"):
            raise InputError(
                f"the {layout} layout is an Excel layout",
                file=name,
                key="layout",
                hint="name the .xlsx file or use a long table",
            )
        if not raw.strip():
            raise InputError("the file is empty", file=name, hint="export the data table again")
        content, enc, note = text.decode(raw, name, encoding)
        notes += [note] if note else []
        delim, dec = _sniff(content, name, decimal)
        try:
            df = pd.read_csv(
                _io.StringIO(content), sep=delim, dtype=str, keep_default_na=False, skipinitialspace=True
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(
                f"is not a readable CSV table ({str(exc).splitlines()[0]})",
                file=name,
                hint="check the delimiter and quoting",
            ) from None
        sheet_label, layout = None, "long"
    else:
        raise InputError(f"unknown file type '{suffix}'", file=name, hint="use .csv or .xlsx")
    if df.shape[0] == 0:
        raise InputError(
            "the table has no data rows",
            file=name,
            sheet=sheet_label,
            hint="add the results below the header row",
        )
    df.attrs["layout"] = layout
    out = tidy(df, study=study, name=name, sheet=sheet_label, decimal=dec, censored=censored)
    out.attrs["notes"] = notes + out.attrs.get("notes", [])
    out.attrs["meta"] = meta
    return out


def _read_book(book, study, sheet, layout, opts):
    """(frame, sheet label, layout, notes, metadata) of an Excel workbook."""
    meta: dict = {}
    if layout == "lab-sheet":
        recs, notes = layouts.lab_sheet(
            book,
            stem=opts["stem"],
            sheet=sheet,
            cell_range=opts["range"],
            lab_cell=opts["lab_cell"],
            unit_column=opts["unit_column"],
        )
        read = [r for r in ([sheet] if sheet else []) + ["Ergebnisse"] if r in book.states()][:1]
        df = _frame(recs, ["analyte", "lab", "replicate", "value", "source_row", "source_cell"])
        return df, read[0] if read else None, layout, notes + excel.skipped_note(book, read), meta
    if layout == "ecerto-monitoring" or (
        layout == "auto" and study == "stability" and _monitoring(book, sheet)
    ):
        recs, notes, meta = layouts.monitoring(book, sheet)
        read = [sheet] if sheet else book.visible()
        return (
            _frame(recs, ["analyte", "value", "date", "source_row", "source_sheet"]),
            None,
            "ecerto-monitoring",
            notes + excel.skipped_note(book, read),
            meta,
        )
    if layout == "ecerto-stability" or (
        layout == "auto"
        and study == "stability"
        and sheet is None
        and len(book.visible()) > 1
        and layouts.is_ecerto_stability(book)
    ):
        recs, notes = layouts.ecerto_stability(book)
        return (
            _frame(recs, ["value", "date", "source_row", "analyte", "source_sheet"]),
            None,
            "ecerto-stability",
            notes + excel.skipped_note(book, book.visible()),
            meta,
        )
    sh = excel.one_sheet(book, sheet)
    recs = excel.table(sh)
    if not recs:
        raise InputError(
            "the sheet has no table (row 1 is empty)",
            file=book.name,
            sheet=sh.title,
            hint="put the column names in row 1",
        )
    df = pd.DataFrame.from_records(recs)
    df["source_sheet"] = sh.title
    return df, sh.title, "long", sh.notes() + excel.skipped_note(book, [sh.title]), meta


def _monitoring(book, sheet) -> bool:
    titles = [sheet] if sheet else book.visible()
    return bool(titles) and all(t in book.states() and layouts.is_monitoring(book.sheet(t)) for t in titles)


def _frame(recs: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(recs)
    return df if len(df) else pd.DataFrame(columns=columns)


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _blank_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is None, NaN or blank text (vectorised: a million rows in a second)."""
    blank = pd.Series(True, index=df.index)
    for c in df.columns:
        col = df[c]
        blank &= col.isna().to_numpy() | col.astype(str).str.strip().eq("").to_numpy()
    return blank


def _numbers_fast(series: pd.Series, decimal: str) -> np.ndarray | None:
    """The column as floats when every cell is a plain finite number within range (vectorised),
    else None: then :func:`cells.number` goes cell by cell and names the first bad one."""
    if pd.api.types.is_bool_dtype(series) or series.map(type).eq(bool).any():
        return None  # True is no number: the cell-wise rule says so
    text = series.astype(str).str.strip()
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


def _identifiers(values: list, *, column: str, name: str, rows: list, sheets: list) -> list[str]:
    """cells.identifier for every cell, evaluated once per distinct value (a million rows carry a
    few dozen names); a bad value is reported at the first row that holds it."""
    done: dict = {}
    out = []
    for v, r, sh in zip(values, rows, sheets):
        key = (type(v), v) if v == v else ("nan",)  # NaN != NaN: one key for every empty cell
        if key not in done:
            done[key] = cells.identifier(v, column=column, name=name, sheet=sh, row=r)
        out.append(done[key])
    return out


def tidy(
    df: pd.DataFrame, *, study: str, name: str, sheet=None, decimal: str = ".", censored: str = "refuse"
) -> pd.DataFrame:
    """Normalise column names, check required columns, parse numbers, identifiers and dates."""
    layout = df.attrs.get("layout")
    df = df.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    if study == "homogeneity" and ("flasche" in df.columns or "h_type" in df.columns):
        # eCerto Homog_Test: 'unit' there is the unit of measure, 'Flasche' the bottle
        df = df.rename(columns={"unit": "unit_of_measure"}).rename(columns=ECERTO_HOMOG)
        layout = "ecerto-homogeneity"
    dup = [c for c in dict.fromkeys(df.columns) if list(df.columns).count(c) > 1]
    if dup:
        raise InputError(
            f"column '{dup[0]}' appears twice",
            file=name,
            sheet=sheet,
            hint="column names are case-insensitive; rename one",
        )
    if "source_row" not in df.columns:
        df["source_row"] = np.arange(2, len(df) + 2)
    # drop rows that are entirely empty (spreadsheets keep formatted blank rows)
    data_cols = [c for c in df.columns if c not in SOURCE]
    blank = _blank_rows(df[data_cols])
    df = df.loc[~blank].reset_index(drop=True)
    if df.empty:
        raise InputError(
            "the table has no data rows", file=name, sheet=sheet, hint="add the results below the header row"
        )
    _require_columns(df, study, name, sheet)
    if study == "homogeneity" and "analyte" not in df.columns:
        df["analyte"] = "value"
    sheets = df["source_sheet"].tolist() if "source_sheet" in df.columns else [sheet] * len(df)
    df, excluded = _censored(df, censored, name, sheets)
    rows = df["source_row"].tolist()
    sheets = df["source_sheet"].tolist() if "source_sheet" in df.columns else [sheet] * len(df)
    for col in NUMERIC[study]:
        if col in df.columns:
            fast = _numbers_fast(df[col], decimal)
            df[col] = (
                fast
                if fast is not None
                else np.array(
                    [
                        cells.number(v, column=col, name=name, sheet=sh, row=r, decimal=decimal)
                        for v, r, sh in zip(df[col].tolist(), rows, sheets)
                    ],
                    dtype=float,
                )
            )
    for col in IDENTIFIERS:
        if col in df.columns and not (col == "unit" and study != "homogeneity"):
            vals = _identifiers(df[col].tolist(), column=col, name=name, rows=rows, sheets=sheets)
            if col in ("analyte", "unit", "lab", "participant"):
                for v, r, sh in zip(vals, rows, sheets):
                    if v == "":
                        raise InputError(
                            "the cell is empty",
                            file=name,
                            sheet=sh,
                            row=r,
                            column=col,
                            hint=f"enter the {col} or delete the row",
                        )
            elif all(v == "" for v in vals):
                df = df.drop(columns=[col])
                continue
            df[col] = pd.Series(vals, index=df.index, dtype=object)
    if "date" in df.columns and "time" not in df.columns:
        df["date"] = pd.to_datetime(
            pd.Series([_date(v, name, sh, r) for v, r, sh in zip(df["date"].tolist(), rows, sheets)])
        )
    if "include" in df.columns:
        df["include"] = [_yn(v, name, sh, r) for v, r, sh in zip(df["include"].tolist(), rows, sheets)]
    df.attrs["file"] = name
    df.attrs["layout"] = layout or "long"
    df.attrs["excluded"] = excluded
    return df


def _require_columns(df, study, name, sheet):
    known = set(REQUIRED[study]) | set(OPTIONAL[study]) | set(SOURCE) | {"u_rel"}
    required = list(REQUIRED[study])
    if study == "stability" and "time" not in df.columns and "date" not in df.columns:
        required.append("time")
    if study == "homogeneity" and "analyte" not in df.columns:
        required.remove("analyte")
    for col in required:
        if col not in df.columns:
            close = difflib.get_close_matches(col, [c for c in df.columns if c not in known], n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"the table has {', '.join(c for c in df.columns if c not in SOURCE)}"
            )
            raise InputError(f"required column '{col}' is missing", file=name, sheet=sheet, hint=hint)


def _censored(df, censored: str, name: str, sheets) -> tuple[pd.DataFrame, list[dict]]:
    """Censored results in 'value': refused (default), or set aside one by one with their reason."""
    hit = [isinstance(v, str) and cells.is_censored(v.strip()) for v in df["value"].tolist()]
    if not any(hit):
        return df, []
    i = hit.index(True)
    if censored != "exclude":
        raise InputError(
            f"'{str(df['value'].iloc[i]).strip()}' is a censored result (below or above a "
            "limit, or not detected)",
            file=name,
            sheet=sheets[i],
            row=int(df["source_row"].iloc[i]),
            column="value",
            hint=cells.CENSORED_HINT,
        )
    mask = np.array(hit)
    excluded = []
    for (_, rec), sh in zip(df[mask].iterrows(), np.asarray(sheets, dtype=object)[mask]):
        excluded.append(
            {
                "file": name,
                "sheet": sh,
                "row": int(rec["source_row"]),
                **{k: rec[k] for k in ("analyte", "lab", "unit") if k in rec.index},
                "value": str(rec["value"]).strip(),
                "reason": f"censored result '{str(rec['value']).strip()}' (censored: exclude)",
            }
        )
    return df.loc[~mask].reset_index(drop=True), excluded


def _date(v, name, sheet, row):
    try:
        d = pd.Timestamp(v) if not isinstance(v, str) else pd.to_datetime(v.strip(), dayfirst="." in v)
    except (ValueError, TypeError):
        raise InputError(
            f"'{v}' is not a date",
            file=name,
            sheet=sheet,
            row=row,
            column="date",
            hint="write dates as YYYY-MM-DD",
        ) from None
    if pd.isna(d):
        raise InputError(
            "the date is empty",
            file=name,
            sheet=sheet,
            row=row,
            column="date",
            hint="enter a date or delete the row",
        )
    return d


def _yn(v, name, sheet, row):
    s = str(v).strip().lower()
    if s in ("yes", "y", "true", "1", "1.0", "") or v is True:
        return True
    if s in ("no", "n", "false", "0", "0.0") or v is False:
        return False
    raise InputError(
        f"'{v}' is not yes or no", file=name, sheet=sheet, row=row, column="include", hint="write yes or no"
    )


def check_labs(df: pd.DataFrame, aliases: dict[str, str], *, key: str) -> pd.DataFrame:
    """Map lab ids through ``lab_aliases``; refuse ids that differ only in case or spacing.

    'bam-icps' and 'BAM-ICPs' would otherwise be two laboratories in the consensus."""
    if "lab" not in df.columns:
        return df
    if aliases:
        df = df.assign(lab=df["lab"].map(lambda v: aliases.get(v, v)))
    seen: dict[str, tuple] = {}
    for lab, r, f in zip(
        df["lab"], df["source_row"], df.get("source_file", pd.Series([df.attrs.get("file")] * len(df)))
    ):
        k = " ".join(str(lab).split()).casefold()
        first = seen.setdefault(k, (lab, r, f))
        if first[0] != lab:
            raise InputError(
                f"labs '{first[0]}' ({first[2]}, row {first[1]}) and '{lab}' differ only in case or spaces",
                file=f,
                row=r,
                column="lab",
                hint=f"write one id, or map them under '{key}', e.g. {{'{lab}': '{first[0]}'}}",
            )
    return df
