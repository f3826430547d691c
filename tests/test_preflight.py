"""Issue 14, case 5: `validate` checks what `run` checks. Each bad-input case is run through the
workbook as the notebook runs it and through `preflight` (what `rmwork validate` calls): wherever the
run stops on bad input, validate must already fail, naming analyte, lab, file, row and YAML key."""

import subprocess
import sys
from pathlib import Path

import pytest

from rmwork import params, preflight, workbook
from rmwork.errors import InputError

GOOD_CHAR = "analyte,lab,value,u\nA,L1,10.02,0.03\nA,L2,9.98,0.04\nA,L3,10.05,0.05\n"
GOOD_HOM = "analyte,unit,value\n" + "\n".join(
    f"A,{u},{10 + 0.01 * u + 0.003 * r}" for u in range(1, 6) for r in (1, 2)
)
CERT = (
    "{certification_date: 2026-11-22, producer: P, intended_use: I, storage: S, instructions: X, "
    "minimum_sample_intake: 1, approver: A, producer_city: Berlin, producer_country_code: DE, "
    "validity_months: 24}"
)

SIX_IDENTICAL = "analyte,lab,value\n" + "\n".join(
    [f"A,L1,{10 + 0.01 * i}" for i in range(6)]
    + ["A,L2,10.00"] * 6
    + [f"A,L3,{10.02 + 0.01 * i}" for i in range(6)]
)

CASES = {
    "lab_u_zero": dict(char="analyte,lab,value,u\nA,L1,10.02,0.03\nA,L2,9.98,0\nA,L3,10.05,0.05\n"),
    "six_identical_results": dict(char=SIX_IDENTICAL),
    "excluded_lab_with_identical_results": dict(
        char=SIX_IDENTICAL, extra_char=", exclude: [{lab: L2, analyte: A, reason: identical results}]"
    ),
    "unit_mix_homogeneity": dict(
        hom="analyte,unit,value,unit_of_measure\n"
        + "\n".join(
            f"A,{u},{10 + 0.01 * u + 0.003 * r},{'mg/kg' if u < 3 else 'g/kg'}"
            for u in range(1, 6)
            for r in (1, 2)
        )
    ),
    "unit_mix_characterization": dict(
        char="analyte,lab,value,u,unit_of_measure\nA,L1,10.02,0.03,mg/kg\n"
        "A,L2,9.98,0.04,g/kg\nA,L3,10.05,0.05,mg/kg\n"
    ),
    "one_lab": dict(char="analyte,lab,value,u\nA,L1,10.02,0.03\nB,L1,5.0,0.1\nB,L2,5.1,0.1\n"),
    "excluded_lab_not_in_data": dict(extra_char=", exclude: [{lab: L9, reason: not in the data}]"),
    "country_code": dict(cert=CERT.replace("producer_country_code: DE", "producer_country_code: Germany")),
    "validity_shorter_than_a_month": dict(cert=CERT.replace("validity_months: 24", "validity_months: 0.5")),
    "no_certification_date": dict(cert=CERT.replace("certification_date: 2026-11-22, ", "")),
}


def make(tmp_path, char=GOOD_CHAR, hom=GOOD_HOM, cert=CERT, extra_char=""):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "c.csv").write_text(char + "\n")
    (tmp_path / "h.csv").write_text(hom + "\n")
    p = tmp_path / "lot.yaml"
    # analytes: selects what is certified, and a listed analyte the data lack is refused (issue 14)
    units = "A: {unit: mg/kg}, B: {unit: mg/kg}" if "\nB," in char else "A: {unit: mg/kg}"
    p.write_text(
        f"lot: P-1\nmaterial: m\nseed: 1\nhomogeneity: {{data: h.csv, bayes: false}}\n"
        f"characterization: {{data: c.csv, method: mean{extra_char}}}\ncertificate: {cert}\n"
        f"analytes: {{{units}}}\n"
    )
    return p


def run_fails(p, out) -> bool:
    """The notebook's calls (certification_report.ipynb) without the rendering."""
    try:
        wb = workbook.open(p)
        wb.homogeneity(), wb.stability(), wb.characterization(), wb.certificate()
        wb.metadata()
        wb.write_drmd(out)
        wb.record(out)
    except InputError:
        return True
    return False


@pytest.mark.parametrize("case", list(CASES))
def test_validate_fails_wherever_run_fails_on_input(case, tmp_path):
    p = make(tmp_path, **CASES[case])
    problems = preflight.preflight(params.load(p))
    if run_fails(p, tmp_path / "out"):
        assert problems, f"{case}: run stops on bad input but validate finds nothing"
    for e in problems:
        assert "rmwork." not in str(e) and "ValidityPeriod" not in str(e)  # YAML words, not Python


def run_withholds(p) -> bool:
    """The run goes on but withholds an analyte (one that cannot be characterized, issue 14)."""
    wb = workbook.open(p)
    return any(e.status == "withheld" for e in wb.certificate().values())


def test_the_bad_input_cases_do_stop_the_run(tmp_path):
    """Guard against a vacuous test above: most of the cases really stop the run, and the others
    (one lab, a lab with u = 0: the analyte cannot be characterized) withhold the analyte."""
    stopped = [c for c in CASES if run_fails(make(tmp_path / c, **CASES[c]), tmp_path / c / "out")]
    withheld = [c for c in CASES if c not in stopped and run_withholds(make(tmp_path / c, **CASES[c]))]
    assert len(stopped) >= 4, stopped
    assert {"lab_u_zero", "one_lab"} <= set(withheld), withheld
    assert len(stopped) + len(withheld) >= 6


def test_good_lot_is_valid_and_runs(tmp_path):
    p = make(tmp_path)
    assert preflight.preflight(params.load(p)) == []
    assert not run_fails(p, tmp_path / "out")


def test_u_zero_message_names_analyte_lab_file_row_and_the_fix(tmp_path):
    p = make(tmp_path, **CASES["lab_u_zero"])
    problems = preflight.preflight(params.load(p))
    assert len(problems) == 1, [str(e) for e in problems]
    text = str(problems[0])
    assert "analyte 'A'" in text and "lab 'L2'" in text and "row 3" in text and "c.csv" in text
    assert "characterization.exclude" in text


def test_every_problem_at_once_and_yaml_keys(tmp_path):
    p = make(tmp_path, cert=CERT.replace("DE", "Germany").replace("certification_date: 2026-11-22, ", ""))
    keys = {e.key for e in preflight.preflight(params.load(p))}
    assert {"certificate.producer_country_code", "certificate.certification_date"} <= keys


def test_cli_validate_prints_every_problem(tmp_path):
    p = make(tmp_path, cert=CERT.replace("DE", "Germany").replace("certification_date: 2026-11-22, ", ""))
    exe = Path(sys.executable).parent / "rmwork"
    r = subprocess.run([str(exe), "validate", str(p)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "certificate.producer_country_code" in r.stderr and "certificate.certification_date" in r.stderr
    assert "Traceback" not in r.stderr
