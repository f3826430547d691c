"""Verifying a certified value (ISO Guide 35:2017, 8.10; ERM Application Note 1) and the lot kinds
``verification`` / ``proficiency`` end to end (certificate sources, batch order, bad input).

Oracles: E_n as printed in ISO 13528:2022 Example E.4 (Tables E.6/E.7: a result against a
reference value with U 0.0082, k = 2, the same formula as ERM Application Note 1's E_n); Delta,
u_Delta and |Delta| <= k u_Delta written out by hand after ERM Application Note 1 (Linsinger,
"Comparison of a measurement result with the certified value", 2010).  ERM Application Note 1's
own worked numbers could not be retrieved here (see the report), so no test claims them.
"""

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from rmwork import comparison, params
from rmwork.errors import InputError
from rmwork.report import provenance
from rmwork.verification import CertifiedEntry, compare, lab_result

ROOT = Path(__file__).resolve().parent.parent
BASELINE_DRMD = ROOT / "rmwork" / "data" / "drmd" / "BAM-M375a.xml"


def printed(text: str):
    d = Decimal(text)
    return pytest.approx(float(d), abs=0.5 * 10.0 ** d.as_tuple().exponent * (1 + 1e-9))


def _entry(value, U, k=2.0, unit=""):
    return CertifiedEntry(analyte="A", value=value, U=U, k=k, u=U / k, unit_of_measure=unit)


def test_compare_en_iso13528_e4_mercury_l04_and_l01():
    """ISO 13528:2022 Example E.4: L04 (0.013, U 0.003, k 2) and L01 (0.053, U 0.007) against
    0.044 with U 0.0082: E_n printed -3.55 and 0.83."""
    for x, U, en in ((0.013, 0.003, "-3.55"), (0.053, 0.007, "0.83")):
        lab = lab_result(pd.DataFrame({"value": [x], "u": [U / 2]}), analyte="A")
        assert compare(lab, _entry(0.044, 0.0082), k=2).en == printed(en)


def test_compare_erm_application_note_1_by_hand():
    """ERM Application Note 1: Delta = x_m - x_c, u_Delta = sqrt(u_m^2 + u_c^2), agreement when
    |Delta| <= 2 u_Delta (values chosen here, arithmetic written out)."""
    lab = lab_result(pd.DataFrame({"value": [10.4], "u": [0.12]}), analyte="A")
    r = compare(lab, _entry(10.0, 0.2, k=2), k=2)
    u_delta = (0.12**2 + 0.1**2) ** 0.5
    assert r.delta == pytest.approx(0.4) and r.u_delta == pytest.approx(u_delta)
    assert r.passed is False and 0.4 > 2 * u_delta
    assert r.en == pytest.approx(0.4 / ((2 * 0.12) ** 2 + 0.2**2) ** 0.5)
    ok = compare(
        lab_result(pd.DataFrame({"value": [10.2], "u": [0.12]}), analyte="A"), _entry(10.0, 0.2), k=2
    )
    assert ok.passed is True and 0.2 <= 2 * u_delta


def test_lab_result_repeatability_of_unit_means_and_components_by_hand():
    """u_m = sqrt(s^2/p + u_cal^2), s the SD of the unit means (GUM 5.1), u_cal relative to x_m."""
    df = pd.DataFrame({"unit": ["1", "1", "2", "2", "3", "3"], "value": [10.0, 10.2, 10.4, 10.6, 9.8, 10.0]})
    lab = lab_result(df, analyte="A", components=[{"name": "cal", "u": 0.01, "relative": True}])
    means = [10.1, 10.5, 9.9]
    m = sum(means) / 3
    s = (sum((x - m) ** 2 for x in means) / 2) ** 0.5
    assert lab.x_m == pytest.approx(m)
    assert lab.u_m == pytest.approx((s**2 / 3 + (0.01 * m) ** 2) ** 0.5)


