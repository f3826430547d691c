"""eCerto's Excel layouts, read as shipped (eCerto, Lisec et al. 2023; GitHub janlisec/eCerto).

- **lab-sheet**: one result sheet per laboratory (eCerto's certification input, the BAM
  "Ergebnisblatt").  eCerto itself (``m_ExcelUpload.R``, ``prepTabC0``) reads a cell range chosen
  by hand, the same in every file: first column analyte, second unit, the rest replicates; labs
  are numbered L1, L2, … in upload order and empty cells dropped.  rmwork reads the sheet as
  shipped: sheet "Ergebnisse", analytes under the header cell "Element" in column A, replicates
  in the numbered columns under "Einzelwerte", the lab from the file name
  (``Ergebnisblatt_<study>_<lab>_m.xlsx`` → ``<lab>``); ``range:``, ``lab_cell:`` and
  ``unit_column:`` override each default.  Empty replicate cells are not results and are
  counted in the report.
- **ecerto-stability**: one sheet per analyte with columns Value and Date.
- **ecerto-monitoring**: eCerto's post-certification monitoring (LTS) input
  (``read_lts_input.R``): per sheet, rows 1-2 hold metadata (RM, KW = property, KW_Unit,
  CertVal, U, …), then a header row Value/Date/File/Comment and the results.
"""

from __future__ import annotations

import re

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries

from ..errors import InputError
from . import cells, excel

ERGEBNISBLATT = re.compile(r"^Ergebnisblatt_[^_]+_(?P<lab>.+?)(?:_m)?$", re.IGNORECASE)
ANALYTE_HEADER, REPLICATE_HEADER = "element", "einzelwerte"


def _text(v) -> str:
    return "" if v is None else str(v).strip()


# -- lab-sheet ---------------------------------------------------------------------------------


def lab_from_file_name(stem: str) -> str:
    m = ERGEBNISBLATT.match(stem)
    return m.group("lab") if m else stem


def lab_sheet(
    book: excel.Book,
    *,
    stem: str,
    sheet: str | None,
    cell_range: str | None,
    lab_cell: str | None,
    unit_column: str | None,
) -> tuple[list[dict], list[str]]:
    """Records (analyte, lab, replicate, value, …) of one laboratory's result sheet, and notes."""
    if sheet is None and "Ergebnisse" in book.states():
        sheet = "Ergebnisse"
    sh = excel.one_sheet(book, sheet)
    lab = _lab(sh, stem, lab_cell)
    if cell_range:
        rows, cols, acol = _from_range(sh, cell_range, unit_column)
    else:
        rows, cols, acol = _from_headers(sh, unit_column)
    ucol = column_index_from_string(unit_column.upper()) if unit_column else None
    out, empty = [], 0
    for r in rows:
        a = sh.value(r, acol)
        values = [(k, sh.value(r, c)) for k, c in enumerate(cols, start=1)]
        if _text(a) == "":
            if any(_text(v) for _, v in values):
                raise InputError(
                    "the row has results but no analyte",
                    file=book.name,
                    sheet=sh.title,
                    row=r,
                    column=get_column_letter(acol),
                    hint="enter the analyte",
                )
            continue
        analyte = cells.identifier(a, column=get_column_letter(acol), name=book.name, sheet=sh.title, row=r)
        for k, v in values:
            if _text(v) == "":
                empty += 1
                continue
            rec = {
                "analyte": analyte,
                "lab": lab,
                "replicate": k,
                "value": v,
                "source_sheet": sh.title,
                "source_row": r,
                "source_cell": f"{get_column_letter(cols[k - 1])}{r}",
            }
            if ucol is not None:
                rec["unit_of_measure"] = sh.value(r, ucol)
            out.append(rec)
    notes = [
        f"lab '{lab}' ({'cell ' + lab_cell if lab_cell else 'from the file name'}); sheet "
        f"'{sh.title}', rows {rows[0]}-{rows[-1]}, replicate columns "
        f"{get_column_letter(cols[0])}-{get_column_letter(cols[-1])}; {empty} empty replicate "
        "cells (not results)"
    ] + sh.notes()
    return out, notes


