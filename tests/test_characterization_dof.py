"""Degrees of freedom of u_char with their source (issue 14): Knapp-Hartung by default for the
random-effects estimators, the interval a lot may choose instead, and the words that say where
ν (or k) comes from. Expected numbers are computed independently in each test or are published."""

import json
import math

import numpy as np
import pytest
from scipy import stats

from rmwork import workbook
from rmwork.characterization import consensus
from rmwork.testing import printed

# 4 laboratories that disagree beyond their uncertainties (q > 1)
X4, U4 = np.array([10.02, 9.91, 10.15, 10.31]), np.array([0.03, 0.04, 0.05, 0.05])
# 4 laboratories that agree better than their uncertainties say (q < 1: truncation matters)
X4C, U4C = np.array([10.00, 10.01, 9.99, 10.00]), np.array([0.05, 0.04, 0.06, 0.05])


def dl_knapp_hartung_by_hand(x, u, level=0.95):
    """DerSimonian & Laird (1986) tau^2 and the Knapp-Hartung u, truncated and not, by hand."""
    p = len(x)
    w0 = 1 / u**2
    xw = np.sum(w0 * x) / np.sum(w0)
    q_stat = np.sum(w0 * (x - xw) ** 2)
    tau2 = max(0.0, (q_stat - (p - 1)) / (np.sum(w0) - np.sum(w0**2) / np.sum(w0)))
    w = 1 / (u**2 + tau2)
    mu = np.sum(w * x) / np.sum(w)
    q = np.sum(w * (x - mu) ** 2) / (p - 1)
    return dict(
        mu=mu,
        u_plain=np.sum(w) ** -0.5,
        u_kh=math.sqrt(max(q, 1) / np.sum(w)),
        u_kh_raw=math.sqrt(q / np.sum(w)),
        q=q,
        k=stats.t.ppf((1 + level) / 2, p - 1),
    )


def four_lab_lot(tmp_path, extra=""):
    rows = "\n".join(f"A,L{i + 1},{x},{u}" for i, (x, u) in enumerate(zip(X4, U4)))
    (tmp_path / "c.csv").write_text("analyte,lab,value,u\n" + rows + "\n")
    (tmp_path / "lot.yaml").write_text(
        "lot: DOF-1\nmaterial: dof test\nseed: 3\ncharacterization:\n"
        "  data: c.csv\n  method: dersimonian-laird\n" + extra
    )
    return tmp_path / "lot.yaml"


def test_four_lab_dersimonian_laird_lot_gets_k_t_0975_3_with_the_knapp_hartung_u(tmp_path):
    wb = workbook.open(four_lab_lot(tmp_path))
    r = wb.characterization()["A"].consensus
    ref = dl_knapp_hartung_by_hand(X4, U4)
    assert ref["q"] > 1
    assert r.value == pytest.approx(ref["mu"], rel=1e-13)
    assert r.u == pytest.approx(ref["u_kh"], rel=1e-12) and r.u > r.u_closed_form
    assert r.dof == 3 and r.k == pytest.approx(stats.t.ppf(0.975, 3), rel=1e-14)
    assert r.ci95.high - r.value == pytest.approx(stats.t.ppf(0.975, 3) * ref["u_kh"], rel=1e-12)
    assert r.interval == "knapp-hartung" and "p − 1 = 3" in r.dof_source and "Röver" in r.dof_source
    assert "k = 3.18" in str(r) and r.dof_source in str(r)
    entry = json.loads(json.dumps(wb.results_json()))["analytes"]["A"]["characterization"]
    assert entry["dof"] == 3 and entry["dof_source"] == r.dof_source


def test_knapp_hartung_variance_factor_truncated_at_1_never_narrower_than_plain():
    ref = dl_knapp_hartung_by_hand(X4C, U4C)
    assert ref["q"] < 1
    r = consensus(X4C, U4C)
    assert r.u == pytest.approx(ref["u_plain"], rel=1e-12) and r.kh_factor == pytest.approx(
        ref["q"], rel=1e-12
    )
    assert "truncated at 1" in r.dof_source
    raw = consensus(X4C, U4C, interval="knapp-hartung-untruncated")
    assert raw.u == pytest.approx(ref["u_kh_raw"], rel=1e-12) and raw.u < r.u
    assert "chosen by the lot" in raw.interval_reason


