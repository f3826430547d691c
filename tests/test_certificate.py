"""Uncertainty budget, coverage factor, rounding, checks and the certificate page.

Oracles (see shared reference/README.md, copied here as literal printed values):
* GUM JCGM 100:2008 G.4.1 example (Welch-Satterthwaite) and H.1 (end-gauge calibration);
* EURACHEM/CITAC QUAM (3rd ed., 2012) example A1 (cadmium calibration standard);
* eCerto (BAM, janlisec/eCerto) unit test of ``digits_DIN1333`` (tests/testthat, the table of ten U);
* hand calculations written as arithmetic or direct scipy.stats quantiles (never through rmwork).
"""

import io
import math
import warnings
from types import SimpleNamespace

import pytest
from scipy import stats

from rmwork.certificate import (
    CertificateMetadata,
    Component,
    budget,
    certify,
    checks,
    coverage_factor,
    dof_eff,
    round_certified,
    round_din1333,
    round_gum,
    round_jjf,
    round_none,
    validity_period,
)
from rmwork.errors import InputError
from rmwork.testing import printed

CONTRACT_CERTIFIED_KEYS = [
    "value",
    "u_char",
    "u_bb",
    "u_lts",
    "u_sts",
    "u",
    "dof_eff",
    "k",
    "U",
    "value_rounded",
    "U_rounded",
]


# --------------------------------------------------------------------------------------------
# Rounding
# --------------------------------------------------------------------------------------------

ECERTO_DIGITS = [
    (0.011, 3),
    (0.021, 3),
    (0.0299999, 3),
    (0.03, 2),
    (0.031, 2),
    (0.000299, 5),
    (29.01, 0),
    (3.01, 0),
    (200, -1),
    (300, -2),
]


def test_round_din1333_ecerto_digits_table():
    """eCerto tests/testthat/test-digits_DIN1333.R: digits_DIN1333(c(0.011, 0.021, 0.0299999, 0.03,
    0.031, 0.000299, 29.01, 3.01, 200, 300)) == c(3, 3, 3, 2, 2, 5, 0, 0, -1, -2) (also in
    shared reference/README.md, "Rounding of certified values"). U is rounded up to that place."""
    got = [round_din1333(1.0, u).decimals for u, _ in ECERTO_DIGITS]
    assert got == [n for _, n in ECERTO_DIGITS]
    # U always rounded up to n decimals (by hand: ceiling at the n-th decimal)
    expected_U = ["0.011", "0.021", "0.030", "0.03", "0.04", "0.00030", "30", "4", "200", "300"]
    assert [round_din1333(1.0, u).U_rounded for u, _ in ECERTO_DIGITS] == expected_U


def test_round_din1333_value_half_up_to_u_decimals():
    """Value half-up (ties away from zero) to U's decimals; negative decimals round to tens/hundreds."""
    r = round_din1333(1234.5678, 0.000299)
    assert (r.value_rounded, r.U_rounded) == ("1234.56780", "0.00030")
    assert round_din1333(12345.0, 200).value_rounded == "12350"  # n = -1: tie 12345 -> 12350
    assert round_din1333(12345.0, 300).value_rounded == "12300"  # n = -2
    assert round_din1333(-2.675, 0.05).value_rounded == "-2.68"  # ties away from zero


def test_round_din1333_binary_artefacts_do_not_round_the_wrong_way():
    """2.675 is stored as 2.67499999999999982236431605997495353221893310546875: Python's
    round(2.675, 2) gives 2.67, DIN 1333 half-up on the decimal gives 2.68. 0.0299999 keeps 3
    decimals and rounds up to 0.030 (trailing zero kept). 0.1*3 = 0.30000000000000004 is not
    rounded up to 0.31."""
    assert round(2.675, 2) == 2.67  # the trap
    assert round_din1333(2.675, 0.05).value_rounded == "2.68"
    assert round_din1333(1.0, 0.0299999).U_rounded == "0.030"
    assert round_din1333(1.0, 0.1 * 3).U_rounded == "0.3"
    assert round_gum(1.0, 0.1 * 3, sig_digits=1).U_rounded == "0.3"


