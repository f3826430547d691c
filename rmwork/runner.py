"""Running a lot: validate, execute the notebook with papermill, render, sign, swap into place.

A run never leaves a half-written report: the new report is built in a temporary folder beside
the lot's folder and moved into place only when complete; the previous report moves (as hard
links) into ``history/<UTC time>/``.  A failed or interrupted run leaves the previous report as
it was and a failure record (with the partially executed notebook) under ``.failed/``.  Two
runs of one lot at once are refused by a lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import params, workbook
from .errors import InputError, LockError
from .report import provenance
from ._papermill_child import die_with_parent, fork_server, kernel_start_file
from .runner_errors import NotebookError

NOTEBOOKS = ("certification_report.ipynb",)
KERNEL = "rmwork"


def _notebooks(lot) -> tuple[str, ...]:
    """The notebook(s) a lot's kind needs (certification, verification, proficiency)."""
    from .comparison import notebooks

    return notebooks(lot)


def notebooks_dir() -> Path:
    env = os.environ.get("RMWORK_NOTEBOOKS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "notebooks"


def kernel_name() -> str:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        if KERNEL in KernelSpecManager().find_kernel_specs():
            return KERNEL
    except Exception:  # noqa: BLE001 - fall back to the interpreter's own kernel
        pass
    return "python3"


@contextmanager
def lot_lock(out_root: Path, lot: str):
    out_root.mkdir(parents=True, exist_ok=True)
    path = out_root / f".{lot}.lock"
    fh = open(path, "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise LockError(f"{out_root / lot}: another run of lot '{lot}' is in progress; wait for it "
                        "to finish") from None
    try:
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _recover(out_root: Path, lot: str):
    """Finish or undo a swap that an earlier run was killed in the middle of."""
    final, old = out_root / lot, out_root / f".old-{lot}"
    if old.exists():
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, final)
    for stale in out_root.glob(f".tmp-{lot}-*"):
        shutil.rmtree(stale, ignore_errors=True)


@dataclass
class RunOutcome:
    lot: str
    report_dir: Path
    seconds: float
    skipped: bool = False
    reason: str = ""


def fingerprint_now(lot: params.Lot) -> dict:
    nbdir = notebooks_dir()
    from . import __version__

    return {"parameter_file": provenance.sha256_file(lot.path),
            "inputs": {k: provenance.sha256_file(v) for k, v in lot.data_files().items()},
            "notebooks": {n: provenance.sha256_file(nbdir / n) for n in _notebooks(lot)},
            "rmwork": __version__,
            "git_commit": provenance.git_commit(Path(__file__).parent)}


def changes_since_last(lot: params.Lot, report_dir: Path) -> list[str]:
    """What changed since the last report of the lot (empty: nothing, the lot may be skipped)."""
    m = report_dir / provenance.MANIFEST
    if not m.is_file():
        return ["no earlier report"]
    try:
        old = provenance.fingerprint(json.loads(m.read_text(encoding="utf-8")))
    except (ValueError, KeyError):
        return ["earlier manifest unreadable"]
    new = fingerprint_now(lot)
    out = []
    if old["parameter_file"] != new["parameter_file"]:
        out.append("parameter file")
    for k in sorted(set(old["inputs"]) | set(new["inputs"])):
        if old["inputs"].get(k) != new["inputs"].get(k):
            out.append(f"input {k}")
    if old["notebooks"] != new["notebooks"]:
        out.append("notebook")
    if old["rmwork"] != new["rmwork"] or old["git_commit"] != new["git_commit"]:
        out.append("workbook version")
    return out


