"""eCerto's post-certification monitoring (LTS) input used in a lot's monitoring check (issue 15).

The file's results carry no standard uncertainty, so the lot states how they are judged
(ISO Guide 35:2017, 8.9 and 8.10; ERM Application Note 1): ``stability.monitoring.u`` or
``check: certified-interval``; without either, validate and run refuse in one line.

Oracles, all computed in the tests, never through rmwork:
- the cells of data/ecerto/eCerto_LTS_example_input.xlsx (sheet KW01) read with openpyxl;
  months = days since the first date / 30.4375 (365.25/12);
- the line: numpy.polyfit and scipy.stats.linregress (slope, s(b1), p); t_exit = U/|b1| as
  eCerto's plot_lts_data (R/fnc_plot_lts_data.R: foo_lts = ceiling(abs(U/b))); the 95 % band
  crossing by a dense grid search;
- the certified value of the test lot: the mean of four lab values and s/sqrt(4), by numpy
  (characterization method ``mean``), k = 2 as the lot sets it.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from scipy import stats

from rmwork import params, preflight, workbook
from rmwork.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
LTS = ROOT / "data" / "ecerto" / "eCerto_LTS_example_input.xlsx"
LABS = (4.99, 5.83, 4.99, 5.83)  # mean 5.41 = the file's CertVal; s/2 = 0.2425 ~ its U = 0.24 (1s)
EXE = Path(sys.executable).parent / "rmwork"


def cells(sheet="KW01"):
    """(value, date) of every result of one sheet, read independently of rmwork (rows 5 on)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(LTS, data_only=True)[sheet]
    meta = {ws.cell(1, c).value: ws.cell(2, c).value for c in range(1, ws.max_column + 1)}
    out = []
    for value, date in ws.iter_rows(min_row=5, max_col=2, values_only=True):
        if value is None:
            continue
        d = date if isinstance(date, datetime) else datetime.strptime(date, "%d.%m.%Y")
        out.append((float(value), d))
    return out, meta


def certified(labs=LABS):
    x = np.asarray(labs)
    u = x.std(ddof=1) / math.sqrt(x.size)
    return x.mean(), u, 2 * u


def make(tmp_path, monitoring="u: 0.05", labs=LABS, unit="m²/g", sheet="KW01", select=True) -> Path:
    """The lot; ``select=False`` lists no ``analytes:`` (every analyte of the data is studied, so the
    file's dummy sheet KW2 stays in), the unit then given by ``characterization.unit_of_measure``."""
    rows = "\n".join(f"ABET,L{i},{v},0.1" for i, v in enumerate(labs, 1))
    (tmp_path / "c.csv").write_text("analyte,lab,value,u\n" + rows + "\n")
    sheet_line = f"\n    sheet: {sheet}" if sheet else ""
    p = tmp_path / "lot.yaml"
    p.write_text(
        "lot: MON-ECERTO\nmaterial: surface area (eCerto LTS example)\nseed: 1\n"
        + (
            f'analytes: {{ABET: {{unit: "{unit}"}}}}\ncharacterization: {{data: c.csv, method: mean}}\n'
            if select
            else f'characterization: {{data: c.csv, method: mean, unit_of_measure: "{unit}"}}\n'
        )
        + f"stability:\n  monitoring:\n    data: {LTS}{sheet_line}\n    {monitoring}\n"
        "certificate: {k: 2}\n"
    )
    return p