def test_round_din1333_exact_u_not_bumped_unlike_ecerto_round_up():
    """Discrepancy, documented: eCerto's round_up(x, n) = ceiling(|x| 10^n + sqrt(eps)) / 10^n
    (R/app_utils.R) moves a U that is already on the grid up one unit (0.2 -> 0.21). rmwork keeps
    it: DIN 1333 rounds up only digits that exist."""

    def ecerto_round_up(x, n):  # eCerto's formula, transcribed for the comparison
        return math.copysign(math.ceil(abs(x) * 10**n + math.sqrt(2.220446049250313e-16)) / 10**n, x)

    assert ecerto_round_up(0.2, 2) == 0.21
    assert round_din1333(10.0, 0.2).U_rounded == "0.20"
    assert ecerto_round_up(0.03, 2) == 0.04
    assert round_din1333(10.0, 0.03).U_rounded == "0.03"


def test_round_gum_cases():
    """GUM JCGM 100:2008 7.2.6 (at most two significant digits; U rounded up), by hand:
    U 0.01234 -> 0.013 and value 1.23456 -> 1.235; U 123.4 -> 130 and value 12345.6 -> 12350;
    U 0.0996 -> 0.100 would have three digits, so 0.10 (and the value to 2 decimals)."""
    r = round_gum(1.23456, 0.01234)
    assert (r.value_rounded, r.U_rounded, r.decimals) == ("1.235", "0.013", 3)
    r = round_gum(12345.6, 123.4)
    assert (r.value_rounded, r.U_rounded, r.decimals) == ("12350", "130", -1)
    r = round_gum(1.23456, 0.0996)
    assert (r.value_rounded, r.U_rounded, r.decimals) == ("1.23", "0.10", 2)
    assert r.notes
    r = round_gum(1.23456, 0.01234, sig_digits=1)
    assert (r.value_rounded, r.U_rounded) == ("1.23", "0.02")


def test_round_trailing_zeros_survive():
    """U 0.20 stays "0.20" (not "0.2") under every rule that rounds, and the value is padded to the
    same decimal place."""
    for rule in ("gum", "jjf", "din1333"):
        r = round_certified(10, 0.2, rule)
        assert (r.value_rounded, r.U_rounded) == ("10.00", "0.20"), rule


def test_round_jjf_value_half_even():
    """GB/T 8170-2008: a 5 followed by nothing rounds to even (2.665 -> 2.66), otherwise to nearest
    (2.6651 -> 2.67); GUM/DIN half-up give 2.67. U as GUM (rounded up)."""
    assert round_jjf(2.665, 0.05, sig_digits=1).value_rounded == "2.66"
    assert round_jjf(2.675, 0.05, sig_digits=1).value_rounded == "2.68"
    assert round_jjf(2.6651, 0.05, sig_digits=1).value_rounded == "2.67"
    assert round_gum(2.665, 0.05, sig_digits=1).value_rounded == "2.67"
    assert round_jjf(1.23456, 0.01234).U_rounded == "0.013"


def test_round_none_full_precision():
    r = round_none(1.0 / 3.0, 0.1 * 3)
    assert (r.value_rounded, r.U_rounded, r.decimals) == (repr(1.0 / 3.0), "0.30000000000000004", None)


def test_round_certified_rejects_unknown_rule_naming_allowed():
    with pytest.raises(
        InputError, match=r"key 'certificate.rounding': 'din' is not a rounding rule; .*din1333"
    ):
        round_certified(1.0, 0.1, "din")


def test_round_rejects_nonpositive_u():
    with pytest.raises(InputError, match=r"U > 0"):
        round_gum(1.0, 0.0)


# --------------------------------------------------------------------------------------------
# Welch-Satterthwaite, coverage factor, budget
# --------------------------------------------------------------------------------------------


def test_dof_eff_gum_g41_example():
    """GUM JCGM 100:2008 G.4.1 example: Y = b X1 X2 X3, relative u 0.25 %, 0.57 %, 0.82 % on 9, 4
    and 14 dof: u_c,rel 1.03 %, ν_eff 19.0 (computed by the GUM from the rounded u_c; 18.9987 from
    the unrounded one, reference/README.md), t95(19) 2.09, U95 2.2 %."""
    unrounded = dof_eff([0.25, 0.57, 0.82], [9, 4, 14])
    assert unrounded.u_c == printed("1.03")
    assert unrounded.dof_eff == printed("18.9987")
    gum = dof_eff([0.25, 0.57, 0.82], [9, 4, 14], u_c=1.03)
    assert gum.dof_eff == printed("19.0")
    cf = coverage_factor(gum, 0.95)
    assert cf.dof_used == 19 and cf.k == printed("2.09")
    assert round_gum(100.0, cf.k * 1.03).U_rounded == "2.2"
    # truncating the unrounded 18.9987 would give t95(18) = 2.10 (README), not the printed 2.09
    assert coverage_factor(unrounded).k == printed("2.10")


