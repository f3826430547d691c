"""Convert eCerto's BAM-M321 lab result sheets (Ergebnisblatt_*.xlsx, sheet 'Ergebnisse') to one
long characterization table (analyte, lab, replicate, value, unit_of_measure).

Source: eCerto example data (BAM, MIT licence; see data/ecerto/LICENSE.md). Run from the repo root:
    .venv/bin/python tools/ecerto_m321.py /path/to/ecerto data/RM-DEMO-M321/characterization.csv
"""

import sys
import warnings
from pathlib import Path

import pandas as pd

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
rows = []
for f in sorted(src.glob("Ergebnisblatt_BAM-M321_*_m.xlsx")):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sheet = pd.read_excel(f, sheet_name="Ergebnisse", header=None)
    lab = f.stem.removeprefix("Ergebnisblatt_BAM-M321_").removesuffix("_m")  # sheet names repeat
    for r in range(7, 17):  # rows 8-17: Si ... Sc
        analyte = str(sheet.iloc[r, 0]).strip()
        for rep, c in enumerate(range(2, 8), start=1):
            v = sheet.iloc[r, c]
            if pd.notna(v):
                rows.append(
                    {
                        "analyte": analyte,
                        "lab": lab,
                        "replicate": rep,
                        "value": float(v),
                        "unit_of_measure": "% (m/m)",
                    }
                )
out = pd.DataFrame(rows)
out.to_csv(dst, index=False)
print(out.groupby(["analyte"])["lab"].nunique())
