"""Issue 14: a certificate a reviewer would sign. One test (or a few) per numbered case of the issue,
built from its description; the numbers are recomputed here from the data, independently of rmwork."""

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rmwork import workbook
from rmwork.certificate import entry as ce
from rmwork.certificate.validity import assess_validity
from rmwork.errors import InputError
from rmwork.params import Certificate


def _lot(
    tmp_path,
    *,
    lt_rows,
    cert="{certification_date: 2026-11-22}",
    lt_extra="",
    analytes="{A: {unit: mg/kg}}",
    hom_rows=None,
    char=None,
):
    rng = np.random.default_rng(7)
    hom_rows = hom_rows or [
        f"A,{u},{r},{10 + 0.05 * (u % 3) + rng.normal(0, 0.02):.4f}" for u in range(1, 7) for r in (1, 2, 3)
    ]
    (tmp_path / "h.csv").write_text("analyte,unit,replicate,value\n" + "\n".join(hom_rows) + "\n")
    (tmp_path / "lt.csv").write_text("analyte,time,value\n" + "\n".join(lt_rows) + "\n")
    (tmp_path / "c.csv").write_text(
        char or "analyte,lab,value,u\nA,L1,10.02,0.03\nA,L2,9.98,0.04\nA,L3,10.05,0.05\nA,L4,10.01,0.04\n"
    )
    p = tmp_path / "lot.yaml"
    p.write_text(f"""lot: S-1
material: status test
seed: 3
homogeneity: {{data: h.csv, bayes: false}}
stability:
  long_term: {{data: lt.csv, shelf_life: 24{lt_extra}}}
characterization: {{data: c.csv, method: mean}}
certificate: {cert}
analytes: {analytes}
""")
    return p


def _collapse_rows():
    # case 1: flat near 540 until month 80, then a collapse to about 375 (RM-DEMO-CRM001, analyte Y)
    t = np.arange(0, 100, 4.0)
    v = np.where(t <= 80, 540.0, 375.0) + np.tile([1.0, -1.0], len(t))[: len(t)]
    return [f"A,{ti:g},{vi:.3f}" for ti, vi in zip(t, v)]


def _run(p):
    wb = workbook.open(p)
    wb.homogeneity(), wb.stability(), wb.characterization()
    return wb, wb.certificate()


# ---- case 1: validity contradicted by its own check -------------------------------------------


def test_case1_collapsing_stability_withholds_the_analyte_and_no_24_month_claim(tmp_path):
    char = "analyte,lab,value,u\n" + "\n".join(
        f"A,L{i},{534 + d},2" for i, d in enumerate((-3, 1, 2, -1, 0), 1)
    )
    hom = [f"A,{u},{r},{534 + 0.5 * (u % 3) + 0.3 * (-1) ** r:.3f}" for u in range(1, 7) for r in (1, 2, 3)]
    wb, cert = _run(
        _lot(tmp_path, lt_rows=_collapse_rows(), char=char, hom_rows=hom, analytes="{A: {unit: ccm3}}")
    )
    e = cert["A"]
    assert e.status == "withheld"
    assert any(b.startswith("validity_supported") for b in e.blocking)
    # the reviewer check and the certificate's sentence come from the same assessment
    item = next(i for i in e.checks.items if i.check == "validity_supported")
    assert item.status == "attention"
    assert "is supported" not in e.validity.sentence("en")
    # not on the certificate page data, not in the DRMD
    res = wb.results_json()
    assert res["analytes"]["A"]["certified"]["status"] == "withheld"
    assert res["analytes"]["A"]["certified"]["blocking"]
    assert wb.write_drmd(tmp_path / "out").startswith("DRMD not written")
    assert not (tmp_path / "out" / "certificate.drmd.xml").exists()
    line = ce.status_lines(res)[0]
    assert line.startswith("S-1: A withheld: ") and "validity_supported" in line


