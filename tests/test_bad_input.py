"""Bad input through the real command line: one test per class of malformed input.

README: "Bad input never gives a traceback: the message is one line naming the file, the row or
key, and the problem" (STYLE.md section 5: InputError -> exit status 2, nothing written).  Every
case here runs the console script as a user does and the test checks

- exit status 2, nothing on stdout (for validate);
- stderr is exactly one line, ``rmwork: <where>: <problem>; <remedy>``, with no traceback,
  naming the file and, where there is one, the row and column or the key;
- for ``rmwork run``: a report made earlier is byte-for-byte unchanged (every file, history
  included) and no report folder appears for a lot that was never run.

``validate`` (no kernel) covers most classes; ``run`` covers a few, including one that fails
inside the notebook (huge values).  Issue 16 added: lot names outside the rule or reserved
('.', '..', '.failed', 'history'), bool for an integer and quoted text for a number, YAML
.nan/.inf, 50,000 nested brackets, symbolic-link loops, an over-long material name, validate
listing every problem, and analyte/unit names with matplotlib mathtext ('$') at run time.  The API-level cases of the same checks are in
test_params_io.py and test_cli.py; this is the sweep at the command line.

To keep the file fast, every case is registered here with the function that writes its files;
one module fixture (``sweep``) runs all of them once -- the ``validate`` cases in parallel, the
``run`` cases one after another against one real report -- and each test asserts on its case.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_H = ROOT / "rmwork" / "data" / "reference" / "homogeneity_ecerto_crm001.csv"
GOOD_H = "analyte,unit,value\nFe,B1,1.00\nFe,B1,1.10\nFe,B2,1.20\nFe,B2,1.25\nFe,B3,1.05\nFe,B3,1.15\n"
GOOD_C = "analyte,lab,value,u,dof\nA,L1,10.1,0.2,5\nA,L2,10.3,0.3,8\nA,L3,9.9,0.25,12\n"
LOT = "BAD-RUN"  # the lot that gets one good report, then only broken runs
WORKERS = max(2, min(3, (os.cpu_count() or 1) + 1))


def rmwork_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "rmwork"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]


def cli(*args, cwd=None, timeout=600):
    return subprocess.run(
        [*rmwork_cmd(), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


def write(folder: Path, name: str, content) -> Path:
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return p


def lot_file(folder: Path, *, name="BAD-1", data="h.csv", study="homogeneity", extra="") -> Path:
    """A minimal lot naming one data file; ``extra`` is appended under the study's mapping."""
    body = f"lot: {name}\nmaterial: bad input test\nseed: 1\n"
    if study == "homogeneity":
        body += f"homogeneity:\n  data: {data}\n  bayes: false\n{extra}"
    else:
        body += f"characterization:\n  data: {data}\n  method: dersimonian-laird\n{extra}"
    return write(folder, f"{name}.yaml", body)


def xlsx_bytes(rows, sheet="Sheet1") -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def one_line_error(r, *fragments, any_of=(), stdout_empty=True):
    """Exit 2; stderr exactly one 'rmwork: ...' line holding every fragment (and one of any_of)."""
    shown = f"exit {r.returncode}\n--- stderr ---\n{r.stderr}--- stdout ---\n{r.stdout}"
    assert "Traceback" not in r.stderr + r.stdout, shown
    assert r.returncode == 2, shown
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and r.stderr.endswith("\n"), f"stderr is not exactly one line:\n{shown}"
    line = lines[0]
    assert line.startswith("rmwork: "), shown
    for f in fragments:
        assert f in line, f"{f!r} not in the message:\n{line}"
    if any_of:
        assert any(f in line for f in any_of), f"none of {any_of} in the message:\n{line}"
    if stdout_empty:
        assert r.stdout == "", shown
    return line


# ---------------------------------------------------------------------------------------------
# the cases: name -> function(folder) writing the files and returning the parameter file

VALIDATE: dict = {}
RUN: dict = {}


def validate_case(fn):
    VALIDATE[fn.__name__] = fn
    return fn


def run_case(fn):
    RUN[fn.__name__] = fn
    return fn


@validate_case
def empty_file(d):
    write(d, "h.csv", b"")
    return lot_file(d)


