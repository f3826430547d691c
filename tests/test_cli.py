"""The command line end to end: run, validate, verify, batch; atomic reports and the history chain."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
XSS = "<img src=x onerror=alert(1)>"


def make_lot(folder: Path, name="T-1", material=f"Test material {XSS}", bayes="false", extra=""):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "rmwork" / "data" / "reference" / "homogeneity_ecerto_crm001.csv", folder / "h.csv")
    p = folder / f"{name}.yaml"
    p.write_text(
        f'lot: {name}\nmaterial: "{material}"\nseed: 7\nhomogeneity:\n  data: h.csv\n'
        f"  bayes: {bayes}\n{extra}",
        encoding="utf-8",
    )
    return p


def cli(cmd, *args, cwd=None):
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    import sys

    exe = Path(sys.executable).parent / "rmwork"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]
    d = tmp_path_factory.mktemp("lot")
    p = make_lot(d)
    out = d / "reports"
    r = cli(cmd, "run", p, "--out", out, "--reason", "first run", "--run-by", "tester@host")
    assert r.returncode == 0, r.stderr
    return cmd, p, out / "T-1"


def test_run_writes_contract_report_folder(first_run):
    _, _, rep = first_run
    for f in ("report.html", "results.json", "manifest.json", "certification_report.ipynb"):
        assert (rep / f).is_file(), f
    res = json.loads((rep / "results.json").read_text())
    assert res["lot"] == "T-1"
    h = res["analytes"]["X"]["homogeneity"]
    assert h["method"] == "anova"
    # eCerto CRM001 X, reference/README.md
    assert h["p_value"] == pytest.approx(0.07483454399680989, rel=1e-7)
    man = json.loads((rep / "manifest.json").read_text())
    assert man["run_by"] == "tester@host" and man["reason"] == "first run"
    assert set(man["outputs"]) >= {"report.html", "results.json", "certification_report.ipynb"}
    assert man["seed"] == 7 and man["python"].startswith("3.12")
    assert re.fullmatch(r"[0-9a-f]{64}", man["parameter_file"]["sha256"])


def test_report_is_self_contained_and_escapes_user_text(first_run):
    html = (first_run[2] / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert "cdn" not in html.lower().replace("cdnjs", "") or "cdnjs" not in html
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "data:image/png;base64," in html  # figures embedded
    assert "Table H1" in html


def test_verify_intact_then_tampered(first_run, tmp_path):
    cmd, _, rep = first_run
    r = cli(cmd, "verify", rep)
    assert r.returncode == 0, r.stderr
    copy = tmp_path / "copy"
    shutil.copytree(rep, copy)
    (copy / "results.json").write_text((copy / "results.json").read_text().replace("0.07", "0.08"))
    r = cli(cmd, "verify", copy)
    assert r.returncode != 0
    assert "results.json: changed since the report was made" in r.stderr
    assert "Traceback" not in r.stderr


def test_rerun_keeps_history_and_chains_manifests(first_run, tmp_path):
    cmd, p, rep = first_run
    d = tmp_path / "lot2"
    shutil.copytree(p.parent, d, ignore=shutil.ignore_patterns("reports"))
    out = d / "reports"
    for _ in range(2):
        r = cli(cmd, "run", d / "T-1.yaml", "--out", out)
        assert r.returncode == 0, r.stderr
    lot = out / "T-1"
    hist = sorted((lot / "history").iterdir())
    assert len(hist) == 1
    import hashlib

    prev = json.loads((lot / "manifest.json").read_text())["previous_manifest_sha256"]
    assert prev == hashlib.sha256((hist[0] / "manifest.json").read_bytes()).hexdigest()
    # results.json is byte-identical between reruns with the same inputs and seed
    assert (lot / "results.json").read_bytes() == (hist[0] / "results.json").read_bytes()
    assert cli(cmd, "verify", lot).returncode == 0
    # break the chain: edit the archived manifest
    m = hist[0] / "manifest.json"
    m.write_text(m.read_text().replace('"seed": 7', '"seed": 8'))
    r = cli(cmd, "verify", lot)
    assert r.returncode != 0 and "history chain broken" in r.stderr


def test_failed_run_leaves_previous_report_untouched(first_run, tmp_path):
    cmd, p, _ = first_run
    d = tmp_path / "lot3"
    shutil.copytree(p.parent, d, ignore=shutil.ignore_patterns("reports"))
    out = d / "reports"
    assert cli(cmd, "run", d / "T-1.yaml", "--out", out).returncode == 0
    before = {f: f.read_bytes() for f in (out / "T-1").rglob("*") if f.is_file()}
    (d / "h.csv").write_text((d / "h.csv").read_text().replace("0.0044", "abc", 1))
    r = cli(cmd, "run", d / "T-1.yaml", "--out", out)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "h.csv, row 3, column 'value': 'abc' is not a number" in lines[0]
    after = {f: f.read_bytes() for f in (out / "T-1").rglob("*") if f.is_file()}
    assert before == after


def test_validate_reports_bad_key_in_one_line(first_run, tmp_path):
    cmd, p, _ = first_run
    bad = make_lot(tmp_path, extra="  alpah: 0.05\n")
    r = cli(cmd, "validate", bad)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "key 'homogeneity.alpah': unknown key; did you mean 'alpha'?" in r.stderr
    assert cli(cmd, "validate", p).returncode == 0


def test_batch_one_failing_lot_does_not_stop_the_other(first_run, tmp_path):
    cmd, _, _ = first_run
    d = tmp_path / "params"
    good = make_lot(d, name="GOOD")
    bad = make_lot(d, name="BAD")
    (d / "bad.csv").write_text("analyte,unit,value\nX,1,1\n")
    bad.write_text(bad.read_text().replace("data: h.csv", "data: bad.csv"))
    r = cli(cmd, "batch", d, "--out", tmp_path / "reports", "--workers", "2")
    assert r.returncode == 1, r.stdout + r.stderr
    assert (tmp_path / "reports" / "GOOD" / "report.html").is_file()
    assert not (tmp_path / "reports" / "BAD").exists()
    assert re.search(r"GOOD\s+done", r.stdout) and re.search(r"BAD\s+failed", r.stdout)
    # unchanged lot is skipped on the next batch without --force
    r = cli(cmd, "batch", good, "--out", tmp_path / "reports")
    assert r.returncode == 0 and re.search(r"GOOD\s+skipped", r.stdout)


# ---------------------------------------------------------------------------------------------
# the runner: errors whole across the kernel boundary, outputs checked before the swap


def _notebooks_with(tmp_path: Path, source: str) -> Path:
    """A copy of notebooks/ whose report notebook runs ``source`` right after ``workbook.open``."""
    nbdir = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", nbdir)
    path = nbdir / "certification_report.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    at = next(i for i, c in enumerate(nb["cells"]) if "rmwork.workbook.open" in "".join(c["source"]))
    nb["cells"].insert(
        at + 1,
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "test-cell",
            "metadata": {},
            "outputs": [],
            "source": source,
        },
    )
    path.write_text(json.dumps(nb), encoding="utf-8")
    return nbdir


def test_input_error_raised_in_the_kernel_reaches_the_runner_with_every_field(tmp_path, monkeypatch):
    """Issue 13: an InputError raised in a cell crosses the process boundaries whole (pickled by
    the kernel plug-in): file, row, column, key and hint, not only its text's last line."""
    from rmwork.errors import InputError
    from rmwork.run import runner

    monkeypatch.setenv(
        "RMWORK_NOTEBOOKS",
        str(
            _notebooks_with(
                tmp_path,
                (
                    "from rmwork.errors import InputError\n"
                    "raise InputError('a problem found in the kernel', file='x.csv', sheet='S', row=7, "
                    "column='value', key='homogeneity.data', hint='fix the row')"
                ),
            )
        ),
    )
    p = make_lot(tmp_path / "lot", name="KERR")
    with pytest.raises(InputError) as caught:
        runner.run(p, tmp_path / "reports")
    e = caught.value
    assert (e.problem, e.file, e.sheet, e.row, e.column, e.key, e.hint) == (
        "a problem found in the kernel",
        "x.csv",
        "S",
        7,
        "value",
        "homogeneity.data",
        "fix the row",
    )
    assert not (tmp_path / "reports" / "KERR").exists()


