"""One number, one spelling (issue 17): the display policy of rmwork.report.numbers and the
check of both demo reports against it.

Oracles of the policy tests are the rounding examples printed in the GUM (JCGM 100:2008):
7.2.6 ("u_c(y) = 10.47 mΩ ... a value such as u(x_i) = 28.05 kHz should be rounded down to
28 kHz"; "if y = 10.057 62 Ω with u_c(y) = 27 mΩ, y should be rounded to 10.058 Ω") and 7.2.2
(m_S = 100.021 47 g with u_c = 0.35 mg).  The other expected strings are worked by hand in each
docstring.  The report tests render RM-DEMO-CRM001 and RM-DEMO-M321 once (``rmwork run``; exit 3
is a finished run with an analyte withheld), collect every printed occurrence of a named
quantity (``data-q``) and require one spelling per quantity and one notation per column.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from rmwork.report import numbers as N
from rmwork.report import spelling as S

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ("RM-DEMO-CRM001", "RM-DEMO-M321")


# ---------------------------------------------------------------------------------------------
# the policy, on published and hand-made cases


def test_uncertainty_gum_7_2_6_two_significant_digits_to_the_nearest():
    """GUM 7.2.6: 28.05 kHz -> 28 kHz; 10.47 mΩ to the nearest -> 10 mΩ (rounding up to 11 is the
    certificate's choice, made in rmwork.certificate.rounding, not a display rule)."""
    assert N.uncertainty(28.05).text() == "28"
    assert N.uncertainty(10.47).text() == "10"
    assert N.uncertainty(0.027).text() == "0.027"
    assert N.uncertainty(9.96).text() == "10"  # two digits, not "10.0"
    assert N.uncertainty(0.0009743).text() == "0.00097"


def test_value_gum_7_2_6_rounded_to_the_place_of_its_uncertainty():
    """GUM 7.2.6: y = 10.057 62 Ω, u_c(y) = 27 mΩ -> 10.058 Ω; GUM 7.2.2: m_S = 100.021 47 g,
    u_c = 0.35 mg -> 100.021 47 g (u to two digits, 0.000 35 g: five decimals)."""
    assert N.value(10.05762, 0.027).text() == "10.058"
    assert N.value(100.02147, 0.00035).text() == "100.02147"
    assert N.uncertainty(0.00035).text() == "0.00035"
    # the place is the rounded u's: u = 0.0996 prints 0.10, so the value gets two decimals
    assert N.value(1.23456, 0.0996).text() == "1.23"
    assert N.value(533.767, 4.17446).text() == "533.8"  # CRM001 Y: u_char 4.2
    assert N.value(0.00477917, 0.000128987).text() == "0.00478"  # CRM001 X: u_char 0.00013


def test_relative_p_value_dof_and_k_by_hand():
    """Relative: 0.2009 -> 20.09 % -> 20 %; p 0.07483 -> 0.075 and 0.004983 -> 0.0050 (two
    significant digits, the trailing zero printed); ν 0.9372 -> 0.9 and 17.94 -> 17.9 (one
    decimal, rounded down: 0.96 must not print as 1.0), 3.0 -> 3, ∞ -> ∞; k 2.1448 -> 2.14."""
    assert N.relative(0.2009).text() == "20"
    assert N.relative(0.0004866).text() == "0.049"
    assert N.p_value(0.07483).text() == "0.075"
    assert N.p_value(0.004983).text() == "0.0050"
    assert N.p_value(2.132e-06).text() == "2.1e-06"
    assert N.dof(0.9372).text() == "0.9"
    assert N.dof(0.96).text() == "0.9"
    assert N.dof(17.9385).text() == "17.9"
    assert N.dof(3.0).text() == "3"
    assert N.dof(float("inf")).text() == "∞"
    assert N.coverage_factor(2.1448).text() == "2.14" and N.coverage_factor(2.0).text() == "2"
    assert N.uncertainty(None).text() == "–" and N.uncertainty(float("nan")).text() == "–"


def test_certified_strings_are_printed_as_rounded():
    """The certified value and U keep the rounding module's strings, trailing zeros included."""
    assert N.certified("0.0048").text() == "0.0048"
    assert N.certified("12.30").text() == "12.30"
    assert N.column_texts([N.certified("2.0e-06"), N.certified("0.50")]) == ["2.0e-06", "0.50"]


def test_column_is_printed_in_one_notation():
    """The issue's column: 2.274e-06 beside 0.0009743 (two notations) -> both scientific, each
    at two significant digits; a column that fits stays fixed; texts and missing values stay."""
    col = N.column_texts([N.uncertainty(2.274e-06), N.uncertainty(0.0009743), None, "x"])
    assert col == ["2.3e-06", "9.7e-04", "–", "x"]
    assert N.column_texts([N.uncertainty(0.0009743), N.uncertainty(4.567)]) == ["0.00097", "4.6"]
    # a plain float gets %g-like significant digits, in the column's notation
    assert N.column_texts([436.1, 8.412e-06], 4) == ["4.361e+02", "8.412e-06"]
    assert N.column_texts([0.5, 24.0, 3], 4) == ["0.5", "24", "3"]


def test_same_digits_in_either_notation():
    """0.00013 (a sentence) and 1.3e-04 (a scientific column) are one spelling; 0.000129 is not."""
    p = N.uncertainty(0.000128987)
    assert S.digits(p.fixed()) == S.digits(p.scientific()) == S.digits("0.00013")
    assert S.digits("0.000129") != S.digits("0.00013")
    assert S.digits("20 %") == S.digits("20")


def test_tagged_sentence_becomes_span_and_plain_text():
    p = N.uncertainty(0.0009743, q="X/u_bb/homogeneity")
    text = f"u_bb = {N.tag(p)} mg/L <b>"
    assert N.plain(text) == "u_bb = 0.00097 mg/L <b>"
    from rmwork.report.display import paragraph

    html = paragraph(text).data
    assert '<span data-q="X/u_bb/homogeneity">0.00097</span>' in html and "&lt;b&gt;" in html


# ---------------------------------------------------------------------------------------------
# the checker can fail


_BAD = """<html><body>
<table class="rmwork"><caption>Table T1</caption><thead><tr><th>u</th><th>u_rel</th></tr></thead>
<tbody><tr><td data-q="X/u_lts/long-term">0.00047</td><td>2.274e-06</td></tr>
<tr><td>0.5</td><td>0.0009743</td></tr></tbody></table>
<p>u_lts = <span data-q="X/u_lts/long-term">0.0004759</span> mg/L,
<span data-q="X/u_bb_rel/homogeneity-mean">20 %</span></p>
<table class="rmwork"><tbody><tr><td data-q="X/u_bb_rel/homogeneity-mean">20</td></tr></tbody></table>
</body></html>"""


def test_checker_finds_the_issue_17_mismatch_and_the_mixed_column():
    """A deliberate mismatch (the issue's u_lts printed 0.00047 and 0.0004759) and the issue's
    mixed column (2.274e-06 beside 0.0009743) are reported; 20 % and 20 are one spelling."""
    bad = S.misspelled(_BAD)
    assert set(bad) == {"X/u_lts/long-term"}
    assert bad["X/u_lts/long-term"] == ["0.00047", "0.0004759"]
    mixed = S.mixed_columns(_BAD)
    assert len(mixed) == 1 and "u_rel" in mixed[0] and "2.274e-06" in mixed[0]


def test_checker_passes_a_consistent_report():
    good = _BAD.replace("0.0004759", "4.7e-04").replace("2.274e-06", "0.0000023")
    assert S.misspelled(good) == {} and S.mixed_columns(good) == []


# ---------------------------------------------------------------------------------------------
# both demo reports


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory):
    """report.html of both demo lots, from ``rmwork run`` (one process each, in parallel)."""
    out = tmp_path_factory.mktemp("one_spelling")
    exe = Path(sys.executable).parent / "rmwork"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]
    procs = {
        lot: subprocess.Popen(
            [*cmd, "run", str(ROOT / "parameters" / f"{lot}.yaml"), "--out", str(out)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for lot in DEMOS
    }
    reports = {}
    for lot, proc in procs.items():
        log, _ = proc.communicate(timeout=900)
        assert proc.returncode in (0, 3), log[-2000:]  # 3: written, an analyte withheld
        reports[lot] = (out / lot / "report.html").read_text(encoding="utf-8")
    return reports


@pytest.mark.parametrize("lot", DEMOS)
def test_every_quantity_is_spelled_once(demo_reports, lot):
    html = demo_reports[lot]
    found = S.spellings(html)
    # the certified values and the studies' key quantities are named where they are printed
    assert len(found) > 100, len(found)
    assert any(q.endswith("/x_CRM/certified") for q in found)
    assert any(q.endswith("/u_bb/homogeneity") for q in found)
    assert any(q.endswith("/u_char/budget") for q in found)
    assert S.misspelled(html) == {}


@pytest.mark.parametrize("lot", DEMOS)
def test_certified_value_in_summary_u2_and_certificate_page(demo_reports, lot):
    """The certified value, U and k are printed at least three times (summary, Table U2, the
    certificate page) and every time alike."""
    found = S.spellings(demo_reports[lot])
    certified = {q: by for q, by in found.items() if q.endswith("/certified") and "/x_CRM/" in q}
    assert certified
    for by in certified.values():
        assert len(by) == 1 and len(next(iter(by.values()))) >= 3


@pytest.mark.parametrize("lot", DEMOS)
def test_no_results_column_mixes_fixed_and_scientific(demo_reports, lot):
    assert S.mixed_columns(demo_reports[lot]) == []


@pytest.mark.parametrize("lot", DEMOS)
def test_relative_values_say_relative_to_what(demo_reports, lot):
    """Every header with a relative symbol (u_rel, u_bb,rel, u_lts,rel) names its base."""
    from lxml import html as lhtml

    doc = lhtml.fromstring(demo_reports[lot])
    heads = [th.text_content() for th in doc.xpath("//table//th")]
    rel = [h for h in heads if ",rel" in h or "rel /" in h or h.startswith("urel")]
    assert rel
    for h in rel:
        assert "relative to" in h or "相对" in h, h


def test_withheld_reason_prints_nu_eff_as_table_u1_does():
    """CRM001 X: the certificate module writes ``ν_eff = 0.937 < 1`` (3 digits); the report prints
    ν with one decimal rounded down, 0.9, as in Table U1; results.json keeps the original text."""
    from rmwork.report.certificate import respell_reason

    text = "coverage_factor: ν_eff = 0.937 < 1 (Welch–Satterthwaite, GUM G.4.1), so k cannot be taken"
    assert respell_reason(text, 0.93716) == text.replace("0.937", "0.9")
    assert respell_reason("validity_supported: 24 months", 0.93716) == "validity_supported: 24 months"
