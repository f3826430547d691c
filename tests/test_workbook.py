"""A lot through the workbook without a kernel: every study wired, results.json under the contract's
keys, and the lot-level rules (exclusions, unit transfer, monitoring, bilateral DoE) by hand."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rmwork import workbook
from rmwork.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lot(tmp_path):
    rng = np.random.default_rng(5)
    rows = ["analyte,unit,replicate,value,unit_of_measure"]
    for u in range(1, 9):
        for r in (1, 2):
            rows.append(f"A,{u},{r},{100 + rng.normal(0, 1):.4f},mM/L")
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n")
    rows = ["analyte,time,temperature,value"]
    for t in (0, 3, 6, 12, 18, 24):
        for T in (-20, 4, 40):
            rows.append(f"A,{t},{T},{10 + (0.01 * t if T == 40 else 0) + rng.normal(0, 0.02):.4f}")
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "lt.csv").write_text(
        "analyte,time,value\n"
        + "\n".join(f"A,{t},{10 + rng.normal(0, 0.02):.4f}" for t in (0, 3, 6, 9, 12, 18, 24, 30))
        + "\n"
    )
    (tmp_path / "tr.csv").write_text(
        "analyte,time,value\n"
        + "\n".join(f"A,{t},{10 + rng.normal(0, 0.02):.4f}" for t in (0, 0.25, 0.5, 0.75, 1.0))
        + "\n"
    )
    (tmp_path / "mon.csv").write_text(
        "analyte,date,value,u\nA,2027-01-10,10.01,0.03\nA,2027-07-10,10.5,0.03\n"
    )
    (tmp_path / "c.csv").write_text(
        "analyte,lab,value,u,dof\nA,L1,10.02,0.03,10\nA,L2,9.98,0.04,8\n"
        "A,L3,10.05,0.05,12\nA,L4,10.9,0.05,6\n"
    )
    p = tmp_path / "lot.yaml"
    p.write_text("""lot: W-1
material: workbook test
seed: 11
homogeneity: {data: h.csv, bayes: false}
stability:
  long_term: {data: lt.csv, shelf_life: 24, unit_of_measure: mg/kg}
  isochronous: {data: s.csv, reference_temperature: -20, shelf_life: 24, unit_of_measure: mg/kg}
  transport: {data: tr.csv, duration: 0.5, unit_of_measure: mg/kg}
  monitoring: {data: mon.csv, unit_of_measure: mg/kg}
characterization:
  data: c.csv
  method: dersimonian-laird
  exclude: [{lab: L4, reason: "sample digestion incomplete (lab report)"}]
