"""Write notebooks/verification_report.ipynb (output-free) from the cell list below.

The notebook serves ``kind: verification`` and ``kind: proficiency`` lots (rmwork run chooses it by
the lot's kind); each section shows only for its kind.  Regenerate after a change of cells:
    .venv/bin/python tools/make_verification_notebook.py
"""

from notebook_cells import code, md, write

cells = [
    md(
        "# Verification of certified values and proficiency testing\n\n"
        "Checks certified values against a laboratory's measurements (ISO Guide 35:2017, 8.10; ERM "
        "Application Note 1) or scores a proficiency round / blind-sample test (ISO 13528:2022), and writes "
        "`results.json`. Run it top to bottom in JupyterLab (it defaults to a shipped demo round) or through "
        "`rmwork run parameters/<lot>.yaml`, which injects the parameters below."
    ),
    code(
        'lot_file: str = "../parameters/RM-DEMO-PT01.yaml"  # lot parameter file (kind: verification or proficiency)\n'
        'output_dir: str = ""  # folder for results.json, not written when empty',
        "parameters",
    ),
    code(
        "import rmwork.comparison, rmwork.report.lot, rmwork.report.verification, rmwork.report.proficiency\n"
        "wb = rmwork.comparison.open(lot_file)\n"
        "display(rmwork.report.verification.header(wb), rmwork.report.lot.parameters(wb), rmwork.report.lot.data_as_read(wb))"
    ),
    md(
        "## 1a Verification of certified values — ISO Guide 35:2017, 8.10; ERM Application Note 1\n"
        "Δ = x_m − x_c against k·u_Δ per analyte; Table V1 and Figure V1 (verification lots only)."
    ),
    code("ver = wb.verification()\nrmwork.report.verification.show(wb, ver)", "nbval-ignore-output"),
    md(
        "## 1b Proficiency assessment — ISO 13528:2022\n"
        "x_pt, σ_pt, u(x_pt) ≤ 0.3σ_pt, z / z′ / ζ / E_n; Tables PT1-PT3, Figures PT1-PT2 (proficiency lots only)."
    ),
    code("pt = wb.proficiency()\nrmwork.report.proficiency.show(wb, pt)", "nbval-ignore-output"),
    md("## 2 Provenance\nInput hashes, versions, seed; then results.json is written."),
    code(
        "display(rmwork.report.verification.provenance(wb))\nresults = wb.record(output_dir)",
        "nbval-ignore-output",
    ),
]

print(write(cells, "verification_report.ipynb"))