def test_coverage_factor_truncate_default_and_exact_option():
    """By hand with scipy.stats: ν 16.7 truncated -> t_0.995(16); exact -> t_0.995(16.7)."""
    assert coverage_factor(16.7, 0.99).k == pytest.approx(stats.t.ppf(0.995, 16), rel=1e-12)
    assert coverage_factor(16.7, 0.99, dof_rule="exact").k == pytest.approx(
        stats.t.ppf(0.995, 16.7), rel=1e-12
    )
    with pytest.raises(InputError, match=r"'trunc' is not a rule"):
        coverage_factor(10, dof_rule="trunc")


def test_coverage_factor_infinite_dof_is_normal_and_fixed_k():
    cf = coverage_factor(math.inf, 0.95)
    assert cf.distribution == "normal" and cf.k == pytest.approx(stats.norm.ppf(0.975), rel=1e-12)
    fixed = coverage_factor(3.2, 0.95, k=2)
    assert (fixed.k, fixed.distribution) == (2.0, "fixed") and fixed.notes
    with pytest.raises(InputError, match=r"ν_eff ≥ 1"):
        coverage_factor(0.6)


def test_budget_gum_h1_end_gauge_k99():
    """GUM JCGM 100:2008 H.1 (end-gauge calibration), Table H.1 contributions |c_i| u(x_i):
    l_S 25 nm (ν 18), d 9.7 nm (ν 25.6), δα 2.9 nm (ν 50), δθ 16.6 nm (ν 2); α_S and θ contribute 0.
    Printed: u_c = 32 nm, ν_eff = 16, k = t_99(16) = 2.92, U(99 %) = 93 nm. From the rounded table
    entries ν_eff = 16.76, truncated to 16 (GUM G.4.1, rmwork's default dof_rule).
    The GUM forms U from the rounded u_c (2.92 x 32 = 93.4); from the unrounded u_c (31.67) U is
    92.50, which rounds up (GUM 7.2.6, two digits) to the same printed 93."""
    b = budget(
        25.0,
        dof={"u_char": 18},
        extra=[
            Component(name="d", u=9.7, dof=25.6, reason="comparator readings"),
            Component(name="delta_alpha", u=2.9, dof=50, reason="expansion coefficients"),
            Component(name="delta_theta", u=16.6, dof=2, reason="temperature difference"),
        ],
    )
    assert b.u == printed("32")
    assert math.floor(b.dof_eff) == 16
    assert sum(c.share for c in b.components) == pytest.approx(1.0, rel=1e-12)
    cert = certify(50_000_623.6, b, coverage=0.99, rounding="gum", unit_of_measure="nm")
    assert cert.dof_used == 16
    assert cert.k == printed("2.92")
    assert cert.k * 32 == printed("93")
    assert cert.U_rounded == "93"


def test_budget_quam_a1_cadmium_standard():
    """EURACHEM/CITAC QUAM (3rd ed.) A1: c = 1000 m P / V with P 0.9999 (u 0.000058), m 100.28 mg
    (u 0.05 mg), V 100.0 mL (u 0.07 mL): c 1002.7 mg/L, u 0.9 mg/L (0.864 unrounded)
    (reference/README.md). Relative components, combined in quadrature."""
    c = 1000 * 100.28 * 0.9999 / 100.0
    assert c == printed("1002.7")
    b = budget(
        None,
        value=c,
        extra=[
            {"name": "P", "u_rel": 0.000058 / 0.9999, "reason": "purity"},
            {"name": "m", "u_rel": 0.05 / 100.28, "reason": "mass"},
            {"name": "V", "u_rel": 0.07 / 100.0, "reason": "volume"},
        ],
    )
    assert b.u == printed("0.864")
    assert round_gum(c, b.u, sig_digits=1).U_rounded == "0.9"
    assert math.isinf(b.dof_eff) and any("u_char not given" in n for n in b.notes)