@validate_case
def wrong_columns(d):
    write(d, "h.csv", "a,b,c\n1,2,3\n4,5,6\n")
    return lot_file(d)


@validate_case
def misspelt_column_xlsx(d):
    write(
        d,
        "h.xlsx",
        xlsx_bytes(
            [
                ["Analyte", "Unit", "Vaule"],
                ["Fe", "B1", 1.0],
                ["Fe", "B1", 1.1],
                ["Fe", "B2", 1.2],
                ["Fe", "B2", 1.3],
            ]
        ),
    )
    return lot_file(d, data="h.xlsx")


@validate_case
def duplicate_column(d):
    write(d, "h.csv", "analyte,unit,value,Value\nFe,B1,1.0,1.0\nFe,B1,1.1,1.1\nFe,B2,1.2,1.2\n")
    return lot_file(d)


@validate_case
def text_in_xlsx_value(d):
    write(
        d,
        "h.xlsx",
        xlsx_bytes(
            [
                ["analyte", "unit", "value"],
                ["Fe", "B1", 1.0],
                ["Fe", "B1", 1.1],
                ["Fe", "B2", "<0.01"],
                ["Fe", "B2", 1.3],
            ],
            sheet="Homog",
        ),
    )
    return lot_file(d, data="h.xlsx")


CELLS = {  # a bad cell in row 5, column 'value' -> the problem the message must state
    "NaN": "is not a number",
    "": "empty",
    "-Infinity": "not a finite number",
    "1e999": "not a finite number",  # overflows float64 when read
}


def _bad_cell(d, cell):
    write(d, "h.csv", GOOD_H.replace("Fe,B2,1.25", f"Fe,B2,{cell}"))
    return lot_file(d)


for _cell in CELLS:
    VALIDATE[f"cell {_cell!r}"] = partial(_bad_cell, cell=_cell)


@validate_case
def huge_values(d):
    write(d, "h.csv", GOOD_H.replace("1.00", "1e308").replace("1.10", "1.7e308"))
    return lot_file(d)


@validate_case
def utf16_data(d):
    write(d, "h.csv", GOOD_H.replace("Fe", "Fé").encode("utf-16"))
    return lot_file(d)


LATIN1 = GOOD_H.replace("Fe,", "Fé,").encode("latin-1")


@validate_case
def latin1_data(d):
    write(d, "h.csv", LATIN1)
    return lot_file(d)


@validate_case
def wrong_declared_encoding(d):
    write(d, "h.csv", GOOD_H.replace("Fe,", "铁,").encode("utf-8"))
    return lot_file(d, extra="  encoding: ascii\n")


@validate_case
def parameter_file_utf16(d):
    write(d, "h.csv", GOOD_H)
    p = lot_file(d)
    p.write_bytes(p.read_text(encoding="utf-8").replace("bad input test", "Prüfmaterial").encode("utf-16"))
    return p


@validate_case
def truncated_xlsx(d):
    good = (ROOT / "data" / "RM-DEMO-M321" / "homogeneity.xlsx").read_bytes()
    write(d, "h.xlsx", good[: int(len(good) * 0.8)])
    return lot_file(d, data="h.xlsx")


@validate_case
def yaml_syntax_error(d):
    write(d, "h.csv", GOOD_H)
    return write(
        d, "BAD-1.yaml", "lot: BAD-1\nmaterial: m\nseed: 1\nhomogeneity:\n  data: h.csv\n   bayes: false\n"
    )


@validate_case
def duplicate_nested_key(d):
    write(d, "h.csv", GOOD_H)
    return lot_file(d, extra="  alpha: 0.05\n  alpha: 0.01\n")


@validate_case
def unknown_top_level_key(d):
    write(d, "h.csv", GOOD_H)
    return write(d, "BAD-1.yaml", "lot: BAD-1\nmaterial: m\nseed: 1\nhomogenity:\n  data: h.csv\n")


@validate_case
def wrong_type(d):
    write(d, "h.csv", GOOD_H)
    return lot_file(d, extra="  alpha: five percent\n")


@validate_case
def missing_stability_file(d):
    write(d, "h.csv", GOOD_H)
    return lot_file(d, extra="stability:\n  long_term: {data: data/missing.csv, shelf_life: 24}\n")


