"""eCerto's laboratory result sheets (Ergebnisblatt, BAM-M321) read as shipped (issue 15).

Oracle: an independent openpyxl read of the six shipped files, written here from the layout
described in data/ecerto/SOURCE.md (sheet 'Ergebnisse', analyte in column A, six replicates in
columns C-H, from row 8), not through rmwork.io.
"""

import re
import shutil
import warnings
from pathlib import Path

import openpyxl
import pytest

from rmwork import params, workbook
from rmwork.errors import InputError

ECERTO = Path(__file__).resolve().parent.parent / "data" / "ecerto"
SHEETS = sorted(ECERTO.glob("Ergebnisblatt_BAM-M321_*_m.xlsx"))


def independent_read() -> list[tuple]:
    out = []
    for f in SHEETS:
        lab = re.fullmatch(r"Ergebnisblatt_BAM-M321_(.+)_m\.xlsx", f.name).group(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ws = openpyxl.load_workbook(f, data_only=True)["Ergebnisse"]
        for row in ws.iter_rows(min_row=8, max_col=8):
            if row[0].value is None:
                break
            for k, cell in enumerate(row[2:8], start=1):
                if cell.value is not None:
                    out.append((lab, row[0].value, k, float(cell.value), cell.row))
    return out


@pytest.fixture
def labs(tmp_path):
    if len(SHEETS) != 6:
        pytest.fail(f"the six M321 result sheets are missing from {ECERTO}")
    d = tmp_path / "labs"
    d.mkdir()
    for f in SHEETS:
        shutil.copy(f, d / f.name)
    return tmp_path


def lot(folder, extra="", analytes=""):
    p = folder / "lot.yaml"
    p.write_text(
        f"lot: M321\nmaterial: m\nseed: 1\n{analytes}characterization:\n"
        f"  data: labs/Ergebnisblatt_*.xlsx\n  layout: lab-sheet\n{extra}",
        encoding="utf-8",
    )
    return params.load(p)


def test_lab_sheet_ecerto_m321_six_sheets_give_exactly_the_cells_numbers(labs):
    lt = lot(labs, extra='  unit_of_measure: "% (m/m)"\n')
    df = workbook.read(lt, lt.params.characterization, "characterization")
    got = sorted(zip(df["lab"], df["analyte"], df["replicate"], df["value"], df["source_row"]))
    expected = sorted(independent_read())
    assert len(expected) == 482  # the count of results in the six files
    assert got == expected  # exact floats: no rounding, no conversion
    assert set(df["source_sheet"]) == {"Ergebnisse"}
    assert df.loc[df["lab"] == "BAM-3", "source_file"].iloc[0] == "labs/Ergebnisblatt_BAM-M321_BAM-3_m.xlsx"
    # the three BAM files all say Labor 'BAM-phot' in B2: the lab comes from the file name
    assert {"BAM-3", "BAM-ICPs", "BAM-photom"} <= set(df["lab"])
    # the sheet beside 'Ergebnisse' is named as not read
    assert any(n.endswith("other sheets not read: 'nassch. Analysenverfahren'") for n in df.attrs["notes"])


def test_lab_sheet_without_units_is_refused_naming_the_analytes(labs):
    # analytes: selects what is read (issue 14): the listed analytes without a unit are named
    lt = lot(labs, analytes='analytes:\n  Si: {}\n  Fe: {unit: "% (m/m)"}\n  Cu: {}\n')
    with pytest.raises(
        InputError,
        match=r"the lab sheets give no unit for Si, Cu; give each analyte its unit under 'analytes:'",
    ):
        workbook.read(lt, lt.params.characterization, "characterization")
    # nothing listed: every analyte of the sheets is read, and each needs its unit
    lt = lot(labs)
    with pytest.raises(InputError, match=r"the lab sheets give no unit for Si, Fe, Cu, .*; give each"):
        workbook.read(lt, lt.params.characterization, "characterization")


def test_lab_sheet_reads_only_the_analytes_the_lot_selects(labs):
    """Issue 14: with Fe alone under analytes:, only Fe is read; the other analytes of the six
    sheets need no unit and are named as not selected (independent openpyxl read as oracle)."""
    lt = lot(labs, analytes='analytes:\n  Fe: {unit: "% (m/m)"}\n')
    df = workbook.read(lt, lt.params.characterization, "characterization")
    expected = [r for r in independent_read() if r[1] == "Fe"]
    assert sorted(zip(df["lab"], df["analyte"], df["replicate"], df["value"], df["source_row"])) == sorted(
        expected
    )
    every = list(dict.fromkeys(r[1] for r in sorted(independent_read(), key=lambda r: (r[0], r[4]))))
    assert set(df.attrs["not_selected"]) == set(every) - {"Fe"}


def test_lab_sheet_units_from_the_lots_analytes_and_selection(labs):
    lt = lot(
        labs,
        extra="  analytes: [Fe, Mn]\n",
        analytes='analytes:\n  Fe: {unit: "% (m/m)"}\n  Mn: {unit: "mg/kg"}\n',
    )
    df = workbook.read(lt, lt.params.characterization, "characterization")
    assert dict(zip(df["analyte"], df["unit_of_measure"])) == {"Fe": "% (m/m)", "Mn": "mg/kg"}
    assert any(
        n.startswith("analytes not read (not in characterization.analytes): Si, Cu")
        for n in df.attrs["notes"]
    )


def test_lab_sheet_lab_cell_makes_duplicate_labs_visible(labs):
    """With lab_cell B2 the three BAM files name the same lab 'BAM-phot': one lab then."""
    lt = lot(labs, extra='  unit_of_measure: "% (m/m)"\n  lab_cell: B2\n  analytes: [Fe]\n')
    df = workbook.read(lt, lt.params.characterization, "characterization")
    assert set(df["lab"]) == {
        "AMAG Rolling GmbH Abt. ROL F CA",
        "Aleris Duffel",
        "ALERIS Rolled Products Germany GmbH",
        "BAM-phot",
    }
    assert (df["lab"] == "BAM-phot").sum() == 18


def test_lab_sheet_range_and_unit_column_read_that_block(tmp_path):
    """A lab's own template: analytes in A, units in B, replicates C-E from row 3."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Results"
    rows = [
        ["Interlaboratory study X"],
        ["element", "unit", "r1", "r2", "r3", "mean"],
        ["Cd", "mg/kg", 0.51, 0.52, None, "=AVERAGE(C3:E3)"],
        ["Pb", "µg/kg", 12.5, 12.25, 12.0, None],
    ]
    for r in rows:
        ws.append(r)
    (tmp_path / "labs").mkdir()
    wb.save(tmp_path / "labs" / "lab7.xlsx")
    p = tmp_path / "lot.yaml"
    p.write_text(
        "lot: X\nmaterial: m\nseed: 1\ncharacterization:\n  data: labs/lab7.xlsx\n"
        "  layout: lab-sheet\n  range: A3:E4\n  unit_column: B\n",
        encoding="utf-8",
    )
    lt = params.load(p)
    df = workbook.read(lt, lt.params.characterization, "characterization")
    got = list(
        zip(df["lab"], df["analyte"], df["replicate"], df["value"], df["unit_of_measure"], df["source_row"])
    )
    assert got == [
        ("lab7", "Cd", 1, 0.51, "mg/kg", 3),
        ("lab7", "Cd", 2, 0.52, "mg/kg", 3),
        ("lab7", "Pb", 1, 12.5, "µg/kg", 4),
        ("lab7", "Pb", 2, 12.25, "µg/kg", 4),
        ("lab7", "Pb", 3, 12.0, "µg/kg", 4),
    ]
    assert any("1 empty replicate cells" in n for n in df.attrs["notes"])


def test_lab_sheet_range_that_is_not_a_range_is_refused(labs):
    lt = lot(labs, extra='  unit_of_measure: "% (m/m)"\n  range: nonsense\n')
    with pytest.raises(InputError, match=r"key 'range': 'nonsense' is not a cell range"):
        workbook.read(lt, lt.params.characterization, "characterization")
