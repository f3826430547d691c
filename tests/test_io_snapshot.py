"""Issue 13 "read the lot once": the kernel certifies the snapshot the runner read and hashed.

A notebook that overwrites the lot's data file before it opens the workbook stands in for a
user (or a sync tool) changing the file while the lot runs.  The report must certify the bytes
the runner read, and the manifest must record their SHA-256, not the new file's.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ORIGINAL = "analyte,unit,value\nFe,B1,1.00\nFe,B1,1.10\nFe,B2,1.20\nFe,B2,1.25\nFe,B3,1.05\nFe,B3,1.15\n"
CHANGED = ORIGINAL.replace("1.20", "9.20")


def notebook(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('lot_file = ""\noutput_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import os, pathlib, rmwork.workbook\n"
            "pathlib.Path(os.environ['RMWORK_TEST_OVERWRITE']).write_text(os.environ['RMWORK_TEST_NEW'])\n"
            "wb = rmwork.workbook.open(lot_file)\nhom = wb.homogeneity()\nresults = wb.record(output_dir)"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir()
    nbformat.write(nb, folder / "certification_report.ipynb")


def test_data_file_overwritten_while_the_notebook_runs_does_not_change_what_is_certified(tmp_path):
    notebook(tmp_path / "nb")
    data = tmp_path / "h.csv"
    data.write_text(ORIGINAL, encoding="utf-8")
    (tmp_path / "L.yaml").write_text(
        "lot: SNAP-1\nmaterial: m\nseed: 1\nhomogeneity:\n  data: h.csv\n  bayes: false\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "RMWORK_NOTEBOOKS": str(tmp_path / "nb"),
        "RMWORK_TEST_OVERWRITE": str(data),
        "RMWORK_TEST_NEW": CHANGED,
    }
    exe = Path(sys.executable).parent / "rmwork"
    r = subprocess.run(
        [str(exe), "run", str(tmp_path / "L.yaml"), "--out", str(tmp_path / "reports")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert data.read_text() == CHANGED  # the notebook did overwrite it
    report = tmp_path / "reports" / "SNAP-1"
    res = json.loads((report / "results.json").read_text())
    # grand mean of the unit means of the ORIGINAL data, by hand: (1.05 + 1.225 + 1.10) / 3
    assert abs(res["analytes"]["Fe"]["homogeneity"]["mean"] - (1.05 + 1.225 + 1.10) / 3) < 1e-12
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["inputs"]["homogeneity.data"]["sha256"] == hashlib.sha256(ORIGINAL.encode()).hexdigest()
    assert not (report / ".lot-snapshot.pkl").exists()