def _lab(sh: excel.Sheet, stem: str, lab_cell: str | None) -> str:
    if lab_cell is None:
        return cells.identifier(lab_from_file_name(stem), column="file name", name=sh.book)
    try:
        col, row = coordinate_from_string(lab_cell.upper())
    except ValueError:
        raise InputError(
            f"'{lab_cell}' is not a cell reference", key="lab_cell", hint="write it like B2"
        ) from None
    v = sh.value(row, column_index_from_string(col))
    lab = cells.identifier(v, column=col, name=sh.book, sheet=sh.title, row=row)
    if not lab:
        raise InputError(
            f"the lab cell {lab_cell} is empty",
            file=sh.book,
            sheet=sh.title,
            row=row,
            column=col,
            hint="enter the lab there or drop 'lab_cell' to take it from the file name",
        )
    return lab


def _from_range(sh: excel.Sheet, cell_range: str, unit_column: str | None):
    try:
        c0, r0, c1, r1 = range_boundaries(cell_range.upper())
    except (ValueError, TypeError):
        raise InputError(
            f"'{cell_range}' is not a cell range", key="range", hint="write it like A8:H29"
        ) from None
    if None in (c0, r0, c1, r1) or c1 <= c0:
        raise InputError(
            f"'{cell_range}' needs an analyte column and at least one replicate column",
            key="range",
            hint="write it like A8:H29 (analytes in the first column)",
        )
    skip = column_index_from_string(unit_column.upper()) if unit_column else None
    cols = [c for c in range(c0 + 1, c1 + 1) if c != skip]
    _no_merged(sh, r0, r1, c0, c1)
    return list(range(r0, r1 + 1)), cols, c0


def _from_headers(sh: excel.Sheet, unit_column: str | None):
    hr = next(
        (r for r in range(1, min(sh.max_row, 100) + 1) if _text(sh.value(r, 1)).lower() == ANALYTE_HEADER),
        None,
    )
    if hr is None:
        raise InputError(
            "no header cell 'Element' in column A",
            file=sh.book,
            sheet=sh.title,
            hint="set 'range:' to the analytes and replicates (e.g. A8:H29)",
        )
    rc = next(
        (c for c in range(2, sh.max_col + 1) if _text(sh.value(hr, c)).lower() == REPLICATE_HEADER), None
    )
    if rc is None:
        raise InputError(
            "no header cell 'Einzelwerte' in the row of 'Element'",
            file=sh.book,
            sheet=sh.title,
            row=hr,
            hint="set 'range:' to the analytes and replicates",
        )
    block = sh.merged_block(hr, 1)
    end = block[1] if block else hr
    cols = _numbered(sh, hr, end, rc)
    if not cols:
        raise InputError(
            "the replicate columns under 'Einzelwerte' are not numbered 1, 2, …",
            file=sh.book,
            sheet=sh.title,
            row=hr,
            hint="set 'range:' to the analytes and replicates",
        )
    if unit_column:
        skip = column_index_from_string(unit_column.upper())
        cols = [c for c in cols if c != skip]
    last = end
    while last + 1 <= sh.max_row and _text(sh.value(last + 1, 1)):
        last += 1
    if last == end:
        raise InputError(
            "no analytes below the header 'Element'",
            file=sh.book,
            sheet=sh.title,
            row=end + 1,
            hint="enter the results below the header or set 'range:'",
        )
    _no_merged(sh, end + 1, last, 1, cols[-1])
    return list(range(end + 1, last + 1)), cols, 1


def _numbered(sh: excel.Sheet, hr: int, end: int, rc: int) -> list[int]:
    for r in range(hr, end + 1):
        if sh.value(r, rc) == 1:
            cols, k = [], 1
            while sh.value(r, rc + k - 1) == k:
                cols.append(rc + k - 1)
                k += 1
            return cols
    return []


def _no_merged(sh: excel.Sheet, r0, r1, c0, c1):
    merged = sh.merged_in(r0, r1, c0, c1)
    if merged:
        raise InputError(
            f"merged cells {', '.join(merged)} among the results",
            file=sh.book,
            sheet=sh.title,
            hint="unmerge them (each result in its own cell) or set 'range:' around them",
        )