def test_case1_validity_supported_shortens_the_period_and_says_so(tmp_path):
    # a slow significant drift: supported period computed independently from the prediction band
    t = np.array([0, 3, 6, 9, 12, 18, 24, 30, 36.0])
    v = 100 - 0.05 * t + np.tile([0.02, -0.02, 0.01], 3)
    lt_rows = [f"A,{a:g},{b:.4f}" for a, b in zip(t, v)]
    char = "analyte,lab,value,u\nA,L1,99.9,0.3\nA,L2,100.1,0.3\nA,L3,99.7,0.3\nA,L4,100.3,0.3\n"
    hom = [f"A,{u},{r},{100 + 0.01 * (u % 2) + 0.02 * (-1) ** r:.3f}" for u in range(1, 7) for r in (1, 2)]
    p = _lot(
        tmp_path,
        lt_rows=lt_rows,
        char=char,
        hom_rows=hom,
        analytes="{A: {unit: g/kg}}",
        cert="{certification_date: 2026-11-22, validity: supported}",
    )
    wb, cert = _run(p)
    e = cert["A"]
    va = e.validity
    assert va.supported is False and va.shortened
    # independent: the first month where the two-sided 95 % prediction band of the OLS line leaves x ± U
    b1, b0 = np.polyfit(t, v, 1)
    s = math.sqrt(np.sum((v - b0 - b1 * t) ** 2) / (len(t) - 2))
    q = stats.t.ppf(0.975, len(t) - 2)
    x, U = e.certified.value, e.certified.U
    grid = np.arange(0, 60, 0.001)
    half = q * s * np.sqrt(1 + 1 / len(t) + (grid - t.mean()) ** 2 / np.sum((t - t.mean()) ** 2))
    out = (b0 + b1 * grid - half < x - U) | (b0 + b1 * grid + half > x + U)
    assert va.supported_months == pytest.approx(grid[np.argmax(out)], abs=0.01)
    assert va.months == math.floor(grid[np.argmax(out)])
    assert e.status == "certified"
    period = wb.validity()
    assert period.shelf_life_months == va.months
    assert "shortened" in period.justification


@pytest.mark.parametrize(
    "requested, supported, mode",
    [
        (24, 30, "requested"),
        (24, 0.0, "requested"),
        (24, 12.5, "supported"),
        (24, 0.4, "supported"),
        (None, 5, "requested"),
    ],
)
def test_case1_validity_sentence_and_reviewer_check_cannot_disagree(requested, supported, mode):
    va = assess_validity(requested, supported, basis="prediction", mode=mode)
    item = va.check_item()
    claims = "is supported by" in va.sentence("en") or "shortened" in va.sentence("en")
    if item.status == "pass":
        assert claims and not va.blocking
    else:
        assert not claims or va.requested_months is None
    assert (requested is not None and requested <= supported) == (item.status == "pass" and not va.shortened)


# ---- case 2: units that mix silently --------------------------------------------------------


def test_case2_stability_in_arbitrary_units_enters_relative_to_the_certified_value(tmp_path):
    # Mn: stability about 97 a.u., certified value about 0.81 % (m/m)
    t = np.array([0, 6, 12, 18, 24, 30, 36, 42.0])
    v = 97 + np.array([0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1, 0.25])
    char = "analyte,lab,value,u\nA,L1,0.809,0.002\nA,L2,0.807,0.002\nA,L3,0.810,0.003\nA,L4,0.808,0.002\n"
    p = _lot(
        tmp_path,
        lt_rows=[f"A,{a:g},{b}" for a, b in zip(t, v)],
        char=char,
        lt_extra=", unit_of_measure: a.u.",
        analytes='{A: {unit: "% (m/m)"}}',
    )
    wb, cert = _run(p)
    e = cert["A"]
    slope, _, _, _, se = stats.linregress(t, v)
    u_lts_rel = se * 24 / np.mean(v)
    assert e.certified.u_lts == pytest.approx(u_lts_rel * np.mean([0.809, 0.807, 0.810, 0.808]), rel=1e-9)
    assert e.certified.u_lts < 0.01  # not 0.18 as an absolute a.u. value would give
    res = wb.results_json()
    assert res["analytes"]["A"]["unit"] == "% (m/m)"
    assert res["analytes"]["A"]["stability"]["long_term"]["unit_of_measure"] == "a.u."


