"""The cell helpers and the writer that tools/make_notebook.py and tools/make_verification_notebook.py
share: narrative cells hidden from the report, code cells with tags, fixed cell ids (the same cell
list gives the same notebook bytes, so the same hash in every manifest)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HIDE = {"tags": ["remove-cell"]}
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def md(text):
    return new_markdown_cell(text, metadata=HIDE)


def code(text, *tags):
    return new_code_cell(text, metadata={"tags": list(tags)} if tags else {})


def write(cells, name: str) -> Path:
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i:02d}"
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "rmwork", "display_name": "rmwork (Python 3.12)", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    out = NOTEBOOKS / name
    nbformat.write(nb, str(out))
    return out
