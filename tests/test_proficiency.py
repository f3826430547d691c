"""Proficiency testing (ISO 13528:2022): scores, classes, the u(x_pt) check, assigned value,
sigma_pt, PT items' homogeneity and stability, against published worked examples.

Oracles: ISO 13528:2022 Annex E, printed values — E.2 (arsenic in chocolate, Tables E.2/E.3),
E.3 (atrazine, Table E.4/E.5), E.4 (mercury in feed, Tables E.6/E.7: x_pt 0.044, U(x_pt)
0.0082 with k = 2, sigma_pt 0.0066), E.7 (Algorithm A on the E.4 results) and E.9 (Horwitz).
The E.4 table is used as transcribed in the pt13528 project (tests/annex_e_data.py, LGPL; the
numbers are the standard's).  Thompson's modification of the Horwitz function: IUPAC Harmonized
Protocol for proficiency testing (Thompson, Ellison, Wood, Pure Appl. Chem. 78 (2006) 145-196,
3.5), written out by hand in the test.
"""

from decimal import Decimal

import pandas as pd
import pytest

from rmwork.errors import InputError
from rmwork.proficiency import (
    assess_item,
    assess_round,
    assigned_value,
    classify,
    horwitz,
    item_homogeneity,
    item_stability,
    sigma_pt,
    uncertainty_check,
)
from rmwork.testing import reference


def printed(text: str):
    """Approx-equal to a value as printed: +/- half a unit in its last printed digit."""
    d = Decimal(text)
    return pytest.approx(float(d), abs=0.5 * 10.0 ** d.as_tuple().exponent * (1 + 1e-9))


# ISO 13528:2022 Tables E.6/E.7: code, x, U, k, z, z', zeta, E_n (as printed)
E4_XPT, E4_U_XPT, E4_SIGMA = 0.044, 0.0082, 0.0066
E4 = [
    ("L04", 0.013, 0.003, 2, "-4.70", "-3.99", "-7.10", "-3.55"),
    ("L05", 0.013, 0.007, 2, "-4.70", "-3.99", "-5.75", "-2.88"),
    ("L23", 0.0135, 0.00108, 1.732, "-4.62", "-3.93", "-7.35", "-3.69"),
    ("L02", 0.014, 0.004, 2, "-4.55", "-3.86", "-6.58", "-3.29"),
    ("L15", 0.014, 0.0005, 2, "-4.55", "-3.86", "-7.30", "-3.65"),
    ("L06", 0.016, 0.003, 2, "-4.24", "-3.60", "-6.41", "-3.21"),
    ("L09", 0.017, 0.008, 2, "-4.09", "-3.47", "-4.71", "-2.36"),
    ("L26", 0.019, 0.003, 2, "-3.79", "-3.22", "-5.73", "-2.86"),
    ("L12", 0.0239, 0.0036, 2, "-3.05", "-2.59", "-4.49", "-2.24"),
    ("L03", 0.037, 0.013, 2, "-1.06", "-0.90", "-0.91", "-0.46"),
    ("L29", 0.039, 0.007, 2, "-0.76", "-0.64", "-0.93", "-0.46"),
    ("L07", 0.04, 0.008, 2, "-0.61", "-0.51", "-0.70", "-0.35"),
    ("L21", 0.04, 0.03, 2, "-0.61", "-0.51", "-0.26", "-0.13"),
    ("L25", 0.040, 0.010, 2, "-0.61", "-0.51", "-0.62", "-0.31"),
    ("L16", 0.0424, 0.008, 2, "-0.24", "-0.21", "-0.28", "-0.14"),
    ("L08", 0.044, 0.007, 2, "0.00", "0.00", "0.00", "0.00"),
    ("L10", 0.045, 0.007, 2, "0.15", "0.13", "0.19", "0.09"),
    ("L24", 0.045, 0.005, 2, "0.15", "0.13", "0.21", "0.10"),
    ("L18", 0.046, 0.007, 2, "0.30", "0.26", "0.37", "0.19"),
    ("L28", 0.049, 0.0072, 2, "0.76", "0.64", "0.92", "0.46"),
    ("L01", 0.053, 0.007, 2, "1.36", "1.16", "1.67", "0.83"),
]


def e4_frame():
    return pd.DataFrame([{"participant": c, "value": x, "u": U / k, "k": k} for c, x, U, k, *_ in E4])


def e4_assessment():
    return assess_item(
        e4_frame(),
        assigned="certified",
        sigma_pt=E4_SIGMA,
        certified={"value": E4_XPT, "u": E4_U_XPT / 2, "k": 2},
    )


def test_scores_iso13528_e4_mercury_z_zprime_zeta_en():
    """ISO 13528:2022 Example E.4, Tables E.6 and E.7: every printed z, z', zeta and E_n of the 21
    participants (x_pt = 0.044 with U 0.0082, k = 2; sigma_pt = 0.0066)."""
    res = {p.participant: p for p in e4_assessment().participants}
    for code, _x, _U, _k, z, zp, zeta, en in E4:
        p = res[code]
        assert (p.z, p.z_prime, p.zeta, p.en) == (printed(z), printed(zp), printed(zeta), printed(en)), code


