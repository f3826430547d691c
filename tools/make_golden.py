"""Write and execute tests/golden/homogeneity_reference.ipynb, the nbval reference notebook.

Its stored outputs are the published numbers of ISO 13528:2022 Example E.2 and NIST SiRstv as
rmwork prints them; `make test` re-executes it with nbval and compares every output.
Regenerate only when a change of output is intended:  .venv/bin/python tools/make_golden.py
"""

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell(
        "# Reference analyses: homogeneity (nbval golden notebook)\n"
        "ISO 13528:2022 Example E.2 and NIST StRD SiRstv through `rmwork.homogeneity`."
    ),
    new_code_cell(
        "from rmwork.homogeneity import anova, sufficient_homogeneity\n"
        "from rmwork.testing import reference\n"
        "e2 = reference('homogeneity_iso13528_e2_arsenic')\n"
        "res = anova(e2)\n"
        "print(f'MS_between {res.ms_between:.5e}  MS_within {res.ms_within:.4e}  F {res.f_statistic:.5f}')\n"
        "print(f's_bb {res.s_bb:.4e}  u*_bb {res.u_bb_star:.5e}  u_bb {res.u_bb:.5e}')"
    ),
    new_code_cell(
        "c = sufficient_homogeneity(e2, 0.15 * 0.18715)\n"
        "print(f's_x {c.s_x:.5f}  s_w {c.s_w:.5f}  s_s {c.s_s:.5f}  0.3 sigma_pt {c.limit:.5f}  passed {c.passed}')\n"
        "print(f'F1 {c.f1:.2f}  F2 {c.f2:.2f}  sqrt(c) {c.sqrt_c:.5f}')"
    ),
    new_code_cell(
        "s = anova(reference('homogeneity_nist_sirstv'))\n"
        "print(f'SiRstv: MS_between {s.ms_between:.14e}  MS_within {s.ms_within:.14e}  F {s.f_statistic:.14f}')"
    ),
    new_code_cell(
        "import pandas as pd\n"
        "from rmwork.homogeneity import HomogeneityStudy, conclusion\n"
        "from rmwork.report.homogeneity import table_h1\n"
        "st = HomogeneityStudy(analyte='As', unit_of_measure='mg/kg', anova=res, conclusion=conclusion(res))\n"
        "table_h1({'As': st})"
    ),
]
nb = new_notebook(
    cells=cells,
    metadata={"kernelspec": {"name": "rmwork", "display_name": "rmwork (Python 3.12)", "language": "python"}},
)
out = Path(__file__).resolve().parent.parent / "tests" / "golden" / "homogeneity_reference.ipynb"
NotebookClient(
    nb, timeout=120, kernel_name="rmwork", resources={"metadata": {"path": str(out.parent)}}
).execute()
nbformat.write(nb, str(out))
print(out)
