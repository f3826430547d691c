"""The report's one symbol map (rmwork/report/symbols.py, issue 17): HTML symbols, never ASCII
names, units in the headers, one meaning per key."""

import html
import re

import pytest

from rmwork.report import symbols

# ASCII spellings of symbols that a header must not show (issue 17: "sigma_pt", "I^2", "u_CRM²")
ASCII_NAMES = re.compile(r"_|\^|\bsigma|\btau\b|\bmu\b|\bnu\b|\bsqrt\b|\bI2\b|\bb[01]\b|\bR-hat\b")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_header_shows_an_ascii_symbol_name(lang):
    for key in symbols.LABELS:
        # markup splits the text: b<sub>1</sub> is a symbol, b1 would be its ASCII name
        plain = html.unescape(re.sub(r"<[^>]+>", "|", symbols.header(key, lang, "mg/kg")))
        assert not ASCII_NAMES.search(plain), (key, plain)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_label_is_never_relabelled(lang):
    """display.table_html maps headers through the map: a finished header must pass unchanged."""
    for key in symbols.LABELS:
        once = symbols.label(key, lang)
        assert symbols.label(once, lang) == once, key


def test_headers_carry_the_unit_as_quantity_over_unit():
    assert symbols.header("u_bb", "en", "mg/kg") == "u<sub>bb</sub> / mg/kg"
    assert symbols.header("ms_between", "en", "mg/kg") == "MS<sub>between</sub> / (mg/kg)²"
    assert symbols.header("slope", "zh", "%") == "斜率 b<sub>1</sub> / (%·月<sup>-1</sup>)"
    assert symbols.header("u_x", "en", "") == "u(x<sub>j</sub>) / [unit]"  # the data named none
    assert symbols.header("u_x", "zh", None) == "u(x<sub>j</sub>) / [单位]"  # a unit column gives it
    assert symbols.header("p_value", "en", "mg/kg") == "p"  # a probability has no unit
    assert symbols.header("sigma_pt", "en", "<b>") == "&sigma;<sub>pt</sub> / &lt;b&gt;"  # user text escaped


def test_clashing_names_are_two_keys():
    """The homogeneity study's mean and a laboratory's mean, ν of a line and of a laboratory,
    the coverage factor and a rate constant: each its own key and header."""
    pairs = [("mean", "lab_mean"), ("dof", "dof_lab"), ("coverage_factor", "k_T"), ("x_lab", "param_value")]
    for a, b in pairs:
        assert symbols.label(a) != symbols.label(b), (a, b)
    assert "unit" not in symbols.LABELS  # "unit" is a bottle in the homogeneity data


def test_blocking_reason_names_the_check_in_the_report_language():
    reason = "validity_supported: the stability data support 0 months only, 60 were requested"
    assert symbols.blocking_text(reason, "zh").startswith("稳定性数据支持有效期 — the stability data")
    assert symbols.blocking_text("not a check: detail", "zh") == "not a check: detail"