def test_budget_crm_components_by_hand():
    """u_CRM = sqrt(0.3² + 0.1² + 0.2² + 0.05²); ν_eff = u⁴ / (0.3⁴/9) when only u_char has a
    finite dof; shares u_i²/u²."""
    b = budget(0.3, 0.1, 0.2, 0.05, value=10.0, dof={"u_char": 9})
    u = math.sqrt(0.09 + 0.01 + 0.04 + 0.0025)
    assert b.u == pytest.approx(u, rel=1e-14)
    assert b.dof_eff == pytest.approx(u**4 / (0.3**4 / 9), rel=1e-12)
    assert b.component("u_lts").share == pytest.approx(0.04 / u**2, rel=1e-12)
    assert b.component("u_bb").u_rel == pytest.approx(0.01, rel=1e-12)
    assert [c.source for c in b.components][:2] == ["characterization", "homogeneity (between-unit)"]
    frame = b.to_frame()
    assert list(frame["name"]) == ["u_char", "u_bb", "u_lts", "u_sts", "u_CRM"]


def test_budget_takes_result_objects_and_their_dof():
    """Study results can be passed as they are: .u_bb of a homogeneity result, .u and .dof of a
    characterization result (a note records where the dof came from)."""
    b = budget(SimpleNamespace(u=0.3, dof=5), SimpleNamespace(u_bb=0.1))
    assert (b.u_char, b.u_bb) == (0.3, 0.1)
    assert b.component("u_char").dof == 5
    assert any("taken from the characterization result" in n for n in b.notes)


def test_budget_rejects_bad_input_with_key():
    with pytest.raises(InputError, match=r"key 'dof': dof given for component\(s\) not in the budget: u_lts"):
        budget(0.3, 0.1, dof={"u_lts": 5})
    with pytest.raises(InputError, match=r"key 'u_bb': standard uncertainty must be a finite number"):
        budget(0.3, -0.1)
    with pytest.raises(InputError, match=r"key 'dof.u_char': degrees of freedom must be > 0"):
        budget(0.3, dof={"u_char": 0})
    with pytest.raises(InputError, match=r"relative \(u_rel\) but no certified value"):
        budget(0.3, extra=[Component(name="x", u_rel=0.01)])
    with pytest.raises(InputError, match=r"no component"):
        budget(None)


def test_certify_to_dict_has_the_contract_keys_first():
    """CONTRACT.md results.json 'certified': value, u_char, u_bb, u_lts, u_sts, u, dof_eff, k, U,
    value_rounded, U_rounded; absent components and infinite ν are null."""
    b = budget(0.3, 0.1, 0.2, value=10.0, dof={"u_char": 9})
    cert = certify(10.0123, b, rounding="din1333", analyte="Cd", unit_of_measure="mg/kg")
    d = cert.to_dict()
    assert list(d)[: len(CONTRACT_CERTIFIED_KEYS)] == CONTRACT_CERTIFIED_KEYS
    assert d["u_sts"] is None
    assert d["U"] == pytest.approx(stats.t.ppf(0.975, math.floor(b.dof_eff)) * b.u, rel=1e-12)
    assert isinstance(d["value_rounded"], str) and isinstance(d["U_rounded"], str)
    import json

    json.dumps(d)
    d_inf = certify(10.0, budget(0.3), k=2).to_dict()
    assert d_inf["dof_eff"] is None and d_inf["k"] == 2.0


# --------------------------------------------------------------------------------------------
# Reviewer checks, validity
# --------------------------------------------------------------------------------------------


def test_checks_by_hand():
    """u_bb/u_char = 0.2/0.3 > 1/3 -> attention; stability share 0.1²/u² small -> pass; methods:
    |10 - 10.2| = 0.2 ≤ 2 sqrt(u² + 0.1²) -> pass, |10 - 10.9| = 0.9 > 2 sqrt(0.14 + 0.01) = 0.775 -> attention."""
    b = budget(0.3, 0.2, 0.1, value=10.0)
    cert = certify(10.0, b, k=2)
    res = checks(cert, method_values={"ICP-MS": (10.2, 0.1), "AAS": {"value": 10.9, "u": 0.1}})
    by = {(i.check, i.subject): i for i in res.items}
    assert by[("u_bb_vs_u_char", "")].status == "attention"
    assert by[("u_bb_vs_u_char", "")].quantity == pytest.approx(0.2 / 0.3)
    assert by[("stability_share", "")].status == "pass"
    lim = 2 * math.sqrt(b.u**2 + 0.01)
    assert by[("method_agreement", "ICP-MS")].status == "pass"
    assert by[("method_agreement", "AAS")].status == "attention"
    assert by[("method_agreement", "AAS")].limit == pytest.approx(lim)
    assert by[("U_rounded_not_smaller", "")].status == "pass"
    assert not res.passed and res.n_attention == 2
    ok = checks(cert, u_bb=0.05)
    assert ok.passed


