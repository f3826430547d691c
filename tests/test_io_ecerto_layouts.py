"""eCerto's monitoring (LTS) and stability layouts read as shipped (issue 15).

Oracle: independent openpyxl reads of the shipped files, following eCerto's own reader
(R/fnc_read_lts_input.R: metadata in rows 1-2, results from the header row 4).
"""

import warnings
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from rmwork import io

ECERTO = Path(__file__).resolve().parent.parent / "data" / "ecerto"


def sheets(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(ECERTO / name, data_only=True)


def test_monitoring_ecerto_lts_example_values_dates_and_metadata():
    wb = sheets("eCerto_LTS_example_input.xlsx")
    expected = []
    for ws in wb.worksheets:
        kw = ws["B2"].value
        for row in ws.iter_rows(min_row=5, max_col=2):
            if row[0].value is not None:
                d = row[1].value
                d = d if isinstance(d, datetime) else datetime.strptime(d, "%d.%m.%Y")
                expected.append((kw, float(row[0].value), d.date(), ws.title, row[0].row))
    df = io.read_table(ECERTO / "eCerto_LTS_example_input.xlsx", study="stability")
    assert df.attrs["layout"] == "ecerto-monitoring"
    got = list(
        zip(df["analyte"], df["value"], [d.date() for d in df["date"]], df["source_sheet"], df["source_row"])
    )
    assert got == expected and len(expected) > 80
    assert df.attrs["meta"]["ABET"]["CertVal"] == wb.worksheets[0]["E2"].value
    assert df.attrs["meta"]["ABET"]["U"] == wb.worksheets[0]["F2"].value
    assert set(df.loc[df["analyte"] == "ABET", "unit_of_measure"]) == {wb.worksheets[0]["D2"].value}
    assert any("certified value 5.41 ± 0.24" in n for n in df.attrs["notes"])


def test_stability_ecerto_one_sheet_per_analyte_source_sheet_and_row():
    wb = sheets("Stability_Testdata.xlsx")
    df = io.read_table(ECERTO / "Stability_Testdata.xlsx", study="stability")
    assert df.attrs["layout"] == "ecerto-stability"
    for ws in wb.worksheets:
        part = df[df["source_sheet"] == ws.title]
        vals = [r[0].value for r in ws.iter_rows(min_row=2, max_col=1) if r[0].value is not None]
        assert part["value"].tolist() == vals
        assert set(part["analyte"]) == {ws.title}
        assert part["source_row"].tolist() == list(range(2, 2 + len(vals)))


def test_homogeneity_ecerto_homog_test_reads_like_pandas():
    import pandas as pd

    ref = pd.read_excel(ECERTO / "Homog_Test.xlsx")
    df = io.read_table(ECERTO / "Homog_Test.xlsx", study="homogeneity")
    assert df["value"].tolist() == ref["value"].tolist()
    assert df["unit"].tolist() == ref["Flasche"].astype(str).tolist()
    assert df["group"].tolist() == ref["H_type"].tolist()
    assert set(df["source_sheet"]) == {"some_name"}


def test_monitoring_layout_named_on_a_plain_table_is_refused(tmp_path):
    from openpyxl import Workbook

    from rmwork.errors import InputError

    wb = Workbook()
    wb.active.append(["analyte", "date", "value"])
    wb.active.append(["Fe", "2020-01-01", 1.0])
    wb.save(tmp_path / "m.xlsx")
    with pytest.raises(InputError, match=r"is not in eCerto's monitoring layout"):
        io.read_table(tmp_path / "m.xlsx", study="stability", layout="ecerto-monitoring")
