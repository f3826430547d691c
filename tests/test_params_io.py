"""Parameter files and data tables: validation messages name the file, row/key and problem."""

from pathlib import Path

import numpy as np
import pytest

from rmwork import io, params
from rmwork.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def lot_yaml(tmp_path, extra="", data="h.csv"):
    write(tmp_path, "h.csv", "analyte,unit,value\nFe,1,1.0\nFe,1,1.1\nFe,2,1.2\nFe,2,1.25\n")
    return write(
        tmp_path, "lot.yaml", f"lot: L-1\nmaterial: m\nseed: 1\nhomogeneity:\n  data: {data}\n{extra}"
    )


@pytest.mark.parametrize("name", ["RM-DEMO-CRM001", "RM-DEMO-M321"])
def test_shipped_lots_validate(name):
    lot = params.load(ROOT / "parameters" / f"{name}.yaml")
    assert lot.params.lot == name
    assert all(p.is_file() for p in lot.data_files().values())


def test_yaml12_scalars_keep_leading_zero_and_read_exponents(tmp_path):
    p = lot_yaml(tmp_path, extra="  alpha: 1e-2\n")
    p.write_text(p.read_text().replace("lot: L-1", "lot: 0123"))
    lot = params.load(p)
    assert lot.params.lot == "0123"  # YAML 1.1 would give the integer 83
    assert lot.params.homogeneity.alpha == 0.01  # YAML 1.1 would give the string '1e-2'


def test_unknown_key_suggests_close_match(tmp_path):
    p = lot_yaml(tmp_path, extra="  alpah: 0.05\n")
    with pytest.raises(
        InputError, match=r"lot.yaml, key 'homogeneity.alpah': unknown key; did you mean 'alpha'\?"
    ):
        params.load(p)


def test_duplicate_key_is_refused_with_lines(tmp_path):
    p = lot_yaml(tmp_path, extra="seed: 2\n")
    with pytest.raises(InputError, match=r"duplicate key 'seed' \(first at line 3, again at line 6\)"):
        params.load(p)


def test_yaml_syntax_error_names_line(tmp_path):
    p = write(tmp_path, "lot.yaml", "lot: L-1\nmaterial: [unclosed\nseed: 1\n")
    with pytest.raises(InputError, match=r"lot.yaml: YAML syntax error at line \d+"):
        params.load(p)


def test_unknown_method_lists_allowed(tmp_path):
    write(tmp_path, "c.csv", "analyte,lab,value,u\nA,L1,1,0.1\nA,L2,1.1,0.1\n")
    p = write(
        tmp_path,
        "lot.yaml",
        "lot: L\nmaterial: m\nseed: 1\ncharacterization:\n  data: c.csv\n  method: dersimonian_laird\n",
    )
    with pytest.raises(
        InputError,
        match=r"key 'characterization.method': 'dersimonian_laird' is not a "
        r"method; did you mean 'dersimonian-laird'\?",
    ):
        params.load(p)


def test_missing_data_file_is_refused(tmp_path):
    p = lot_yaml(tmp_path, data="nope.csv")
    with pytest.raises(InputError, match=r"key 'homogeneity.data': data file 'nope.csv' does not exist"):
        params.load(p)


def test_data_path_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "folder").mkdir()
    p = lot_yaml(tmp_path, data="folder")
    with pytest.raises(InputError, match="is not a file"):
        params.load(p)


def test_bad_lot_name_is_refused(tmp_path):
    p = lot_yaml(tmp_path)
    p.write_text(p.read_text().replace("lot: L-1", "lot: ../../etc"))
    with pytest.raises(InputError, match="key 'lot'"):
        params.load(p)


def test_yaml_tags_are_not_executed(tmp_path):
    p = write(
        tmp_path, "lot.yaml", "lot: !!python/object/apply:os.system ['touch pwned']\nmaterial: m\nseed: 1\n"
    )
    with pytest.raises(InputError):
        params.load(p)
    assert not (tmp_path / "pwned").exists()