def _tr(u_abs=0.1, u_rel=0.01, study_unit="mg/kg", **kw):
    return ce.transfer(
        u_abs,
        u_rel,
        study_unit=study_unit,
        certified_unit=kw.pop("cu", "mg/kg"),
        value=kw.pop("value", 10.0),
        study_mean=kw.pop("mean", 10.0),
        what="u_lts",
        **kw,
    )


def test_case2_absolute_transfer_only_on_request_same_unit_and_level():
    assert _tr().u == pytest.approx(0.01 * 10.0)
    assert _tr(mode="absolute").u == 0.1
    with pytest.raises(InputError, match="same unit"):
        _tr(mode="absolute", study_unit="a.u.")
    with pytest.raises(InputError, match="factor"):
        _tr(mode="absolute", mean=97.0, value=0.81)


def test_case2_a_study_without_unit_blocks(tmp_path):
    p = _lot(tmp_path, lt_rows=[f"A,{t},{10 + 0.001 * (-1) ** t}" for t in range(0, 40, 4)], analytes="{}")
    wb, cert = _run(p)
    assert any(b.startswith("transfer_unit") for b in cert["A"].blocking)


# ---- case 3: degrees of freedom that are there -----------------------------------------------


def test_case3_u_bb_dof_by_satterthwaite_and_u_lts_n_minus_2(tmp_path):
    # 3 units x 6 replicates with a clear between-unit effect (as eCerto's CRM001 X)
    rng = np.random.default_rng(1)
    hom = [f"A,{u},{r},{10 + 0.3 * u + rng.normal(0, 0.05):.4f}" for u in (1, 2, 3) for r in range(1, 7)]
    lt = [f"A,{t},{10 + 0.01 * rng.normal():.4f}" for t in range(0, 40, 4)]
    wb, cert = _run(_lot(tmp_path, lt_rows=lt, hom_rows=hom))
    df = pd.read_csv(tmp_path / "h.csv")
    g = [x["value"].to_numpy() for _, x in df.groupby("unit")]
    grand = df["value"].mean()
    msb = sum(len(x) * (x.mean() - grand) ** 2 for x in g) / 2
    msw = sum(((x - x.mean()) ** 2).sum() for x in g) / 15
    nu = (msb - msw) ** 2 / (msb**2 / 2 + msw**2 / 15)
    bud = cert["A"].budget
    assert bud.component("u_bb").dof == pytest.approx(nu, rel=1e-9)
    assert "Satterthwaite" in bud.component("u_bb").dof_source
    assert bud.component("u_lts").dof == 10 - 2
    assert bud.component("u_char").dof == 4 - 1  # mean of 4 lab means
    # Welch-Satterthwaite recomputed: nothing enters with an infinite ν
    us = [c.u for c in bud.components]
    ds = [c.dof for c in bud.components]
    assert bud.dof_eff == pytest.approx(sum(u * u for u in us) ** 2 / sum(u**4 / d for u, d in zip(us, ds)))


def test_case3_u_bb_star_takes_nu_w(tmp_path):
    hom = [f"A,{u},{r},{10 + 0.05 * (-1) ** r:.4f}" for u in range(1, 7) for r in (1, 2, 3, 4)]
    wb, cert = _run(
        _lot(tmp_path, lt_rows=[f"A,{t},{10 + 0.001 * (-1) ** t}" for t in range(0, 40, 4)], hom_rows=hom)
    )
    assert cert["A"].budget.component("u_bb").dof == 24 - 6


# ---- case 4: a budget that silently lacks a component ----------------------------------------


