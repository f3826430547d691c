"""Atomic runs under interruption, the lot lock, and the notebook run as a researcher runs it."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "rmwork"


def files(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    d = tmp_path_factory.mktemp("integrity")
    shutil.copy(ROOT / "rmwork" / "data" / "reference" / "homogeneity_usp1010_runs.csv", d / "h.csv")
    lot = d / "I-1.yaml"
    lot.write_text("lot: I-1\nmaterial: m\nseed: 5\nhomogeneity:\n  data: h.csv\n  bayes: false\n")
    r = subprocess.run(
        [str(EXE), "run", str(lot), "--out", str(d / "reports")], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    # the next runs take long enough to be interrupted: the Bayesian model compiles
    lot.write_text(lot.read_text().replace("bayes: false", "bayes: true"))
    return lot, d / "reports"


def service_pids() -> set[int]:
    """Running (not zombie) sampling-service processes of this machine."""
    out = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"rmwork.run.service" in cmd and state not in ("Z", "X"):
            out.add(int(d.name))
    return out


def start_and_wait_for_work(lot, out):
    p = subprocess.Popen(
        [str(EXE), "run", str(lot), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".tmp+I-1+*/kernel-stderr.log")):
        time.sleep(0.2)
    time.sleep(6)  # papermill has started the kernel; the Bayesian cell takes ~20 s more
    return p


def test_ctrl_c_keeps_previous_report_and_leaves_a_failure_record(reported):
    lot, out = reported
    before = files(out / "I-1")
    p = start_and_wait_for_work(lot, out)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    os.killpg(p.pid, signal.SIGKILL) if p.poll() is None else None
    assert p.returncode == 130, err
    assert "interrupted; the previous report is unchanged" in err and "Traceback" not in err
    assert files(out / "I-1") == before
    records = list((out / ".failed").glob("I-1+*/error.txt"))
    assert records and "KeyboardInterrupt" in records[-1].read_text()
    assert not list(out.glob(".tmp+I-1+*"))


def test_killed_run_keeps_previous_report_and_next_run_recovers(reported):
    lot, out = reported
    before = files(out / "I-1")
    earlier = service_pids()
    p = start_and_wait_for_work(lot, out)
    started = service_pids() - earlier
    assert started  # the lot's sampling service
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=60)
    deadline = time.time() + 20
    while time.time() < deadline and started & service_pids():
        time.sleep(0.2)
    assert not started & service_pids()  # it ended with the killed run
    assert files(out / "I-1") == before
    assert list(out.glob(".tmp+I-1+*"))  # the half-made report, outside the folder
    r = subprocess.run([str(EXE), "run", str(lot), "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not list(out.glob(".tmp+I-1+*"))
    assert (out / "I-1" / "history").is_dir()
    assert subprocess.run([str(EXE), "verify", str(out / "I-1")]).returncode == 0


def test_second_run_of_the_same_lot_is_refused_while_one_holds_the_lock(reported):
    from rmwork.run.runner import lot_lock

    lot, out = reported
    with lot_lock(out, "I-1"):
        r = subprocess.run([str(EXE), "run", str(lot), "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "another run of lot 'I-1' is in progress" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_notebook_runs_as_is_from_the_notebooks_folder(tmp_path):
    """A researcher opens notebooks/ and runs top to bottom: the default parameters name a shipped lot."""
    import papermill as pm

    nb = ROOT / "notebooks" / "certification_report.ipynb"
    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(nb), str(out), cwd=str(nb.parent), kernel_name="rmwork", progress_bar=False)
    text = out.read_text()
    assert "Table H1" in text and "Table U2" in text


# ---------------------------------------------------------------------------------------------
# verify trusts nothing in the report folder (issue 16)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """A real report with one history version (two runs of a small lot, no MCMC)."""
    d = tmp_path_factory.mktemp("verify")
    shutil.copy(ROOT / "rmwork" / "data" / "reference" / "homogeneity_usp1010_runs.csv", d / "h.csv")
    lot = d / "V-1.yaml"
    lot.write_text("lot: V-1\nmaterial: m\nseed: 5\nhomogeneity:\n  data: h.csv\n  bayes: false\n")
    for seed in (5, 6):
        lot.write_text(lot.read_text().replace("seed: 5", f"seed: {seed}"))
        r = subprocess.run(
            [str(EXE), "run", str(lot), "--out", str(d / "reports")], capture_output=True, text=True
        )
        assert r.returncode == 0, r.stderr
    report = d / "reports" / "V-1"
    assert len(list((report / "history").iterdir())) == 1
    return report


@pytest.fixture
def copy(two_versions, tmp_path):
    dst = tmp_path / "V-1"
    shutil.copytree(two_versions, dst, symlinks=True)
    return dst


def verify_cli(folder):
    r = subprocess.run([str(EXE), "verify", str(folder)], capture_output=True, text=True)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    return r


def problems(folder):
    from rmwork.report.provenance import verify

    return verify(folder)


def rewrite_manifest(folder, change):
    import json

    m = json.loads((folder / "manifest.json").read_text())
    m = change(m)
    (folder / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")


def test_verify_intact_report_and_history(copy):
    assert problems(copy) == []
    r = verify_cli(copy)
    assert r.returncode == 0 and "intact" in r.stdout


@pytest.mark.parametrize(
    "rel", [".hidden.html", "extra/history/evil.html", ".cache/x.txt", "history/evil.html"]
)
def test_verify_reports_an_added_file_anywhere(copy, rel):
    """Dot files and paths with a 'history' component were never checked; they passed as intact."""
    f = copy / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("<script>alert(1)</script>")
    found = problems(copy)
    assert len(found) == 1 and str(f) in found[0], found
    assert "added after the report was made" in found[0] or "not a report version" in found[0]
    assert verify_cli(copy).returncode == 2


def test_verify_reports_an_added_file_in_a_history_version(copy):
    version = next((copy / "history").iterdir())
    (version / ".extra").write_text("x")
    found = problems(copy)
    assert len(found) == 1 and str(version / ".extra") in found[0] and "added" in found[0], found


def test_verify_changed_dot_file_listed_in_the_manifest(copy):
    (copy / ".note").write_text("made with the report")
    from rmwork.report.provenance import sha256_file

    rewrite_manifest(copy, lambda m: {**m, "outputs": {**m["outputs"], ".note": sha256_file(copy / ".note")}})
    found = [p for p in problems(copy) if "Table P2" not in p]
    assert found == [], found
    (copy / ".note").write_text("changed")
    assert any(str(copy / ".note") in p and "changed" in p for p in problems(copy))


def test_verify_refuses_a_path_outside_the_report_folder(copy):
    """A manifest listing ../../../../etc/hostname had verify hash a file outside the folder."""
    from rmwork.report.provenance import sha256_file

    target = Path("/etc/hostname") if Path("/etc/hostname").is_file() else Path(__file__)
    rel = "../" * len(copy.resolve().parts) + str(target).lstrip("/")
    rewrite_manifest(copy, lambda m: {**m, "outputs": {**m["outputs"], rel: sha256_file(target)}})
    found = problems(copy)
    assert any(f"'{rel}'" in p and "outside the report folder" in p for p in found), found
    assert verify_cli(copy).returncode == 2


def test_verify_refuses_a_symlinked_output(copy, tmp_path):
    """A listed output replaced by a link to a file of the same content is still refused."""
    outside = tmp_path / "results.json"
    shutil.copy(copy / "results.json", outside)
    (copy / "results.json").unlink()
    os.symlink(outside, copy / "results.json")
    found = problems(copy)
    assert any(str(copy / "results.json") in p and "symbolic link" in p for p in found), found


def test_verify_refuses_a_symlinked_folder_in_the_report(copy, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", copy / "figures")
    found = problems(copy)
    assert any(str(copy / "figures") in p and "symbolic link" in p for p in found), found


def test_verify_reports_a_fake_newer_history_entry_without_manifest(copy):
    """A folder in history/ without a manifest (a fake "newer" version) was ignored."""
    fake = copy / "history" / "29991231T235959.000000Z"
    shutil.copytree(next(p for p in (copy / "history").iterdir()), fake)
    (fake / "manifest.json").unlink()
    found = problems(copy)
    assert len(found) == 1 and str(fake) in found[0] and "without manifest.json" in found[0], found


def test_verify_reports_a_fake_newer_history_entry_with_a_copied_manifest(copy):
    fake = copy / "history" / "29991231T235959.000000Z"
    shutil.copytree(next(p for p in (copy / "history").iterdir()), fake)
    found = problems(copy)
    assert any("history chain broken" in p for p in found), found


def test_verify_cross_checks_table_p2_with_the_manifest(copy):
    """report.html (Table P2) shows the hashes the kernel read; a manifest edited to other input
    hashes, or a report.html whose P2 was edited (and re-hashed), no longer passes."""
    from rmwork.report.provenance import sha256_file

    page = copy / "report.html"
    text = page.read_text(encoding="utf-8")
    import json

    m = json.loads((copy / "manifest.json").read_text())
    real = m["inputs"]["homogeneity.data"]["sha256"]
    assert text.count(real) == 1  # the premise: P2 shows it once
    page.write_text(text.replace(real, "0" * 64), encoding="utf-8")
    rewrite_manifest(copy, lambda m: {**m, "outputs": {**m["outputs"], "report.html": sha256_file(page)}})
    found = problems(copy)
    assert len(found) == 1 and "Table P2" in found[0] and "'homogeneity.data'" in found[0], found
    assert "000000000000…" in found[0] and real[:12] in found[0]


def test_verify_reports_report_html_without_table_p2(copy):
    from rmwork.report.provenance import sha256_file

    page = copy / "report.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace("Table P2 — Input files", "Table P9"), encoding="utf-8"
    )
    rewrite_manifest(copy, lambda m: {**m, "outputs": {**m["outputs"], "report.html": sha256_file(page)}})
    found = problems(copy)
    assert len(found) == 1 and "has no Table P2" in found[0], found


@pytest.mark.parametrize(
    "content, says",
    [
        ("[]", "a JSON object is expected, found list"),
        ('{"outputs": []}', "'outputs' must map each file to its SHA-256, found list"),
        ('{"lot": "V-1"}', "'outputs' must map each file to its SHA-256, found NoneType"),
        ('{"outputs": {"report.html": 3}}', "'outputs' entry 'report.html' is not a SHA-256"),
        ('{"outputs": {}, "previous_manifest_sha256": []}', "'previous_manifest_sha256' is not a SHA-256"),
        ("{not json", "unreadable"),
    ],
)
def test_verify_malformed_manifest_is_one_line_not_attribute_error(copy, content, says):
    (copy / "manifest.json").write_text(content)
    r = verify_cli(copy)
    assert r.returncode == 2, r.stderr
    first = r.stderr.splitlines()[0]
    assert first.startswith("rmwork: ") and str(copy / "manifest.json") in first and says in first, r.stderr


def test_verify_malformed_manifest_in_history_is_one_line(copy):
    version = next((copy / "history").iterdir())
    (version / "manifest.json").write_text('{"outputs": []}')
    r = verify_cli(copy)
    assert r.returncode == 2
    assert any(
        str(version / "manifest.json") in line and "malformed" in line for line in r.stderr.splitlines()
    )
