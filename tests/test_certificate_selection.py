"""Issue 14: `analytes:` (when given) selects what is certified, and a zh report gives the reasons
that withhold an analyte in Chinese.

The certified values are recomputed here from the tables written by each test (mean of lab means,
ISO Guide 35:2017, 9.5), never taken from rmwork's own output; the zh texts are checked for runs of
English words with a regular expression.
"""

import re
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rmwork import params, preflight, workbook
from rmwork.certificate import entry as ce
from rmwork.certificate.reasons import REASONS, reason, text
from rmwork.errors import InputError
from rmwork.params import Certificate
from rmwork.report import certificate as rcert
from rmwork.report import summary, symbols

RMWORK = Path(sys.executable).parent / "rmwork"
CERT = (
    "{certification_date: 2026-11-22, producer: P, intended_use: I, storage: S, instructions: X, "
    "minimum_sample_intake: 1, approver: A, producer_city: Berlin, producer_country_code: DE, "
    "validity_months: 24}"
)
# three or more English words in a row: a sentence left untranslated (symbols, names and YAML keys
# such as u_lts, ISO Guide 35:2017, AMAG_Nasschemie or characterization.exclude are not)
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,;:'()-]+[A-Za-z]{2,}){2,}")

LABS = {"Cd": (0.512, 0.508, 0.515, 0.509), "Pb": (2.21, 2.25, 2.19, 2.23), "Tl": (0.031, 0.029, 0.030)}


def _lot(tmp_path: Path, analytes: str, *, labs=LABS, char_unit: str | None = None, extra="") -> Path:
    rows = [
        f"{a},L{i},{v},{0.01 * v}" + (f",{char_unit}" if char_unit is not None else "")
        for a, vals in labs.items()
        for i, v in enumerate(vals, 1)
    ]
    head = "analyte,lab,value,u" + (",unit_of_measure" if char_unit is not None else "")
    (tmp_path / "c.csv").write_text(head + "\n" + "\n".join(rows) + "\n")
    hom = [
        f"{a},{u},{r},{np.mean(vals) * (1 + 0.002 * (u % 3) + 0.001 * (-1) ** r):.5f}"
        for a, vals in labs.items()
        for u in range(1, 7)
        for r in (1, 2)
    ]
    (tmp_path / "h.csv").write_text("analyte,unit,replicate,value\n" + "\n".join(hom) + "\n")
    p = tmp_path / "lot.yaml"
    p.write_text(
        "lot: SEL-1\nmaterial: m\nseed: 5\n"
        f"{analytes}"
        "homogeneity: {data: h.csv, bayes: false}\n"
        "characterization: {data: c.csv, method: mean}\n"
        f"certificate: {CERT}\n{extra}"
    )
    return p


def _certify(p: Path):
    wb = workbook.open(p)
    wb.homogeneity(), wb.stability(), wb.characterization()
    return wb, wb.certificate()


# ---- 1. analytes: selects what is certified --------------------------------------------------