def test_uncertainty_check_iso13528_e4_mercury_not_negligible_so_z_prime():
    """ISO 13528:2022 Example E.4: u(x_pt) = 0.0082/2 = 0.0041 exceeds 0.3 sigma_pt = 0.00198, so
    the performance is judged on z' (9.2.1, 9.5); e.g. L12: z -3.05 unsatisfactory, z' -2.59
    questionable."""
    item = e4_assessment()
    assert item.check.limit == pytest.approx(0.3 * 0.0066)
    assert not item.check.negligible and item.check.score == "z_prime"
    l12 = next(p for p in item.participants if p.participant == "L12")
    assert classify(l12.z) == "unsatisfactory" and l12.class_ == "questionable"


def test_assigned_algorithm_a_iso13528_e3_atrazine_and_robust_sigma():
    """ISO 13528:2022 Example E.3 (atrazine, 34 laboratories): x* 0.2570, s* 0.0395,
    u(x*) = 1.25 s*/sqrt(p) 0.0085; with sigma_pt = s* the check u(x_pt) <= 0.3 sigma_pt holds
    (0.0085 <= 0.0119 by the printed values)."""
    df = reference("robust_iso13528_e3_atrazine")
    av = assigned_value(df["value"], df["lab"], "algorithm-a")
    sg = sigma_pt("robust", x_pt=av.x_pt, values=df["value"], codes=df["lab"])
    assert (av.x_pt, sg.sigma_pt, av.u_x_pt) == (printed("0.2570"), printed("0.0395"), printed("0.0085"))
    assert uncertainty_check(av.u_x_pt, sg.sigma_pt).negligible


def test_assigned_algorithm_a_iso13528_e7_mercury_consensus():
    """ISO 13528:2022 Example E.7: Algorithm A on the 21 E.4 results gives x* 0.03161, s* 0.0164,
    u(x*) 0.0045."""
    df = e4_frame()
    av = assigned_value(df["value"], df["participant"], "algorithm-a")
    assert (av.x_pt, av.s_star, av.u_x_pt) == (printed("0.03161"), printed("0.0164"), printed("0.0045"))


def test_horwitz_iso13528_e9_sigma_pt():
    """ISO 13528:2022 Example E.9: sigma_pt 0.186 mg/kg at 1.195 mg/kg and 0.356 mg/kg at 2.565 mg/kg."""
    s1 = sigma_pt("horwitz", x_pt=1.195, unit="mg/kg")
    s2 = sigma_pt("horwitz", x_pt=2.565, unit="mg/kg")
    assert (s1.sigma_pt, s2.sigma_pt) == (printed("0.186"), printed("0.356"))


def test_horwitz_thompson_modification_harmonized_protocol_2006_by_hand():
    """IUPAC Harmonized Protocol 2006, 3.5 (Thompson 2000): 0.22c below 1.2e-7, 0.02 c^0.8495 up to
    0.138, 0.01 c^0.5 above (mass fractions), written out here."""
    assert horwitz(1e-8) == pytest.approx(0.22 * 1e-8)
    assert horwitz(1e-9) / 1e-9 == pytest.approx(0.22)  # 22 % RSD at 1 ug/kg, not Horwitz's 45 %
    assert horwitz(1e-6) == pytest.approx(0.02 * 1e-6**0.8495)
    assert horwitz(0.5) == pytest.approx(0.01 * 0.5**0.5)
    assert sigma_pt("horwitz", x_pt=5.0, unit="µg/kg").sigma_pt == pytest.approx(0.22 * 5.0)


def test_item_stability_iso13528_e2_arsenic_b5():
    """ISO 13528:2022 Example E.2 (Tables E.2 and E.3): homogeneity mean 0.18715, stability mean
    0.19375, difference 0.00660 <= 0.3 sigma_pt = 0.00842 (sigma_pt = 0.15 x 0.18715)."""
    hom = reference("homogeneity_iso13528_e2_arsenic")
    st = item_stability(hom["value"], [0.191, 0.198, 0.190, 0.196], 0.15 * 0.18715, basis="homogeneity study")
    assert (st.y1, st.y2, st.difference, st.limit) == (
        printed("0.18715"),
        printed("0.19375"),
        printed("0.00660"),
        printed("0.00842"),
    )
    assert st.passed


def test_item_homogeneity_iso13528_e2_arsenic_b2():
    """ISO 13528:2022 Example E.2: s_s 0.00060 <= 0.3 sigma_pt 0.00842, sqrt(c) 0.01283."""
    h = item_homogeneity(reference("homogeneity_iso13528_e2_arsenic"), 0.15 * 0.18715)
    assert (h.s_s, h.limit, h.sqrt_c) == (printed("0.00060"), printed("0.00842"), printed("0.01283"))
    assert h.passed


