"""The runner's folders, swap and failure messages (issue 16, runner side), case by case.

Most cases are reproduced on the runner's own functions with the fault injected (a signal at
the swap, a hard link across file systems, a full disk), since they cannot be provoked reliably
in a whole run; the ones that can (SIGTERM during a run, two files naming one lot, a stale
kernelspec, a 140,000-character material name) run the CLI as a user does.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli import make_lot

from rmwork.run import cli, runner
from rmwork.run.errors import NotebookError, RunError

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "rmwork"
CMD = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "rmwork.cli"]


def report(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(text, encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# folder names: no lot's glob matches another's


def test_recovery_of_lot_LOT_never_touches_the_working_folder_of_lot_LOT_A(tmp_path):
    """Issue 16: recovery of LOT globbed .tmp-LOT-*, which matched running LOT-A's folder."""
    theirs = report(tmp_path / ".tmp+LOT-A+1a2b3c4d", "LOT-A at work")
    mine = report(tmp_path / ".tmp+LOT+5e6f7a8b", "LOT's stale working folder")
    runner._recover(tmp_path, "LOT")
    assert theirs.is_dir() and not mine.exists()
    runner._recover(tmp_path, "LOT-A")
    assert not theirs.exists()


def test_working_lock_and_failure_names_cannot_be_a_lot_name():
    """'+' is outside the lot-name alphabet [A-Za-z0-9._-], so the prefix of one lot's folders
    is never the prefix of another lot's."""
    from rmwork.params import LOT_RE

    assert LOT_RE.match("LOT-A") and not LOT_RE.match("LOT+A")


def test_a_killed_swap_is_recovered_at_the_next_start(tmp_path):
    """kill -9 between the two renames of the fall-back swap: the previous report waits as
    .old+LOT; the next run of the lot puts it back before anything else."""
    report(tmp_path / ".old+LOT", "previous")
    runner._recover(tmp_path, "LOT")
    assert (tmp_path / "LOT" / "report.html").read_text(encoding="utf-8") == "previous"
    assert not (tmp_path / ".old+LOT").exists()


# ---------------------------------------------------------------------------------------------
# the swap: atomic, and the message true


def test_swap_exchanges_the_report_in_one_step(tmp_path):
    report(tmp_path / "LOT", "old")
    work = report(tmp_path / ".tmp+LOT+00000000", "new")
    assert runner._swap(tmp_path, "LOT", work) is None
    assert (tmp_path / "LOT" / "report.html").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LOT"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_the_swap_waits_for_it_and_is_reported_truly(tmp_path, monkeypatch, sig):
    """Issue 16: SIGINT at the rename printed "the previous report is unchanged" while the new one
    was already in place.  Now the signal waits for the swap, and the run says what happened."""
    report(tmp_path / "LOT", "old")
    work = report(tmp_path / ".tmp+LOT+00000000", "new")
    real = runner._exchange

    def exchange_with_a_signal(a, b):
        os.kill(os.getpid(), sig)  # delivered in the middle of the swap
        return real(a, b)

    monkeypatch.setattr(runner, "_exchange", exchange_with_a_signal)
    assert runner._swap(tmp_path, "LOT", work) == sig.name
    assert (tmp_path / "LOT" / "report.html").read_text(encoding="utf-8") == "new"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_sigterm_during_a_run_leaves_a_failure_record_and_the_report_unchanged(tmp_path):
    """Issue 16: SIGTERM left no failure record."""
    p = make_lot(tmp_path / "lot", name="TERM")
    out = tmp_path / "reports"
    proc = subprocess.Popen(
        [*CMD, "run", str(p), "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(out.glob(".tmp+TERM+*/kernel-stderr.log")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == [
        "rmwork: terminated; the previous report is unchanged (the partial run is kept under .failed/)"
    ]
    assert not (out / "TERM").exists() and not list(out.glob(".tmp+TERM+*"))
    records = list((out / ".failed").glob("TERM+*/error.txt"))
    assert len(records) == 1 and records[0].read_text(encoding="utf-8").startswith("Terminated")


# ---------------------------------------------------------------------------------------------
# failure records pruned


def test_failure_records_keep_the_last_few_per_lot_and_leave_other_lots_alone(tmp_path):
    other = report(tmp_path / ".failed" / "LOT-A+20260101T000000Z+0000", "LOT-A's failure")
    for i in range(runner.KEEP_FAILED + 3):
        runner._keep_failure(
            tmp_path, "LOT", report(tmp_path / f".tmp+LOT+{i:08d}", str(i)), RuntimeError(f"failure {i}")
        )
        time.sleep(0.01)
    kept = sorted(p for p in (tmp_path / ".failed").iterdir() if p.name.startswith("LOT+"))
    assert len(kept) == runner.KEEP_FAILED
    texts = sorted((k / "error.txt").read_text(encoding="utf-8") for k in kept)
    assert texts == sorted(f"RuntimeError: failure {i}\n" for i in range(3, runner.KEEP_FAILED + 3))
    assert other.is_dir()


# ---------------------------------------------------------------------------------------------
# file-system faults: one line with the cause


def test_history_on_another_file_system_is_copied_when_hard_links_fail(tmp_path, monkeypatch):
    """Issue 16: the history uses hard links; across file systems os.link fails with EXDEV."""
    final = report(tmp_path / "LOT", "previous")
    (final / "manifest.json").write_text(json.dumps({"started_utc": "2026-01-01T00:00:00Z"}))
    work = report(tmp_path / ".tmp+LOT+00000000", "new")

    def no_links(src, dst):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "link", no_links)
    runner._archive_previous(final, work)
    assert (work / "history" / "20260101T000000Z" / "report.html").read_text(encoding="utf-8") == "previous"