def test_lab_result_refuses_different_u_per_row():
    df = pd.DataFrame({"value": [1.0, 1.1], "u": [0.1, 0.2]})
    with pytest.raises(InputError, match="rows give different u"):
        lab_result(df, analyte="A")


def test_lab_result_single_result_without_u_is_refused():
    with pytest.raises(InputError, match="one result gives no repeatability"):
        lab_result(pd.DataFrame({"value": [1.0]}), analyte="A")


# --- certificates and lots ---------------------------------------------------------------------


def _fake_report(folder: Path, certified: dict) -> Path:
    """A report folder with results.json and a manifest made by rmwork's own provenance code."""
    folder.mkdir(parents=True)
    res = {
        "lot": folder.name,
        "analytes": {
            a: {
                "unit": u,
                "certified": {
                    "value": v,
                    "U": U,
                    "k": k,
                    "value_rounded": str(v),
                    "U_rounded": str(U),
                    "status": "certified",
                    "unit": u,
                },
            }
            for a, (v, U, k, u) in certified.items()
        },
    }
    (folder / "results.json").write_text(json.dumps(res), encoding="utf-8")
    p = folder / "p.yaml"
    p.write_text("lot: x\n", encoding="utf-8")
    m = provenance.build_manifest(
        lot=folder.name,
        report_dir=folder,
        inputs={},
        parameter_file=p,
        notebooks={},
        seed=1,
        started="t",
        finished="t",
        run_by="test",
        reason=None,
        previous=None,
        environment={},
    )
    provenance.write_manifest(folder, m)
    return folder


def _lot(tmp: Path, certificate: str, rows: str, extra: str = "") -> Path:
    (tmp / "results.csv").write_text(rows, encoding="utf-8")
    f = tmp / "V.yaml"
    f.write_text(
        f"lot: V\nmaterial: m\nseed: 1\nkind: verification\nverification:\n  data: results.csv\n"
        f"  certificate: {certificate}\n{extra}",
        encoding="utf-8",
    )
    return f


def test_certificate_from_report_folder_after_verify(tmp_path):
    _fake_report(tmp_path / "reports" / "CRM", {"Cu": (12.5, 0.4, 2.0, "mg/kg")})
    f = _lot(tmp_path, "reports/CRM", "analyte,value,u\nCu,12.9,0.15\n")
    wb = comparison.ComparisonWorkbook(lot=params.load(f), data=comparison.load_data(params.load(f)))
    r = wb.verification()["Cu"]
    assert (r.x_c, r.U_c, r.delta) == (12.5, 0.4, pytest.approx(0.4))
    assert r.u_delta == pytest.approx((0.15**2 + 0.2**2) ** 0.5)
    assert "verification.certificate" in params.load(f).data_files()


def test_certificate_that_fails_verify_is_refused_in_one_line(tmp_path):
    folder = _fake_report(tmp_path / "reports" / "CRM", {"Cu": (12.5, 0.4, 2.0, "mg/kg")})
    (folder / "results.json").write_text((folder / "results.json").read_text().replace("12.5", "13.5"))
    f = _lot(tmp_path, "reports/CRM", "analyte,value,u\nCu,12.9,0.15\n")
    with pytest.raises(
        InputError,
        match=r"key 'verification.certificate': the certificate report folder "
        r"'reports/CRM' fails rmwork verify: .*results.json: changed",
    ) as e:
        comparison.load_data(params.load(f))
    assert "\n" not in str(e.value)


def test_certificate_from_drmd_and_analyte_missing(tmp_path):
    """BAM's example DRMD (rmwork/data/drmd/BAM-M375a.xml): the certified values are read after the
    schema validation; an analyte it does not certify is one line naming what it has."""
    from lxml import etree

    from rmwork.drmd import NS

    shutil.copy(BASELINE_DRMD, tmp_path / "c.xml")
    doc = etree.parse(str(BASELINE_DRMD))
    real = doc.find(".//drmd:materialProperties[@isCertified='true']//si:real", NS)
    label, value = real.findtext("si:label", namespaces=NS), float(real.findtext("si:value", namespaces=NS))
    f = _lot(tmp_path, "c.xml", f"analyte,value,u\n{label},{value},0.01\n")
    cert = comparison.read_certificate(params.load(f))
    assert cert.entries[label].value == value
    f = _lot(tmp_path, "c.xml", "analyte,value,u\nUnobtainium,1.0,0.01\n")
    with pytest.raises(
        InputError, match=r"analyte 'Unobtainium' is not certified in c.xml; the certificate has"
    ):
        comparison.load_data(params.load(f))


