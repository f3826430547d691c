"""Running a lot: validate, execute the notebook with papermill in a child, render, manifest, swap.

:func:`run` reads top to bottom as those five steps.  A run never leaves a half-written report:
the new report is built in a working folder beside the lot's folder and swapped in (one atomic
``renameat2(RENAME_EXCHANGE)`` where the file system has it) only when every output the notebook
reported writing exists and is hashed; the previous report moves into ``history/<UTC time>/``
(hard links, or copies where the file system has none).  A failed, interrupted or terminated run
leaves the previous report as it was and a failure record (with the partially executed notebook)
under ``.failed/``; the last :data:`KEEP_FAILED` records of each lot are kept.  Two runs of one
lot at once are refused by a lock.

Two plug-ins change how, never what: the launcher of the notebook's process
(:class:`PlainLauncher`, a fresh interpreter; :class:`rmwork.run.warm.WarmLauncher`, forked from
a batch worker's warm fork server) and the sampling service (:mod:`rmwork.run.service`) that
compiles the lot's Bayesian structures while the kernel starts.  Both give the same bytes.

Names beside the lot's folder use ``+``, which a lot name cannot contain, so that no lot's
working, lock, swap or failure folder can be taken for another's (lot ``LOT`` and ``LOT-A``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import comparison, params, workbook
from ..errors import InputError, LockError, RmworkError
from ..report import provenance
from .child import EXIT_CELL_ERROR, die_with_parent
from .errors import Interrupted, NotebookError, RunError, Terminated
from .kernel import ENV_ERROR_FILE, ENV_KERNEL_INFO, kernel_info
from .kernel import SPEC as KERNEL_PLUGIN

NOTEBOOKS = ("certification_report.ipynb",)


def _notebooks(lot) -> tuple[str, ...]:
    """The notebook(s) a lot's kind needs (certification, verification, proficiency)."""
    from ..comparison import notebooks

    return notebooks(lot)


KERNEL = "rmwork"
KEEP_FAILED = 5  # failure records kept per lot under .failed/


@dataclass
class RunOutcome:
    lot: str
    report_dir: Path
    seconds: float
    skipped: bool = False
    reason: str = ""