def test_case4_certificate_after_a_restart_runs_the_named_studies(tmp_path):
    p = _lot(tmp_path, lt_rows=[f"A,{t},{10 + 0.002 * (-1) ** t}" for t in range(0, 40, 4)])
    _, full = _run(p)
    wb = workbook.open(p)  # restart; only the characterization and certificate cells re-run
    wb.characterization()
    again = wb.certificate()
    assert again["A"].certified.U == full["A"].certified.U
    assert not math.isnan(again["A"].certified.u_bb) and not math.isnan(again["A"].certified.u_lts)


# ---- case 6: one analyte does not block the lot ------------------------------------------------


def test_case6_an_analyte_that_cannot_be_characterized_is_withheld_with_its_reason():
    res = SimpleNamespace(
        characterized=False, reason="results from 1 laboratory; a consensus needs 2", value=math.nan
    )
    e = ce.certificate_entry(
        ce.Studies(analyte="B", characterization=res), Certificate(), requested_months=24
    )
    assert e.status == "withheld" and "1 laboratory" in e.blocking[0]
    assert e.to_dict()["status"] == "withheld"


# ---- case 7: a DRMD silently not written ---------------------------------------------------------


def test_case7_missing_items_recorded_and_said_in_yaml_words(tmp_path):
    p = _lot(tmp_path, lt_rows=[f"A,{t},{10 + 0.002 * (-1) ** t}" for t in range(0, 40, 4)], cert="{}")
    wb, cert = _run(p)
    msg = wb.write_drmd(tmp_path / "out")
    assert msg.startswith("DRMD not written: set certificate.")
    assert "ValidityPeriod" not in msg and "rmwork." not in msg
    res = wb.results_json()
    assert res["drmd"]["written"] is False
    assert any("DRMD not written" in line for line in ce.status_lines(res))


def test_case7_drmd_without_certification_date_names_the_yaml_key():
    from rmwork.certificate import CertificateMetadata, budget, certify
    from rmwork.drmd import to_drmd

    cv = certify(1.0, budget(u_char=0.01, value=1.0), analyte="A", unit_of_measure="mg/kg")
    meta = CertificateMetadata(
        material="m",
        producer="p",
        intended_use="i",
        storage="s",
        instructions="x",
        minimum_sample_intake=1.0,
        approver="a",
        producer_city="c",
    )
    with pytest.raises(InputError) as ei:
        to_drmd([cv], meta)
    assert "certificate.certification_date" in str(ei.value) and "ValidityPeriod" not in str(ei.value)


def test_drmd_unit_it_cannot_express_is_refused_with_the_override_key():
    from rmwork.drmd import dsi_unit

    assert dsi_unit("% (m/m)") == r"\percent"
    assert dsi_unit("mg/kg") == r"\milli\gram\kilogram\tothe{-1}"
    with pytest.raises(InputError, match=r"analytes\.Y\.dsi_unit"):
        dsi_unit("ccm3", analyte="Y")
    assert dsi_unit("ccm3", analyte="Y", override=r"\centi\metre\tothe{3}") == r"\centi\metre\tothe{3}"


def test_status_policy_advise_lets_the_lot_certify(tmp_path):
    char = "analyte,lab,value,u\n" + "\n".join(
        f"A,L{i},{534 + d},2" for i, d in enumerate((-3, 1, 2, -1, 0), 1)
    )
    hom = [f"A,{u},{r},{534 + 0.5 * (u % 3) + 0.3 * (-1) ** r:.3f}" for u in range(1, 7) for r in (1, 2, 3)]
    p = _lot(
        tmp_path,
        lt_rows=_collapse_rows(),
        char=char,
        hom_rows=hom,
        analytes="{A: {unit: ccm3}}",
        cert="{certification_date: 2026-11-22, checks: {validity_supported: advise, stability_fit: advise}}",
    )
    _, cert = _run(p)
    assert cert["A"].status == "certified" and any("validity_supported" in a for a in cert["A"].advice)