@pytest.mark.parametrize(
    "code, fragment",
    [
        (errno.EROFS, "Read-only file system"),
        (errno.ENOSPC, "No space left on device; free some space"),
        (errno.EACCES, "Permission denied; check the folder's permissions"),
    ],
)
def test_a_reports_folder_that_cannot_be_written_gives_one_line_with_the_cause(
    tmp_path, monkeypatch, capsys, code, fragment
):
    """Issue 16: a read-only reports folder (or a full disk) gave a traceback."""
    p = make_lot(tmp_path / "lot", name="RO")
    out = tmp_path / "reports"
    real_mkdir = Path.mkdir

    def mkdir(self, *a, **kw):
        if str(self).startswith(str(out)):
            raise OSError(code, os.strerror(code), str(self))
        return real_mkdir(self, *a, **kw)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert cli.main(["run", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(out) in err[0] and fragment in err[0], err


def test_a_full_disk_while_the_report_is_swapped_in_names_the_folder(tmp_path, monkeypatch):
    report(tmp_path / "LOT", "old")
    work = report(tmp_path / ".tmp+LOT+00000000", "new")

    def full(*a):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(runner, "_exchange", full)
    with pytest.raises(
        RunError, match=r"LOT: cannot move the new report into place: No space left on device"
    ):
        runner._swap(tmp_path, "LOT", work)
    assert (tmp_path / "LOT" / "report.html").read_text(encoding="utf-8") == "old"


# ---------------------------------------------------------------------------------------------
# kernels: missing or stale


def _kernelspec(folder: Path, python: str) -> Path:
    spec = folder / "kernels" / runner.KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "rmwork (old)",
                "language": "python",
            }
        )
    )
    return spec


def test_a_stale_rmwork_kernelspec_earlier_on_the_jupyter_path_is_refused(tmp_path, monkeypatch):
    """Issue 16: an old `ipykernel install --user --name rmwork` left a kernel that ran another
    rmwork; the run must refuse a kernel that is not the installation's own."""
    spec = _kernelspec(tmp_path, "/opt/old-venv/bin/python")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    with pytest.raises(RunError) as caught:
        runner.kernel_name()
    msg = str(caught.value)
    assert "/opt/old-venv/bin/python" in msg and str(spec) in msg and "ipykernel install" in msg


