"""Large tables (issue 16): a bounded data-as-read section, the full table as CSV in the report
folder, and a homogeneity lot of a million results that completes ``rmwork run``.

Was: 999,000 rows validated in 25 s, then the run failed after 332 s with "papermill stopped
with status 1 (-------------------)": the first cell rendered every row as an HTML table and hit
nbclient's IOPub timeout.  The ANOVA numbers of the million-result lot are checked against a
one-way ANOVA written here with pandas (sums of squares about the unit means and the grand mean;
ISO Guide 35:2017, 7.7, equations of B.3).
"""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rmwork import preflight, workbook
from rmwork.report import lot as rlot

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "rmwork"
sys.path.insert(0, str(ROOT / "benchmarks"))
from large_lot import write_table  # noqa: E402 - the benchmark's generator: one design everywhere


def make_lot(folder: Path, n_units: int, n_rep: int, n_analytes: int = 2, lot="BIG-1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder / "h.csv", n_analytes, n_units, n_rep)
    p = folder / f"{lot}.yaml"
    p.write_text(f"lot: {lot}\nmaterial: m\nseed: 1\nhomogeneity:\n  data: h.csv\n  bayes: false\n")
    return p


def rows_of(html_text: str, caption_start: str) -> int:
    m = re.search(
        rf"<caption>{re.escape(caption_start)}.*?</caption>.*?<tbody>(.*?)</tbody>", html_text, re.S
    )
    assert m, caption_start
    return m.group(1).count("<tr>")


def test_data_as_read_shows_a_bounded_preview_counts_and_summaries(tmp_path):
    p = make_lot(tmp_path, n_units=50, n_rep=10)  # 1,000 rows
    wb = workbook.open(p)
    page = rlot.data_as_read(wb, tmp_path / "out").data
    assert "1,000 rows" in page and "Showing the first 20 of 1,000 rows" in page
    assert rows_of(page, "Table D1-homogeneity — Data as read — homogeneity") == rlot.PREVIEW_ROWS
    # one row per column as read: analyte unit replicate value uom, and source_file, source_row
    n_columns = len(wb.data["homogeneity"].columns)
    assert rows_of(page, "Table D2-homogeneity — Column summary — homogeneity") == n_columns == 7
    df = pd.read_csv(tmp_path / "h.csv")
    summary = re.search(r"<td class=\"text[^\"]*\">value</td>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", summary)
    assert cells[0] == "number" and int(cells[1]) == 1000 and int(cells[2]) == df["value"].nunique()
    assert float(cells[3]) == pytest.approx(df["value"].min(), rel=1e-9)
    assert float(cells[4]) == pytest.approx(df["value"].mean(), rel=1e-9)
    assert float(cells[5]) == pytest.approx(df["value"].max(), rel=1e-9)


def test_data_as_read_writes_the_full_table_as_csv(tmp_path):
    p = make_lot(tmp_path, n_units=50, n_rep=10)
    wb = workbook.open(p)
    rlot.data_as_read(wb, tmp_path / "out")
    back = pd.read_csv(tmp_path / "out" / "data" / "homogeneity.csv", dtype={"unit": str, "analyte": str})
    src = pd.read_csv(tmp_path / "h.csv", dtype={"unit": str, "analyte": str})
    assert list(back["source_row"]) == list(range(2, 1002))
    assert (back["value"].to_numpy() == src["value"].to_numpy()).all()
    assert (back["unit"] == src["unit"]).all() and (back["analyte"] == src["analyte"]).all()
    # same table, same bytes
    first = (tmp_path / "out" / "data" / "homogeneity.csv").read_bytes()
    rlot.data_as_read(workbook.open(p), tmp_path / "out")
    assert (tmp_path / "out" / "data" / "homogeneity.csv").read_bytes() == first


def test_data_as_read_shows_a_small_table_whole(tmp_path):
    p = make_lot(tmp_path, n_units=10, n_rep=10)  # 200 rows
    page = rlot.data_as_read(workbook.open(p)).data
    assert rows_of(page, "Table D1-homogeneity — Data as read — homogeneity") == 200
    assert "Showing the first" not in page


def independent_anova(df: pd.DataFrame) -> dict:
    g = df.groupby("unit")["value"]
    n_i, means = g.size(), g.mean()
    grand = df["value"].mean()
    p, n = len(n_i), len(df)
    ss_b = float((n_i * (means - grand) ** 2).sum())
    ss_w = float(((df["value"] - g.transform("mean")) ** 2).sum())
    return {"ms_between": ss_b / (p - 1), "ms_within": ss_w / (n - p)}


def test_run_completes_a_million_result_homogeneity_lot(tmp_path):
    """2 analytes x 5,000 units x 100 replicates: the run completes, the page stays small, the
    full table is in the report folder and hashed, verify passes, and the ANOVA is right."""
    p = make_lot(tmp_path, n_units=5000, n_rep=100)
    r = subprocess.run(
        [str(EXE), "run", str(p), "--out", str(tmp_path / "reports")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr
    report = tmp_path / "reports" / "BIG-1"
    assert (report / "report.html").stat().st_size < 5_000_000
    manifest = json.loads((report / "manifest.json").read_text())
    csv = report / "data" / "homogeneity.csv"
    assert manifest["outputs"]["data/homogeneity.csv"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert subprocess.run([str(EXE), "verify", str(report)], capture_output=True).returncode == 0
    res = json.loads((report / "results.json").read_text())
    data = pd.read_csv(tmp_path / "h.csv", dtype={"unit": str})
    assert len(data) == 1_000_000
    for analyte, g in data.groupby("analyte"):
        want = independent_anova(g)
        got = res["analytes"][analyte]["homogeneity"]
        for k, v in want.items():
            assert got[k] == pytest.approx(v, rel=1e-9), (analyte, k)


def test_validate_lists_problems_of_a_large_table_quickly(tmp_path):
    """The vectorised reading still names the first bad cell (row and column) of a large table."""
    p = make_lot(tmp_path, n_units=1000, n_rep=100)  # 200,000 rows
    lines = (tmp_path / "h.csv").read_text().splitlines(keepends=True)
    lines[150_000] = lines[150_000].rsplit(",", 2)[0] + ",1.2.3,mg/kg\n"
    (tmp_path / "h.csv").write_text("".join(lines))
    found = preflight.problems(p)
    assert len(found) == 1 and found[0].row == 150_001 and found[0].column == "value", [str(e) for e in found]
    assert "'1.2.3' is not a number" in str(found[0])
    np.testing.assert_equal(len(lines), 200_001)