def test_results_json_of_a_written_report_gives_exit_status_3(tmp_path, monkeypatch):
    from rmwork.run import cli

    d = tmp_path / "rep"
    d.mkdir()
    (d / "results.json").write_text(
        json.dumps(
            {
                "lot": "L",
                "analytes": {
                    "A": {"certified": {"status": "withheld", "blocking": ["validity_supported: 0 months"]}},
                    "B": {"certified": {"status": "certified", "blocking": []}},
                },
            }
        )
    )
    assert cli._withheld(d) == ["L: A withheld: validity_supported: 0 months"]
    assert ce.EXIT_WITHHELD == 3


def test_case1_analyte_outside_the_stability_study_rests_on_the_others(tmp_path):
    """Z is not in the long-term study (as in RM-DEMO-CRM001): with A's data collapsing, nothing
    supports the period, so Z is withheld too; with A stable, Z is only advised."""
    char = (
        "analyte,lab,value,u\n"
        + "\n".join(f"A,L{i},{534 + d},2" for i, d in enumerate((-3, 1, 2, -1, 0), 1))
        + "\n"
        + "\n".join(f"Z,L{i},{1.26 + d},0.01" for i, d in enumerate((-0.01, 0.01, 0.0, 0.02), 1))
    )
    hom = [f"A,{u},{r},{534 + 0.5 * (u % 3) + 0.3 * (-1) ** r:.3f}" for u in range(1, 7) for r in (1, 2, 3)]
    _, cert = _run(
        _lot(
            tmp_path,
            lt_rows=_collapse_rows(),
            char=char,
            hom_rows=hom,
            analytes="{A: {unit: ccm3}, Z: {unit: U}}",
        )
    )
    assert cert["Z"].status == "withheld"
    assert cert["Z"].blocking[0].startswith("stability_covered")
    assert "no analyte of the long-term study supports it" in cert["Z"].blocking[0]
    stable = [f"A,{t},{534 + 0.5 * (-1) ** (t // 4)}" for t in range(0, 100, 4)]
    _, cert = _run(
        _lot(tmp_path, lt_rows=stable, char=char, hom_rows=hom, analytes="{A: {unit: ccm3}, Z: {unit: U}}")
    )
    assert cert["A"].status == "certified"
    assert cert["Z"].status == "certified" and any("stability_covered" in a for a in cert["Z"].advice)


# ---- Workbook API for researchers (issue 14: variant, compare, readable reprs) -------------------


def test_variant_is_a_new_validated_workbook_and_compare_tables_both(tmp_path):
    import rmwork

    p = _lot(tmp_path, lt_rows=[f"A,{t},{10 + 0.002 * (-1) ** (t // 4)}" for t in range(0, 40, 4)])
    wb = workbook.open(p)
    k2 = wb.variant(certificate__k=2)
    assert wb.p.certificate.k is None and k2.p.certificate.k == 2
    for w in (wb, k2):
        w.certificate()
    assert k2.results["certificate"]["A"].certified.k == 2
    assert k2.results["certificate"]["A"].certified.U == pytest.approx(
        2 * wb.results["certificate"]["A"].certified.u
    )
    table = rmwork.compare(wb, k2, names=["t", "k=2"])
    assert table.loc["A", ("k=2", "k")] == 2
    assert table.loc["A", ("t", "k")] == pytest.approx(wb.results["certificate"]["A"].certified.k)
    assert set(table.loc["A", (slice(None), "status")]) == {"certified"}
    with pytest.raises(InputError, match="certificate.kk"):
        wb.variant(certificate__kk=2)
    with pytest.raises(InputError, match="certificate.validity"):
        wb.variant(certificate__validity="longer")
    text = repr(k2)
    assert text.startswith("Workbook S-1") and "A: certified" in text and "k = 2" in text


