"""Robust statistics (ISO 13528:2022 Annex C) against the standard's Example E.3 and by hand."""

import math

import numpy as np
import pytest

from rmwork.errors import InputError
from rmwork.robust import algorithm_a, robust_statistics
from rmwork.testing import printed, reference


def test_algorithm_a_iso13528_e3_atrazine_x_star_s_star_u_x_star():
    """ISO 13528:2022 Example E.3 (atrazine, 34 laboratories), printed results of Algorithm A:
    x* 0.2570, s* 0.0395, u(x*) = 1.25 s*/sqrt(p) 0.0085 (reference/README.md)."""
    res = algorithm_a(reference("robust_iso13528_e3_atrazine")["value"])
    assert res.x_star == printed("0.2570")
    assert res.s_star == printed("0.0395")
    assert res.u_x_star == printed("0.0085")
    assert res.n_labs == 34
    assert res.converged and res.n_iter > 1


def test_robust_statistics_iso13528_e3_atrazine_median_niqr_made():
    """ISO 13528:2022 Example E.3, printed: median 0.2620, nIQR 0.0402, MADe 0.0386,
    mean 0.2512, SD 0.0672 (reference/README.md)."""
    res = robust_statistics(reference("robust_iso13528_e3_atrazine")["value"])
    assert res.median == printed("0.2620")
    assert res.niqr == printed("0.0402")
    assert res.made == printed("0.0386")
    assert res.mean == printed("0.2512")
    assert res.sd == printed("0.0672")


def test_algorithm_a_by_hand_winsorizing_loop():
    """By hand: the C.3.1 iteration written out with numpy on a small set with one far value."""
    x = np.array([10.1, 9.8, 10.0, 10.3, 9.9, 10.2, 14.0])
    xs = np.median(x)
    ss = 1.483 * np.median(np.abs(x - xs))
    for _ in range(500):
        w = np.clip(x, xs - 1.5 * ss, xs + 1.5 * ss)
        xs, ss = w.mean(), 1.134 * w.std(ddof=1)
    res = algorithm_a(x)
    assert res.x_star == pytest.approx(xs, rel=1e-10)
    assert res.s_star == pytest.approx(ss, rel=1e-10)
    assert res.u_x_star == pytest.approx(1.25 * ss / math.sqrt(7), rel=1e-10)


def test_algorithm_a_invariant_to_scale_and_offset():
    x = reference("robust_iso13528_e3_atrazine")["value"].to_numpy()
    a, b = algorithm_a(x), algorithm_a(1000 + 50 * x)
    assert b.x_star == pytest.approx(1000 + 50 * a.x_star, rel=1e-12)
    assert b.s_star == pytest.approx(50 * a.s_star, rel=1e-9)


def test_algorithm_a_mad_zero_gives_median_and_a_note():
    res = algorithm_a([5.0, 5.0, 5.0, 5.0, 7.0])
    assert res.x_star == 5.0 and res.s_star == 0.0
    assert "MAD = 0" in res.notes[0]


def test_algorithm_a_rejects_non_finite_value_naming_the_lab():
    with pytest.raises(InputError, match=r"lab 'L03': value is nan"):
        algorithm_a([1.0, 2.0, float("nan"), 4.0], labels=["L01", "L02", "L03", "L04"])


def test_algorithm_a_rejects_fewer_than_three_values():
    with pytest.raises(InputError, match=r"Algorithm A \(ISO 13528:2022, C.3.1\) needs at least 3 values"):
        algorithm_a([1.0, 2.0])


def test_algorithm_a_result_is_json_ready():
    import json

    d = algorithm_a([1.0, 2.0, 3.0, 4.0, 10.0]).to_dict()
    assert {"x_star", "s_star", "u_x_star", "n_iter"} <= set(d)
    json.dumps(d)
