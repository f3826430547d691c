"""Template sanity tests for the notebooks (STYLE.md section 8)."""

import json
from pathlib import Path

import papermill
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_CODE_LINES = 3


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_one_parameters_cell(nb):
    cells = json.loads(nb.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_parameters_match_runner(nb):
    """The runner injects exactly these names; papermill only warns on unknown ones (PITFALLS.md)."""
    names = set(papermill.inspect_notebook(str(nb)))
    assert names == {"lot_file", "output_dir"}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin_and_output_free(nb):
    cells = json.loads(nb.read_text())["cells"]
    for c in cells:
        if c["cell_type"] == "code":
            src = "".join(c["source"]).strip().splitlines()
            assert len(src) <= MAX_CODE_LINES, src
            assert not c.get("outputs"), "commit notebook templates without outputs"
            assert not any(line.lstrip().startswith(("if ", "for ", "while ")) for line in src), src


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_default_lot_is_shipped(nb):
    params = papermill.inspect_notebook(str(nb))
    default = params["lot_file"]["default"].strip("\"'")
    assert (nb.parent / default).resolve().is_file()
