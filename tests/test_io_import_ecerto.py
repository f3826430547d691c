"""``rmwork import-ecerto``: eCerto's backups become lots whose results are the backup's own.

Oracle: the results eCerto stored in each backup (read here with rdata, independently of
rmwork.ecerto's writing): General.materialtabelle / Certification.cert_vals (certified value,
relative u_char), Homogeneity.h_vals (s_bb, s_bb_min, relative: eCerto's u_bb = max of them)
and Stability.s_vals (slope and SE per day; rmwork's per month at 30.4375 days, eCerto's basis).
"""

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
import rdata

from rmwork import ecerto, workbook
from rmwork.errors import InputError

ECERTO = Path(__file__).resolve().parent.parent / "data" / "ecerto"
MONTH = 30.4375


def stored(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return next(iter(rdata.read_rda(ECERTO / name).values()))


def run_imported(name, tmp_path):
    res = ecerto.import_backup(ECERTO / name, tmp_path)
    wb = workbook.open(res.parameter_file)
    return res, wb, wb.homogeneity(), wb.stability(), wb.characterization()


def check_homogeneity(hom, h_vals):
    for _, r in h_vals.iterrows():
        key = (
            r["analyte"]
            if len(h_vals[h_vals["analyte"] == r["analyte"]]) == 1
            else f"{r['analyte']} ({r['H_type']})"
        )
        st = hom[key]
        assert st.anova.u_bb_rel == pytest.approx(max(r["s_bb"], r["s_bb_min"]), rel=1e-6), key


def check_stability(stab, s_vals):
    for _, r in s_vals.iterrows():
        lt = stab[r["analyte"]]["long_term"]
        assert lt.slope / MONTH == pytest.approx(r["slope"], rel=1e-9), r["analyte"]
        assert lt.se_slope / MONTH == pytest.approx(r["SE_slope"], rel=1e-9), r["analyte"]


def test_import_ecerto_crm001_reproduces_the_backups_results(tmp_path):
    b = stored("CRM001.rda")
    res, wb, hom, stab, char = run_imported("CRM001.rda", tmp_path)
    mt = b["General"]["materialtabelle"].set_index("analyte")
    x = char["X"]["consensus"]
    assert x.value == pytest.approx(mt.loc["X", "cert_val"], rel=1e-12)
    assert x.u / x.value == pytest.approx(mt.loc["X", "u_char"], rel=1e-9)
    assert "L5" not in [
        lab for lab, inc in zip(char["X"]["summary"].lab, char["X"]["summary"].include) if inc
    ]
    assert wb.p.characterization.exclude[0].reason == "excluded in the eCerto backup"
    check_homogeneity(hom, b["Homogeneity"]["h_vals"])
    check_stability(stab, b["Stability"]["s_vals"])
    # Z is pooled in eCerto: not reproducible from lab means, and the import says so
    assert any(n.startswith("Z: pooling") for n in res.not_carried)
    assert wb.p.analytes["X"].precision == 5
    ex = pd.read_csv(tmp_path / "excluded_results.csv")
    assert sorted(ex["ID"]) == [21, 85, 88]


def test_import_ecerto_sr3_reproduces_the_backups_results(tmp_path):
    b = stored("SR3_Fe_v26chs.RData")
    res, wb, hom, stab, char = run_imported("SR3_Fe_v26chs.RData", tmp_path)
    cv = b["Certification"]["cert_vals"].set_index("analyte")
    prec = int(b["Certification"]["precision"][0])
    si = char["Si"]["consensus"]
    assert round(si.value, prec) == cv.loc["Si", "cert_val"]  # eCerto stores it rounded
    # eCerto stores mean and sd rounded to the analyte's precision, and u_char,rel from those
    sd = si.u * len(b["Certification"]["lab_means"]) ** 0.5
    assert round(sd, prec) == cv.loc["Si", "sd"]
    assert cv.loc["Si", "char"] == pytest.approx(round(sd, prec) / 10**0.5 / round(si.value, prec), rel=1e-12)
    assert sum(char["Si"]["summary"].include) == len(b["Certification"]["lab_means"]) == 10
    check_homogeneity(hom, b["Homogeneity"]["h_vals"].rename(columns={"MSamong": "M_between"}))
    check_stability(stab, b["Stability"]["s_vals"])
    assert any("the unit (the backup's unit column holds 0.05)" in n for n in res.not_carried)


def test_import_ecerto_lts001_monitoring_values_and_the_unused_certified_value(tmp_path):
    b = stored("LTS001.rda")[0]
    res, wb, hom, stab, char = run_imported("LTS001.rda", tmp_path)
    df = wb.data["stability.long_term"]
    assert df["value"].tolist() == b["val"]["Value"].tolist()
    assert (df["date"] - pd.Timestamp("1970-01-01")).dt.days.tolist() == b["val"]["Date"].astype(int).tolist()
    assert any("5.41 ± 0.24" in n for n in res.not_carried)
    assert "ABET" in stab


def test_import_ecerto_cli_prints_the_summary_and_refuses_a_non_backup(tmp_path):
    exe = Path(sys.executable).parent / "rmwork"
    r = subprocess.run(
        [str(exe), "import-ecerto", str(ECERTO / "CRM001.rda"), str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "not carried over:" in r.stdout and (tmp_path / "o" / "ECERTO-CRM001.yaml").is_file()
    bad = tmp_path / "x.rda"
    bad.write_bytes(b"not R at all")
    r = subprocess.run(
        [str(exe), "import-ecerto", str(bad), str(tmp_path / "o2")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2 and r.stderr.startswith("rmwork: ") and "not a readable R data file" in r.stderr
    with pytest.raises(InputError):
        ecerto.import_backup(bad, tmp_path / "o3")