def test_checks_not_evaluated_without_components():
    cert = certify(10.0, budget(0.3), k=2)
    res = checks(cert)
    st = {i.check: i.status for i in res.items}
    assert st["u_bb_vs_u_char"] == "not evaluated" and st["stability_share"] == "not evaluated"


def test_validity_period_month_end():
    """Calendar arithmetic by hand: 2026-01-31 + 1 month -> 2026-02-28; + 24 -> 2028-01-31;
    13.7 months -> 13 whole months (note)."""
    assert validity_period(1, "2026-01-31").expiry == "2026-02-28"
    v = validity_period(24, "2026-01-31")
    assert (
        v.expiry == "2028-01-31"
        and "24 months" in v.justification
        and "有效期至 2028-01-31" in v.justification_zh
    )
    v = validity_period(13.7, "2025-11-22")
    assert (v.shelf_life_months, v.expiry) == (13, "2026-12-22") and v.notes
    with pytest.raises(InputError, match=r"key 'certificate.certification_date': '22.11.2025' is not a date"):
        validity_period(12, "22.11.2025")
    with pytest.raises(InputError, match=r"at least 1 month"):
        validity_period(0.5, "2025-11-22")


# --------------------------------------------------------------------------------------------
# Report layer: tables, figure, certificate page
# --------------------------------------------------------------------------------------------


def _example(material="Trace elements in rice flour"):
    vp = validity_period(24, "2026-03-01")
    meta = CertificateMetadata(
        material=material,
        producer="National Institute of Metrology",
        rm_number="GBW10010a",
        lot="A-01",
        intended_use="Quality control of trace-element analysis of cereals.",
        storage="Store below 25 °C, dry, in the original bottle.",
        instructions="Shake before use; dry a separate portion for moisture correction.",
        traceability="Traceable to the SI through gravimetrically prepared calibration solutions.",
        minimum_sample_intake=0.2,
        minimum_sample_intake_unit="g",
        certification_date="2026-03-01",
        validity=vp,
        approver="Dr. Li",
        approver_role="Head of RM division",
        producer_city="Beijing",
        producer_country_code="CN",
    )
    b1 = budget(0.004, 0.0015, 0.002, value=0.215, dof={"u_char": 9})
    b2 = budget(0.05, 0.02, 0.03, 0.01, value=8.43, dof={"u_char": 12})
    certs = [
        certify(0.2153, b1, analyte="Cd", unit_of_measure="mg/kg"),
        certify(8.4321, b2, analyte="Pb", unit_of_measure="mg/kg", k=2),
    ]
    return meta, certs, b1


def test_certificate_page_zh_contains_glossary_terms():
    """Chinese headings per shared/zh/GLOSSARY.md (JJF 1186-2018 certificate items)."""
    from rmwork.report.certificate import certificate_page

    meta, certs, _ = _example()
    page = certificate_page(certs, meta, lang="zh")
    for term in (
        "标准物质证书",
        "标准值",
        "扩展不确定度",
        "包含因子",
        "有效期",
        "最小取样量",
        "储存条件",
        "计量溯源性声明",
        "预期用途",
        "研制单位",
        "标准物质编号",
        "批号",
        "定值日期",
    ):
        assert term in page, term
    assert certs[0].value_rounded in page and certs[0].U_rounded in page
    en = certificate_page(certs, meta, lang="en", standalone=True)
    assert en.startswith("<!DOCTYPE html>") and "Certified values" in en and "Minimum sample intake" in en


def test_certificate_page_escapes_user_strings():
    """Material, analyte and free text are escaped (no markup from user input reaches the page)."""
    from rmwork.report.certificate import certificate_page

    evil = "<img src=x onerror=alert(1)>"
    meta, certs, _ = _example(material=evil)
    cert = certify(1.0, budget(0.1), k=2, analyte=evil, unit_of_measure="<b>mg/kg</b>")
    page = certificate_page([cert], meta, lang="en", standalone=True, analyte_names={evil: evil})
    assert "<img" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;mg/kg&lt;/b&gt;" in page


