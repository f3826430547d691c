"""Analytes stand alone (issue 14): an analyte that cannot be characterized is withheld with its
reason and the others go on; a lab excluded for an analyte leaves every check of that analyte."""

import json

import numpy as np
import pytest
from scipy import stats

from rmwork import characterization as ch
from rmwork import workbook
from rmwork.errors import InputError

GOOD = "A,L1,10.02,0.03\nA,L2,9.98,0.04\nA,L3,10.05,0.05\nA,L4,10.01,0.04\n"


def lot(tmp_path, rows, extra=""):
    (tmp_path / "c.csv").write_text("analyte,lab,value,u\n" + GOOD + rows)
    (tmp_path / "lot.yaml").write_text(
        "lot: SA-1\nmaterial: stand-alone test\nseed: 3\ncharacterization:\n"
        "  data: c.csv\n  method: dersimonian-laird\n" + extra
    )
    return workbook.open(tmp_path / "lot.yaml")


def test_analyte_reported_by_one_lab_is_withheld_and_the_others_go_on(tmp_path):
    wb = lot(tmp_path, "B,L1,5.0,0.1\n")
    st = wb.characterization()
    assert st["A"].characterized and st["A"].status == "characterized"
    b = st["B"]
    assert not b.characterized and b.status == "not characterized" and b.value is None and b.u is None
    assert "analyte 'B'" in b.reason and "only laboratory 'L1'" in b.reason
    res = json.loads(json.dumps(wb.results_json()))["analytes"]
    assert res["B"]["characterization"]["status"] == "not characterized"
    assert res["B"]["characterization"]["reason"] == b.reason and "value" not in res["B"]["characterization"]
    assert res["A"]["characterization"]["status"] == "characterized"
    cert = wb.certificate()  # B is withheld with the reason, A goes on
    assert cert["A"].status == "certified"
    assert cert["B"].status == "withheld" and cert["B"].certified is None
    assert any(b.reason in reason for reason in cert["B"].blocking)


def test_analyte_with_every_lab_excluded_is_withheld_naming_the_reasons(tmp_path):
    wb = lot(
        tmp_path,
        "B,L1,5.0,0.1\nB,L2,5.2,0.1\n",
        "  exclude:\n    - {lab: L1, analyte: B, reason: digestion incomplete}\n"
        "    - {lab: L2, analyte: B, reason: calibration expired}\n",
    )
    b = wb.characterization()["B"]
    assert not b.characterized
    assert "every laboratory is excluded" in b.reason and "calibration expired" in b.reason


def test_lab_with_identical_replicates_is_named_and_excluding_it_works(tmp_path):
    reps = "".join(
        f"A,L{j},{v}\n"
        for j, vals in (
            (1, (10.1, 10.2, 10.0)),
            (2, (9.9, 10.0, 10.1)),
            (3, (10.3, 10.3, 10.3)),
            (4, (10.0, 10.2, 10.1)),
        )
        for v in vals
    )
    (tmp_path / "c.csv").write_text("analyte,lab,value\n" + reps)
    yaml = "lot: SA-2\nmaterial: m\nseed: 3\ncharacterization:\n  data: c.csv\n  method: dersimonian-laird\n"
    (tmp_path / "lot.yaml").write_text(yaml)
    a = workbook.open(tmp_path / "lot.yaml").characterization()["A"]
    assert not a.characterized and "laboratory 'L3' has u = 0 (identical replicates)" in a.reason
    assert "analyte 'A'" in a.reason and "characterization.exclude" in a.reason
    # the hint works: excluded, L3 leaves the value and every check but keeps its DoE
    (tmp_path / "lot.yaml").write_text(yaml + "  exclude: [{lab: L3, reason: identical replicates}]\n")
    a = workbook.open(tmp_path / "lot.yaml").characterization()["A"]
    assert a.characterized and a.consensus.labs == ("L1", "L2", "L4")
    assert "L3" not in a.screening.labs and "L3" not in [r["lab"] for r in a.screening.rows]
    assert a.consensus.q_dof == 2 and a.recommendation.comparison[0].n_labs == 3
    i = a.doe.lab.index("L3")
    assert not a.doe.included[i] and a.doe.d[i] == pytest.approx(10.3 - a.consensus.value)
    assert a.bilateral.lab == ("L1", "L2", "L3", "L4")


def test_excluded_lab_leaves_cochrans_q_of_its_analyte():
    """Cochran's Q of the included labs only, computed by hand (Cochran 1954)."""
    x, u = np.array([10.02, 9.98, 10.05, 11.0]), np.array([0.03, 0.04, 0.05, 0.05])
    r = ch.consensus(x, u, labs=["L1", "L2", "L3", "L4"], include=["yes", "yes", "yes", "no"])
    w = 1 / u[:3] ** 2
    q = np.sum(w * (x[:3] - np.sum(w * x[:3]) / np.sum(w)) ** 2)
    assert r.q_statistic == pytest.approx(q, rel=1e-12)
    assert r.q_p_value == pytest.approx(stats.chi2.sf(q, 2), rel=1e-10)


def test_negative_u_is_refused_naming_analyte_and_lab(tmp_path):
    (tmp_path / "c.csv").write_text("analyte,lab,value,u\n" + GOOD + "B,L1,5,0.1\nB,L2,5.1,-0.1\n")
    (tmp_path / "lot.yaml").write_text("lot: SA-3\nmaterial: m\nseed: 3\ncharacterization:\n  data: c.csv\n")
    with pytest.raises(InputError, match=r"analyte 'B', lab 'L2': u must be positive"):
        workbook.open(tmp_path / "lot.yaml")


def test_direct_consensus_with_zero_u_names_the_analyte():
    s = ch.lab_summary(
        __import__("pandas").DataFrame(
            {"analyte": "Pb", "lab": ["A", "B", "C"], "value": [1.0, 1.5, 2.0], "u": [0.1, 0.1, 0.0]}
        )
    )
    with pytest.raises(InputError, match=r"analyte 'Pb', lab 'C': u must be positive"):
        ch.consensus(s)


def test_report_withholds_in_english_and_chinese(tmp_path):
    from rmwork.report import characterization as rc

    b = lot(tmp_path, "B,L1,5.0,0.1\n").characterization()["B"]
    en = "".join(o.data for o in rc.section({"B": b}, "en"))
    zh = "".join(o.data for o in rc.section({"B": b}, "zh"))
    assert "withheld from the certificate" in en and "only laboratory" in en
    assert "未能定值，不列入证书" in zh and "仅实验室 L1 报告结果" in zh
