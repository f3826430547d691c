"""ν of u_char when the estimator's interval is not a t interval (bootstrap, mixture, posterior):
the ν whose t quantile is the interval's k, so that a budget of u_char alone gets the estimator's own
k back (GUM G.4.1, G.6.4), never the normal 1.96 of ν = ∞."""

import math
from types import SimpleNamespace

import pytest
from scipy import stats

from rmwork.certificate import budget, coverage_factor, dof_eff
from rmwork.certificate.entry import dof_u_char


@pytest.mark.parametrize("u_method", ["bootstrap", "mixture", "posterior"])
@pytest.mark.parametrize("k", [2.1, 2.776, 4.3])
def test_interval_k_carries_into_the_certificate_k(u_method, k):
    res = SimpleNamespace(dof=math.inf, dof_source="", k=k, u_method=u_method, method="m")
    nu, source = dof_u_char(res)
    assert stats.t.ppf(0.975, nu) == pytest.approx(k, rel=1e-9)
    assert u_method in source and "t_0.975" in source
    b = budget(u_char=0.1, value=10.0, dof={"u_char": nu})
    eff = dof_eff([0.1], [nu])
    assert eff.dof_eff == pytest.approx(nu)
    assert coverage_factor(eff.dof_eff, 0.95, dof_rule="exact").k == pytest.approx(k, rel=1e-6)
    assert b.u == pytest.approx(0.1)


def test_interval_no_wider_than_normal_keeps_infinite_dof():
    res = SimpleNamespace(dof=math.inf, dof_source="", k=1.95, u_method="posterior", method="m")
    assert dof_u_char(res)[0] == math.inf


def test_stated_dof_is_used_as_stated():
    res = SimpleNamespace(dof=3.0, dof_source="p − 1 = 3 (Knapp–Hartung)", k=3.18, u_method="knapp-hartung")
    assert dof_u_char(res) == (3.0, "p − 1 = 3 (Knapp–Hartung)")
