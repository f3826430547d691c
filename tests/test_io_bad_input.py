"""Bad and tricky data files of issue 15 (and issue 16's identifier rule), one test per case.

Each case checks the one-line message (file, sheet, row, column; the remedy), or the correct
reading.  The last tests run a few of them through ``rmwork validate`` as a user does.
"""

from __future__ import annotations

import io as _io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from rmwork import io, params, workbook
from rmwork.errors import InputError

H = [
    ["analyte", "unit", "value"],
    ["X", "B1", 0.00480],
    ["X", "B1", 0.00490],
    ["X", "B2", 0.00485],
    ["X", "B2", 0.00484],
]
WRONG = [
    ["analyte", "unit", "value"],
    ["X", "B1", 0.0480],
    ["X", "B1", 0.0490],
    ["X", "B2", 0.0485],
    ["X", "B2", 0.0484],
]


def xlsx(path: Path, sheets: dict, states: dict | None = None, merge: str | None = None) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        ws.sheet_state = (states or {}).get(title, "visible")
        if merge and title == next(iter(sheets)):
            ws.merge_cells(merge)
    wb.save(path)
    return path


def with_cached_values(path: Path, cached: dict[str, str]) -> Path:
    """Give formula cells the value a spreadsheet program caches (openpyxl writes none)."""
    buf = _io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                for ref, v in cached.items():
                    text = re.sub(
                        rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\g<1><v>{v}</v>", text
                    )
                data = text.encode()
            zout.writestr(item, data)
    path.write_bytes(buf.getvalue())
    return path


def read(path, **kw):
    return io.read_table(path, study=kw.pop("study", "homogeneity"), display_name=path.name, **kw)


# -- Excel ------------------------------------------------------------------------------------


def test_xlsx_two_visible_sheets_refused_listing_them(tmp_path):
    f = xlsx(tmp_path / "h.xlsx", {"Fe": H, "Notes": [["text"], ["x"]]})
    with pytest.raises(
        InputError,
        match=r"h.xlsx: has 2 visible sheets \('Fe', 'Notes'\); name the one "
        r"to read with 'sheet:'",
    ):
        read(f)
    assert read(f, sheet="Fe")["value"].tolist() == [0.0048, 0.0049, 0.00485, 0.00484]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_xlsx_hidden_first_sheet_is_never_read_unless_named(tmp_path, state):
    """Issue 15's measured case: a hidden first sheet with values ten times too large."""
    f = xlsx(tmp_path / "h.xlsx", {"old": WRONG, "Fe": H}, states={"old": state})
    df = read(f)
    assert df["value"].tolist() == [0.0048, 0.0049, 0.00485, 0.00484]
    assert set(df["source_sheet"]) == {"Fe"}
    assert "hidden sheets not read: 'old'" in df.attrs["notes"]
    named = read(f, sheet="old")
    assert named["value"].tolist() == [0.048, 0.049, 0.0485, 0.0484]
    assert any("is hidden" in n or "is very hidden" in n for n in named.attrs["notes"])


def test_xlsx_formula_uses_the_cached_value_and_says_so(tmp_path):
    rows = [r[:] for r in H]
    rows[2][2] = "=C2+0.0001"
    f = with_cached_values(xlsx(tmp_path / "h.xlsx", {"Fe": rows}), {"C3": "0.0049"})
    df = read(f)
    assert df["value"].tolist() == [0.0048, 0.0049, 0.00485, 0.00484]
    assert any("1 cells are formulas" in n and "C3" in n for n in df.attrs["notes"])


def test_xlsx_formula_without_cached_value_is_refused(tmp_path):
    rows = [r[:] for r in H]
    rows[2][2] = "=C2+0.0001"
    f = xlsx(tmp_path / "h.xlsx", {"Fe": rows})
    with pytest.raises(
        InputError,
        match=r"h.xlsx, sheet Fe, row 3: cell C3 holds a formula without a "
        r"cached value.*let it calculate",
    ):
        read(f)


def test_xlsx_merged_header_cells_are_refused_naming_the_range(tmp_path):
    f = xlsx(
        tmp_path / "h.xlsx",
        {"Fe": [["analyte", "unit", "value", None]] + [r + [None] for r in H[1:]]},
        merge="C1:D1",
    )
    with pytest.raises(InputError, match=r"sheet Fe: merged cells C1:D1 in the table; unmerge them"):
        read(f)