def test_selection_analytes_lists_cd_and_pb_certifies_exactly_those_and_names_tl(tmp_path):
    p = _lot(tmp_path, 'analytes:\n  Cd: {unit: "mg/kg"}\n  Pb: {unit: "mg/kg"}\n')
    wb, cert = _certify(p)
    assert list(cert) == ["Cd", "Pb"]
    for a in ("Cd", "Pb"):  # the value is the mean of the lab means (method: mean)
        assert cert[a].status == "certified"
        assert cert[a].certified.value == pytest.approx(np.mean(LABS[a]), rel=1e-12)
    # Tl is in every table, but neither studied nor certified, and named once as not selected
    assert all("Tl" not in set(df["analyte"]) for df in wb.data.values())
    res = wb.results_json()
    assert "Tl" not in res["analytes"] and res["not_selected"] == ["Tl"]
    for lang, word in (("en", "Not selected"), ("zh", "未选定")):
        html = summary.summary_html(res, lang)
        line = re.search(r'id="summary-not-selected">([^<]*)<', html).group(1)
        assert word in line and line.endswith("Tl") and html.count("Tl") == 1
    ok = subprocess.run([str(RMWORK), "validate", str(p)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.rstrip().endswith(
        "not selected (not listed under analytes:): Tl)"
    )
    wb.metadata()
    assert wb.write_drmd(tmp_path / "out").startswith("certificate.drmd.xml written")
    xml = (tmp_path / "out" / "certificate.drmd.xml").read_text(encoding="utf-8")
    assert "Cd" in xml and "Pb" in xml and "Tl" not in xml


def test_selection_none_listed_certifies_every_analyte_and_names_none(tmp_path):
    p = _lot(tmp_path, "", char_unit="mg/kg")
    wb, cert = _certify(p)
    assert list(cert) == ["Cd", "Pb", "Tl"]
    assert "not_selected" not in wb.results_json()
    assert 'id="summary-not-selected"' not in summary.summary_html(wb.results_json(), "en")


def test_selection_list_form_and_entry_without_unit_takes_the_data_unit(tmp_path):
    p = _lot(tmp_path, "analytes: [Cd, Pb]\n", char_unit="% (m/m)")
    wb, cert = _certify(p)
    assert list(cert) == ["Cd", "Pb"] and {e.unit for e in cert.values()} == {"% (m/m)"}
    # the homogeneity table has no unit of its own, and the entry gives none: its u_bb cannot enter
    assert all(e.status == "withheld" and e.blocking[0].startswith("transfer_unit") for e in cert.values())
    text = p.read_text().replace("bayes: false}", 'bayes: false, unit_of_measure: "% (m/m)"}')
    p.write_text(text)
    _, cert = _certify(p)
    assert all(e.status == "certified" for e in cert.values())
    with pytest.raises(InputError, match="listed twice"):
        params.load(_lot(tmp_path, "analytes: [Cd, Cd]\n"))


def test_selection_listed_without_any_unit_is_withheld_naming_the_key(tmp_path):
    p = _lot(tmp_path, 'analytes:\n  Cd: {unit: "mg/kg"}\n  Pb:\n')
    _, cert = _certify(p)
    assert cert["Cd"].status == "certified"
    assert cert["Pb"].status == "withheld"
    assert (
        cert["Pb"].blocking[0].startswith("certified_unit: ") and "analytes.Pb.unit" in cert["Pb"].blocking[0]
    )


def test_selection_unit_that_contradicts_the_data_is_refused(tmp_path):
    p = _lot(tmp_path, 'analytes:\n  Cd: {unit: "mg/kg"}\n', char_unit="g/kg")
    with pytest.raises(InputError, match=r"key 'analytes.Cd.unit'.*'mg/kg'.*'g/kg'"):
        workbook.open(p)


def test_selection_listed_but_not_characterized_is_withheld_not_dropped(tmp_path):
    """Hg has homogeneity results only: listed, it is studied and withheld with the reason."""
    p = _lot(tmp_path, "analytes: [Cd, Hg]\n", char_unit="mg/kg")
    h = (tmp_path / "h.csv").read_text() + "".join(
        f"Hg,{u},{r},{1 + 0.01 * u + 0.001 * r}\n" for u in (1, 2, 3) for r in (1, 2)
    )
    (tmp_path / "h.csv").write_text(h)
    _, cert = _certify(p)
    assert cert["Hg"].status == "withheld" and cert["Hg"].blocking[0].startswith("characterized: ")


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_selection_listed_but_absent_is_refused_by_validate_and_run_alike(tmp_path):
    p = _lot(tmp_path, 'analytes:\n  Cd: {unit: "mg/kg"}\n  Hg: {unit: "mg/kg"}\n')
    found = preflight.problems(p)
    assert [e.key for e in found] == ["analytes.Hg"]
    with pytest.raises(InputError) as run_error:
        workbook.open(p)  # what the runner loads before any kernel starts
    assert str(run_error.value) == str(found[0])
    validate = subprocess.run([str(RMWORK), "validate", str(p)], capture_output=True, text=True, timeout=120)
    run = subprocess.run(
        [str(RMWORK), "run", str(p), "--out", str(tmp_path / "reports")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert validate.returncode == run.returncode == 2
    line = _one_line(validate.stderr)
    assert "key 'analytes.Hg'" in line and "not in the data" in line
    assert _one_line(run.stderr) == line
    assert not (tmp_path / "reports" / "SEL-1").exists()


def test_selection_names_no_analyte_of_a_study_is_refused(tmp_path):
    p = _lot(tmp_path, "analytes: [Cd]\n")
    (tmp_path / "h.csv").write_text(
        "analyte,unit,replicate,value\n"
        + "".join(f"Zn,{u},{r},{1 + 0.01 * u}\n" for u in (1, 2) for r in (1, 2))
    )
    with pytest.raises(InputError, match=r"key 'analytes'.*none of the analytes listed.*homogeneity"):
        workbook.open(p)


# ---- 2. the reasons in Chinese ----------------------------------------------------------------


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("key", sorted(REASONS))
def test_reasons_every_template_has_chinese_with_the_same_fields_and_no_english_sentence(key):
    en, zh = REASONS[key]
    assert _fields(en) == _fields(zh), key  # one set of fields: the two texts cannot drift apart
    specs = {f: s for _, f, s, _ in string.Formatter().parse(zh) if f}
    values = {f: (1.5 if specs[f] else "X1") for f in _fields(zh)}
    assert not ENGLISH.search(zh.format(**values)), zh
    words = re.sub(r"\{[^}]*\}", " ", en)
    if re.search(r"(?<![\w.])[A-Za-z]{3,}(?![\w.])", words):  # an English word, not a symbol
        assert zh != en, key


def _collapse(a: str) -> list[str]:
    t = np.arange(0, 100, 4.0)
    v = np.where(t <= 80, 540.0, 375.0) + np.tile([1.0, -1.0], len(t))[: len(t)]
    return [f"{a},{ti:g},{vi:.3f}" for ti, vi in zip(t, v)]


def _zh_lot(tmp_path: Path) -> Path:
    """A zh lot with one analyte per kind of withholding a lot's data can cause."""
    char = {
        "A": [534 + d for d in (-3, 1, 2, -1, 0)],  # stability collapses: fit and validity
        "B": [5.0],  # one laboratory
        "C": [7.0, 7.1, 7.2],  # all but one laboratory excluded
        "D": [3.0, 3.1, 3.05],  # no unit anywhere
        "F": [9.0, 9.1, 9.05, 9.02],  # every unit's results identical (MS_within = 0)
    }
    rows = [f"{a},L{i},{v},0.05" for a, vals in char.items() for i, v in enumerate(vals, 1)]
    (tmp_path / "c.csv").write_text("analyte,lab,value,u\n" + "\n".join(rows) + "\n")
    hom = [f"A,{u},{r},{534 + 0.5 * (u % 3) + 0.3 * (-1) ** r:.3f}" for u in range(1, 7) for r in (1, 2, 3)]
    hom += [
        f"D,{u},{r},{3 + 0.001 * u + 0.002 * r}" for u in range(1, 5) for r in (1, 2)
    ]  # no unit: transfer
    hom += [f"F,{u},{r},{9 + 0.01 * u}" for u in range(1, 6) for r in (1, 2)]
    hom += [f"G,{u},{r},{2 + 0.01 * u + 0.003 * r}" for u in range(1, 5) for r in (1, 2)]  # not characterized
    (tmp_path / "h.csv").write_text("analyte,unit,replicate,value\n" + "\n".join(hom) + "\n")
    (tmp_path / "lt.csv").write_text("analyte,time,value\n" + "\n".join(_collapse("A")) + "\n")
    p = tmp_path / "lot.yaml"
    p.write_text(
        "lot: ZH-1\nmaterial: 示例\nseed: 3\nlanguage: zh\n"
        "analytes: {A: {unit: mg/kg}, B: {unit: mg/kg}, C: {unit: mg/kg}, D: {}, F: {unit: mg/kg}, "
        "G: {unit: mg/kg}}\n"
        "homogeneity: {data: h.csv, bayes: false}\n"
        "stability:\n  long_term: {data: lt.csv, shelf_life: 24}\n"
        "characterization:\n  data: c.csv\n  method: mean\n"
        "  exclude: [{lab: L2, analyte: C, reason: 结果可疑}, {lab: L3, analyte: C, reason: 结果可疑}]\n"
        "certificate: {certification_date: 2026-11-22, checks: {u_bb_vs_u_char: block}}\n"
    )
    return p


def _no_english(texts) -> None:
    for t in texts:
        assert not ENGLISH.search(t), t


def test_reasons_zh_lot_each_kind_of_withholding_shows_no_english_sentence(tmp_path):
    wb, cert = _certify(_zh_lot(tmp_path))
    kinds = {b.split(":", 1)[0] for e in cert.values() for b in e.blocking}
    assert {
        "validity_supported",
        "stability_fit",
        "stability_covered",
        "characterized",
        "certified_unit",
        "transfer_unit",
        "homogeneity_estimable",
        "u_bb_vs_u_char",
    } <= kinds, kinds
    assert all(e.status == "withheld" for e in cert.values())
    res = wb.results_json()
    # results.json keeps the English (contract) and adds the Chinese of the same template
    for a, e in res["analytes"].items():
        c = e["certified"]
        assert len(c["blocking_zh"]) == len(c["blocking"]) and c["blocking"] != c["blocking_zh"], a
        assert all(ENGLISH.search(b) for b in c["blocking"] if not b.startswith("u_bb_vs_u_char"))
    # what the zh report shows: the summary's reason column, the certificate section, table R1
    frame = summary.certificate_frame(res, "zh")
    _no_english(frame["原因"])
    block = rcert.withheld_block(cert, lang="zh").data
    _no_english(re.sub(r"<[^>]+>", " ", block).split("\n"))
    for e in cert.values():
        if e.checks is not None:
            _no_english(text(i.reason, "zh") for i in e.checks.items if i.status == "attention")


def _consensus(**kw):
    from types import SimpleNamespace

    return SimpleNamespace(
        **{"value": 10.0, "u": 0.1, "dof": 5.0, "method": "mean", "unit_of_measure": "mg/kg", **kw}
    )


def test_reasons_zh_of_the_withholdings_no_lot_data_can_show(tmp_path):
    """A study that did not run, a failed MCMC gate and ν_eff < 1 (entries built directly)."""
    from rmwork.certificate import Component

    entries = [
        ce.certificate_entry(
            ce.Studies(analyte="A", characterization=_consensus(), missing=["stability"]),
            Certificate(),
            requested_months=None,
        ),
        ce.certificate_entry(
            ce.Studies(
                analyte="B",
                characterization=_consensus(method="bayes-gauss"),
                bayes_failed=[reason("bayes.characterization", method="bayes-gauss")],
            ),
            Certificate(),
            requested_months=None,
        ),
        ce.certificate_entry(
            ce.Studies(
                analyte="C",
                characterization=_consensus(dof=0.4),
                extra=[Component(name="x", u=0.01, dof=0.3, reason="r")],
            ),
            Certificate(),
            requested_months=None,
        ),
    ]
    assert [e.blocking[0].split(":", 1)[0] for e in entries] == [
        "study_ran",
        "bayes_diagnostics",
        "coverage_factor",
    ]
    for e in entries:
        assert e.status == "withheld"
        assert ENGLISH.search(e.blocking[0])
        _no_english(e.blocking_text("zh"))
        _no_english([symbols.blocking_text(b, "zh") for b in e.blocking_text("zh")])
    assert (
        "有效自由度" in entries[2].blocking_text("zh")[0] and "包含因子" in entries[2].blocking_text("zh")[0]
    )