def run(
    params_file,
    out: str | Path | None = None,
    *,
    reason: str | None = None,
    run_by: str | None = None,
    progress: bool = False,
    reuse: bool = False,
) -> RunOutcome:
    """Validate one lot, execute its notebook(s), render the report, write its manifest, swap it in.

    ``reuse=True`` (a batch worker, which runs many lots) forks each lot's notebook process from a
    warm fork server instead of starting a fresh interpreter; the report is the same.
    """
    t0 = time.perf_counter()
    launcher = _launcher(reuse)
    started = provenance.now_utc()
    lot = params.load(Path(params_file))  # 1. validate: every problem before any kernel
    svc = _sampling_service(lot)  # its PyMC import overlaps the data's reading
    data = comparison.load_lot_data(lot)
    kernel = kernel_name()
    out_root = Path(out) if out else Path("reports")
    name = lot.params.lot
    swapped_in, arrived = False, None
    try:
        with lot_lock(out_root, name):
            _recover(out_root, name)
            work = _working_folder(out_root, name)
            try:
                data.save(work)  # the kernel certifies this snapshot, not a re-read
                env = dict(os.environ)
                if svc is not None:
                    svc.warm(workbook.bayes_structures(lot, data))
                    env.update(svc.env())
                starts, kernels = _execute(lot, work, kernel=kernel, env=env, launcher=launcher)  # 2, 3
                (work / workbook.SNAPSHOT).unlink(missing_ok=True)
                _check_outputs(work)
                prev = None
                if (out_root / name / provenance.MANIFEST).is_file():
                    prev = provenance.sha256_file(out_root / name / provenance.MANIFEST)
                    _archive_previous(out_root / name, work)
                manifest = provenance.build_manifest(  # 4. manifest
                    lot=name,
                    report_dir=work,
                    inputs=lot.data_files(),
                    parameter_file=lot.path,
                    notebooks={n: notebooks_dir() / n for n in _notebooks(lot)},
                    seed=lot.params.seed,
                    started=started,
                    finished=provenance.now_utc(),
                    run_by=run_by,
                    reason=reason,
                    previous=prev,
                    environment=_environment(),
                    kernel_start=starts,
                )
                manifest["kernel"] = kernels
                # the hashes of the bytes parsed and certified, not of the files as they are now
                manifest["parameter_file"]["sha256"] = data.parameter_sha256
                manifest["inputs"] = data.manifest_inputs()
                if prev is not None:  # anchors the superseded version's signatures (rmwork.signing)
                    manifest["previous_signatures_sha256"] = _signatures_sha256(out_root / name)
                provenance.write_manifest(work, manifest)
                arrived = _swap(out_root, name, work)  # 5. swap
                swapped_in = True
            except BaseException as exc:
                if not swapped_in:
                    _keep_failure(out_root, name, work, exc)
                raise
    except KeyboardInterrupt as exc:  # SIGINT/SIGTERM in the last instants of the run
        if not swapped_in:
            raise
        arrived = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
    if arrived is not None:  # the message says what happened: swapped in whole
        raise Interrupted(f"{out_root / name}: {arrived}; the new report was swapped in whole")
    return RunOutcome(lot=name, report_dir=out_root / name, seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# 2-3. the notebook's process: papermill, then nbconvert (rmwork.run.child)


class PlainLauncher:
    """``python -m rmwork.run.child SPEC``: a fresh interpreter in its own session."""

    name = "fresh"

    def start(self, spec: dict, log: Path, env: dict):
        spec_file = Path(spec["errfile"]).with_suffix(".spec.json")
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        with open(log, "ab") as fh:
            return subprocess.Popen(
                [sys.executable, "-m", "rmwork.run.child", str(spec_file)],
                stdout=fh,
                stderr=fh,
                start_new_session=True,
                env=env,
                preexec_fn=die_with_parent,
            )

    @staticmethod
    def kernel_start(dst: Path) -> str:
        return "fresh"


def _lot_file(lot: params.Lot, work: Path) -> Path:
    """What the kernel opens: the runner's snapshot of the lot as read (so what is certified is
    exactly what was hashed), or the parameter file when there is none."""
    snap = work / workbook.SNAPSHOT
    return (snap if snap.is_file() else lot.path).resolve()


def _launcher(reuse: bool):
    """The warm plug-in for a process that runs many lots (where it can have a fork server),
    else the plain path."""
    if reuse:
        from .warm import WarmLauncher

        warm = WarmLauncher()
        if warm.ctx is not None:
            return warm
    return PlainLauncher()


def _execute(lot: params.Lot, work: Path, *, kernel: str, env: dict, launcher) -> tuple[dict, dict]:
    """Execute each notebook in a child process group (stopped whole on Ctrl-C) and render its
    HTML report.  Returns how each kernel started ("fresh" or "forked") and what it imported."""
    starts, kernels = {}, {}
    nbdir = notebooks_dir()
    work = work.resolve()  # the kernel runs in the notebooks folder: absolute paths only
    log = work / "kernel-stderr.log"
    for name in _notebooks(lot):
        errfile, pickled, info = (
            work / f".{name}.error.json",
            work / f".{name}.error.pickle",
            work / f".{name}.kernel.json",
        )
        spec = {
            "src": str(nbdir / name),
            "dst": str(work / name),
            "kernel": kernel,
            "cwd": str(nbdir),
            "parameters": {"lot_file": str(_lot_file(lot, work)), "output_dir": str(work)},
            "errfile": str(errfile),
            "html": str(work / "report.html") if name == _notebooks(lot)[0] else "",
            "title": f"{lot.params.lot} — {lot.params.material}",
        }
        child_env = {
            **env,
            workbook.PLUGIN_ENV: KERNEL_PLUGIN,
            ENV_ERROR_FILE: str(pickled),
            ENV_KERNEL_INFO: str(info),
        }
        # a signal during the fork would be raised inside an at-fork hook and lost there
        with _signals_held() as arrived:
            child = launcher.start(spec, log, child_env)
        try:
            if arrived:
                _deliver(arrived[0])
            rc = child.wait()
        except BaseException:
            _stop(child)  # Ctrl-C or a kill of the batch: stop papermill and its kernel
            raise
        if rc == EXIT_CELL_ERROR and errfile.is_file():
            raise _cell_error(name, json.loads(errfile.read_text(encoding="utf-8")), pickled)
        if rc != 0:
            raise NotebookError(f"{name}: the notebook process stopped with status {rc}: {_cause(log)}")
        kernels[name] = _check_kernel(name, info)
        starts[name] = launcher.kernel_start(work / name)
        for f in (errfile, pickled, info, errfile.with_suffix(".spec.json"), log):
            f.unlink(missing_ok=True)
    return starts, kernels


def _cell_error(name: str, err: dict, pickled: Path) -> RmworkError:
    """The error of a failed cell: the kernel's InputError whole (pickled by
    :mod:`rmwork.run.kernel`, with its file/row/column/key/hint), else the exception and the cell."""
    if err.get("stage") == "render":
        return NotebookError(
            f"{name}: rendering the HTML report failed: {err.get('ename')}: {_last_line(err.get('evalue'))}"
        )
    if pickled.is_file():
        try:
            exc = pickle.loads(pickled.read_bytes())
        except Exception:  # noqa: BLE001 - a record we cannot read: fall back to the text
            exc = None
        if isinstance(exc, InputError):
            return exc
    if err.get("ename") == "InputError":
        return InputError(_last_line(err.get("evalue")))
    source = " ".join((err.get("source") or "").split())[:120]
    return NotebookError(
        f"{name}, cell {err.get('exec_count')} ({source}): {err.get('ename')}: "
        f"{_last_line(err.get('evalue'))}"
    )


def _last_line(text) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


_EXCEPTION_LINE = re.compile(
    r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Kernel)\b(?::|$)"
)


