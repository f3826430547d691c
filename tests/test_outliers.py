"""Screening tests (ISO 5725-2 / GB/T 4883 / eCerto) against eCerto SR3 and by hand."""

import math

import numpy as np
import pytest
from scipy import stats

from rmwork import outliers
from rmwork.errors import InputError
from rmwork.testing import printed, printed_mc, reference


@pytest.fixture(scope="module")
def sr3():
    """eCerto SR3 study, analyte Si, 10 labs x 6 replicates (reference input)."""
    df = reference("characterization_ecerto_sr3_si")
    g = df.groupby("lab", sort=False)["value"]
    return df, g.mean(), g.var(ddof=1), g.count(), g.std(ddof=1)


def test_cochran_ecerto_sr3_si_repeated_flags_l13_then_l01(sr3):
    """eCerto (janlisec/eCerto, R/ Cochran(), pcochran()) on SR3 Si: Cochran's C applied repeatedly
    flags L13 at 1 % (p 0.0048881972) then L01 at 5 % (p 0.014294748) (reference/README.md)."""
    _, _, var, n, _ = sr3
    res = outliers.cochran(var.to_numpy(), n.to_numpy(), labels=var.index)
    assert res.flagged == ("L13", "L01")
    assert res.rounds[0]["p_value"] == printed("0.0048881972")
    assert res.rounds[1]["p_value"] == printed("0.014294748")
    assert [r["level"] for r in res.rounds[:2]] == ["outlier", "straggler"]
    assert res.p_value == res.rounds[0]["p_value"]
    assert res.rounds[2]["p_value"] > 0.05  # testing stops at the first non-significant round


def test_grubbs_ecerto_sr3_si_single_p_values(sr3):
    """eCerto grubbs.test(type = "10", tail = "lower"/"upper") on the SR3 Si lab means: one-sided
    p for L07 (lowest) 0.45402331 and L13 (highest) 0.90086514 (reference/README.md)."""
    _, means, *_ = sr3
    res = outliers.grubbs(means.to_numpy(), labels=means.index)
    assert (res.lab_low, res.lab_high) == ("L07", "L13")
    assert res.p_value_low == printed("0.45402331")
    assert res.p_value_high == printed("0.90086514")
    assert res.flagged == ()


def test_dixon_ecerto_sr3_si_r11_statistic_l07(sr3):
    """eCerto dixon.test on the SR3 Si lab means (n = 10 -> r11): statistic for L07 0.0027778
    (reference/README.md)."""
    _, means, *_ = sr3
    res = outliers.dixon(means.to_numpy(), labels=means.index)
    assert res.ratio == "r11" and res.lab_low == "L07"
    assert res.statistic_low == printed("0.0027778")
    assert res.p_value_low > 0.9


def test_normality_ecerto_sr3_si_ks_p(sr3):
    """eCerto prepTabC2: ks.test(x, "pnorm", mean(x), sd(x)) of the SR3 Si lab means, p 0.966;
    mean of lab means 0.0492917, SD 0.0023702 (reference/README.md)."""
    _, means, *_ = sr3
    res = outliers.normality(means.to_numpy())
    assert res.ks_p == printed("0.966")
    assert res.mean == printed("0.0492917")
    assert res.sd == printed("0.0023702")


def test_grubbs_critical_values_iso5725_table5_n10():
    """ISO 5725-2:2019 Table 5, single Grubbs, p = 10: 5 % 2.290, 1 % 2.482 (Grubbs 1950 formula)."""
    res = outliers.grubbs(np.arange(10.0))
    assert res.g_critical_05 == printed("2.290")
    assert res.g_critical_01 == printed("2.482")


def test_grubbs_p_value_by_hand_t_relation():
    """By hand: p_one = n P(T_{n-2} > t), t^2 = n(n-2)G^2/((n-1)^2 - nG^2) (Grubbs 1950)."""
    x = np.array([9.8, 10.1, 10.0, 10.2, 9.9, 12.0])
    n = len(x)
    g = (x.max() - x.mean()) / x.std(ddof=1)
    t = math.sqrt(n * (n - 2) * g * g / ((n - 1) ** 2 - n * g * g))
    res = outliers.grubbs(x)
    assert res.g_high == pytest.approx(g, rel=1e-12)
    assert res.p_value_high == pytest.approx(n * stats.t.sf(t, n - 2), rel=1e-12)
    assert res.flagged == ("6",) and res.level_high == "outlier"


def test_dixon_critical_value_dixon_1951_r11_n10():
    """Dixon (1951) / Rorabacher (1991) table: r11, n = 10, one-sided 5 %: 0.477 (simulated here)."""
    res = outliers.dixon(np.linspace(0, 1, 10))
    assert res.r_critical_05 == printed_mc("0.477")