def sub(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    return tmp_path / name


def monitoring_of(p):
    wb = workbook.open(p)
    entry = wb.certificate()["ABET"]
    return wb, entry, entry.monitoring


def run_fails(p) -> str | None:
    """The notebook's calls without rendering: the one-line message where the run stops."""
    try:
        wb = workbook.open(p)
        wb.homogeneity() if wb.p.homogeneity else None
        wb.stability(), wb.characterization(), wb.certificate()
        wb.results_json()
    except InputError as exc:
        return str(exc)
    return None


def validate_problems(p) -> list[str]:
    """What ``rmwork validate`` reports (preflight.survey, then preflight.preflight)."""
    lot, data, problems = preflight.survey(p)
    if not problems:
        problems = preflight.preflight(lot, data)
    return [str(e) for e in problems]


# ---------------------------------------------------------------------------------------------
# the eCerto example in a lot


def test_monitoring_ecerto_lts_example_abet_trend_matches_polyfit_and_linregress(tmp_path):
    """Slope, s(b1), p and t_exit of sheet KW01 (ABET), recomputed from the cells."""
    res, meta = cells()
    x = np.array([v for v, _ in res])
    d0 = min(d for _, d in res)
    t = np.array([(d - d0).days / 30.4375 for _, d in res])
    b1, b0 = np.polyfit(t, x, 1)
    lr = stats.linregress(t, x)
    xc, u_c, U = certified()
    _, entry, m = monitoring_of(make(tmp_path))
    tr = m.trend
    assert entry.certified.value == pytest.approx(xc, rel=1e-12)
    assert entry.certified.U == pytest.approx(U, rel=1e-12)
    assert tr.n_points == len(res) == 79
    assert tr.slope == pytest.approx(b1, rel=1e-9) and tr.intercept == pytest.approx(b0, rel=1e-9)
    assert tr.se_slope == pytest.approx(lr.stderr, rel=1e-9)
    assert tr.p_value == pytest.approx(lr.pvalue, rel=1e-6)
    assert tr.t_exit == pytest.approx(U / abs(b1), rel=1e-9)
    assert tr.t_exit_months == math.ceil(U / abs(b1))  # eCerto: ceiling(abs(U/b))
    assert tr.start_date == d0.date().isoformat() == "2011-02-15"
    # the 95 % confidence band of the line started at x_c: first month it reaches x_c +- U
    n, tm = t.size, t.mean()
    s = math.sqrt(np.sum((x - (b0 + b1 * t)) ** 2) / (n - 2))
    grid = np.arange(0, 2000, 0.001)
    band = abs(b1) * grid + stats.t.ppf(0.975, n - 2) * s * np.sqrt(
        1 / n + (grid - tm) ** 2 / np.sum((t - tm) ** 2)
    )
    assert tr.t_exit_ci95 == pytest.approx(grid[np.argmax(band >= U)], abs=0.002)
    assert tr.t_exit_ci95 < tr.t_exit
    # the file's metadata agree with this lot: CertVal 5.41, U 0.24 given as 1s (= u)
    assert meta["CertVal"] == pytest.approx(entry.certified.value, abs=0.005)
    assert meta["U_Def"] == "1s" and abs(meta["U"] - u_c) <= 0.005


def test_monitoring_ecerto_stated_u_applies_to_every_result_erm_application_note_1(tmp_path):
    res, _ = cells()
    xc, u_c, _ = certified()
    _, _, m = monitoring_of(make(tmp_path, "u: 0.05"))
    assert m.check == "uncertainty" and set(m.u_m) == {0.05}
    assert "stability.monitoring.u" in m.u_m_source
    expected = [abs(v - xc) <= 2 * math.sqrt(u_c**2 + 0.05**2) for v, _ in res]
    assert list(m.passed) == expected
    assert m.U_d[0] == pytest.approx(2 * math.sqrt(u_c**2 + 0.05**2), rel=1e-12)


def test_monitoring_ecerto_stated_u_can_fail_a_result(tmp_path):
    """Not vacuous: with labs that give a smaller u_c, the results far from x_c fail."""
    labs = (5.40, 5.42, 5.40, 5.42)
    res, _ = cells()
    xc, u_c, _ = certified(labs)
    # the file's U (0.24, 1s) now contradicts u_c = 0.0058: compare with the check alone
    p = make(tmp_path, "u: 0.01", labs=labs)
    with pytest.raises(
        InputError, match=r"column 'U': analyte 'ABET': the monitoring file states U = 0.24 \(1s\)"
    ):
        monitoring_of(p)
    from rmwork.stability import monitoring_check

    m = monitoring_check(xc, u_c, [v for v, _ in res], 0.01, k=2)
    assert 0 < sum(m.passed) < len(res)


def test_monitoring_ecerto_certified_interval_is_the_weaker_stated_check(tmp_path):
    res, _ = cells()
    xc, _, U = certified()
    wb, _, m = monitoring_of(make(tmp_path, "check: certified-interval"))
    assert m.check == "certified-interval"
    assert list(m.passed) == [abs(v - xc) <= U for v, _ in res]
    assert all(math.isnan(u) for u in m.u_m) and m.U_d == pytest.approx([U] * len(res), rel=1e-12)
    # not vacuous: a narrower interval fails the results farther than 0.08 from x_c, by hand
    from rmwork.stability import monitoring_interval_check

    tight = monitoring_interval_check(xc, 0.08, [v for v, _ in res])
    assert list(tight.passed) == [abs(v - xc) <= 0.08 for v, _ in res] and 0 < sum(tight.passed) < len(res)
    assert any(n.startswith("weaker check") for n in m.notes)
    entry = wb.results_json()["analytes"]["ABET"]["stability"]["monitoring"]
    assert entry["check"] == "certified-interval" and entry["u_m"][0] is None
    assert entry["trend"]["t_exit"] == pytest.approx(m.trend.t_exit)


def test_monitoring_ecerto_report_states_the_rule_and_trend(tmp_path):
    from rmwork.report import monitoring as rmon

    _, entry, m = monitoring_of(make(tmp_path, "check: certified-interval"))
    text = rmon.rule_statement(m, "m²/g")
    assert "weaker check" in text and "ignores the measurement's own uncertainty" in text
    assert "5.41 ± 0.485 m²/g" in text
    html = "".join(
        b.data for b in rmon.blocks(m, "ABET", "m²/g") if hasattr(b, "data") and isinstance(b.data, str)
    )
    assert "Table S5" in html and "Table S7" in html and "eCerto" in html
    _, _, m2 = monitoring_of(make(sub(tmp_path, "u"), "u: 0.05"))
    assert "u_m = 0.05 m²/g (stated in the lot as stability.monitoring.u:" in rmon.rule_statement(m2, "m²/g")


def test_monitoring_ecerto_lot_runs_end_to_end(tmp_path):
    """``rmwork run`` on the lot: results.json holds the check and the trend, the report says which rule."""
    p = make(tmp_path, "check: certified-interval")
    r = subprocess.run(
        [str(EXE), "run", str(p), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=600
    )
    assert r.returncode in (0, 3), r.stderr[-2000:]
    folder = tmp_path / "out" / "MON-ECERTO"
    mon = json.loads((folder / "results.json").read_text())["analytes"]["ABET"]["stability"]["monitoring"]
    res, _ = cells()
    xc, _, U = certified()
    assert mon["passed"] == [abs(v - xc) <= U for v, _ in res]
    b1 = np.polyfit([(d - res[0][1]).days / 30.4375 for _, d in res], [v for v, _ in res], 1)[0]
    assert mon["trend"]["t_exit"] == pytest.approx(U / abs(b1), rel=1e-9)
    html = (folder / "report.html").read_text()
    assert "check: certified-interval" in html and "Table S7" in html


# ---------------------------------------------------------------------------------------------
# refused in one line, by validate and by run alike


BAD = {
    # no rule: the file's results carry no u
    "no_rule": (
        dict(monitoring="censored: refuse"),
        r"eCerto_LTS_example_input.xlsx, key 'stability.monitoring.u': monitoring results need a column 'u'.*"
        r"set 'stability.monitoring.u'.* or 'stability.monitoring.check: certified-interval'",
    ),
    # the file's certified value is not the lot's
    "other_certified_value": (
        dict(labs=(5.19, 6.03, 5.19, 6.03)),
        r"sheet KW01, row 2, column 'CertVal': analyte 'ABET': the monitoring file states the certified "
        r"value 5.41, the lot certifies 5.61 m²/g",
    ),
    # the file's U (1s) is not the lot's u
    "other_U": (
        dict(labs=(5.21, 5.61, 5.21, 5.61)),
        r"sheet KW01, row 2, column 'U': analyte 'ABET': the monitoring file states U = 0.24 \(1s\), the lot's "
        r"certificate gives u = 0.1155 m²/g",
    ),
    # the file's unit is not the lot's
    "other_unit": (
        dict(unit="m2/g"),
        r"sheet KW01, row 2, column 'KW_Unit': analyte 'ABET': the monitoring results are in m²/g, the lot "
        r"certifies it in m2/g",
    ),
    "one_u_for_two_analytes": (
        dict(sheet=None, select=False),
        r"key 'stability.monitoring.u': one u for the monitoring results of ABET, KW2; give u per analyte",
    ),
    "analyte_not_characterized": (
        dict(sheet=None, monitoring="u: {ABET: 0.05, KW2: 0.05}", select=False),
        r"key 'stability.monitoring.analytes': monitoring results of KW2, which the lot does not characterize",
    ),
    "u_per_analyte_missing": (
        dict(sheet=None, monitoring="u: {ABET: 0.05}", select=False),
        r"key 'stability.monitoring.u': no u for KW2",
    ),
    "interval_and_u": (
        dict(monitoring="check: certified-interval\n    u: 0.05"),
        r"key 'stability.monitoring.check': 'check: certified-interval' ignores the results' uncertainty, but "
        r"the lot states u",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_monitoring_ecerto_bad_input_refused_by_validate_and_run_alike(case, tmp_path):
    kw, pattern = BAD[case]
    p = make(tmp_path, **kw)
    stopped = run_fails(p)
    found = validate_problems(p)
    assert stopped is not None, f"{case}: the run went on"
    assert found, f"{case}: run stops but validate finds nothing"
    assert stopped in found  # the same line
    assert re.search(pattern, stopped), stopped
    assert "\n" not in stopped and "Traceback" not in stopped


def test_monitoring_without_characterization_is_refused_naming_the_key(tmp_path):
    p = make(tmp_path)
    p.write_text(p.read_text().replace("characterization: {data: c.csv, method: mean}\n", ""))
    with pytest.raises(
        InputError, match=r"key 'stability.monitoring': monitoring results are compared with the"
    ):
        workbook.open(p)
    assert any("the lot certifies none" in e for e in validate_problems(p))


def test_monitoring_u_zero_or_negative_is_refused_by_the_schema(tmp_path):
    p = make(tmp_path, "u: 0")
    with pytest.raises(InputError, match=r"stability.monitoring.u.*positive number"):
        params.load(p)


def test_monitoring_ecerto_good_lot_is_valid_and_runs(tmp_path):
    for rule in ("u: 0.05", "check: certified-interval"):
        p = make(sub(tmp_path, rule[:5]), rule)
        assert validate_problems(p) == [] and run_fails(p) is None


def test_monitoring_ecerto_cli_validate_and_run_print_the_same_one_line(tmp_path):
    p = make(tmp_path, "censored: refuse")
    v = subprocess.run([str(EXE), "validate", str(p)], capture_output=True, text=True, timeout=300)
    r = subprocess.run(
        [str(EXE), "run", str(p), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300
    )
    assert v.returncode == 2 and r.returncode == 2
    line = [x for x in v.stderr.splitlines() if "stability.monitoring.u" in x]
    assert len(line) == 1 and line[0] in r.stderr
    assert "Traceback" not in v.stderr + r.stderr


def test_monitoring_ecerto_cli_validate_refuses_another_certified_value(tmp_path):
    p = make(tmp_path, labs=(5.19, 6.03, 5.19, 6.03))
    v = subprocess.run([str(EXE), "validate", str(p)], capture_output=True, text=True, timeout=300)
    assert v.returncode == 2 and "Traceback" not in v.stderr
    assert "column 'CertVal': analyte 'ABET': the monitoring file states the certified value 5.41" in v.stderr


def test_monitoring_ecerto_dummy_sheet_not_selected_when_analytes_lists_abet(tmp_path):
    """With ``analytes: {ABET: …}`` the file's dummy sheet KW2 is an analyte the lot does not
    select: it is named once as not selected and the check runs on ABET alone (issue 14)."""
    p = make(tmp_path, sheet=None)
    assert run_fails(p) is None
    wb = workbook.open(p)
    wb.stability(), wb.characterization(), wb.certificate()
    assert wb.results_json().get("not_selected") == ["KW2"]