def test_certificate_deleted_mid_run_fails_the_run_and_keeps_the_previous_report(tmp_path):
    """Issue 16: certificate.drmd.xml removed from the working folder while the notebook runs
    (as another lot's recovery once did) -> the run fails in one line naming the file, and the
    report is not swapped in without it."""
    import sys
    import threading
    import time

    exe = Path(sys.executable).parent / "rmwork"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]
    text = (ROOT / "parameters" / "RM-DEMO-CRM001.yaml").read_text(encoding="utf-8")
    p = tmp_path / "CRM.yaml"
    p.write_text(
        text.replace("../data/", f"{ROOT}/data/").replace("bayes: true", "bayes: false"), encoding="utf-8"
    )
    out = tmp_path / "reports"
    stop, deleted = threading.Event(), []

    def delete_the_certificate():
        while not stop.is_set():
            for f in out.glob(".tmp+RM-DEMO-CRM001+*/certificate.drmd.xml"):
                try:
                    f.unlink()
                    deleted.append(f)
                except FileNotFoundError:
                    pass
            time.sleep(0.005)

    t = threading.Thread(target=delete_the_certificate, daemon=True)
    t.start()
    try:
        r = cli(cmd, "run", p, "--out", out)
    finally:
        stop.set()
        t.join()
    assert deleted, "the certificate was never seen in the working folder"
    assert r.returncode != 0, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "certificate.drmd.xml" in lines[0] and "missing" in lines[0], r.stderr
    assert not (out / "RM-DEMO-CRM001").exists()
    assert len(list((out / ".failed").glob("RM-DEMO-CRM001+*/error.txt"))) == 1