def run(params_file, out: str | Path | None = None, *, reason: str | None = None,
        run_by: str | None = None, progress: bool = False, reuse: bool = False) -> RunOutcome:
    """Validate one lot, execute its notebook(s), render and sign the report, swap it in place.

    ``reuse=True`` (a batch worker, which runs many lots) forks each lot's notebook process from a
    warm fork server instead of starting a fresh interpreter; the report is the same.
    """
    t0 = time.perf_counter()
    if reuse:
        fork_server()                              # started now: its imports overlap the loading
    started = provenance.now_utc()
    params_file = Path(params_file)
    lot = params.load(params_file)
    svc = _sampling_service(lot)                   # started first: its PyMC import overlaps the rest
    data = workbook.load_data(lot)                 # every data problem surfaces before any kernel
    out_root = Path(out) if out else Path("reports")
    final = out_root / lot.params.lot
    with lot_lock(out_root, lot.params.lot):
        _recover(out_root, lot.params.lot)
        work = out_root / f".tmp-{lot.params.lot}-{uuid.uuid4().hex[:8]}"
        work.mkdir(parents=True)
        try:
            env = None
            if svc is not None:
                svc.warm(workbook.bayes_structures(lot, data))
                env = {**os.environ, **svc.env()}
            starts = _execute(lot, work, progress=progress, env=env, reuse=reuse,
                     html={_notebooks(lot)[0]: (work / "report.html", f"{lot.params.lot} — {lot.params.material}")})
            if not (work / "report.html").is_file():
                raise NotebookError(f"{_notebooks(lot)[0]}: no report.html was rendered")
            if not (work / "results.json").is_file():
                raise NotebookError(f"{_notebooks(lot)[0]}: the notebook wrote no results.json")
            prev = None
            if (final / provenance.MANIFEST).is_file():
                prev = provenance.sha256_file(final / provenance.MANIFEST)
                _archive_previous(final, work)
            manifest = provenance.build_manifest(
                lot=lot.params.lot, report_dir=work, inputs=lot.data_files(), parameter_file=lot.path,
                notebooks={n: notebooks_dir() / n for n in _notebooks(lot)}, seed=lot.params.seed,
                started=started, finished=provenance.now_utc(), run_by=run_by, reason=reason,
                previous=prev, environment=_environment(), kernel_start=starts)
            provenance.write_manifest(work, manifest)
            _swap(out_root, lot.params.lot, work)
        except BaseException as exc:
            _keep_failure(out_root, lot.params.lot, work, exc)
            raise
    return RunOutcome(lot=lot.params.lot, report_dir=final, seconds=time.perf_counter() - t0)


def _environment() -> dict:
    return {k: os.environ.get(k) for k in ("PYTENSOR_FLAGS", "OMP_NUM_THREADS", "RMWORK_NOTEBOOKS")
            if os.environ.get(k) is not None}


def _sampling_service(lot: params.Lot):
    """This process's sampling service (:mod:`rmwork.bayes.service`) if the lot fits Bayesian models.

    It compiles the lot's model structures while papermill starts the kernel; a batch worker keeps
    it for all its lots.  ``RMWORK_BAYES_SERVICE_OFF=1`` fits in the kernel instead (same numbers).
    """
    if os.environ.get("RMWORK_BAYES_SERVICE_OFF") == "1" or not workbook.uses_bayes(lot):
        return None
    from .bayes import service

    return service.ensure()


class _Forked:
    """A lot's notebook process forked from the fork server, with Popen's wait()."""

    def __init__(self, ctx, argv: list[str], log: Path, env: dict):
        from . import _papermill_child

        self.proc = ctx.Process(target=_papermill_child.forked, args=(argv, str(log), env),
                                name="rmwork-notebook")
        self.proc.start()
        self.pid = self.proc.pid

    def wait(self, timeout: float | None = None) -> int:
        import subprocess

        self.proc.join(timeout)
        if self.proc.exitcode is None:
            raise subprocess.TimeoutExpired("rmwork-notebook", timeout)
        return self.proc.exitcode