def test_a_kernel_that_imported_another_rmwork_is_refused_and_recorded_truly(tmp_path):
    from rmwork.run.kernel import kernel_info

    info = tmp_path / "kernel.json"
    info.write_text(
        json.dumps({**kernel_info(), "rmwork_path": "/opt/old/rmwork", "rmwork_version": "0.0.9"})
    )
    with pytest.raises(RunError, match=r"ran rmwork 0\.0\.9 from /opt/old/rmwork"):
        runner._check_kernel("nb.ipynb", info)
    info.write_text(json.dumps(kernel_info()))
    assert runner._check_kernel("nb.ipynb", info) == kernel_info()
    with pytest.raises(RunError, match="did not report which rmwork it ran"):
        runner._check_kernel("nb.ipynb", tmp_path / "none.json")


def test_the_manifest_records_what_the_kernel_really_imported(tmp_path):
    p = make_lot(tmp_path / "lot", name="KREC")
    r = subprocess.run(
        [*CMD, "run", str(p), "--out", str(tmp_path / "reports")], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "reports" / "KREC" / "manifest.json").read_text())
    k = m["kernel"]["certification_report.ipynb"]
    import rmwork

    assert k["rmwork_path"] == str(Path(rmwork.__file__).resolve().parent)
    assert k["python"] == os.path.realpath(sys.executable) and k["rmwork_version"] == rmwork.__version__


# ---------------------------------------------------------------------------------------------
# long strings, batch clashes, messages with their cause


def test_a_140000_character_material_name_is_refused_in_one_line_and_long_titles_stay_off_argv(tmp_path):
    """Issue 16: 'OSError: Argument list too long' (the title went on the child's argv).  The title
    now reaches the notebook child in a spec file; a material name over the schema's limit is
    refused in one line naming the key, and one at the limit runs."""
    from rmwork import params

    p = make_lot(tmp_path / "lot", name="LONG", material="M" * 140_000)
    r = subprocess.run(
        [*CMD, "run", str(p), "--out", str(tmp_path / "reports")], capture_output=True, text=True
    )
    assert "Argument list too long" not in r.stderr and "Traceback" not in r.stderr
    assert r.returncode == 2 and "key 'material'" in r.stderr and f"{params.MATERIAL_MAX}" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    p = make_lot(tmp_path / "lot2", name="LONG", material="M" * params.MATERIAL_MAX)
    r = subprocess.run(
        [*CMD, "run", str(p), "--out", str(tmp_path / "reports")], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "reports" / "LONG" / "report.html").is_file()