def test_dersimonian_laird_knapp_hartung_raudenbush_1985_handbook_table_16_3():
    """Teacher expectancy, 19 studies (Raudenbush 1985, data as in metadat dat.raudenbush1985);
    Cooper, Hedges & Valentine (eds.), The Handbook of Research Synthesis and Meta-Analysis, 2nd
    ed. (2009), Table 16.3, reproduced by metafor's test 'raudenbush2009' with method="DL",
    test="knha": tau^2 0.0259, mu 0.0893, se 0.0636, 95 % (-0.0442, 0.2229). There q > 1, so the
    truncated and the published Knapp-Hartung agree."""
    y = [
        0.03,
        0.12,
        -0.14,
        1.18,
        0.26,
        -0.06,
        -0.02,
        -0.32,
        0.27,
        0.80,
        0.54,
        0.18,
        -0.02,
        0.23,
        -0.18,
        -0.06,
        0.30,
        0.07,
        -0.07,
    ]
    v = [
        0.0156,
        0.0216,
        0.0279,
        0.1391,
        0.1362,
        0.0106,
        0.0106,
        0.0484,
        0.0269,
        0.0630,
        0.0912,
        0.0497,
        0.0835,
        0.0841,
        0.0253,
        0.0279,
        0.0193,
        0.0088,
        0.0303,
    ]
    r = consensus(y, np.sqrt(v))
    assert r.tau**2 == printed("0.0259") and r.value == printed("0.0893") and r.u == printed("0.0636")
    assert r.ci95.low == printed("-0.0442") and r.ci95.high == printed("0.2229") and r.dof == 18
    assert consensus(y, np.sqrt(v), interval="knapp-hartung-untruncated").u == pytest.approx(r.u, rel=1e-14)


def test_paule_mandel_defaults_to_knapp_hartung_too():
    r = consensus(X4, U4, method="paule-mandel")
    assert r.interval == "knapp-hartung" and r.dof == 3
    # Paule-Mandel's tau^2 makes q = 1 exactly when tau > 0: u equals the plain (sum w)^-1/2
    assert r.tau > 0 and r.kh_factor == pytest.approx(1.0, rel=1e-9)
    assert r.u == pytest.approx(r.u_closed_form, rel=1e-8)


def test_lot_chooses_nicob_bootstrap_with_its_reason_printed(tmp_path):
    lot = four_lab_lot(tmp_path, "  interval: bootstrap\n  interval_reason: comparison with NICOB 1.2\n")
    r = workbook.open(lot).characterization()["A"].consensus
    assert r.u_method == "bootstrap" and r.interval == "bootstrap" and math.isinf(r.dof)
    assert "chosen by the lot" in r.interval_reason and "NICOB 1.2" in r.interval_reason
    assert any("NICOB 1.2" in n for n in r.notes)
    assert r.k == pytest.approx((r.ci95.high - r.ci95.low) / (2 * r.u), rel=1e-12)
    assert "bootstrap" in r.dof_source


def test_lot_chooses_the_normal_interval(tmp_path):
    r = workbook.open(four_lab_lot(tmp_path, "  interval: normal\n")).characterization()["A"].consensus
    assert r.u == r.u_closed_form and math.isinf(r.dof) and r.k == pytest.approx(stats.norm.ppf(0.975))
    assert "no reason given" in r.interval_reason


def test_unknown_interval_key_is_refused(tmp_path):
    from rmwork.errors import InputError

    with pytest.raises(InputError, match="knapp-hartung-untruncated"):
        workbook.open(four_lab_lot(tmp_path, "  interval: hksj\n"))


def test_paule_mandel_refuses_the_dersimonian_laird_bootstrap():
    from rmwork.errors import InputError

    with pytest.raises(InputError, match="bootstrap is defined for dersimonian-laird"):
        consensus(X4, U4, method="paule-mandel", interval="bootstrap", seed=1)


def test_mean_of_lab_means_nu_is_p_minus_1():
    x = np.array([2.95, 3.02, 2.99, 3.05, 2.97])
    r = consensus(x, method="mean")
    assert r.dof == 4 and r.u == pytest.approx(np.std(x, ddof=1) / math.sqrt(5), rel=1e-13)
    assert "p − 1 = 4" in r.dof_source and r.k == pytest.approx(stats.t.ppf(0.975, 4))


def test_weighted_mean_dof_per_its_basis():
    r = consensus(X4C, U4C, method="weighted-mean")
    assert math.isinf(r.dof) and "none of which gives degrees of freedom" in r.dof_source
    w = consensus(X4C, U4C, [10, 8, 12, 6], method="weighted-mean")
    c = (1 / U4C**2) / np.sum(1 / U4C**2)
    nu = w.u**4 / np.sum((c * U4C) ** 4 / np.array([10, 8, 12, 6]))
    assert w.dof == pytest.approx(nu, rel=1e-12) and "Welch–Satterthwaite" in w.dof_source


def test_linear_pool_k_from_its_95_percent_interval():
    r = consensus(X4, U4, method="linear-pool", seed=5, n_pool=20_000)
    assert math.isinf(r.dof) and "quantiles" in r.dof_source
    assert r.k == pytest.approx((r.ci95.high - r.ci95.low) / (2 * r.u), rel=1e-12)