def test_advised_validity_does_not_claim_a_support_the_data_lack(tmp_path):
    char = "analyte,lab,value,u\n" + "\n".join(
        f"A,L{i},{534 + d},2" for i, d in enumerate((-3, 1, 2, -1, 0), 1)
    )
    hom = [f"A,{u},{r},{534 + 0.5 * (u % 3) + 0.3 * (-1) ** r:.3f}" for u in range(1, 7) for r in (1, 2, 3)]
    p = _lot(
        tmp_path,
        lt_rows=_collapse_rows(),
        char=char,
        hom_rows=hom,
        analytes="{A: {unit: ccm3}}",
        cert="{certification_date: 2026-11-22, checks: {validity_supported: advise, stability_fit: advise}}",
    )
    wb, cert = _run(p)
    period = wb.validity()
    assert "except for A" in period.justification and "shorter period only" in period.justification


def test_batch_summary_lists_withheld_analytes():
    from rmwork.run import cli

    o = cli.LotSucceeded(
        params="p.yaml", lot="L-1", seconds=1.0, message="L-1: Y withheld: validity_supported: 0 months"
    )
    assert "Y withheld" in cli._summary([o], 1.0)


def test_lot_may_accept_surrogate_stability_for_analytes_outside_the_study(tmp_path):
    char = (
        "analyte,lab,value,u\n"
        + "\n".join(f"A,L{i},{534 + d},2" for i, d in enumerate((-3, 1, 2, -1, 0), 1))
        + "\n"
        + "\n".join(f"Z,L{i},{1.26 + d},0.01" for i, d in enumerate((-0.01, 0.01, 0.0, 0.02), 1))
    )
    hom = [f"A,{u},{r},{534 + 0.5 * (u % 3) + 0.3 * (-1) ** r:.3f}" for u in range(1, 7) for r in (1, 2, 3)]
    wb, cert = _run(
        _lot(
            tmp_path,
            lt_rows=_collapse_rows(),
            char=char,
            hom_rows=hom,
            analytes="{A: {unit: ccm3}, Z: {unit: U}}",
            cert="{certification_date: 2026-11-22, checks: {stability_covered: advise}}",
        )
    )
    assert cert["A"].status == "withheld" and cert["Z"].status == "certified"
    # nothing certified -> no period of validity in results.json
    (tmp_path / "b").mkdir()
    wb2, _ = _run(
        _lot(
            tmp_path / "b",
            lt_rows=_collapse_rows(),
            char=char,
            hom_rows=hom,
            analytes="{A: {unit: ccm3}, Z: {unit: U}}",
        )
    )
    assert wb2.validity() is None and "validity" not in wb2.results_json()


def _consensus(**kw):
    return SimpleNamespace(
        **{"value": 10.0, "u": 0.1, "dof": 5.0, "method": "bayes-gauss", "unit_of_measure": "mg/kg", **kw}
    )


def test_failed_bayesian_diagnostic_on_the_certified_value_blocks():
    e = ce.certificate_entry(
        ce.Studies(
            analyte="A", characterization=_consensus(), bayes_failed=["the characterization (bayes-gauss)"]
        ),
        Certificate(),
        requested_months=None,
    )
    assert e.status == "withheld" and e.blocking[0].startswith("bayes_diagnostics")
    # the number itself is still there for the reviewer: k = t(0.975, 5) from ν = 5 of u_char alone
    assert e.certified.k == pytest.approx(stats.t.ppf(0.975, 5))


def test_a_named_study_that_did_not_run_blocks_and_policy_can_advise():
    st = ce.Studies(analyte="A", characterization=_consensus(), missing=["stability"])
    assert ce.certificate_entry(st, Certificate(), requested_months=None).status == "withheld"
    lenient = Certificate(checks={"study_ran": "advise"})
    e = ce.certificate_entry(st, lenient, requested_months=None)
    assert e.status == "certified" and e.advice[0].startswith("study_ran")


