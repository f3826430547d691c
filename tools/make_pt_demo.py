"""Write the synthetic demo data of the proficiency round RM-DEMO-PT01 (seeded; committed as CSV).

Cadmium in rice flour, mg/kg, two PT items A and B, 16 coded participants (two with a bias),
the items' homogeneity study (10 units x 2 of item A) and a stability check (item A before and
after the round).  Demonstration data only, not a published round:
    .venv/bin/python tools/make_pt_demo.py
"""

from pathlib import Path

import numpy as np

rng = np.random.default_rng(20261201)
out = Path(__file__).resolve().parent.parent / "data" / "RM-DEMO-PT01"
out.mkdir(parents=True, exist_ok=True)
true = {"A": 0.250, "B": 0.310}
bias = {"P05": 0.55, "P12": -0.85, "P09": 0.12}  # relative biases of three participants
rows = ["participant,item,value,u,k"]
for i in range(1, 17):
    code = f"P{i:02d}"
    lab_effect = rng.normal(0, 0.06) + bias.get(code, 0.0)
    u_rel = rng.uniform(0.04, 0.10)
    k = 2 if i % 5 else 1.96
    for item, x in true.items():
        v = x * (1 + lab_effect + rng.normal(0, 0.03))
        rows.append(f"{code},{item},{v:.4f},{x * u_rel:.4f},{k:g}")
(out / "participants.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
rows = ["analyte,group,unit,replicate,value"]  # group: the PT item studied
for unit in range(1, 11):
    m = true["A"] + rng.normal(0, 0.002)
    for rep in (1, 2):
        rows.append(f"Cd,A,{unit},{rep},{m + rng.normal(0, 0.004):.4f}")
(out / "homogeneity.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
rows = ["analyte,group,time,value"]
for t in (0, 1.5):
    for _ in range(4):
        rows.append(f"Cd,A,{t:g},{true['A'] + rng.normal(0, 0.004) - 0.001 * t:.4f}")
(out / "stability.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
print(out)
