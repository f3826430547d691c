"""One number for each table and figure (issue 17): the numbering rule, the id rule, the caption,
the figure's caption block, the list that results.json carries.

The expected ids are written from the rule as documented in rmwork/report/numbering.py (SHA-256
computed here with hashlib), not from the code's output.  The whole demo reports are checked in
tests/test_browser.py (test_every_table_and_figure_has_one_number_and_its_anchor).
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest

from rmwork.report import numbering
from rmwork.report.display import figure, table_html
from rmwork.report.numbering import INDEX, Ref, figure_ref, slug

SAFE_ID = re.compile(r"^[A-Za-z0-9._-]+$")


@pytest.fixture
def index():
    """A fresh report index (owned by a stand-in workbook) for one test."""
    owner = object()
    INDEX.start(owner, "en")
    yield owner
    INDEX.start(None)


def test_number_and_id_of_a_per_analyte_table_and_figure():
    assert Ref("C3", "Cd").number("en") == "Table C3-Cd"
    assert Ref("C3", "Cd").number("zh") == "表 C3-Cd"
    assert Ref("C3", "Cd").id == "tab-C3-Cd"
    assert figure_ref("S1", "Fe").number("en") == "Figure S1-Fe"
    assert figure_ref("S1", "Fe").number("zh") == "图 S1-Fe"
    assert figure_ref("S1", "Fe").id == "fig-S1-Fe"


def test_report_wide_tables_keep_a_plain_number():
    for family in ("H1", "U2", "P1", "R1", "PT1"):
        assert Ref(family).number("en") == f"Table {family}"
        assert Ref(family).id == f"tab-{family}"


def test_slug_keeps_a_safe_key_and_hashes_any_other():
    assert slug("Cd") == "Cd"
    assert slug("stability.long_term") == "stability.long_term"
    h = hashlib.sha256(b"Pb (total)").hexdigest()[:8]
    assert slug("Pb (total)") == f"Pb_total_{h}"
    assert slug("铁") == hashlib.sha256("铁".encode()).hexdigest()[:8]
    assert slug("<img src=x onerror=alert(1)>").startswith("img_src_x_onerror_alert_1_")


def test_keys_that_print_alike_get_different_safe_ids():
    keys = ["Pb (total)", "Pb total", "Pb_total", "Pb-total", "铁", "鐵", "X (A)", "X(A)", "a b", "a  b"]
    ids = [Ref("C3", k).id for k in keys]
    assert len(set(ids)) == len(keys), ids
    assert all(SAFE_ID.match(i) for i in ids)
    assert [Ref("C3", k).id for k in keys] == ids  # deterministic


def test_family_must_be_a_fixed_id():
    with pytest.raises(ValueError, match="family"):
        Ref("H-1")
    with pytest.raises(ValueError, match="kind"):
        Ref("H1", kind="chart")


def test_table_caption_starts_with_its_number_and_the_table_has_its_anchor(index):
    text = table_html(
        pd.DataFrame({"x": [1.0]}),
        "Table C3 — Characterization: comparison of consensus estimators",
        ref=Ref("C3", "Cd"),
    )
    assert text.startswith('<table class="rmwork" id="tab-C3-Cd"><caption>Table C3-Cd — Characterization:')
    zh = table_html(
        pd.DataFrame({"x": [1.0]}), "表 C3 — 定值：各定值方法结果比较", lang="zh", ref=Ref("C3", "镉")
    )
    assert f'id="tab-C3-{slug("镉")}"' in zh and "<caption>表 C3-镉 — 定值：" in zh


def test_a_key_from_the_data_is_escaped_in_the_caption(index):
    text = table_html(pd.DataFrame({"x": [1.0]}), "Table C1 — labs", ref=Ref("C1", "<b>Cd</b>"))
    assert "<caption>Table C1-&lt;b&gt;Cd&lt;/b&gt; — labs</caption>" in text
    assert re.search(r'id="(tab-C1-[^"]+)"', text).group(1) == Ref("C1", "<b>Cd</b>").id


def test_a_second_table_with_the_same_number_is_renumbered(index):
    first = INDEX.add(Ref("R1", "Y"), "checks")
    second = INDEX.add(Ref("R1", "Y"), "checks")
    assert first.number() == "Table R1-Y" and second.number() == "Table R1-Y-2"
    items = INDEX.items()
    assert [i["id"] for i in items] == ["tab-R1-Y", "tab-R1-Y-2"]
    assert items[1]["analyte"] == "Y"


def _titled_figure(title):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1])
    ax.set_title(title)
    return fig


def test_figure_title_becomes_its_numbered_caption_and_png_stays_deterministic(index):
    fig = _titled_figure("Figure S1 — Fe: b1 = 0.1 /month")
    a = figure(fig, ref=figure_ref("S1", "Fe"))
    b = figure(_titled_figure("Figure S1 — Fe: b1 = 0.1 /month"), ref=figure_ref("S1", "Fe2"))
    untitled = figure(_titled_figure(""))
    assert a.data == b.data == untitled.data  # the title left the picture; same bytes each time
    assert fig.axes[0].get_title() == "Figure S1 — Fe: b1 = 0.1 /month"  # put back on the Figure
    png, meta = a._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert meta == {"rmwork": {"id": "fig-S1-Fe", "number": "Figure S1-Fe", "caption": "Fe: b1 = 0.1 /month"}}


def test_figure_without_a_number_is_shown_as_before(index):
    p = figure(_titled_figure("Figure S1 — Fe"))
    assert p._repr_png_() == p.data and p.meta is None


def test_results_json_lists_every_item_and_each_study_names_its_ids(index):
    table_html(pd.DataFrame({"x": [1.0]}), "Table H1 — ANOVA", ref=Ref("H1", analytes=("Fe", "Cd")))
    INDEX.section = "homogeneity"
    table_html(pd.DataFrame({"x": [1.0]}), "Table H2 — criteria", ref=Ref("H2", analytes=("Cd",)))
    figure(_titled_figure("Figure H1 — Fe (A): means"), ref=figure_ref("H1", "Fe (A)", analyte="Fe"))
    INDEX.section = "certificate"
    table_html(pd.DataFrame({"x": [1.0]}), "Table U1 — budget", ref=Ref("U1", "Fe"))
    results = {"analytes": {"Fe": {"homogeneity": {"u_bb": 1.0}, "certified": {"U": 2.0}}, "Cd": {}}}
    out = numbering.attach(results, index)
    items = out["report"]["items"]
    assert [i["number"] for i in items] == ["Table H1", "Table H2", "Figure H1-Fe (A)", "Table U1-Fe"]
    assert items[0]["section"] == "lot" and items[2]["section"] == "homogeneity"
    assert items[2]["id"] == "fig-H1-Fe_A_" + hashlib.sha256(b"Fe (A)").hexdigest()[:8]
    assert items[2]["caption"] == "Fe (A): means" and items[2]["analyte"] == "Fe"
    assert out["analytes"]["Fe"]["homogeneity"]["shown_in"] == [items[2]["id"]]
    assert out["analytes"]["Fe"]["certified"]["shown_in"] == ["tab-U1-Fe"]
    assert "homogeneity" not in out["analytes"]["Cd"]  # a study the analyte has not got stays absent


def test_a_workbook_outside_a_report_gets_no_report_block(index):
    assert numbering.attach({"analytes": {}}, object()) == {"analytes": {}}


def test_a_cell_run_again_keeps_its_number(index, monkeypatch):
    """A JupyterLab user runs the characterization cell twice: the table keeps "Table C3-Cd"."""
    monkeypatch.setattr(numbering, "_cell_run", lambda: 5)
    INDEX.add(Ref("C3", "Cd"), "Table C3 — estimators")
    monkeypatch.setattr(numbering, "_cell_run", lambda: 6)
    again = INDEX.add(Ref("C3", "Cd"), "Table C3 — estimators")
    assert again.number() == "Table C3-Cd"
    assert [i["id"] for i in INDEX.items()] == ["tab-C3-Cd"]


def test_outside_a_report_tables_are_numbered_but_not_listed():
    INDEX.start(None)
    a = table_html(pd.DataFrame({"x": [1.0]}), "Table C3 — x", ref=Ref("C3", "Cd"))
    b = table_html(pd.DataFrame({"x": [1.0]}), "Table C3 — x", ref=Ref("C3", "Cd"))
    assert a == b and 'id="tab-C3-Cd"' in a and INDEX.items() == []