certificate: {certification_date: 2026-11-22}
analytes: {A: {unit: mg/kg}}
""")
    return p


def test_every_study_lands_under_the_contract_keys(lot):
    wb = workbook.open(lot)
    wb.homogeneity(), wb.stability(), wb.characterization(), wb.certificate()
    res = json.loads(json.dumps(wb.results_json()))
    a = res["analytes"]["A"]
    assert {
        "ms_between",
        "ms_within",
        "f_statistic",
        "p_value",
        "n0",
        "s_bb",
        "u_bb_star",
        "u_bb",
        "method",
    } <= set(a["homogeneity"])
    assert {"slope", "se_slope", "p_value", "shelf_life", "u_lts"} <= set(a["stability"]["long_term"])
    assert {"slope", "se_slope", "p_value", "duration", "u_sts"} <= set(a["stability"]["transport"])
    assert set(a["stability"]["isochronous"]) == {"4", "40"}
    assert {"method", "value", "u", "tau", "ci95", "dof", "n_labs"} <= set(a["characterization"])
    assert a["characterization"]["n_labs"] == 3  # L4 excluded with its reason
    assert {
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
    } <= set(a["certified"])
    assert isinstance(a["certified"]["U_rounded"], str)


def test_u_bb_from_another_unit_enters_through_its_relative_value(lot):
    wb = workbook.open(lot)
    hom = wb.homogeneity()
    wb.stability(), wb.characterization()
    cert = wb.certificate()["A"]
    value = wb.results["characterization"]["A"]["consensus"].value
    assert hom["A"].unit_of_measure == "mM/L"
    assert cert["certified"].u_bb == pytest.approx(hom["A"].anova.u_bb_rel * abs(value), rel=1e-12)
    assert any("mM/L" in n for n in cert["notes"])
    # same unit: still relative by default (ISO Guide 35 practice, eCerto): u_lts_rel x certified value
    lt = wb.results["stability"]["A"]["long_term"]
    assert cert["certified"].u_lts == pytest.approx(lt.u_lts / abs(lt.mean) * abs(value), rel=1e-12)


def test_monitoring_and_bilateral_doe_by_hand(lot):
    wb = workbook.open(lot)
    wb.homogeneity(), wb.stability(), wb.characterization()
    entry = wb.certificate()["A"]
    cv, m = entry["certified"], entry["monitoring"]
    for x, um, ok in zip((10.01, 10.5), (0.03, 0.03), m.passed):
        assert ok == (abs(x - cv.value) <= cv.k * math.sqrt(cv.u**2 + um**2))
    assert not m.passed[1]
    b = wb.results["characterization"]["A"]["bilateral"]
    i, j = b.lab.index("L1"), b.lab.index("L4")
    assert b.d[i][j] == pytest.approx(10.02 - 10.9)
    assert b.U_d[i][j] == pytest.approx(1.959963984540054 * math.sqrt(0.03**2 + 0.05**2))


def test_monitoring_without_u_column_is_refused(lot):
    (lot.parent / "mon.csv").write_text("analyte,date,value\nA,2027-01-10,10.01\n")
    with pytest.raises(
        InputError, match=r"mon.csv, key 'stability.monitoring.u': monitoring results need a column 'u'"
    ):
        workbook.open(lot)


def test_excluded_lab_must_exist(lot):
    lot.write_text(lot.read_text().replace("lab: L4", "lab: L9"))
    with pytest.raises(InputError, match=r"excluded lab 'L9' is not in the data"):
        workbook.open(lot)


def test_monitoring_points_are_added_to_the_trend_figure(tmp_path):
    """Monitoring results dated after the study appear on Figure S1 at months from the study's start."""
    from rmwork.report import monitoring as rmon
    from rmwork.report import sections
    from rmwork.report import stability as rs

    (tmp_path / "c.csv").write_text("analyte,lab,value,u\nA,L1,10.02,0.03\nA,L2,9.98,0.04\nA,L3,10.05,0.05\n")
    (tmp_path / "lt.csv").write_text(
        "analyte,date,value\n" + "\n".join(f"A,2020-{m:02d}-01,{10 + 0.001 * m}" for m in range(1, 13)) + "\n"
    )
    (tmp_path / "mon.csv").write_text("analyte,date,value,u\nA,2021-06-01,10.01,0.03\n")
    (tmp_path / "lot.yaml").write_text(
        "lot: X\nmaterial: m\nseed: 1\nstability:\n  long_term: {data: lt.csv, shelf_life: 12}\n"
        "  monitoring: {data: mon.csv}\ncharacterization: {data: c.csv}\n"
    )
    wb = workbook.open(tmp_path / "lot.yaml")
    wb.stability(), wb.characterization()
    e = wb.certificate()["A"]
    stab = wb.results["stability"]["A"]
    fig = rs.figure_s1(
        stab["frame"], stab["long_term"], certified_value=e["certified"].value, U=e["certified"].U
    )
    sections._add_monitoring_points(fig, wb, "A", stab["frame"])
    line = [c for c in fig.axes[0].containers if c.get_label() == rmon.points_label(True)][0]
    x = line.lines[0].get_xdata()[0]
    assert x == pytest.approx(
        (np.datetime64("2021-06-01") - np.datetime64("2020-01-01")).astype(int) / 30.4375
    )