def test_unknown_check_name_in_the_lot_is_refused_with_a_close_match():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="did you mean 'validity_supported'"):
        Certificate(checks={"validity_suported": "advise"})


def test_stability_line_that_does_not_fit_blocks_and_missing_adequacy_is_not_evaluated():
    lt_rows = [f"A,{t},{10 + 0.002 * (-1) ** (t // 4)}" for t in range(0, 40, 4)]
    base = dict(analyte="A", characterization=_consensus(method="mean"))
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = _lot(Path(d), lt_rows=lt_rows)
        wb = workbook.open(p)
        lt = wb.stability()["A"]["long_term"]
    assert lt.adequacy is not None and lt.adequacy.adequate
    e = ce.certificate_entry(ce.Studies(long_term=lt, **base), Certificate(), requested_months=None)
    assert next(i for i in e.checks.items if i.check == "stability_fit").status == "pass"
    fields = {f: getattr(lt, f) for f in lt.__dataclass_fields__ if f != "adequacy"}
    unknown = SimpleNamespace(**fields, adequacy=None)  # a line whose fit was not assessed
    e = ce.certificate_entry(ce.Studies(long_term=unknown, **base), Certificate(), requested_months=None)
    item = next(i for i in e.checks.items if i.check == "stability_fit")
    assert item.status == "not evaluated"  # a missing assessment is never "pass"
    bad = SimpleNamespace(
        **fields, adequacy=SimpleNamespace(adequate=False, finding="curvature: quadratic term p = 0.001")
    )
    e = ce.certificate_entry(ce.Studies(long_term=bad, **base), Certificate(), requested_months=None)
    assert e.status == "withheld" and "curvature" in e.blocking[0]


def test_a_certified_value_of_zero_is_characterized():
    """A blank material may be certified at 0: only a missing or non-finite value is 'not characterized'."""
    e = ce.certificate_entry(
        ce.Studies(analyte="A", characterization=_consensus(value=0.0)), Certificate(), requested_months=None
    )
    assert e.certified is not None and e.certified.value == 0.0


def test_certificate_reads_typed_study_objects_as_well_as_dicts(tmp_path):
    """The stab and char branches replace the dicts by typed studies; the certificate reads both."""
    p = _lot(tmp_path, lt_rows=[f"A,{t},{10 + 0.002 * (-1) ** (t // 4)}" for t in range(0, 40, 4)])
    wb, cert = _run(p)
    U = cert["A"].certified.U
    from rmwork.characterization import CharacterizationStudy
    from rmwork.stability import StabilityStudy

    assert isinstance(wb.results["stability"]["A"], StabilityStudy)
    assert isinstance(wb.results["characterization"]["A"], CharacterizationStudy)
    # the same entry from the typed studies' parts handed over as plain mappings
    wb.results["stability"] = {a: {"long_term": e.long_term} for a, e in wb.results["stability"].items()}
    assert wb.certificate()["A"].certified.U == U


def test_withheld_block_lists_each_withheld_analyte_with_its_reasons_in_the_report_language():
    from rmwork.report.certificate import withheld_block

    held = ce.CertificateEntry(
        analyte="Si",
        unit="% (m/m)",
        status="withheld",
        blocking=("validity_supported: the stability data support 0 months only",),
    )
    ok = ce.CertificateEntry(analyte="Cu", unit="% (m/m)", status="certified")
    html = withheld_block({"Si": held, "Cu": ok}, lang="zh").data
    assert "Si" in html and "Cu" not in html and "稳定性数据支持有效期" in html and "0 months only" in html
    assert withheld_block({"Cu": ok}) is None


def test_analyte_in_the_long_term_study_is_not_flagged_as_outside_it(tmp_path):
    _, cert = _run(_lot(tmp_path, lt_rows=_collapse_rows()))
    assert not any(i.check == "stability_covered" for i in cert["A"].checks.items)
    assert [i.subject for i in cert["A"].checks.items if i.check == "stability_fit"] == ["long-term"]