def _execute(lot: params.Lot, work: Path, *, progress: bool, env: dict | None = None,
             html: dict | None = None, reuse: bool = False) -> dict[str, str]:
    """Execute each notebook with papermill in a child process group (stopped whole on Ctrl-C);
    ``html`` maps a notebook name to the (path, title) of the HTML report the child renders.
    With ``reuse`` the child is forked from the warm fork server (:func:`fork_server`).
    Returns how each notebook's kernel started: "fresh" (a new interpreter) or "forked" (warm)."""
    import subprocess
    import sys

    ctx = fork_server() if reuse else None
    out = {}
    nbdir = notebooks_dir()
    for name in _notebooks(lot):
        target = work / name
        errfile = work / f".{name}.error.json"
        params_json = json.dumps({"lot_file": str(lot.path), "output_dir": str(work.resolve())})
        argv = [str(nbdir / name), str(target), params_json, kernel_name(), str(nbdir), str(errfile),
                *map(str, (html or {}).get(name, ("", "")))]
        with open(work / "kernel-stderr.log", "ab") as log:
            if ctx is not None:
                child = _Forked(ctx, argv, work / "kernel-stderr.log", dict(env or os.environ))
            else:
                child = subprocess.Popen([sys.executable, "-m", "rmwork._papermill_child", *argv],
                                         stdout=log, stderr=log, start_new_session=True, env=env,
                                         preexec_fn=die_with_parent)
            try:
                rc = child.wait()
            except BaseException:
                # Ctrl-C or a kill of the batch: stop papermill and its kernel, then go on unwinding
                _stop(child)
                raise
        if rc == 3 and errfile.is_file():
            err = json.loads(errfile.read_text(encoding="utf-8"))
            errfile.unlink()
            line = (err.get("evalue") or "").strip().splitlines()
            msg = line[-1] if line else err.get("ename")
            if err.get("stage") == "render":
                raise NotebookError(f"{name}: rendering the HTML report failed: {err.get('ename')}: {msg}")
            if err.get("ename") == "InputError":
                raise InputError(msg)
            raise NotebookError(f"{name}, cell {err.get('exec_count')}: {err.get('ename')}: {msg}")
        if rc != 0:
            tail = (work / "kernel-stderr.log").read_text(errors="replace").strip().splitlines()[-1:]
            raise NotebookError(f"{name}: papermill stopped with status {rc}"
                                + (f" ({tail[0][:200]})" if tail else ""))
        (work / "kernel-stderr.log").unlink(missing_ok=True)
        note = kernel_start_file(target)
        out[name] = note.read_text(encoding="utf-8") if note.is_file() else "fresh"
        note.unlink(missing_ok=True)
    return out


def _stop(child) -> None:
    """SIGTERM to the notebook child's process group, SIGKILL if it is still there after 10 s.
    A child stopped right after its fork may not lead its own session yet: then it alone."""
    import signal
    import subprocess

    for sig, timeout in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            try:
                os.kill(child.pid, sig)
            except ProcessLookupError:
                return
        try:
            child.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def _archive_previous(final: Path, work: Path):
    """Hard-link the current report and its history into the new folder's history/."""
    hist = work / "history"
    hist.mkdir(exist_ok=True)
    old_hist = final / "history"
    if old_hist.is_dir():
        for entry in old_hist.iterdir():
            shutil.copytree(entry, hist / entry.name, copy_function=os.link)
    try:
        stamp = json.loads((final / provenance.MANIFEST).read_text(encoding="utf-8"))["started_utc"]
    except (OSError, ValueError, KeyError):
        stamp = provenance.now_utc()
    stamp = stamp.replace(":", "").replace("-", "")
    dest = hist / stamp
    shutil.copytree(final, dest, copy_function=os.link, ignore=shutil.ignore_patterns("history"))


def _swap(out_root: Path, lot: str, work: Path):
    final, old = out_root / lot, out_root / f".old-{lot}"
    if final.exists():
        os.rename(final, old)
    os.rename(work, final)
    shutil.rmtree(old, ignore_errors=True)


def _keep_failure(out_root: Path, lot: str, work: Path, exc: BaseException):
    """Move the partial run to .failed/<lot>-<time>/ with an error record; never into the report."""
    if not work.exists():
        return
    failed = out_root / ".failed" / f"{lot}-{provenance.now_utc().replace(':', '')}"
    failed.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(work, failed)
        (failed / "error.txt").write_text(f"{exc.__class__.__name__}: {exc}\n", encoding="utf-8")
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