# -- data tables ------------------------------------------------------------------------------


def test_text_in_numeric_column_names_row_and_column(tmp_path):
    f = write(tmp_path, "h.csv", "analyte,unit,value\nFe,1,1.0\nFe,1,abc\n")
    with pytest.raises(InputError, match=r"h.csv, row 3, column 'value': 'abc' is not a number"):
        io.read_table(f, study="homogeneity", display_name="h.csv")


def test_misspelt_column_suggests_match(tmp_path):
    f = write(tmp_path, "h.csv", "analyte,unti,value\nFe,1,1.0\n")
    with pytest.raises(InputError, match=r"required column 'unit' is missing; did you mean 'unti'\?"):
        io.read_table(f, study="homogeneity", display_name="h.csv")


def test_column_names_are_case_insensitive(tmp_path):
    f = write(tmp_path, "h.csv", "Analyte,UNIT,Value\nFe,1,1.0\nFe,1,1.1\n")
    df = io.read_table(f, study="homogeneity")
    assert list(df[["analyte", "unit", "value"]].iloc[0]) == ["Fe", "1", 1.0]


def test_utf8_bom_and_gb18030_chinese_names(tmp_path):
    text = "analyte,unit,value\n铁,1,1.0\n铁,1,1.1\n"
    for enc, name in (("utf-8-sig", "bom.csv"), ("gb18030", "gbk.csv")):
        df = io.read_table(write(tmp_path, name, text, enc), study="homogeneity")
        assert df["analyte"].iloc[0] == "铁"


def test_decimal_comma_with_semicolons_is_detected(tmp_path):
    f = write(tmp_path, "eu.csv", "analyte;unit;value\nFe;1;1,25\nFe;1;1,5\n")
    df = io.read_table(f, study="homogeneity")
    assert df["value"].tolist() == [1.25, 1.5]


def test_decimal_comma_in_a_dot_file_is_not_misread(tmp_path):
    f = write(tmp_path, "mixed.csv", 'analyte,unit,value\nFe,1,1.0\nFe,1,"1,5"\n')
    with pytest.raises(InputError, match=r"row 3, column 'value': '1,5' has a decimal comma"):
        io.read_table(f, study="homogeneity", display_name="mixed.csv")


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="the file is empty"):
        io.read_table(write(tmp_path, "e.csv", ""), study="homogeneity")


def test_header_only(tmp_path):
    with pytest.raises(InputError, match="no data rows"):
        io.read_table(write(tmp_path, "e.csv", "analyte,unit,value\n"), study="homogeneity")


def test_infinite_value(tmp_path):
    f = write(tmp_path, "h.csv", "analyte,unit,value\nFe,1,inf\n")
    with pytest.raises(InputError, match=r"row 2, column 'value': 'inf' is not a finite number"):
        io.read_table(f, study="homogeneity")


def test_truncated_xlsx(tmp_path):
    good = (ROOT / "data" / "RM-DEMO-M321" / "homogeneity.xlsx").read_bytes()
    f = write(tmp_path, "t.xlsx", good[: len(good) // 2])
    with pytest.raises(InputError, match="is not a readable Excel file"):
        io.read_table(f, study="homogeneity")


def test_binary_garbage_csv_is_refused(tmp_path):
    f = write(tmp_path, "g.csv", bytes(range(256)) * 4)
    with pytest.raises(InputError):
        io.read_table(f, study="homogeneity")


def test_ecerto_stability_layout_one_sheet_per_analyte():
    df = io.read_table(ROOT / "data" / "RM-DEMO-M321" / "stability.xlsx", study="stability")
    assert set(df["analyte"]) == {"Si", "Mn"}
    assert df.attrs["layout"] == "ecerto-stability"
    assert np.issubdtype(df["date"].dtype, np.datetime64)
    assert len(df) == 104