def test_grubbs_double_critical_value_matches_ecerto_qgrubbs2_approximation():
    """eCerto qgrubbs2(0.05, n): a fitted approximation to the tabulated double-Grubbs critical
    values (ISO 5725-2 Table 5), accurate to about 0.003; by hand for n = 10."""
    n, p = 10, 0.05
    fn = 0.0289 * n**2 + 0.8501 * n - 2.5075
    fc = (1 - p) ** (1 / fn)
    approx = 1 / (1 + 2 / (n - 3) * stats.f.ppf(fc, 2, n - 3))
    res = outliers.grubbs_double(np.linspace(0, 1, n))
    assert res.g_critical_05 == pytest.approx(approx, abs=0.004)


def test_grubbs_double_flags_a_pair_by_hand():
    x = np.array([10.0, 10.1, 9.9, 10.05, 9.95, 10.02, 13.0, 13.1])
    res = outliers.grubbs_double(x, labels=list("ABCDEFGH"))
    assert res.labs_high == ("G", "H")
    assert res.p_value_high < 0.01 and set(res.flagged) == {"G", "H"}


def test_mandel_h_and_k_critical_values_by_formula():
    """ISO 5725-2:2019, 7.3.1: h = (p-1)t/sqrt(p(t^2+p-2)), k = sqrt(p/(1+(p-1)/F)) (by hand)."""
    p, n = 10, 6
    t = stats.t.isf(0.005, p - 2)
    f = stats.f.isf(0.01, n - 1, (p - 1) * (n - 1))
    h = outliers.mandel_h(np.arange(p, dtype=float))
    k = outliers.mandel_k(np.linspace(1, 2, p), n)
    assert h.critical_01 == pytest.approx((p - 1) * t / math.sqrt(p * (t * t + p - 2)), rel=1e-12)
    assert k.critical_01 == pytest.approx(math.sqrt(p / (1 + (p - 1) / f)), rel=1e-12)


def test_mandel_k_p_of_largest_variance_times_p_is_cochran_p(sr3):
    """Identity: the Bonferroni Cochran p of the largest variance is p times its Mandel-k p."""
    _, _, var, n, sd = sr3
    k = outliers.mandel_k(sd.to_numpy(), 6, labels=sd.index)
    c = outliers.cochran(var.to_numpy(), n.to_numpy(), labels=var.index)
    assert 10 * k.p_values[k.labs.index("L13")] == pytest.approx(c.rounds[0]["p_value"], rel=1e-9)
    assert k.flagged == ("L13",)


def test_scheffe_letters_by_hand_three_labs():
    values = [10.0, 10.1, 9.9, 10.05, 10.0, 10.1, 12.0, 12.1, 11.9]
    labs = ["A"] * 3 + ["B"] * 3 + ["C"] * 3
    res = outliers.scheffe(values, labs)
    groups = dict(zip(res.labs, res.groups_05))
    assert groups["C"] == "a" and groups["A"] == groups["B"] == "b"
    # by hand: MS_error and the pairwise p of A vs C
    mse = (0.02 + 0.005 + 0.02) / 6
    fac = (2.0 - 0.0) ** 2 / (2 * mse * (2 / 3))
    assert res.ms_error == pytest.approx(mse, rel=1e-12)
    assert res.p_matrix[0][2] == pytest.approx(stats.f.sf(fac, 2, 6), rel=1e-9)


def test_cochran_q_by_hand():
    x, u = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 1.0])
    w = 1 / u**2
    xw = (w * x).sum() / w.sum()
    q = (w * (x - xw) ** 2).sum()
    res = outliers.cochran_q(x, u)
    assert res.statistic == pytest.approx(q, rel=1e-12)
    assert res.p_value == pytest.approx(stats.chi2.sf(q, 2), rel=1e-12)
    assert res.i2 == pytest.approx(max(0, (q - 2) / q), rel=1e-12)


def test_grubbs_rejects_non_finite_value_naming_the_lab():
    with pytest.raises(InputError, match=r"lab 'B': value is inf"):
        outliers.grubbs([1.0, float("inf"), 2.0], labels=["A", "B", "C"])


def test_grubbs_rejects_equal_values():
    with pytest.raises(InputError, match="all are equal"):
        outliers.grubbs([1.0, 1.0, 1.0])


def test_cochran_rejects_fewer_than_three_labs():
    with pytest.raises(InputError, match=r"needs at least 3 laboratories with non-zero variance, found 2"):
        outliers.cochran([1.0, 2.0], 5)


def test_cochran_leaves_zero_variance_labs_out_with_a_note():
    res = outliers.cochran([0.0, 1.0, 1.1, 0.9, 5.0], 4, labels=list("ABCDE"))
    assert res.excluded == ("A",)
    assert "zero variance" in res.notes[0]


def test_cochran_q_rejects_zero_u_naming_the_lab():
    with pytest.raises(InputError, match=r"lab 'Y': u must be positive, got 0.0"):
        outliers.cochran_q([1.0, 2.0], [0.1, 0.0], labels=["X", "Y"])