def _cause(log: Path) -> str:
    """The cause of a notebook process that ended without a cell error: the last exception in
    its log (not merely the log's last line), or what the log ends with."""
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line.strip()):
            return line.strip()[:300]
    return lines[-1].strip()[:300] if lines else "no output"


def _check_kernel(name: str, info: Path) -> dict:
    """What the kernel imported, refused unless it is this installation's own (issue 16: an old
    ``rmwork`` kernelspec earlier on JUPYTER_PATH ran other code and the manifest said otherwise)."""
    mine = kernel_info()
    try:
        seen = json.loads(info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise RunError(
            f"{name}: the kernel did not report which rmwork it ran (an old rmwork kernel?); "
            f"reinstall the kernel: {sys.executable} -m ipykernel install --sys-prefix "
            f"--name {KERNEL}"
        ) from None
    if (seen.get("rmwork_path"), seen.get("rmwork_version")) != (mine["rmwork_path"], mine["rmwork_version"]):
        raise RunError(
            f"{name}: the kernel ran rmwork {seen.get('rmwork_version')} from "
            f"{seen.get('rmwork_path')} with {seen.get('python')}, not this installation's "
            f"{mine['rmwork_version']} from {mine['rmwork_path']}; remove the stale kernelspec "
            f"or reinstall it: {sys.executable} -m ipykernel install --sys-prefix --name {KERNEL}"
        )
    return seen


def _check_outputs(work: Path) -> None:
    """Every file the notebook reported writing (``workbook.OUTPUTS_LEDGER``) and the HTML report
    must exist before the report may be swapped in (issue 16: a certificate deleted mid-run)."""
    ledger = work / workbook.OUTPUTS_LEDGER
    noted = ledger.read_text(encoding="utf-8").split() if ledger.is_file() else []
    ledger.unlink(missing_ok=True)
    for name in dict.fromkeys(["report.html", "results.json", *noted]):
        if not (work / name).is_file():
            raise NotebookError(
                f"{name} was reported written but is missing from the "
                f"working folder {work}; the report was not swapped in"
            )


def _stop(child) -> None:
    """SIGTERM to the notebook child's process group, SIGKILL if it is still there after 10 s.
    A child stopped right after its fork may not lead its own session yet: then it alone."""
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


def notebooks_dir() -> Path:
    env = os.environ.get("RMWORK_NOTEBOOKS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "notebooks"


def kernel_name() -> str:
    """The ``rmwork`` kernel if installed (refused unless it runs this interpreter), else the
    interpreter's own ``python3`` kernel; none of them: refused in one line with the remedy."""
    install = f"{sys.executable} -m ipykernel install --sys-prefix --name {KERNEL}"
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        ksm = KernelSpecManager()
        try:
            spec = ksm.get_kernel_spec(KERNEL)
        except NoSuchKernel:
            try:
                ksm.get_kernel_spec("python3")
            except NoSuchKernel:
                raise RunError(
                    f"no Jupyter kernel to run the notebook: neither '{KERNEL}' nor 'python3' "
                    f"is installed; install it: {install}"
                ) from None
            return "python3"
    except RunError:
        raise
    except Exception as exc:  # noqa: BLE001 - one line with the cause
        raise RunError(f"cannot read the Jupyter kernel specs ({type(exc).__name__}: {exc})") from None
    exe = spec.argv[0] if spec.argv else ""
    if exe not in ("python", "python3") and os.path.realpath(exe) != os.path.realpath(sys.executable):
        raise RunError(
            f"the Jupyter kernel '{KERNEL}' ({spec.resource_dir}) runs {exe}, not this "
            f"installation's {sys.executable}; remove it or reinstall it: {install}"
        )
    return KERNEL


def _signatures_sha256(final: Path) -> str | None:
    """SHA-256 of the current report's signatures.jsonl, which a rerun moves into history/ with it."""
    f = final / "signatures.jsonl"
    return provenance.sha256_file(f) if f.is_file() else None


def _environment() -> dict:
    return {
        k: os.environ.get(k)
        for k in ("PYTENSOR_FLAGS", "OMP_NUM_THREADS", "RMWORK_NOTEBOOKS")
        if os.environ.get(k) is not None
    }


def _sampling_service(lot: params.Lot):
    """The sampling service (:mod:`rmwork.run.service`) if the lot fits Bayesian models: a batch's
    shared one, else this process's own.  It compiles the lot's model structures while papermill
    starts the kernel.  ``RMWORK_BAYES_SERVICE_OFF=1`` fits in the kernel instead (same numbers)."""
    if os.environ.get("RMWORK_BAYES_SERVICE_OFF") == "1" or not workbook.uses_bayes(lot):
        return None
    from . import service

    return service.ensure()


# ---------------------------------------------------------------------------------------------
# the lot's folders: lock, working folder, swap, history, failure records


def _working_folder(out_root: Path, lot: str) -> Path:
    work = out_root / f".tmp+{lot}+{uuid.uuid4().hex[:8]}"
    _fs(lambda: work.mkdir(parents=True), work, "cannot create the working folder")
    return work


def _fs(action, path: Path, what: str):
    """Run a file-system ``action``; an OSError becomes one line naming the path and the cause
    (read-only folder, full disk, ...)."""
    try:
        return action()
    except OSError as exc:
        raise RunError(
            f"{path}: {what}: {os.strerror(exc.errno) if exc.errno else exc}"
            + ("; free some space" if exc.errno == errno.ENOSPC else "")
            + (
                "; check the folder's permissions or use --out"
                if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM)
                else ""
            )
        ) from None


@contextmanager
def lot_lock(out_root: Path, lot: str):
    _fs(lambda: out_root.mkdir(parents=True, exist_ok=True), out_root, "cannot create the reports folder")
    path = out_root / f".lock+{lot}"
    fh = _fs(lambda: open(path, "w"), path, "cannot create the lot's lock")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise LockError(
            f"{out_root / lot}: another run of lot '{lot}' is in progress; wait for it to finish"
        ) from None
    try:
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _own(out_root: Path, prefix: str, lot: str) -> list[Path]:
    """Entries ``<prefix>+<lot>`` or ``<prefix>+<lot>+...`` of ``out_root``: this lot's alone."""
    head = f"{prefix}+{lot}"
    try:
        return [p for p in out_root.iterdir() if p.name == head or p.name.startswith(head + "+")]
    except FileNotFoundError:
        return []


def _recover(out_root: Path, lot: str):
    """Finish or undo a swap that an earlier run was killed in the middle of (under the lock)."""
    final = out_root / lot
    for old in _own(out_root, ".old", lot):
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, final)
    for stale in _own(out_root, ".tmp", lot):
        shutil.rmtree(stale, ignore_errors=True)