def test_two_parameter_files_with_the_same_lot_in_one_batch_are_refused_in_one_line(tmp_path):
    """Issue 16: they silently replaced each other's report."""
    a = make_lot(tmp_path / "a", name="SAME")
    b = make_lot(tmp_path / "b", name="SAME")
    r = subprocess.run(
        [*CMD, "batch", str(a), str(b), "--out", str(tmp_path / "reports")], capture_output=True, text=True
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(a) in lines[0] and str(b) in lines[0] and "lot 'SAME'" in lines[0]
    assert not (tmp_path / "reports").exists()


def test_an_internal_cell_failure_names_the_exception_and_the_cell():
    err = {
        "ename": "ParseFatalException",
        "evalue": "Traceback...\nExpected end of text, found '$'",
        "exec_count": 3,
        "cell": 4,
        "source": "hom = wb.homogeneity()\nrmwork.report.homogeneity.show(hom)",
    }
    exc = runner._cell_error("certification_report.ipynb", err, Path("/nonexistent"))
    assert isinstance(exc, NotebookError)
    assert str(exc) == (
        "certification_report.ipynb, cell 3 (hom = wb.homogeneity() rmwork.report.homogeneity"
        ".show(hom)): ParseFatalException: Expected end of text, found '$'"
    )


def test_a_notebook_process_that_dies_names_the_exception_in_its_log_not_the_last_line(tmp_path):
    log = tmp_path / "kernel-stderr.log"
    log.write_text(
        'Traceback (most recent call last):\n  File "x.py", line 1\n'
        "nbclient.exceptions.DeadKernelError: Kernel died\n-------------------\n"
    )
    assert runner._cause(log) == "nbclient.exceptions.DeadKernelError: Kernel died"


def test_validate_prints_every_problem_of_the_parameter_file(tmp_path, capsys):
    """Issue 16: validate stopped at the first problem; each is now a line of its own."""
    p = tmp_path / "L.yaml"
    p.write_text(
        "lot: L-1\nmaterial: m\nseed: 1\nhomogeneity: {data: h.csv, alpah: 0.05}\n"
        "certificate: {coverage: '0.95'}\n",
        encoding="utf-8",
    )
    assert cli.main(["validate", str(p)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert any("key 'homogeneity.alpah'" in line and "alpha" in line for line in lines), lines
    assert any("key 'certificate.coverage'" in line for line in lines), lines
    assert all(line.startswith("rmwork: ") for line in lines) and len(lines) >= 2


def test_a_missing_kernel_is_refused_in_one_line_with_the_remedy(monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    def none(self, name):
        raise NoSuchKernel(name)

    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", none)
    with pytest.raises(
        RunError, match=r"no Jupyter kernel .* neither 'rmwork' nor 'python3' .*ipykernel install"
    ):
        runner.kernel_name()


def test_a_missing_kernel_named_in_the_notebook_process_log_is_its_cause(tmp_path):
    log = tmp_path / "kernel-stderr.log"
    log.write_text(
        'Traceback (most recent call last):\n  File "x.py", line 1\n'
        "jupyter_client.kernelspec.NoSuchKernel: No such kernel named rmwork\nlast words\n"
    )
    assert runner._cause(log) == "jupyter_client.kernelspec.NoSuchKernel: No such kernel named rmwork"


def test_a_command_module_in_rmwork_run_commands_is_found_and_runs(tmp_path, monkeypatch, capsys):
    """How other parts add `rmwork new`, `keys`, `sign` ...: a module in rmwork.run.commands."""
    import importlib

    from rmwork.run import commands

    mod = tmp_path / "hello_cmd.py"
    mod.write_text(
        "from rmwork.run.cli import command\n"
        "@command('hello', 'say hello', lambda p: p.add_argument('name'))\n"
        "def cmd_hello(args):\n    print(f'hello {args.name}')\n    return 0\n"
    )
    monkeypatch.setattr(commands, "__path__", [*commands.__path__, str(tmp_path)])
    monkeypatch.setattr(cli, "COMMANDS", dict(cli.COMMANDS))
    assert cli.main(["hello", "world"]) == 0
    assert capsys.readouterr().out == "hello world\n"
    importlib.invalidate_caches()


def test_a_run_that_failed_on_a_full_disk_keeps_its_error_record_not_its_partial_files(tmp_path):
    """Issue 16: partial runs on a full disk were kept (holding the space the next run needs)."""
    work = report(tmp_path / ".tmp+LOT+00000000", "partial")
    (work / "big.ipynb").write_bytes(b"x" * 100_000)
    runner._keep_failure(
        tmp_path, "LOT", work, RunError(f"{work}: cannot write: {os.strerror(errno.ENOSPC)}")
    )
    (record,) = (tmp_path / ".failed").iterdir()
    assert sorted(p.name for p in record.iterdir()) == ["error.txt"] and not work.exists()


def test_a_signal_while_the_notebook_process_starts_is_not_lost(tmp_path):
    """A SIGTERM that lands in the fork of the notebook process (an at-fork hook, where Python
    ignores exceptions) once let the run finish as if nothing had happened."""
    from rmwork.run.errors import Terminated

    started = []

    class Launcher:
        name = "fresh"

        def start(self, spec, log, env):
            os.kill(os.getpid(), signal.SIGTERM)  # arrives while the child is being started
            started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))
            return started[-1]

    def terminate(signum, frame):
        raise Terminated()

    old = signal.signal(signal.SIGTERM, terminate)
    try:
        p = make_lot(tmp_path / "lot", name="SIG")
        from rmwork import params

        with pytest.raises(Terminated):
            runner._execute(
                params.load(p), tmp_path, kernel="python3", env=dict(os.environ), launcher=Launcher()
            )
    finally:
        signal.signal(signal.SIGTERM, old)
    assert started and started[0].poll() is not None  # the child was stopped, not left


def test_a_relative_reports_folder_works_although_the_kernel_runs_elsewhere(tmp_path):
    """The kernel's working folder is notebooks/: every path the run layer hands it is absolute."""
    p = make_lot(tmp_path / "lot", name="REL")
    r = subprocess.run(
        [*CMD, "run", "lot/REL.yaml", "--out", "reports"], capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "reports" / "REL" / "manifest.json").is_file() and p.is_file()
