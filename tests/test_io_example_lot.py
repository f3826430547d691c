"""Issue 15 'done means': a lot certified from the six M321 result sheets, Homog_Test.xlsx and
Stability_Testdata.xlsx by writing only a YAML file (parameters/examples/RM-ECERTO-M321.yaml).

Oracle: the shipped demo lot RM-DEMO-M321, whose characterization table was reshaped from the
same six sheets by a script before rmwork read lab sheets; its results.json as produced by the
code at the start of this work (/work/baseline, and reproduced by tests/test_workbook.py's runs).
The consensus values of the YAML-only lot must be those numbers, to the bit.
"""

import json
from pathlib import Path

import pandas as pd

from rmwork import workbook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "parameters" / "examples" / "RM-ECERTO-M321.yaml"


def test_example_lot_reads_the_same_results_as_the_reshaped_demo_table():
    wb = workbook.open(EXAMPLE)
    df = wb.data["characterization"]
    demo = pd.read_csv(ROOT / "data" / "RM-DEMO-M321" / "characterization.csv")
    key = ["analyte", "lab", "replicate"]
    got = df[key + ["value"]].sort_values(key).reset_index(drop=True)
    exp = demo[key + ["value"]].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)
    assert len(df) == 276


def test_example_lot_consensus_equals_the_demo_lots_published_numbers():
    wb = workbook.open(EXAMPLE)
    char = wb.characterization()
    demo = workbook.open(ROOT / "parameters" / "RM-DEMO-M321.yaml")
    ref = demo.characterization()
    assert set(char) == set(ref) == {"Si", "Fe", "Cu", "Mn", "Mg", "Cr", "Ni", "Zn", "Ti", "Sc"}
    for a in ref:
        assert char[a]["consensus"].value == ref[a]["consensus"].value, a
        assert char[a]["consensus"].u == ref[a]["consensus"].u, a
    base = ROOT.parent / "baseline" / "RM-DEMO-M321" / "results.json"
    if base.is_file():  # the lead's copy of the start-of-session numbers
        b = json.loads(base.read_text())["analytes"]
        for a in ref:
            assert char[a]["consensus"].value == b[a]["characterization"]["value"], a