def test_lab_sheet_merged_header_block_is_read_by_position(tmp_path):
    """eCerto's Ergebnisblatt merges A5:A7 ('Element'); data start below the merged block."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Ergebnisse"
    ws["A5"], ws["C5"] = "Element", "Einzelwerte"
    ws["C6"], ws["D6"] = 1, 2
    ws.merge_cells("A5:A7")
    ws["A8"], ws["C8"], ws["D8"] = "Fe", 0.5, 0.51
    wb.save(tmp_path / "Ergebnisblatt_T_L9_m.xlsx")
    df = io.read_table(tmp_path / "Ergebnisblatt_T_L9_m.xlsx", study="characterization", layout="lab-sheet")
    assert list(zip(df["lab"], df["analyte"], df["value"], df["source_row"])) == [
        ("L9", "Fe", 0.5, 8),
        ("L9", "Fe", 0.51, 8),
    ]


# -- encodings --------------------------------------------------------------------------------


def test_csv_latin1_micro_gram_per_litre_is_read_as_latin1_never_gb18030(tmp_path):
    f = tmp_path / "h.csv"
    f.write_bytes(
        "analyte,unit,value,unit_of_measure\nX,B1,1.0,µg/L\nX,B1,1.1,µg/L\nX,B2,1.2,µg/L\n".encode("latin-1")
    )
    assert f.read_bytes().decode("gb18030").count("礸")  # the premise: GB18030 would give 礸/L
    df = read(f)
    assert set(df["unit_of_measure"]) == {"µg/L"}
    assert any("read as Latin-1" in n for n in df.attrs["notes"])


def test_csv_ambiguous_encoding_is_refused_naming_the_candidates(tmp_path):
    f = tmp_path / "h.csv"
    f.write_bytes("analyte,unit,value\nGröße,B1,1.0\nGröße,B1,1.1\n".encode("latin-1"))
    with pytest.raises(
        InputError,
        match=r"h.csv: is not UTF-8 and its encoding is ambiguous \(GB18030 reads "
        r".*; Latin-1 reads 'Größe'\); .*set 'encoding'",
    ):
        read(f)
    assert read(f, encoding="latin-1")["analyte"].iloc[0] == "Größe"


def test_csv_gb18030_chinese_is_read_when_unambiguous(tmp_path):
    f = tmp_path / "h.csv"
    f.write_bytes("analyte,unit,value\n铁,1,1.0\n铁,1,1.1\n".encode("gb18030"))
    df = read(f)
    assert df["analyte"].iloc[0] == "铁"
    assert any("GB18030" in n for n in df.attrs["notes"])


def test_csv_utf8_with_and_without_bom_has_no_note(tmp_path):
    for enc in ("utf-8", "utf-8-sig"):
        f = tmp_path / f"{enc}.csv"
        f.write_bytes("analyte,unit,value,unit_of_measure\nX,B1,1.0,µg/L\nX,B1,1.1,µg/L\n".encode(enc))
        df = read(f)
        assert set(df["unit_of_measure"]) == {"µg/L"} and df.attrs["notes"] == []


# -- censored results -------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["<LOD", "< 0.1", "n.d.", "ND", "<0,05"])
def test_censored_result_is_refused_naming_the_options(tmp_path, cell):
    f = tmp_path / "h.csv"
    f.write_text(f'analyte,unit,value\nX,B1,1.0\nX,B1,"{cell}"\nX,B2,1.2\n', encoding="utf-8")
    with pytest.raises(
        InputError,
        match=rf"h.csv, row 3, column 'value': '{re.escape(cell)}' is a censored "
        r"result.*set 'censored: exclude'",
    ):
        read(f)


def test_censored_exclude_records_each_with_its_reason_in_the_report(tmp_path):
    (tmp_path / "c.csv").write_text(
        "analyte,lab,value\nX,L1,1.0\nX,L1,<LOD\nX,L2,1.2\nX,L2,n.d.\nX,L2,1.3\nX,L1,1.1\n", encoding="utf-8"
    )
    p = tmp_path / "lot.yaml"
    p.write_text(
        "lot: C\nmaterial: m\nseed: 1\ncharacterization:\n  data: c.csv\n  censored: exclude\n",
        encoding="utf-8",
    )
    wb = workbook.open(p)
    df = wb.data["characterization"]
    assert df["value"].tolist() == [1.0, 1.2, 1.3, 1.1]
    ex = df.attrs["excluded"]
    assert [(e["row"], e["lab"], e["value"]) for e in ex] == [(3, "L1", "<LOD"), (5, "L2", "n.d.")]
    assert ex[0]["reason"] == "censored result '<LOD' (censored: exclude)"
    from rmwork.report import lot as rlot

    page = rlot.data_as_read(wb).data
    assert "Excluded results — characterization (2; not used in any statistic)" in page
    assert "censored result &#x27;n.d.&#x27; (censored: exclude)" in page


# -- lab ids and identifiers ------------------------------------------------------------------


def lot_c(tmp_path, rows: str, extra="") -> Path:
    (tmp_path / "c.csv").write_text("analyte,lab,value\n" + rows, encoding="utf-8")
    p = tmp_path / "lot.yaml"
    p.write_text(f"lot: C\nmaterial: m\nseed: 1\ncharacterization:\n  data: c.csv\n{extra}", encoding="utf-8")
    return p


CASE_LABS = "X,BAM-ICPs,1.0\nX,BAM-ICPs,1.1\nX,L2,1.2\nX,L2,1.3\nX, bam-icps ,1.05\n"


def test_lab_ids_differing_in_case_or_spaces_are_refused_with_a_hint(tmp_path):
    with pytest.raises(
        InputError,
        match=r"c.csv, row 6, column 'lab': labs 'BAM-ICPs' \(c.csv, row 2\) "
        r"and 'bam-icps' differ only in case or spaces; .*"
        r"'characterization.lab_aliases'",
    ):
        workbook.open(lot_c(tmp_path, CASE_LABS))


def test_lab_aliases_map_variants_to_one_lab(tmp_path):
    wb = workbook.open(lot_c(tmp_path, CASE_LABS, "  lab_aliases: {bam-icps: BAM-ICPs}\n"))
    assert wb.data["characterization"]["lab"].tolist() == ["BAM-ICPs", "BAM-ICPs", "L2", "L2", "BAM-ICPs"]


@pytest.mark.parametrize(
    "text, column, what",
    [
        ("X\u200b", "analyte", "an invisible character U+200B ZERO WIDTH SPACE"),
        ("L3\u202egnp.exe", "lab", "a bidirectional control character U+202E RIGHT-TO-LEFT OVERRIDE"),
    ],
)
def test_identifier_with_invisible_or_bidi_character_is_refused_naming_row_and_column(
    tmp_path, text, column, what
):
    row = f"{text},L1,1.0\n" if column == "analyte" else f"X,{text},1.0\n"
    p = lot_c(tmp_path, "X,L1,1.0\nX,L2,1.1\nX,L2,1.2\n" + row)
    with pytest.raises(InputError, match=rf"c.csv, row 5, column '{column}': .* contains {re.escape(what)}"):
        workbook.open(p)


def test_identifiers_are_normalised_to_nfc(tmp_path):
    """'é' typed as e + combining acute and as one character is one analyte."""
    p = lot_c(
        tmp_path, "Sele\u0301nium,L1,1.0\nSel\u00e9nium,L1,1.1\nSel\u00e9nium,L2,1.2\nSele\u0301nium,L2,1.3\n"
    )
    df = workbook.open(p).data["characterization"]
    assert set(df["analyte"]) == {"Sel\u00e9nium"}


def test_lab_from_file_name_with_bidi_character_is_refused(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Ergebnisse"
    ws["A1"], ws["C1"], ws["C2"] = "Element", "Einzelwerte", 1
    ws["A3"], ws["C3"] = "Fe", 0.5
    f = tmp_path / "Ergebnisblatt_T_L\u202e9_m.xlsx"
    wb.save(f)
    with pytest.raises(InputError, match=r"column 'file name': .*bidirectional control character U\+202E"):
        io.read_table(f, study="characterization", layout="lab-sheet")


# -- through the command line -----------------------------------------------------------------


def validate(p: Path):
    exe = Path(sys.executable).parent / "rmwork"
    return subprocess.run([str(exe), "validate", str(p)], capture_output=True, text=True, timeout=300)


def test_validate_hidden_sheet_case_and_ambiguous_encoding_one_line_each(tmp_path):
    d1 = tmp_path / "a"
    d1.mkdir()
    xlsx(d1 / "h.xlsx", {"Fe": H, "Mg": H})
    (d1 / "lot.yaml").write_text(
        "lot: A\nmaterial: m\nseed: 1\nhomogeneity:\n  data: h.xlsx\n  bayes: false\n"
    )
    d2 = tmp_path / "b"
    d2.mkdir()
    (d2 / "h.csv").write_bytes(
        "analyte,unit,value\nGröße,B1,1.0\nGröße,B1,1.1\nGröße,B2,1.2\nGröße,B2,1.3\n".encode("latin-1")
    )
    (d2 / "lot.yaml").write_text(
        "lot: B\nmaterial: m\nseed: 1\nhomogeneity:\n  data: h.csv\n  bayes: false\n"
    )
    for d, frag in ((d1, "has 2 visible sheets ('Fe', 'Mg')"), (d2, "encoding is ambiguous")):
        r = validate(d / "lot.yaml")
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rmwork: ") and frag in lines[0], r.stderr


def test_data_path_that_is_a_symlink_loop_is_refused_in_one_line(tmp_path):
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    (tmp_path / "lot.yaml").write_text("lot: A\nmaterial: m\nseed: 1\nhomogeneity:\n  data: loop.csv\n")
    with pytest.raises(
        InputError, match=r"key 'homogeneity.data': data path 'loop.csv' is a loop of symbolic links"
    ):
        params.load(tmp_path / "lot.yaml")
