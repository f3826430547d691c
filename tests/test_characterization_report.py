"""The characterization section a reviewer reads (issue 17): excluded labs listed with their reason
in the screening table and the figure, units in every results-table header, symbols as HTML
subscripts (never ASCII names) in headers, and the Chinese section in Chinese."""

import html
import re

import pytest

from rmwork import characterization as ch
from rmwork.report import characterization as rc
from rmwork.testing import reference

SEED = 20261122
# words a zh report may carry in Latin letters: symbols, units, method and clause names
ALLOWED_LATIN = {
    "ISO",
    "Guide",
    "JJF",
    "GUM",
    "CIPM",
    "MRA",
    "NICOB",
    "NIST",
    "MCMC",
    "DerSimonian",
    "Laird",
    "Paule",
    "Mandel",
    "Knapp",
    "Hartung",
    "Shapiro",
    "Wilk",
    "Kolmogorov",
    "Smirnov",
    "Agostino",
    "Anscombe",
    "Glynn",
    "Scheffé",
    "Röver",
    "Friede",
    "Welch",
    "Satterthwaite",
    "char",
    "eff",
    "sub",
    "closed",
}


@pytest.fixture(scope="module")
def solder():
    d = reference("consensus_pb_solder_ccqm_k88").assign(analyte="Pb", unit_of_measure="mg/kg")
    return ch.study(d, analyte="Pb", seed=SEED)


@pytest.fixture(scope="module")
def solder_boot():
    d = reference("consensus_pb_solder_ccqm_k88").assign(analyte="Pb", unit_of_measure="mg/kg")
    return ch.study(d, analyte="Pb", seed=SEED, interval="bootstrap", interval_reason="NICOB 对比")


def headers(html_text):
    return re.findall(r"<th[^>]*>(.*?)</th>", html_text)


def text_of(objs):
    return "".join(o.data for o in objs if hasattr(o, "data") and isinstance(o.data, str))


def test_excluded_labs_listed_marked_with_reason_in_table_c2_ccqm_k88_pb_solder(solder):
    excluded = dict(solder.summary.excluded)
    assert len(excluded) == 5
    c2 = rc.table_c2(solder.screening, summary=solder.summary).data
    for lab, why in excluded.items():
        row = re.search(rf"<tr><td class=\"text[^\"]*\">{re.escape(lab)}</td>.*?</tr>", c2).group(0)
        assert "no, excluded" in row and why in row
    assert c2.count("no, excluded") == 5
    zh = rc.table_c2(solder.screening, "zh", summary=solder.summary).data
    assert zh.count("否，已剔除") == 5


def test_figure_c1_lists_excluded_labs_with_reason(solder):
    fig = rc.figure_c1(solder.doe, solder.consensus)
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "Kept out of the value" in texts
    for lab, why in solder.summary.excluded:
        assert f"{lab} ({why})" in texts
    zh = rc.figure_c1(solder.doe, solder.consensus, lang="zh")
    assert "未参与定值" in " ".join(t.get_text() for ax in zh.axes for t in ax.texts)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_unit_in_every_results_table_header(solder, lang):
    html_text = text_of(rc.section({"Pb": solder}, lang))
    for table in re.findall(r"<table.*?</table>", html_text, re.S):
        caption = re.search(r"<caption>(.*?)</caption>", table).group(1)
        if "C2b" in caption:  # statistics of tests: no unit
            continue
        assert any(h.endswith(" / mg/kg") for h in headers(table)), caption  # "quantity / unit"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_ascii_symbol_names_in_headers(solder, lang):
    html_text = text_of(rc.section({"Pb": solder}, lang))
    for h in headers(html_text):
        plain = html.unescape(re.sub(r"<[^>]+>", "", h))
        assert not re.search(r"\^|_|sigma|\btau\b|\bnu\b|I2", plain), h


def test_zh_section_is_chinese_apart_from_symbols_units_methods_and_data(solder, solder_boot):
    data = {str(v) for v in solder.summary.lab} | {why for _, why in solder.summary.excluded} | {"Pb"}
    for st in (solder, solder_boot):
        body = text_of(rc.section({"Pb": st}, "zh"))
        body = html.unescape(re.sub(r"<[^>]+>", " ", body))
        for d in data:
            body = body.replace(d, " ")
        words = set(re.findall(r"[A-Za-zÀ-ÿ]{3,}", body))
        assert words <= ALLOWED_LATIN, words - ALLOWED_LATIN
    boot = text_of(rc.section({"Pb": solder_boot}, "zh"))
    assert "NICOB 参数自助法" in boot and "NICOB 对比" in boot  # the bootstrap note and reason
    assert "表 C5" in boot and "x<sub>i</sub> − x<sub>j</sub>" in boot  # C5 caption and corner
    assert "方法选择建议" in boot and "科克伦 Q 检验 Q =" in boot  # method choice in Chinese


def test_english_section_says_where_the_degrees_of_freedom_come_from(solder):
    html_text = text_of(rc.section({"Pb": solder}, "en"))
    assert "Degrees of freedom: ν = p − 1 = 4" in html_text
    assert "Table C5" in html_text and "D<sub>ij</sub>" in html_text