def _link_or_copy(src, dst):
    """Hard link; a copy where the history is on another file system or links are not allowed."""
    try:
        os.link(src, dst)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
        shutil.copy2(src, dst)


def _archive_previous(final: Path, work: Path):
    """Hard-link (or copy) the current report and its history into the new folder's history/."""

    def archive():
        hist = work / "history"
        hist.mkdir(exist_ok=True)
        old_hist = final / "history"
        if old_hist.is_dir():
            for entry in old_hist.iterdir():
                shutil.copytree(entry, hist / entry.name, copy_function=_link_or_copy)
        try:
            stamp = json.loads((final / provenance.MANIFEST).read_text(encoding="utf-8"))["started_utc"]
        except (OSError, ValueError, KeyError, TypeError):
            stamp = provenance.now_utc()
        stamp = str(stamp).replace(":", "").replace("-", "")
        shutil.copytree(
            final, hist / stamp, copy_function=_link_or_copy, ignore=shutil.ignore_patterns("history")
        )

    _fs(archive, work / "history", "cannot archive the previous report")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call (Linux ``renameat2(RENAME_EXCHANGE)``); False if the
    system or file system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


@contextmanager
def _signals_held():
    """SIGINT and SIGTERM wait until the block ends (the swap is never cut in two); yields a list
    that names the signal that arrived, if one did."""
    arrived: list[str] = []
    try:
        saved = {
            s: signal.signal(s, lambda n, f: arrived.append(signal.Signals(n).name))
            for s in (signal.SIGINT, signal.SIGTERM)
        }
    except ValueError:  # not the main thread (a Dask worker): signals are not ours here
        yield arrived
        return
    try:
        yield arrived
    finally:
        for s, h in saved.items():
            signal.signal(s, h)