@validate_case
def data_path_is_directory(d):
    (d / "h.csv").mkdir(parents=True)
    return lot_file(d)


@validate_case
def missing_parameter_file(d):
    d.mkdir(parents=True, exist_ok=True)
    return d / "nope.yaml"


@validate_case
def single_unit(d):
    write(d, "h.csv", "analyte,unit,value\nFe,B1,1.0\nFe,B1,1.1\nFe,B1,1.2\n")
    return lot_file(d)


@validate_case
def one_result_per_unit(d):
    write(d, "h.csv", "analyte,unit,value\nFe,B1,1.0\nFe,B2,1.1\nFe,B3,1.2\n")
    return lot_file(d)


@validate_case
def empty_unit_cell(d):
    write(d, "h.csv", GOOD_H.replace("Fe,B2,1.20", "Fe,,1.20"))
    return lot_file(d)


@validate_case
def good_characterization(d):
    write(d, "c.csv", GOOD_C)
    return lot_file(d, study="characterization", data="c.csv")


@validate_case
def negative_u(d):
    write(d, "c.csv", GOOD_C.replace("A,L2,10.3,0.3,8", "A,L2,10.3,-0.3,8"))
    return lot_file(d, study="characterization", data="c.csv")


def _bad_dof(d, dof):
    write(d, "c.csv", GOOD_C.replace("A,L3,9.9,0.25,12", f"A,L3,9.9,0.25,{dof}"))
    return lot_file(d, study="characterization", data="c.csv")


for _dof in ("0", "-4"):  # dof <= 0
    VALIDATE[f"dof {_dof}"] = partial(_bad_dof, dof=_dof)


@validate_case
def single_lab(d):
    write(d, "c.csv", "analyte,lab,value,u,dof\nA,L1,10.1,0.2,5\n")
    return lot_file(d, study="characterization", data="c.csv")


@validate_case
def include_not_yes_no(d):
    write(
        d, "c.csv", "analyte,lab,value,u,include\nA,L1,10.1,0.2,yes\nA,L2,10.3,0.3,maybe\nA,L3,9.9,0.25,no\n"
    )
    return lot_file(d, study="characterization", data="c.csv")


# -- issue 16: lot names, strict types, YAML's special values, nesting, links, lengths ----------

LOT_NAMES = {  # a lot name -> what the message must say (the rule, or that it is reserved)
    ".": "starting with a letter or digit",
    "..": "starting with a letter or digit",
    ".failed": "starting with a letter or digit",
    "history": "reserved",
    "HISTORY": "reserved",
    "-x": "starting with a letter or digit",
    "a/b": "letters, digits",
    "L" * 65: "limit of 64",
}


def _bad_lot_name(d, name):
    write(d, "h.csv", GOOD_H)
    p = lot_file(d)
    p.write_text(p.read_text(encoding="utf-8").replace("lot: BAD-1", f"lot: '{name}'"), encoding="utf-8")
    return p


for _name in LOT_NAMES:
    VALIDATE[f"lot {_name!r}"] = partial(_bad_lot_name, name=_name)


