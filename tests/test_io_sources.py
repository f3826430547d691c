"""Issue 15: ``data:`` takes a list of files and glob patterns; every row keeps its source."""

import re
from pathlib import Path

import pytest

from rmwork import params, workbook
from rmwork.errors import InputError


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def lot(folder: Path, data: str, study="characterization", extra="") -> Path:
    body = f"lot: L-1\nmaterial: m\nseed: 1\n{study}:\n  data: {data}\n{extra}"
    return write(folder, "lot.yaml", body)


def test_glob_and_list_read_every_file_once_with_its_source(tmp_path):
    write(tmp_path, "labs/a.csv", "analyte,lab,value\nFe,A,1.0\nFe,A,1.1\n")
    write(tmp_path, "labs/b.csv", "analyte,lab,value\nFe,B,1.2\nFe,B,1.25\n")
    write(tmp_path, "c.csv", "analyte,lab,value\nFe,C,1.3\nFe,C,1.4\n")
    lt = params.load(lot(tmp_path, "['labs/*.csv', c.csv, labs/a.csv]"))
    data = workbook.load_data(lt)
    df = data["characterization"]
    # a.csv named twice (by the glob and by name) is read once; glob matches sorted
    assert list(zip(df["source_file"], df["source_row"], df["lab"])) == [
        ("labs/a.csv", 2, "A"),
        ("labs/a.csv", 3, "A"),
        ("labs/b.csv", 2, "B"),
        ("labs/b.csv", 3, "B"),
        ("c.csv", 2, "C"),
        ("c.csv", 3, "C"),
    ]
    assert set(data.inputs) == {
        "characterization.data[0]",
        "characterization.data[1]",
        "characterization.data[2]",
    }
    import hashlib

    assert (
        data.inputs["characterization.data[1]"]["sha256"]
        == hashlib.sha256((tmp_path / "labs/b.csv").read_bytes()).hexdigest()
    )
    assert data.inputs["characterization.data[1]"]["rows"] == 2
    assert list(lt.data_files()) == list(data.inputs)


def test_glob_matching_nothing_is_refused_naming_the_key(tmp_path):
    with pytest.raises(
        InputError,
        match=r"key 'characterization.data': the pattern 'labs/\*.xlsx' "
        r"matches no file",
    ):
        params.load(lot(tmp_path, "labs/*.xlsx"))


def test_empty_list_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"key 'characterization.data'.*names no file"):
        params.load(lot(tmp_path, "[]"))


def test_data_as_read_shows_each_rows_file_and_row(tmp_path):
    from rmwork.report import lot as rlot

    write(tmp_path, "a.csv", "analyte,lab,value\nFe,A,1.0\nFe,A,1.1\n")
    write(tmp_path, "b.csv", "analyte,lab,value\nFe,B,1.2\nFe,B,1.3\n")
    wb = workbook.open(lot(tmp_path, "[a.csv, b.csv]"))
    page = rlot.data_as_read(wb).data
    assert "<th>source_file</th>" in re.sub(r' class="[^"]*"', "", page)
    rows = page[page.rindex("<table") :]  # the table as read (after the column summary)
    assert rows.count(">b.csv<") == 2 and rows.count(">a.csv<") == 2


def test_snapshot_round_trip_gives_the_same_frames_without_the_files(tmp_path):
    write(tmp_path, "a.csv", "analyte,lab,value\nFe,A,1.0\nFe,A,1.1\n")
    write(tmp_path, "b.csv", "analyte,lab,value\nFe,B,1.2\nFe,B,1.3\n")
    lt = params.load(lot(tmp_path, "[a.csv, b.csv]"))
    data = workbook.load_data(lt)
    snap = data.save(tmp_path)
    (tmp_path / "a.csv").write_text("analyte,lab,value\nFe,A,9\nFe,A,9\n", encoding="utf-8")
    wb = workbook.open(snap)
    assert wb.data["characterization"]["value"].tolist() == [1.0, 1.1, 1.2, 1.3]
    assert wb.data.inputs == data.inputs
