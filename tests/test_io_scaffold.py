"""``rmwork new`` and docs/parameters.md, both generated from the schema (issue 15)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rmwork import params, scaffold, workbook
from rmwork.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
ECERTO = ROOT / "data" / "ecerto"


def all_keys(model=params.LotParameters, prefix=""):
    """Every key of the schema, walked here with pydantic's own field list (not scaffold.fields)."""
    out = []
    for name, f in model.model_fields.items():
        out.append(prefix + name)
        ann = f.annotation
        subs = [
            a
            for a in (ann, *getattr(ann, "__args__", ()))
            if isinstance(a, type) and issubclass(a, params.BaseModel)
        ]
        if subs and "list[" not in str(ann) and "dict[" not in str(ann):
            out += all_keys(subs[0], prefix + name + ".")
    return out


def test_docs_parameters_md_is_current():
    assert (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8") == scaffold.reference_markdown(), (
        "regenerate: python -m rmwork.scaffold > docs/parameters.md"
    )


def test_docs_parameters_md_lists_every_key_with_type_default_and_allowed_values():
    text = scaffold.reference_markdown()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", text, re.M)}
    assert set(rows) == set(all_keys())
    assert (
        "| `characterization.method` | text | 'dersimonian-laird' | `mean`, `weighted-mean`"
        in rows["characterization.method"]
    )
    assert "| required |" in rows["stability.long_term.shelf_life"]
    assert "ISO Guide 35:2017, 8.7" in rows["stability.long_term.shelf_life"]
    assert "`refuse`, `exclude`" in rows["characterization.censored"]


def test_new_lot_with_data_folder_fills_in_the_recognised_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for f in [
        *ECERTO.glob("Ergebnisblatt_BAM-M321_*_m.xlsx"),
        ECERTO / "Homog_Test.xlsx",
        ECERTO / "Stability_Testdata.xlsx",
        ECERTO / "eCerto_LTS_example_input.xlsx",
    ]:
        shutil.copy(f, data)
    exe = Path(sys.executable).parent / "rmwork"
    r = subprocess.run(
        [str(exe), "new", "LOT-7", "--data", str(data), "--out", str(tmp_path / "parameters")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    f = tmp_path / "parameters" / "LOT-7.yaml"
    text = f.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    assert doc["lot"] == "LOT-7" and isinstance(doc["seed"], int)
    assert doc["homogeneity"]["data"] == "../data/Homog_Test.xlsx"
    assert doc["stability"]["long_term"]["data"] == "../data/Stability_Testdata.xlsx"
    assert doc["characterization"] == {"data": "../data/Ergebnisblatt_BAM-M321_*.xlsx", "layout": "lab-sheet"}
    assert "eCerto_LTS_example_input.xlsx: eCerto monitoring input" in text
    for key in all_keys():  # every key is there, commented or set
        name = key.rsplit(".", 1)[-1]
        assert re.search(rf"^{'  ' * key.count('.')}(# )?{re.escape(name)}:", text, re.M), key
    # the producer fills in what only they know; then the lot validates with its data
    with pytest.raises(InputError, match="key 'material': required key is missing"):
        params.load(f)
    text = (
        text.replace("# material:", 'material: "AlCu4Mg"', 1)
        .replace("    # shelf_life:  ", "    shelf_life: 60", 1)
        .replace(
            "# analytes: {}",
            "analytes: {"
            + ", ".join(
                f'{a}: {{unit: "%"}}' for a in ("Si", "Fe", "Cu", "Mn", "Mg", "Cr", "Ni", "Zn", "Ti", "Sc")
            )
            + "}",
            1,
        )
    )
    text = text.replace(
        "  layout: lab-sheet", "  layout: lab-sheet\n  analytes: [Si, Fe, Cu, Mn, Mg, Cr, Ni, Zn, Ti, Sc]", 1
    )
    f.write_text(text, encoding="utf-8")
    data_read = workbook.load_data(params.load(f))
    assert len(data_read["characterization"]) == 276


def test_new_refuses_an_existing_file_and_a_bad_lot_name(tmp_path):
    scaffold.new("A-1", out=str(tmp_path))
    with pytest.raises(InputError, match="exists already"):
        scaffold.new("A-1", out=str(tmp_path))
    with pytest.raises(InputError, match="may only contain"):
        scaffold.new("../x", out=str(tmp_path))
