"""Write notebooks/certification_report.ipynb (output-free) from the cell list below.

The notebook is committed; this script is how it was made and how to regenerate it after a
change of cells:  .venv/bin/python tools/make_notebook.py
"""

from notebook_cells import code, md, write

cells = [
    md(
        "# Certification report of one production lot\n\n"
        "Runs every study the lot's parameter file names (ISO Guide 35:2017, JJF 1343-2022) and "
        "writes `results.json`. Run it top to bottom in JupyterLab (it defaults to a shipped demo lot) "
        "or through `rmwork run parameters/<lot>.yaml`, which injects the parameters below."
    ),
    code(
        'lot_file: str = "../parameters/RM-DEMO-CRM001.yaml"  # lot parameter file, validated by rmwork.params\n'
        'output_dir: str = ""  # folder for results.json, not written when empty',
        "parameters",
    ),
    code(
        "import rmwork.workbook, rmwork.report.lot, rmwork.report.homogeneity, rmwork.report.sections\n"
        "wb = rmwork.workbook.open(lot_file)\n"
        "summary = rmwork.report.lot.opening(wb, output_dir)  # header, summary (filled at the end), data"
    ),
    md(
        "## 1 Homogeneity — ISO Guide 35:2017, clause 7 and Annex B\n"
        "One-way ANOVA per analyte; u_bb = max(s_bb, u*_bb). Look at Table H1 and the unit-mean figure."
    ),
    code(
        'display(rmwork.report.lot.section(wb, "homogeneity"))\n'
        "hom = wb.homogeneity()\n"
        "rmwork.report.homogeneity.show(hom, wb.homogeneity_data(), wb.language, wb)",
        "nbval-ignore-output",
    ),
    md(
        "## 2 Stability — ISO Guide 35:2017, clause 8 and B.3\n"
        "Regression of value on time per analyte; u_lts = s(b1)·t_shelf; transport and accelerated studies."
    ),
    code(
        'display(rmwork.report.lot.section(wb, "stability"))\n'
        "stab = wb.stability()\n"
        "rmwork.report.sections.show_stability(wb, stab)",
        "nbval-ignore-output",
    ),
    md(
        "## 3 Characterization — ISO Guide 35:2017, clause 9\n"
        "Lab summary, advisory screening, the chosen estimator beside the others, degrees of equivalence."
    ),
    code(
        'display(rmwork.report.lot.section(wb, "characterization"))\n'
        "char = wb.characterization()\n"
        "rmwork.report.sections.show_characterization(wb, char)",
        "nbval-ignore-output",
    ),
    md(
        "## 4 Uncertainty budget and certificate\n"
        "u_CRM from the studies, k from Welch–Satterthwaite, rounding, reviewer checks, validity, DRMD."
    ),
    code(
        'display(rmwork.report.lot.section(wb, "certificate"))\n'
        "cert = wb.certificate()\n"
        "rmwork.report.sections.show_certificate(wb, cert, output_dir)",
        "nbval-ignore-output",
    ),
    md("## 5 Provenance\nInput hashes, versions, seed; then results.json is written."),
    code(
        'display(rmwork.report.lot.section(wb, "provenance"), rmwork.report.lot.provenance_table(wb))\n'
        "results = wb.record(output_dir)\n"
        "summary.fill(results)",
        "nbval-ignore-output",
    ),
]

print(write(cells, "certification_report.ipynb"))