def _deliver(name: str) -> None:
    """Run the handler of a signal that :func:`_signals_held` kept waiting."""
    sig = signal.Signals[name]
    handler = signal.getsignal(sig)
    if callable(handler):
        handler(sig, None)
    elif sig == signal.SIGINT and handler != signal.SIG_IGN:
        raise KeyboardInterrupt
    elif handler == signal.SIG_DFL:
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)


def _swap(out_root: Path, lot: str, work: Path) -> str | None:
    """Put ``work`` in place of the lot's report; returns the signal that arrived meanwhile."""
    final = out_root / lot
    with _signals_held() as arrived:

        def swap():
            if final.exists() and _exchange(work, final):
                shutil.rmtree(work, ignore_errors=True)  # now the previous report
                return
            old = out_root / f".old+{lot}"
            if final.exists():
                os.rename(final, old)  # a kill here: _recover restores it
            os.rename(work, final)
            shutil.rmtree(old, ignore_errors=True)

        _fs(swap, final, "cannot move the new report into place")
    return arrived[0] if arrived else None


def _keep_failure(out_root: Path, lot: str, work: Path, exc: BaseException):
    """Move the partial run to .failed/<lot>+<time>/ with an error record; never into the report.
    Only the last :data:`KEEP_FAILED` records of the lot are kept; on a full disk only the error
    record (the partial run would hold the space the next run needs)."""
    if not work.exists():
        return
    failed_root = out_root / ".failed"
    failed = failed_root / f"{lot}+{provenance.now_utc().replace(':', '')}+{uuid.uuid4().hex[:4]}"
    try:
        failed_root.mkdir(parents=True, exist_ok=True)
        if _out_of_space(exc):
            shutil.rmtree(work, ignore_errors=True)
            failed.mkdir()
        else:
            os.rename(work, failed)
        (failed / "error.txt").write_text(f"{exc.__class__.__name__}: {exc}\n", encoding="utf-8")
    except OSError:
        shutil.rmtree(work, ignore_errors=True)  # keep nothing rather than part
        shutil.rmtree(failed, ignore_errors=True)
    for stale in sorted(_own_failed(failed_root, lot))[:-KEEP_FAILED]:
        shutil.rmtree(stale, ignore_errors=True)


def _out_of_space(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or os.strerror(errno.ENOSPC) in str(exc)


def _own_failed(failed_root: Path, lot: str) -> list[Path]:
    try:
        return [p for p in failed_root.iterdir() if p.name.startswith(f"{lot}+")]
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------------------------------------
# skipping unchanged lots (batch)


def fingerprint_now(lot: params.Lot) -> dict:
    nbdir = notebooks_dir()
    from .. import __version__

    return {
        "parameter_file": provenance.sha256_file(lot.path),
        "inputs": {k: provenance.sha256_file(v) for k, v in lot.data_files().items()},
        "notebooks": {n: provenance.sha256_file(nbdir / n) for n in _notebooks(lot)},
        "rmwork": __version__,
        "git_commit": provenance.git_commit(Path(__file__).parent.parent),
    }


def changes_since_last(lot: params.Lot, report_dir: Path) -> list[str]:
    """What changed since the last report of the lot (empty: nothing, the lot may be skipped)."""
    m = report_dir / provenance.MANIFEST
    if not m.is_file():
        return ["no earlier report"]
    try:
        old = provenance.fingerprint(json.loads(m.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError):
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
