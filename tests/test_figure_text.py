"""User strings in figures are drawn literally, never as matplotlib mathtext (issue 16).

An analyte ``Z $\\undefinedmacro{x}$`` validated, then ``rmwork run`` failed with an internal
error (``ParseFatalException`` when the figure was drawn); ``Fe $x^2$`` was typeset as math in the
figures and printed as written in the tables.  Each figure of the report is drawn here with such
names in every place data reaches a figure (analyte, unit ids, labs, unit of measure, budget
component names), saved as PNG (which parses every text), and each text is checked to be plain.
"""

import dataclasses
import io
import re

import numpy as np
import pandas as pd
import pytest

from rmwork import certificate, characterization, homogeneity, stability
from rmwork.report import certificate as rcert
from rmwork.report import characterization as rchar
from rmwork.report import homogeneity as rhom
from rmwork.report import stability as rstab
from rmwork.report.usertext import literal

BAD = r"Z $\undefinedmacro{x}$"
MATH = "Fe $x^2$"


def texts(fig) -> list:
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text()]


def drawn(fig) -> list[str]:
    """Save as PNG (mathtext is parsed at draw time), then the strings matplotlib draws: none is math."""
    fig.savefig(io.BytesIO(), format="png")
    out = []
    for t in texts(fig):
        s, ismath = t._preprocess_math(t.get_text())
        out.append((s, ismath))
    return out


def plain(fig) -> list[str]:
    """The text drawn as text: whole plain strings, and the plain parts of a string that mixes
    text with rmwork's own symbols in mathtext (``Figure H1 — <name>: mean ± 2$u_\\mathrm{bb}$``),
    where matplotlib draws ``\\$`` as a dollar sign; user text never lies inside ``$…$``."""
    out = []
    for s, ismath in drawn(fig):
        if ismath:
            parts = re.split(r"(?<!\\)\$", s)
            s = "".join(parts[::2]).replace(r"\$", "$")
        out.append(s)
    return out


@pytest.mark.parametrize("text", ["a $b$ c", r"Z $\undefinedmacro{x}$", "$", "$$", r"a\$b$", "100 $ / kg"])
def test_literal_is_drawn_as_written(text):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.set_title(literal(text))
    assert (text, False) in drawn(fig)


def test_unescaped_math_would_be_parsed_and_fail():
    """The premise: without the escape, matplotlib parses the name and stops."""
    from matplotlib.figure import Figure

    fig = Figure()
    fig.subplots().set_title(BAD)
    with pytest.raises(ValueError):  # ParseFatalException is re-raised as ValueError
        fig.savefig(io.BytesIO(), format="png")


def homogeneity_frame(analyte, units=("U$1$", "U$2$", "U3")):
    rows = [(analyte, u, v) for u, vals in zip(units, ([1.0, 1.1], [1.2, 1.25], [1.05, 1.15])) for v in vals]
    df = pd.DataFrame(rows, columns=["analyte", "unit", "value"])
    df["source_row"] = np.arange(2, len(df) + 2)
    return df


@pytest.mark.parametrize("name", [BAD, MATH])
def test_homogeneity_figures_draw_names_literally(name):
    df = homogeneity_frame(name)
    st = homogeneity.study(df, analyte=name, unit_of_measure="$/kg", bayes=False)
    h1 = plain(rhom.figure_h1(df, st))
    assert f"{name} [$/kg]" in h1 and "U$1$" in h1 and any(name in s for s in h1)
    h2 = plain(rhom.figure_h2(df, st))
    assert "U$2$" in h2 and any(name in s for s in h2)


@pytest.mark.parametrize("name", [BAD, MATH])
def test_stability_figures_draw_names_literally(name):
    df = pd.DataFrame({"time": [0.0, 3, 6, 9, 12, 18], "value": [10.0, 10.1, 9.9, 10.05, 9.95, 10.0]})
    r = stability.regression(df, shelf_life=24, analyte=name, unit_of_measure="$x$")
    s1 = plain(rstab.figure_s1(df, r))
    assert f"{name} [$x$]" in s1 and any(name in s for s in s1 if s.startswith("Figure"))
    assert any(name in s for s in plain(rstab.figure_s2(df, r)))


@pytest.mark.parametrize("name", [BAD, MATH])
def test_characterization_figure_draws_labs_and_analyte_literally(name):
    labs = ["L$1$", r"L\frac{2}", "L3"]
    x, u = [10.1, 10.3, 9.9], [0.2, 0.3, 0.25]
    res = characterization.consensus(
        x, u, method="dersimonian-laird", labs=labs, analyte=name, unit_of_measure="$u$"
    )
    doe = characterization.degrees_of_equivalence(
        x, u, res, method="dersimonian-laird", labs=labs, bootstrap=False
    )
    doe = dataclasses.replace(doe, analyte=name, unit_of_measure="$u$")
    fig = rchar.figure_c1(doe, res)
    shown = plain(fig)
    assert "L$1$" in shown and r"L\frac{2}" in shown and any(name in s for s in shown)
    # rmwork's own axis label stays math; the unit appended to it is escaped
    assert fig.axes[0].get_ylabel() == r"$x_j \pm 2u(x_j)$ [\$u\$]"


def test_budget_figure_draws_component_names_literally():
    extra = [certificate.Component(name="drift $\\alpha$", u=0.01, dof=float("inf"), reason="balance drift")]
    bud = certificate.budget(
        u_char=0.1, u_bb=0.05, u_lts=None, u_sts=None, value=10.0, dof={"u_char": 8}, extra=extra
    )
    shown = plain(rcert.figure_u1(bud))
    assert any("drift $\\alpha$" in s for s in shown), shown