def test_certificate_page_missing_items_raise_or_draft():
    from rmwork.report.certificate import certificate_page

    meta, certs, _ = _example()
    bare = CertificateMetadata(material=meta.material, producer=meta.producer)
    with pytest.raises(
        InputError, match=r"key 'certificate': the certificate needs the item\(s\) intended_use"
    ):
        certificate_page(certs, bare)
    draft = certificate_page(certs, bare, lang="zh", draft=True)
    assert "草稿" in draft and "intended_use" in draft


def test_table_u1_u2_and_checks_table():
    from rmwork.report.certificate import checks_table, table_u1, table_u2

    meta, certs, b1 = _example()
    u1 = table_u1(b1).data
    assert "Table U1" in u1 and "u_char" in u1 and "characterization" in u1 and "u_CRM" in u1
    assert "贡献率" in table_u1(b1, lang="zh").data
    u2 = table_u2(certs, lang="zh").data
    assert "标准值" in u2 and "扩展不确定度 U" in u2 and "包含因子 k" in u2 and "mg/kg" in u2
    assert f">{certs[1].U_rounded}<" in u2
    ct = checks_table(checks(certs[0]), lang="zh").data
    assert "通过" in ct or "需关注" in ct
    with pytest.raises(InputError, match="not a report language"):
        table_u2(certs, lang="de")


def test_figure_u1_chinese_labels_render_with_cjk_font_without_missing_glyphs():
    """The zh figure is drawn with a CJK font: no 'Glyph ... missing from font' warning while
    rendering, and the labels resolve to that font (Debian package fonts-noto-cjk)."""
    from matplotlib import font_manager as fm

    from rmwork.report.certificate import figure_u1, setup_cjk_font

    _, _, b1 = _example()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        name = setup_cjk_font()
        fig = figure_u1(b1, lang="zh")
        fig.savefig(io.BytesIO(), format="png")
    glyph = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert glyph == []
    ax = fig.axes[0]
    assert "贡献" in ax.get_xlabel()
    path = fm.findfont(ax.xaxis.label.get_fontproperties(), fallback_to_default=False)
    assert name in [e.name for e in fm.fontManager.ttflist if e.fname == path]


def test_cjk_font_falls_back_for_glyphs_it_lacks():
    """Noto Sans CJK has no superscript minus (U+207B): the stability Arrhenius axis "1/T / K⁻¹"
    of a zh report must not draw it as an empty box (matplotlib warns 'Glyph ... missing')."""
    from matplotlib.figure import Figure

    from rmwork.report.certificate import setup_cjk_font

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        setup_cjk_font()
        fig = Figure()
        fig.add_subplot().set_xlabel("1/T / K⁻¹ — 温度 ± µ")
        fig.savefig(io.BytesIO(), format="png")
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []


# --------------------------------------------------------------------------------------------
# Package layout (issue 13): one module per procedure, public names importable from the package
# --------------------------------------------------------------------------------------------

CERT_MODULES = ["budget", "coverage", "rounding", "certified", "checks", "validity", "metadata", "entry"]


@pytest.mark.parametrize("module", CERT_MODULES)
def test_certificate_submodule_public_functions_cite_their_source(module):
    """test_style checks functions defined in rmwork.certificate itself; after the split they live in
    the submodules, so the same rule is applied to each of them here."""
    import importlib
    import inspect
    import re

    cites = re.compile(r"\([^)]*(ISO|JJF|GUM|JCGM|Guide|DIN|GB/T|eCerto|Welch|STYLE|DRMD)")
    mod = importlib.import_module(f"rmwork.certificate.{module}")
    for name, f in inspect.getmembers(mod, inspect.isfunction):
        if name.startswith("_") or f.__module__ != mod.__name__:
            continue
        first = (f.__doc__ or "").strip().splitlines()[0] if f.__doc__ else ""
        assert cites.search(first), f"{module}.{name}: first docstring line cites no document: {first!r}"


def test_certificate_public_names_importable_from_the_package():
    import rmwork.certificate as cert

    for name in cert.__all__:
        assert getattr(cert, name) is not None, name
    # the objects are the submodules' own (no copies that could drift apart)
    import importlib

    assert cert.budget is importlib.import_module("rmwork.certificate.budget").budget
    assert cert.CheckItem is importlib.import_module("rmwork.certificate.checks").CheckItem