def test_classes_iso13528_clause9_boundaries():
    """ISO 13528:2022, 9.4 to 9.7: |z| <= 2 satisfactory, 2 < |z| < 3 questionable, |z| >= 3
    unsatisfactory; |E_n| <= 1 satisfactory."""
    assert [classify(v) for v in (2.0, -2.0, 2.01, -2.99, 3.0, -3.5)] == [
        "satisfactory",
        "satisfactory",
        "questionable",
        "questionable",
        "unsatisfactory",
        "unsatisfactory",
    ]
    assert [classify(v, "en") for v in (1.0, -1.0, 1.001)] == [
        "satisfactory",
        "satisfactory",
        "unsatisfactory",
    ]


def test_round_two_items_results_json_keys():
    """results.json: proficiency.{assigned_value, u_assigned, sigma_pt, participants.<code>.{z,
    z_prime, zeta, en, class}}, and every item under items; z by hand."""
    df = pd.concat([e4_frame().assign(item="A"), e4_frame().assign(item="B", value=e4_frame()["value"] * 2)])
    rnd = assess_round(
        df, assigned="certified", sigma_pt=E4_SIGMA, certified={"value": E4_XPT, "u": E4_U_XPT / 2, "k": 2}
    )
    d = rnd.to_dict()
    assert d["assigned_value"] == E4_XPT and d["u_assigned"] == E4_U_XPT / 2 and d["sigma_pt"] == E4_SIGMA
    assert set(d["participants"]["L01"]) >= {"z", "z_prime", "zeta", "en", "class"}
    assert d["items"]["B"]["participants"]["L01"]["z"] == pytest.approx((0.053 * 2 - 0.044) / 0.0066)


def test_experts_assigned_value_mean_and_standard_error_by_hand():
    """ISO 13528:2022, 7.6: x_pt = mean of the expert laboratories, u = s/sqrt(p) (computed here)."""
    df = e4_frame()
    av = assigned_value(df["value"], df["participant"], "experts", experts=["L08", "L10", "L24"])
    xs = [0.044, 0.045, 0.045]
    m = sum(xs) / 3
    s = (sum((x - m) ** 2 for x in xs) / 2) ** 0.5
    assert av.x_pt == pytest.approx(m) and av.u_x_pt == pytest.approx(s / 3**0.5)


# --- bad input ---------------------------------------------------------------------------------


def test_zeta_for_participant_without_u_names_the_participant():
    df = e4_frame()
    df.loc[df["participant"] == "L07", "u"] = float("nan")
    with pytest.raises(
        InputError,
        match=r"participant 'L07': zeta and en need the participant's standard "
        r"uncertainty u",
    ):
        assess_item(df, assigned="certified", sigma_pt=E4_SIGMA, certified={"value": E4_XPT, "u": 0.0041})


def test_sigma_pt_not_positive_is_refused():
    with pytest.raises(InputError, match=r"sigma_pt \(given\) must be positive, got -0.1"):
        sigma_pt(-0.1, x_pt=1.0)
    with pytest.raises(InputError, match="must be positive"):
        sigma_pt(0, x_pt=1.0)


def test_algorithm_a_needs_three_participants():
    df = e4_frame().head(2)
    with pytest.raises(
        InputError,
        match=r"Algorithm A \(ISO 13528:2022, C.3.1\) needs at least 3 "
        r"participants' results, found 2",
    ):
        assess_item(df, assigned="algorithm-a", sigma_pt=0.0066)


def test_horwitz_unknown_unit_is_refused():
    with pytest.raises(InputError, match="unit 'U' is not a mass fraction"):
        sigma_pt("horwitz", x_pt=1.0, unit="U")


def test_duplicate_participant_is_refused():
    df = pd.concat([e4_frame(), e4_frame().head(1)])
    with pytest.raises(InputError, match="participant 'L04' appears more than once"):
        assess_item(df, assigned="algorithm-a", sigma_pt=0.0066)


def test_proficiency_and_verification_modules_cite_sources_and_import_no_matplotlib():
    """STYLE.md: the first docstring line of every public compute function cites its source; compute
    modules import neither matplotlib nor PyMC."""
    import importlib
    import inspect
    import re
    import subprocess
    import sys

    cites = re.compile(r"\([^)]*(ISO|ERM|GUM|IUPAC)")
    for m in (
        "proficiency.assigned",
        "proficiency.sigma",
        "proficiency.scores",
        "proficiency.items",
        "proficiency.assessment",
        "verification",
    ):
        mod = importlib.import_module(f"rmwork.{m}")
        for name, f in inspect.getmembers(mod, inspect.isfunction):
            if not name.startswith("_") and f.__module__ == mod.__name__:
                assert cites.search(f.__doc__.strip().splitlines()[0]), f"{m}.{name}"
    code = (
        "import sys, rmwork.proficiency, rmwork.verification; "
        "sys.exit(any(m in sys.modules for m in ('matplotlib', 'pymc')))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
