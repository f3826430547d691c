"""StabilityStudy: one typed result per analyte from Workbook.stability(); its to_dict() is the
results.json ``stability`` entry; late results (Bayesian sensitivity, monitoring) attach once."""

import json
import sys
import types

import numpy as np
import pytest
from test_workbook import lot  # noqa: F401 - the workbook test lot (long-term, isochronous, transport)

import rmwork
from rmwork import stability as S
from rmwork import workbook
from rmwork.stability import StabilityStudy


def test_workbook_stability_returns_a_study_per_analyte_whose_dict_is_the_results_json_entry(lot):  # noqa: F811
    wb = workbook.open(lot)
    wb.homogeneity(), wb.characterization()
    studies = wb.stability()
    wb.certificate()
    assert set(studies) == {"A"} and isinstance(studies["A"], StabilityStudy)
    st = studies["A"]
    assert isinstance(st.long_term, S.StabilityRegressionResult)
    assert isinstance(st.transport, S.TransportResult)
    assert isinstance(st.isochronous, S.IsochronousResult)
    assert st.accelerated is None and st.bayes is None
    assert st.unit_of_measure == "mg/kg"
    assert len(st.long_term_data) == 8 and len(st.transport_data) == 5
    entry = json.loads(json.dumps(wb.results_json()))["analytes"]["A"]["stability"]
    mine = json.loads(json.dumps(st.to_dict()))
    # the workbook adds monitoring after the certificate; everything else is the study's own
    assert {k: v for k, v in entry.items() if k != "monitoring"} == mine
    assert set(mine) == {"long_term", "isochronous", "transport"}


def test_stability_study_keeps_the_dict_view_it_replaced(lot):  # noqa: F811
    wb = workbook.open(lot)
    st = wb.stability()["A"]
    assert st["long_term"] is st.long_term and st["frame"] is st.long_term_data
    assert st["transport_frame"] is st.transport_data
    assert "accelerated" not in st and st.get("bayes") is None
    with pytest.raises(KeyError):
        st["accelerated"]
    assert set(st.keys()) == {"long_term", "frame", "transport", "transport_frame", "isochronous"}


def test_stability_study_attaches_monitoring_once_and_only_the_right_type():
    st = StabilityStudy(analyte="A")
    mon = S.monitoring_check(10.0, 0.05, [10.02, 10.5], 0.03, analyte="A")
    st.attach("monitoring", mon)
    assert st.monitoring is mon and st.to_dict()["monitoring"]["passed"] == [True, False]
    with pytest.raises(ValueError, match="already attached"):
        st.attach("monitoring", mon)
    with pytest.raises(TypeError):
        st.attach("bayes", mon)


def test_workbook_attaches_the_bayesian_sensitivity_fit_to_the_study(lot, monkeypatch):  # noqa: F811
    """Fixed draws stand in for the sampler; the fit lands on study.bayes and in to_dict()."""
    rng = np.random.default_rng(3)
    draws = {
        "slope": rng.normal(0.0, 1e-3, 2000),
        "intercept": rng.normal(10, 0.01, 2000),
        "sigma": np.abs(rng.normal(0.02, 1e-3, 2000)),
    }
    fake = types.ModuleType("rmwork.bayes")
    fake.linear_trend = lambda t, y, *, seed, settings=None: types.SimpleNamespace(
        draws=draws, summary={}, diagnostics=types.SimpleNamespace(passed=True, messages=[])
    )
    monkeypatch.setitem(sys.modules, "rmwork.bayes", fake)
    monkeypatch.setattr(rmwork, "bayes", fake, raising=False)
    monkeypatch.setattr(workbook.Workbook, "_sensitivity", lambda self, s, k, fit, attach: attach(fit()))
    text = lot.read_text().replace("stability:\n", "stability:\n  bayes: true\n")
    text = text.replace(
        "shelf_life: 24, unit_of_measure: mg/kg}", "shelf_life: 24, unit_of_measure: mg/kg, time_max: 24}", 1
    )
    lot.write_text(text)
    st = workbook.open(lot).stability()["A"]
    assert isinstance(st.bayes, S.BayesianTrendResult)
    # the sensitivity fit sees the same points as the line (the fitting window applies to both)
    assert st.bayes.n_points == st.long_term.n_points == 7
    assert st.bayes.u_lts == pytest.approx(np.std(draws["slope"] * 24, ddof=1), rel=1e-12)
    assert st.to_dict()["long_term"]["bayes"]["u_lts"] == pytest.approx(st.bayes.u_lts)