# -- eCerto stability and monitoring -----------------------------------------------------------


def is_monitoring(sh: excel.Sheet) -> bool:
    first = {_text(sh.value(1, c)).lower() for c in range(1, min(sh.max_col, 30) + 1)}
    return {"kw", "certval"} <= first and _value_row(sh) is not None


def _value_row(sh: excel.Sheet):
    return next(
        (r for r in range(3, min(sh.max_row, 12) + 1) if _text(sh.value(r, 1)).lower() == "value"), None
    )


def monitoring(book: excel.Book, sheet: str | None) -> tuple[list[dict], list[str], dict]:
    """Records of eCerto's monitoring input (one sheet per property), notes and the metadata."""
    titles = [sheet] if sheet is not None else book.visible()
    out, notes, meta = [], [], {}
    for t in titles:
        sh = excel.named_sheet(book, t)
        if not is_monitoring(sh):
            raise InputError(
                "is not in eCerto's monitoring layout (row 1: RM, KW, CertVal, U, …; then "
                "a row Value, Date, File, Comment)",
                file=book.name,
                sheet=t,
                hint="use that layout or a long table with analyte, date, value, u",
            )
        keys = [_text(sh.value(1, c)) for c in range(1, sh.max_col + 1)]
        info = {k: sh.value(2, c) for c, k in enumerate(keys, start=1) if k}
        kw = cells.identifier(info.get("KW"), column="KW", name=book.name, sheet=t, row=2)
        if not kw:
            raise InputError(
                "the property name (KW) is empty",
                file=book.name,
                sheet=t,
                row=2,
                column="KW",
                hint="enter the property measured",
            )
        meta[kw] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in info.items()}
        hr = _value_row(sh)
        head = {_text(sh.value(hr, c)).lower(): c for c in range(1, sh.max_col + 1) if _text(sh.value(hr, c))}
        for r in range(hr + 1, sh.max_row + 1):
            rec = {
                "analyte": kw,
                "value": sh.value(r, head["value"]),
                "date": sh.value(r, head["date"]) if "date" in head else None,
                "unit_of_measure": info.get("KW_Unit"),
                "source_row": r,
                "source_sheet": t,
            }
            for extra, col in (("file", "measurement_file"), ("comment", "comment")):
                if extra in head:
                    rec[col] = sh.value(r, head[extra])
            if _text(rec["value"]) == "" and _text(rec["date"]) == "":
                continue
            out.append(rec)
        notes.append(
            f"sheet '{t}': monitoring of {kw} ({info.get('KW_Def') or ''}) of {info.get('RM')}; "
            f"certified value {info.get('CertVal')} ± {info.get('U')} ({info.get('U_Def')}) "
            f"{info.get('KW_Unit') or ''}"
        )
        notes += sh.notes()
    return out, notes, meta


def is_ecerto_stability(book: excel.Book) -> bool:
    vis = book.visible()
    if not vis:
        return False
    for t in vis:
        sh = book.sheet(t)
        head = {_text(sh.f.cell(row=1, column=c).value).lower() for c in range(1, min(sh.max_col, 20) + 1)}
        if not ({"value", "date"} <= head and "analyte" not in head):
            return False
    return True


def ecerto_stability(book: excel.Book) -> tuple[list[dict], list[str]]:
    """eCerto's stability layout: one visible sheet per analyte (its name) with Value and Date."""
    out, notes = [], []
    for t in book.visible():
        sh = book.sheet(t)
        analyte = cells.identifier(t, column="sheet name", name=book.name, sheet=t)
        for rec in excel.table(sh):
            low = {k.strip().lower(): v for k, v in rec.items() if k != "source_row"}
            out.append(
                {
                    "value": low.get("value"),
                    "date": low.get("date"),
                    "source_row": rec["source_row"],
                    "analyte": analyte,
                    "source_sheet": t,
                }
            )
        notes += sh.notes()
    return out, notes