def _replace_in_lot(d, old, new, extra=""):
    write(d, "h.csv", GOOD_H)
    p = lot_file(d, extra=extra)
    p.write_text(p.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return p


VALIDATE["seed_true"] = partial(_replace_in_lot, old="seed: 1", new="seed: true")
VALIDATE["alpha_quoted"] = partial(_replace_in_lot, old="", new="", extra='  alpha: "0.05"\n')
VALIDATE["shelf_life_nan"] = partial(
    _replace_in_lot, old="", new="", extra=("stability:\n  long_term: {data: h.csv, shelf_life: .nan}\n")
)
VALIDATE["coverage_nan"] = partial(_replace_in_lot, old="", new="", extra="certificate:\n  coverage: .nan\n")
VALIDATE["alpha_inf"] = partial(_replace_in_lot, old="", new="", extra="  alpha: -.inf\n")


@validate_case
def deep_nesting(d):
    write(d, "h.csv", GOOD_H)
    return write(d, "BAD-1.yaml", "lot: BAD-1\nmaterial: " + "[" * 50_000 + "\n")


@validate_case
def data_path_symlink_loop(d):
    d.mkdir(parents=True, exist_ok=True)
    os.symlink("loop-b.csv", d / "loop-a.csv")
    os.symlink("loop-a.csv", d / "loop-b.csv")
    return lot_file(d, data="loop-a.csv")


@validate_case
def parameter_file_symlink_loop(d):
    d.mkdir(parents=True, exist_ok=True)
    os.symlink("BAD-1.yaml", d / "BAD-1.yaml")
    return d / "BAD-1.yaml"


def _long_material(d, n):
    write(d, "h.csv", GOOD_H)
    p = lot_file(d)
    p.write_text(p.read_text(encoding="utf-8").replace("bad input test", "M" * n), encoding="utf-8")
    return p


VALIDATE["material_140000"] = partial(_long_material, n=140_000)
VALIDATE["material_301"] = partial(_long_material, n=301)
VALIDATE["material_300"] = partial(_long_material, n=300)


@validate_case
def many_problems(d):
    """Five problems in one parameter file, and a bad cell in each of two data tables."""
    write(d, "h.csv", GOOD_H)
    write(d, "c.csv", GOOD_C.replace("A,L2,10.3,0.3,8", "A,L2,ten,0.3,8"))
    write(d, "s.csv", "analyte,time,value\nFe,0,1\nFe,x,2\nFe,2,3\n")
    return write(
        d,
        "BAD-1.yaml",
        "lot: '.failed'\nmaterial: m\nseed: true\nhomogenity: {data: h.csv}\n"
        "stability:\n  long_term: {data: s.csv, shelf_life: .nan}\n"
        "characterization:\n  data: c.csv\n  alpha: '0.05'\n",
    )


@validate_case
def two_bad_tables(d):
    write(d, "c.csv", GOOD_C.replace("A,L2,10.3,0.3,8", "A,L2,ten,0.3,8"))
    write(d, "s.csv", "analyte,time,value\nFe,0,1\nFe,x,2\nFe,2,3\n")
    return write(
        d,
        "BAD-1.yaml",
        "lot: BAD-1\nmaterial: m\nseed: 1\n"
        "stability:\n  long_term: {data: s.csv, shelf_life: 24}\n"
        "characterization:\n  data: c.csv\n",
    )


# run cases: ``d`` is a fresh copy of the good lot's folder (lot BAD-RUN, data h.csv)


@run_case
def run_text_in_value(d):
    lines = (d / "h.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[7] = lines[7].rsplit(",", 1)[0] + ",< LOD\n"
    (d / "h.csv").write_text("".join(lines), encoding="utf-8")
    return d / f"{LOT}.yaml"


@run_case
def run_unknown_key(d):
    p = d / f"{LOT}.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "  alpah: 0.01\n", encoding="utf-8")
    return p


@run_case
def run_never_run_lot(d):
    (d / "u16.csv").write_bytes(GOOD_H.encode("utf-16"))
    return lot_file(d, name="NEVER-RUN", data="u16.csv")


@run_case
def run_huge_values(d):
    """Values of 1.5e308: finite, but their squares overflow float64."""
    lines = (d / "h.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    for i, v in ((1, "1.5e308"), (2, "1.5e308"), (4, "-1.7e308")):
        lines[i] = lines[i].rstrip("\n").rsplit(",", 1)[0] + f",{v}\n"
    (d / "h.csv").write_text("".join(lines), encoding="utf-8")
    return d / f"{LOT}.yaml"


PLANTED: dict = {}
MATH_NAME = r"Z $\undefinedmacro{x}$"  # mathtext matplotlib cannot parse
MATH_UNIT = "U$1$"  # a well-formed one, as a unit id


@run_case
def run_mathtext_names(d):
    """Was: validate said valid, run failed with an internal error (ParseFatalException)."""
    text = (d / "h.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    head, rows = text[0], text[1:]
    cols = head.strip().split(",")
    ia, iu = cols.index("analyte"), cols.index("unit")
    out = [head]
    for line in rows:
        cells = line.rstrip("\n").split(",")
        cells[ia] = MATH_NAME
        cells[iu] = MATH_UNIT if cells[iu] == "b1" else cells[iu]
        out.append(",".join(cells) + "\n")
    (d / "h.csv").write_text("".join(out), encoding="utf-8")
    return d / f"{LOT}.yaml"


@run_case
def run_lot_named_dot_failed(d):
    """Was: lot '.failed' ran and deleted the failure records of every other lot."""
    record = d.parent.parent / "reports" / ".failed" / "OTHER-20261201T000000Z" / "error.txt"
    write(record.parent, record.name, "KeyboardInterrupt: \n")
    PLANTED["failure record"] = record
    p = d / f"{LOT}.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace(f"lot: {LOT}", "lot: .failed"), encoding="utf-8")
    return p


# ---------------------------------------------------------------------------------------------
# the sweep


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


def report_folders(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if not p.name.startswith(".")}


def _run_sequence(base: Path) -> dict:
    """One good run of a small homogeneity lot (no MCMC), then every run case, one at a time,
    each checked against the report the good run made."""
    lot_dir, out = base / "good", base / "reports"
    lot_dir.mkdir(parents=True)
    shutil.copy(REFERENCE_H, lot_dir / "h.csv")
    p = lot_file(lot_dir, name=LOT)
    good = cli("run", p, "--out", out)
    outcomes = {"good": good}
    if good.returncode != 0 or not (out / LOT / "report.html").is_file():
        return outcomes
    for name, build in RUN.items():
        d = base / "run" / name
        shutil.copytree(lot_dir, d)
        before, folders = snapshot(out / LOT), report_folders(out)
        r = cli("run", build(d), "--out", out)
        after = snapshot(out / LOT)
        outcomes[name] = dict(
            result=r,
            before=before,
            after=after,
            changed=sorted(f for f in set(before) | set(after) if before.get(f) != after.get(f)),
            new_folders=sorted(report_folders(out) - folders),
            leftovers=sorted(x.name for x in out.glob(f".tmp+{LOT}+*")),
        )
        if after != before:  # a run that did write: restore for the next case
            shutil.rmtree(out / LOT)
            for rel, data in before.items():
                write(out / LOT, rel, data)
    return outcomes


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad_input")
    results = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        runs = pool.submit(_run_sequence, base / "runs")
        futures = {}
        for name, build in VALIDATE.items():
            d = base / "validate" / re.sub(r"[^A-Za-z0-9_-]+", "_", name)
            futures[name] = pool.submit(lambda b=build, d=d: cli("validate", b(d), cwd=d.parent))
        for name, f in futures.items():
            results[name] = f.result()
        try:
            results["run"] = runs.result()
        except Exception as exc:  # noqa: BLE001 - reported by every run test, not as 40 errors
            results["run"] = exc
    return results


def run_outcome(sweep, name):
    runs = sweep["run"]
    if isinstance(runs, Exception):
        pytest.fail(f"the run cases could not be prepared: {runs!r}")
    good = runs["good"]
    assert good.returncode == 0, f"the good run the run cases need failed:\n{good.stderr}"
    o = runs[name]
    return o


def assert_report_untouched(o):
    assert not o["changed"], f"the earlier report changed: {o['changed']}"
    assert not o["new_folders"], f"new report folders appeared: {o['new_folders']}"
    assert not o["leftovers"], f"temporary build folders left behind: {o['leftovers']}"


# ---------------------------------------------------------------------------------------------
# validate: data tables


def test_validate_empty_data_file(sweep):
    one_line_error(sweep["empty_file"], "h.csv", "empty")


def test_validate_wrong_columns_names_the_missing_column_and_lists_the_files_columns(sweep):
    """Columns a, b, c: the message names the missing 'unit' and lists the columns the file has
    -- only those: a column rmwork adds itself (a default 'analyte') is not the user's."""
    line = one_line_error(sweep["wrong_columns"], "h.csv", "column 'unit'", "missing")
    listed = re.search(r"the table has (.*)$", line)
    assert listed, line
    assert [c.strip() for c in listed.group(1).split(",")] == ["a", "b", "c"], line


def test_validate_misspelt_column_in_xlsx_suggests_the_close_match(sweep):
    one_line_error(
        sweep["misspelt_column_xlsx"], "h.xlsx", "column 'value'", "missing", "did you mean 'vaule'?"
    )


def test_validate_duplicate_column_names_case_insensitive(sweep):
    one_line_error(sweep["duplicate_column"], "h.csv", "column 'value'", "twice")


def test_validate_text_in_numeric_column_of_xlsx_names_sheet_row_and_column(sweep):
    """Spreadsheet row numbers as the user sees them (the header is row 1)."""
    one_line_error(
        sweep["text_in_xlsx_value"],
        "h.xlsx",
        "Homog",
        "row 4",
        "column 'value'",
        "'<0.01' is a censored result",
        "censored: exclude",
    )


@pytest.mark.parametrize("cell", list(CELLS))
def test_validate_nan_inf_and_empty_cells_name_row_and_column(sweep, cell):
    one_line_error(sweep[f"cell {cell!r}"], "h.csv", "row 5", "column 'value'", CELLS[cell])


def _square_overflows(text: str) -> bool:
    """Whether the square of the float64 ``text`` overflows (computed here, not by rmwork)."""
    x = float(text)
    return math.isfinite(x) and not math.isfinite(x * x)


def test_validate_huge_values_refused_in_one_line(sweep):
    """1e308 is a finite float64 but its square is not (checked here), so no sum of squares of
    these results exists in float64: validate refuses them in one line naming file, row, column."""
    assert _square_overflows("1e308") and _square_overflows("1.7e308")
    one_line_error(sweep["huge_values"], "h.csv", "row 2", "column 'value'", "1e308")


def test_validate_utf16_data_file(sweep):
    """A spreadsheet's "Unicode text" export: neither UTF-8 nor GB18030."""
    one_line_error(sweep["utf16_data"], "h.csv", "UTF-8", any_of=("encoding", "GB18030"))


def test_validate_latin1_bytes_that_are_neither_utf8_nor_gb18030(sweep):
    """Issue 15: Latin-1 is then the only plausible reading, so the file is read as Latin-1
    (the report says so); the ambiguous case is refused in test_io_bad_input.py."""
    for enc in ("utf-8", "gb18030"):  # the premise of the case
        with pytest.raises(UnicodeDecodeError):
            LATIN1.decode(enc)
    r = sweep["latin1_data"]
    assert r.returncode == 0 and r.stderr == "" and "valid" in r.stdout, r.stderr


def test_validate_wrong_declared_encoding_names_the_file(sweep):
    one_line_error(sweep["wrong_declared_encoding"], "h.csv", "ascii")


def test_validate_truncated_xlsx(sweep):
    one_line_error(sweep["truncated_xlsx"], "h.xlsx", "Excel")


def test_validate_single_unit(sweep):
    one_line_error(sweep["single_unit"], "h.csv", "'Fe'", "1 unit", "at least 2")


def test_validate_one_result_per_unit(sweep):
    one_line_error(sweep["one_result_per_unit"], "h.csv", "'Fe'", "2 results")


def test_validate_empty_unit_cell_names_the_row(sweep):
    one_line_error(sweep["empty_unit_cell"], "h.csv", "row 4", "column 'unit'", "empty")


# -- characterization (columns analyte, lab, value, u, dof, include; CONTRACT.md) ---------------


def test_validate_good_characterization_table_is_accepted(sweep):
    r = sweep["good_characterization"]
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_validate_negative_uncertainty_names_the_lab_or_row(sweep):
    line = one_line_error(sweep["negative_u"], "c.csv", "-0.3", any_of=("row 3", "lab 'L2'"))
    assert re.search(r"\bu\b", line), line


@pytest.mark.parametrize("dof", ["0", "-4"])
def test_validate_dof_not_positive_names_the_lab_or_row(sweep, dof):
    one_line_error(sweep[f"dof {dof}"], "c.csv", "dof", any_of=("row 4", "lab 'L3'"))


def test_validate_single_lab(sweep):
    one_line_error(sweep["single_lab"], "c.csv", "'A'", "1 lab", "at least 2")


def test_validate_characterization_include_not_yes_or_no(sweep):
    one_line_error(sweep["include_not_yes_no"], "c.csv", "row 3", "column 'include'", "'maybe'")


# -- parameter file ----------------------------------------------------------------------------


def test_validate_parameter_file_not_utf8(sweep):
    one_line_error(sweep["parameter_file_utf16"], "BAD-1.yaml", "UTF-8")


def test_validate_yaml_syntax_error_names_the_line(sweep):
    one_line_error(sweep["yaml_syntax_error"], "BAD-1.yaml", "YAML syntax error", "line 6")


def test_validate_duplicate_key_in_nested_mapping(sweep):
    one_line_error(sweep["duplicate_nested_key"], "BAD-1.yaml", "duplicate key 'alpha'", "line 7", "line 8")


def test_validate_unknown_top_level_key_suggests_the_study(sweep):
    one_line_error(
        sweep["unknown_top_level_key"],
        "BAD-1.yaml",
        "key 'homogenity'",
        "unknown key",
        "did you mean 'homogeneity'?",
    )


def test_validate_wrong_type_for_a_key(sweep):
    one_line_error(sweep["wrong_type"], "BAD-1.yaml", "key 'homogeneity.alpha'", "'five percent'")


def test_validate_missing_stability_data_file_names_the_key(sweep):
    one_line_error(
        sweep["missing_stability_file"],
        "BAD-1.yaml",
        "key 'stability.long_term.data'",
        "'data/missing.csv'",
        "does not exist",
    )


def test_validate_data_path_is_a_directory(sweep):
    one_line_error(
        sweep["data_path_is_directory"], "BAD-1.yaml", "key 'homogeneity.data'", "'h.csv'", "not a file"
    )


def test_validate_missing_parameter_file(sweep):
    one_line_error(sweep["missing_parameter_file"], "nope.yaml", "does not exist")


# -- issue 16: lot names, strict types, YAML's special values, nesting, links, lengths ----------


@pytest.mark.parametrize("name", list(LOT_NAMES))
def test_validate_lot_name_outside_the_rule_or_reserved_is_refused(sweep, name):
    """'.', '..' and '.failed' passed the old rule ([A-Za-z0-9._-]+): '.failed' ran and deleted the
    failure records of every lot; a lot must start with a letter or digit and not be reserved."""
    one_line_error(sweep[f"lot {name!r}"], "BAD-1.yaml", "key 'lot'", LOT_NAMES[name])


def test_validate_seed_true_is_not_seed_1(sweep):
    one_line_error(sweep["seed_true"], "BAD-1.yaml", "key 'seed'", "integer", "true/false")


def test_validate_alpha_as_quoted_text_is_refused(sweep):
    one_line_error(sweep["alpha_quoted"], "BAD-1.yaml", "key 'homogeneity.alpha'", "'0.05'", "without quotes")


@pytest.mark.parametrize(
    "case, key, shown",
    [
        ("shelf_life_nan", "stability.long_term.shelf_life", ".nan"),
        ("coverage_nan", "certificate.coverage", ".nan"),
        ("alpha_inf", "homogeneity.alpha", "-.inf"),
    ],
)
def test_validate_yaml_nan_and_inf_name_the_key(sweep, case, key, shown):
    """Was: ValueError: could not convert string to float: '.nan' (a traceback)."""
    one_line_error(sweep[case], "BAD-1.yaml", f"key '{key}'", "not a finite number", shown)


def test_validate_50000_nested_brackets_is_one_line_not_recursion_error(sweep):
    one_line_error(sweep["deep_nesting"], "BAD-1.yaml", "too deeply")


def test_validate_data_path_symlink_loop_is_one_line(sweep):
    """Was: RuntimeError: Symlink loop."""
    one_line_error(
        sweep["data_path_symlink_loop"],
        "BAD-1.yaml",
        "key 'homogeneity.data'",
        "'loop-a.csv'",
        "loop of symbolic links",
    )


def test_validate_parameter_file_symlink_loop_is_one_line(sweep):
    one_line_error(sweep["parameter_file_symlink_loop"], "BAD-1.yaml", "symbolic link")


@pytest.mark.parametrize("case", ["material_140000", "material_301"])
def test_validate_material_name_over_the_limit_is_refused_with_the_limit(sweep, case):
    """140,000 characters gave 'OSError: Argument list too long' at run time."""
    n = int(case.split("_")[1])
    one_line_error(sweep[case], "BAD-1.yaml", "key 'material'", f"{n:,} characters", "limit of 300")


def test_validate_material_name_at_the_limit_is_accepted(sweep):
    r = sweep["material_300"]
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_validate_lists_every_problem_of_the_parameter_file(sweep):
    """Five schema problems, each on its own line naming its key; data tables are not read while
    the parameter file is invalid (their paths may depend on it)."""
    r = sweep["many_problems"]
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stdout == "", r.stderr
    lines = r.stderr.splitlines()
    keys = ["lot", "seed", "homogenity", "stability.long_term.shelf_life", "characterization.alpha"]
    assert len(lines) == len(keys), r.stderr
    for key in keys:
        assert sum(f"key '{key}'" in line for line in lines) == 1, (key, r.stderr)
    assert all(line.startswith("rmwork: ") and "BAD-1.yaml, key '" in line for line in lines), r.stderr


def test_validate_lists_a_problem_in_each_data_table(sweep):
    r = sweep["two_bad_tables"]
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 2, r.stderr
    assert any("s.csv" in x and "row 3" in x and "column 'time'" in x and "'x'" in x for x in lines), r.stderr
    assert any("c.csv" in x and "row 3" in x and "column 'value'" in x and "'ten'" in x for x in lines), (
        r.stderr
    )


def test_every_validate_case_has_a_test():
    """Guard against a registered case nobody asserts on."""
    source = Path(__file__).read_text(encoding="utf-8")
    for name in VALIDATE:
        if not name.startswith(("cell ", "dof ", "lot ")):
            assert f'sweep["{name}"]' in source or f'("{name}",' in source or f'"{name}"]' in source, name


# ---------------------------------------------------------------------------------------------
# run: the earlier report stays byte-for-byte, no folder appears for a lot never run


def test_run_refuses_text_in_numeric_column_and_keeps_the_report(sweep):
    o = run_outcome(sweep, "run_text_in_value")
    one_line_error(o["result"], "h.csv", "row 8", "column 'value'", "'< LOD' is a censored result")
    assert_report_untouched(o)


def test_run_refuses_unknown_key_and_keeps_the_report(sweep):
    o = run_outcome(sweep, "run_unknown_key")
    one_line_error(o["result"], f"{LOT}.yaml", "key 'homogeneity.alpah'", "unknown key")
    assert_report_untouched(o)


def test_run_never_run_lot_with_bad_data_leaves_no_folder(sweep):
    o = run_outcome(sweep, "run_never_run_lot")
    one_line_error(o["result"], "u16.csv", "UTF-8")
    assert_report_untouched(o)


def test_run_huge_values_refused_in_one_line_and_the_report_kept(sweep):
    """Values of 1.5e308 are finite but their squares overflow float64 (checked here): the run
    refuses them with one line naming the data file and the row, before any kernel, never a
    traceback or a message about the notebook's internals; the earlier report stays as it was."""
    assert _square_overflows("1.5e308") and _square_overflows("-1.7e308")
    o = run_outcome(sweep, "run_huge_values")
    one_line_error(o["result"], "h.csv", "row", "column 'value'", stdout_empty=False)
    assert_report_untouched(o)


def test_run_analyte_and_unit_with_mathtext_run_and_print_literally(sweep):
    """A name with '$' is drawn as written in the figures (rmwork.report.usertext) and printed as
    written in the tables; results.json keys it as written."""
    o = run_outcome(sweep, "run_mathtext_names")
    r = o["result"]
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    res = json.loads(o["after"]["results.json"])
    assert list(res["analytes"]) == [MATH_NAME]
    page = o["after"]["report.html"].decode("utf-8")
    assert MATH_NAME in page and MATH_UNIT in page
    assert not o["new_folders"] and not o["leftovers"]


def test_run_lot_named_dot_failed_is_refused_and_failure_records_stay(sweep):
    o = run_outcome(sweep, "run_lot_named_dot_failed")
    one_line_error(o["result"], f"{LOT}.yaml", "key 'lot'", "starting with a letter or digit")
    assert_report_untouched(o)
    assert PLANTED["failure record"].read_text() == "KeyboardInterrupt: \n"