def test_typed_certificate(tmp_path):
    f = _lot(tmp_path, "{Cu: {value: 12.5, U: 0.4, k: 2}}", "analyte,value,u\nCu,12.9,0.15\n")
    wb = comparison.ComparisonWorkbook(lot=params.load(f), data=comparison.load_data(params.load(f)))
    assert wb.verification()["Cu"].u_c == pytest.approx(0.2)


def test_batch_runs_verification_after_its_certified_lot():
    files = sorted(str(p) for p in (ROOT / "parameters").glob("*.yaml"))
    phases = comparison.batch_phases(files)
    assert phases[-1] == [str(ROOT / "parameters" / "RM-DEMO-CRM001-V01.yaml")]
    assert str(ROOT / "parameters" / "RM-DEMO-CRM001.yaml") in phases[0]


def test_kind_picks_the_verification_notebook():
    for name in ("RM-DEMO-PT01", "RM-DEMO-CRM001-V01"):
        lot = params.load(ROOT / "parameters" / f"{name}.yaml")
        assert comparison.notebooks(lot) == ("verification_report.ipynb",)
    assert comparison.notebooks(params.load(ROOT / "parameters" / "RM-DEMO-CRM001.yaml")) == (
        "certification_report.ipynb",
    )


# --- bad input through the command line: one line, nothing written -----------------------------


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "rmwork.cli", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "kind: proficiency\nproficiency: {data: p.csv, analyte: Cd, sigma_pt: -0.5}\n",
            r"key 'proficiency.sigma_pt': sigma_pt must be positive, got -0.5",
        ),
        (
            "kind: proficiency\nproficiency: {data: p.csv, analyte: Cd, sigma_pt: 0.1, assigned: algorithm-a}\n",
            r"Algorithm A \(ISO 13528:2022, C.3.1\) needs at least 3 participants' results, found 2",
        ),
        (
            "kind: proficiency\nproficiency: {data: p.csv, analyte: Cd, sigma_pt: 0.1, assigned: certified, "
            "certified: {value: 1, u: 0.01}, scores: [z, zeta]}\n",
            r"participant 'P02': zeta needs the participant's standard uncertainty u",
        ),
        (
            "kind: verification\nverification: {data: p.csv, certificate: nowhere}\n",
            r"certificate 'nowhere' does not exist",
        ),
    ],
)
def test_bad_lot_one_line_nothing_written(tmp_path, body, message):
    (tmp_path / "p.csv").write_text("participant,value,u,analyte\nP01,1.0,0.02,Cd\nP02,1.1,,Cd\n")
    (tmp_path / "B.yaml").write_text("lot: B\nmaterial: m\nseed: 1\n" + body, encoding="utf-8")
    r = _cli("run", "B.yaml", "--out", "out", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert pytest.importorskip("re").search(message, r.stderr), r.stderr
    assert not (tmp_path / "out" / "B").exists()


# --- end to end ---------------------------------------------------------------------------------


def test_verification_report_runs_on_demo_proficiency_lot(tmp_path):
    """rmwork run on the shipped proficiency round: report, results.json keys, manifest, verify."""
    r = _cli("run", str(ROOT / "parameters" / "RM-DEMO-PT01.yaml"), "--out", str(tmp_path), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    rep = tmp_path / "RM-DEMO-PT01"
    res = json.loads((rep / "results.json").read_text())
    pt = res["proficiency"]
    assert {"assigned_value", "u_assigned", "sigma_pt", "participants"} <= set(pt)
    assert set(pt["participants"]["P01"]) >= {"z", "z_prime", "zeta", "en", "class"}
    assert pt["participants"]["P12"]["class"] == "unsatisfactory"
    page = (rep / "report.html").read_text()
    assert (rep / "verification_report.ipynb").is_file() and "Table PT2" in page
    assert page.count("<img") == 3  # Figure PT1 for items A and B, Figure PT2 (Youden)
    assert provenance.verify(rep) == []


def test_certificate_failing_verify_through_the_cli_nothing_written(tmp_path):
    folder = _fake_report(tmp_path / "reports" / "CRM", {"Cu": (12.5, 0.4, 2.0, "mg/kg")})
    (folder / "extra.txt").write_text("added later")
    _lot(tmp_path, "reports/CRM", "analyte,value,u\nCu,12.9,0.15\n")
    r = _cli("run", "V.yaml", "--out", "out", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "fails rmwork verify" in r.stderr and "extra.txt: not listed" in r.stderr
    assert not (tmp_path / "out" / "V").exists()


def test_participants_text_in_u_names_the_row(tmp_path):
    (tmp_path / "p.csv").write_text("participant,value,u\nP01,1.0,0.02\nP02,1.1,n.d.\nP03,1.2,0.03\n")
    (tmp_path / "B.yaml").write_text(
        "lot: B\nmaterial: m\nseed: 1\nkind: proficiency\nproficiency: "
        "{data: p.csv, analyte: Cd, sigma_pt: 0.1}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"p.csv, row 3, column 'u': 'n.d.' is not a number"):
        comparison.load_data(params.load(tmp_path / "B.yaml"))


def test_proficiency_lot_results_json_iso13528_e4_through_the_workbook(tmp_path):
    """The lot interface end to end without a kernel: ISO 13528:2022 E.4 as a blind-sample test with
    assigned: certified (0.044, u 0.0041, k 2) and sigma_pt 0.0066; L04's printed scores."""
    from test_proficiency import E4

    rows = "participant,value,u,k\n" + "".join(f"{c},{x},{U / k},{k}\n" for c, x, U, k, *_ in E4)
    (tmp_path / "p.csv").write_text(rows)
    (tmp_path / "E4.yaml").write_text(
        "lot: E4\nmaterial: mercury in feed\nseed: 1\nkind: proficiency\nproficiency:\n  data: p.csv\n"
        "  analyte: Hg\n  assigned: certified\n  certified: {value: 0.044, u: 0.0041, k: 2}\n"
        "  sigma_pt: 0.0066\n",
        encoding="utf-8",
    )
    lot = params.load(tmp_path / "E4.yaml")
    wb = comparison.ComparisonWorkbook(lot=lot, data=comparison.load_data(lot))
    wb.proficiency()
    pt = wb.results_json()["proficiency"]
    assert (pt["assigned_value"], pt["u_assigned"], pt["sigma_pt"]) == (0.044, 0.0041, 0.0066)
    l04 = pt["participants"]["L04"]
    assert (l04["z"], l04["z_prime"], l04["zeta"], l04["en"]) == (
        printed("-4.70"),
        printed("-3.99"),
        printed("-7.10"),
        printed("-3.55"),
    )
    assert l04["class"] == "unsatisfactory" and pt["u_check"]["score"] == "z_prime"


def test_kind_and_sections_must_agree(tmp_path):
    (tmp_path / "B.yaml").write_text("lot: B\nmaterial: m\nseed: 1\nkind: verification\n", encoding="utf-8")
    with pytest.raises(InputError, match="kind 'verification' needs a 'verification' section"):
        params.load(tmp_path / "B.yaml")
    (tmp_path / "B.yaml").write_text(
        "lot: B\nmaterial: m\nseed: 1\nproficiency: {data: p.csv, analyte: A, sigma_pt: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="add 'kind: proficiency'"):
        params.load(tmp_path / "B.yaml")
