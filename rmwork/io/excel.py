"""Reading Excel workbooks: which sheet, which cells, and what a formula cell holds.

- A workbook with several visible sheets is refused unless ``sheet:`` names one (the message
  lists them), except for layouts that use every sheet (eCerto's one sheet per analyte).
- Hidden and very hidden sheets are never read unless ``sheet:`` names them; the report says
  which sheets were skipped.  (A hidden first sheet read silently once made a homogeneity mean
  ten times too large.)
- A formula cell gives the value Excel cached when the file was last saved, and the report says
  which cells were formulas; a formula without a cached value (a file written by a program that
  does not compute) is refused.
- Merged cells in a table's header row or data are refused, naming the range; the lab-sheet
  layout reads its merged header block by position.
"""

from __future__ import annotations

import io as _io
import warnings
import zipfile
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from ..errors import InputError


@dataclass
class Book:
    """A workbook read twice: formulas (``f``) and the values Excel cached (``v``)."""

    name: str
    f: object
    v: object

    def states(self) -> dict[str, str]:
        return {ws.title: ws.sheet_state for ws in self.f.worksheets}

    def visible(self) -> list[str]:
        return [t for t, s in self.states().items() if s == "visible"]

    def hidden(self) -> list[str]:
        return [t for t, s in self.states().items() if s != "visible"]

    def sheet(self, title: str) -> Sheet:
        return Sheet(
            book=self.name, title=title, f=self.f[title], v=self.v[title], state=self.states()[title]
        )


@dataclass
class Sheet:
    book: str
    title: str
    f: object
    v: object
    state: str
    formulas: list[str] = field(default_factory=list)

    @property
    def max_row(self) -> int:
        return self.v.max_row

    @property
    def max_col(self) -> int:
        return self.v.max_column

    def value(self, row: int, col: int):
        """The cell's value; a formula gives its cached value (recorded), or is refused without one."""
        raw = self.f.cell(row=row, column=col).value
        cached = self.v.cell(row=row, column=col).value
        if _is_formula(raw):
            ref = f"{get_column_letter(col)}{row}"
            if cached is None:
                raise InputError(
                    f"cell {ref} holds a formula without a cached value ({str(raw)[:40]})",
                    file=self.book,
                    sheet=self.title,
                    row=row,
                    hint="open the file in a spreadsheet program, let it calculate and "
                    "save it, or replace the formula by its value",
                )
            self.formulas.append(ref)
        return cached

    def merged_in(self, min_row, max_row, min_col, max_col) -> list[str]:
        out = []
        for rng in self.f.merged_cells.ranges:
            if (
                rng.max_row >= min_row
                and rng.min_row <= max_row
                and rng.max_col >= min_col
                and rng.min_col <= max_col
            ):
                out.append(rng.coord)
        return sorted(out)

    def merged_block(self, row: int, col: int):
        """The merged range holding the cell, as (min_row, max_row, min_col, max_col), or None."""
        for rng in self.f.merged_cells.ranges:
            if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
                return rng.min_row, rng.max_row, rng.min_col, rng.max_col
        return None

    def notes(self) -> list[str]:
        out = []
        if self.state != "visible":
            out.append(
                f"sheet '{self.title}' is {self.state.replace('veryHidden', 'very hidden')} "
                "and was read because the parameter file names it"
            )
        if self.formulas:
            shown = ", ".join(self.formulas[:8]) + (" …" if len(self.formulas) > 8 else "")
            out.append(
                f"sheet '{self.title}': {len(self.formulas)} cells are formulas; the values "
                f"Excel cached when the file was saved were used ({shown})"
            )
        return out


def _is_formula(raw) -> bool:
    if isinstance(raw, str):
        return raw.startswith("=")
    return raw.__class__.__name__ in ("ArrayFormula", "DataTableFormula")


def open_book(raw: bytes, name: str) -> Book:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # print areas, data validation extensions
            f = openpyxl.load_workbook(_io.BytesIO(raw), data_only=False)
            v = openpyxl.load_workbook(_io.BytesIO(raw), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, TypeError) as exc:
        raise InputError(
            f"is not a readable Excel file ({exc.__class__.__name__})",
            file=name,
            hint="open it in a spreadsheet program and save it again as .xlsx",
        ) from None
    return Book(name=name, f=f, v=v)


def named_sheet(book: Book, sheet: str) -> Sheet:
    if sheet not in book.states():
        raise InputError(
            f"has no sheet '{sheet}'",
            file=book.name,
            hint=f"its sheets are {', '.join(repr(s) for s in book.states())}",
        )
    return book.sheet(sheet)


def one_sheet(book: Book, sheet: str | None) -> Sheet:
    """The sheet to read: the named one, else the only visible one, else refused listing them."""
    if sheet is not None:
        return named_sheet(book, sheet)
    vis = book.visible()
    if len(vis) == 1:
        return book.sheet(vis[0])
    if not vis:
        raise InputError("has no visible sheet", file=book.name, hint="name the sheet to read with 'sheet:'")
    raise InputError(
        f"has {len(vis)} visible sheets ({', '.join(repr(s) for s in vis)})",
        file=book.name,
        hint="name the one to read with 'sheet:' in the parameter file",
    )


def skipped_note(book: Book, read: list[str]) -> list[str]:
    """Which sheets were not read: the report names every one."""
    hidden = [s for s in book.hidden() if s not in read]
    other = [s for s in book.visible() if s not in read]
    return ([f"hidden sheets not read: {', '.join(repr(s) for s in hidden)}"] if hidden else []) + (
        [f"other sheets not read: {', '.join(repr(s) for s in other)}"] if other else []
    )


def table(sh: Sheet) -> list[dict]:
    """A long table: header in row 1, one record per row below (``source_row`` = sheet row)."""
    ncol, nrow = sh.max_col, sh.max_row
    header = [sh.value(1, c) for c in range(1, ncol + 1)]
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header.pop()
    ncol = len(header)
    if ncol == 0:
        return []
    merged = sh.merged_in(1, nrow, 1, ncol)
    if merged:
        raise InputError(
            f"merged cells {', '.join(merged)} in the table",
            file=sh.book,
            sheet=sh.title,
            hint="unmerge them so that each column has its own name in row 1 and each row its own values",
        )
    seen: dict[str, str] = {}
    for c, h in enumerate(header, start=1):
        col = get_column_letter(c)
        if h is None or str(h).strip() == "":
            raise InputError(
                f"column {col} has no name in row 1",
                file=sh.book,
                sheet=sh.title,
                row=1,
                hint="name every column of the table",
            )
        key = str(h).strip().lower()
        if key in seen:
            raise InputError(
                f"column '{key}' appears twice (columns {seen[key]} and {col})",
                file=sh.book,
                sheet=sh.title,
                hint="column names are case-insensitive; rename one",
            )
        seen[key] = col
    rows = []
    for r in range(2, nrow + 1):
        rec = {str(h): sh.value(r, c) for c, h in enumerate(header, start=1)}
        rec["source_row"] = r
        rows.append(rec)
    return rows
