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
    r = subprocess.run([str(EXE), "run", str(lot), "--out", str(d / "reports")], capture_output=True, text=True)
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
    p = subprocess.Popen([str(EXE), "run", str(lot), "--out", str(out)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
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
    assert started                                            # the lot's sampling service
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=60)
    deadline = time.time() + 20
    while time.time() < deadline and started & service_pids():
        time.sleep(0.2)
    assert not started & service_pids()                      # it ended with the killed run
    assert files(out / "I-1") == before
    assert list(out.glob(".tmp+I-1+*"))                      # the half-made report, outside the folder
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

