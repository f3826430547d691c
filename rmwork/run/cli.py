"""Command line: ``rmwork run | batch | validate | verify`` (CONTRACT.md).

Exit status: 0 success; 2 bad input or a refused run (one line, no traceback); 1 an internal
error (one line with its cause; the partial run is kept under ``.failed/``); 3 the report was
written but an analyte is withheld from the certificate (one line per withheld analyte); 130
interrupted, 143 terminated.  ``batch`` exits 1 if any lot failed, else 3 if any lot withheld an
analyte.

Each command is one function ``cmd_<name>(args) -> int`` registered in :data:`COMMANDS` with the
function that adds its arguments (:func:`command`); a new command (``new``, ``keys``, ``sign``,
...) is a module of its own in :mod:`rmwork.run.commands` that registers itself the same way.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, RmworkError
from .errors import Interrupted, NotebookError, Terminated


def _err(msg: str) -> None:
    print(f"rmwork: {' '.join(str(msg).split())}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# batch outcomes (pymc-examples runner style)


@dataclass
class LotSucceeded:
    params: str
    lot: str
    seconds: float
    status: str = "done"
    message: str = ""  # the withheld analytes, one "; "-separated line


@dataclass
class LotSkipped:
    params: str
    lot: str
    status: str = "skipped"
    seconds: float = 0.0


@dataclass
class LotFailed:
    params: str
    message: str
    seconds: float
    lot: str = ""
    status: str = "failed"


def run_one(
    params_file: str,
    out: str | None,
    force: bool,
    reason: str | None = None,
    run_by: str | None = None,
    reuse: bool = False,
):
    """Run one lot and return an outcome object; never raises (for pools and Dask workers).
    ``reuse``: this process runs many lots (see :func:`rmwork.run.runner.run`)."""
    from . import runner

    t0 = time.perf_counter()
    try:
        if not force and (skipped := _unchanged(params_file, out)) is not None:
            return skipped
        res = runner.run(params_file, out, reason=reason, run_by=run_by, reuse=reuse)
        return LotSucceeded(
            params=str(params_file),
            lot=res.lot,
            seconds=res.seconds,
            message="; ".join(_withheld(res.report_dir)),
        )
    except RmworkError as exc:
        return LotFailed(params=str(params_file), message=str(exc), seconds=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - a bug in one lot must not stop the batch
        return LotFailed(
            params=str(params_file),
            seconds=time.perf_counter() - t0,
            message=f"internal error: {_where(exc)}",
        )


def _withheld(report_dir) -> list[str]:
    """One line per withheld analyte of a written report (and why no DRMD was written)."""
    import json

    from ..certificate.entry import status_lines

    f = Path(report_dir) / "results.json"
    return status_lines(json.loads(f.read_text(encoding="utf-8"))) if f.is_file() else []


def _withheld_exit(lines) -> int:
    return 3 if any(" withheld: " in line for line in lines) else 0


def _where(exc: BaseException) -> str:
    """An unexpected exception as one line: its type, message and the line of rmwork it came from."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if "rmwork" in f.filename
    ] or traceback.extract_tb(exc.__traceback__)
    at = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return " ".join(f"{exc.__class__.__name__}: {exc}{at}".split())


def _unchanged(params_file: str, out: str | None) -> LotSkipped | None:
    """LotSkipped if the lot's inputs, parameters and workbook version are those of its last
    report (raises on a bad parameter file: the caller reports it as the lot's failure)."""
    from .. import params
    from . import runner

    lot = params.load(params_file)
    if not runner.changes_since_last(lot, Path(out or "reports") / lot.params.lot):
        return LotSkipped(params=str(params_file), lot=lot.params.lot)
    return None


def _collect(paths: list[str]) -> list[str]:
    files = []
    for p in paths or ["parameters"]:
        path = Path(p)
        if path.is_dir():
            files += sorted(str(f) for f in path.glob("*.yaml")) + sorted(str(f) for f in path.glob("*.yml"))
        else:
            files.append(str(path))
    return files


class Progress:
    """One status line per finished lot: done / failed / skipped, elapsed and an estimate."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.stream, self.t0 = total, stream, time.perf_counter()
        self.counts = {"done": 0, "failed": 0, "skipped": 0}

    def update(self, outcome):
        self.counts[outcome.status] += 1
        n = sum(self.counts.values())
        el = time.perf_counter() - self.t0
        eta = el / n * (self.total - n) if n else 0.0
        c = self.counts
        print(
            f"[{n}/{self.total}] {outcome.status:<7} {outcome.lot or outcome.params}  "
            f"(done {c['done']}, failed {c['failed']}, skipped {c['skipped']}; "
            f"elapsed {el:.0f} s, about {eta:.0f} s left)",
            file=self.stream,
            flush=True,
        )


def batch(
    files: list[str],
    out: str | None,
    workers: int,
    force: bool,
    scheduler: str | None,
    reason: str | None = None,
) -> list:
    """Run the lots; a verification lot that reads another lot's report folder runs after it
    (:func:`rmwork.comparison.batch_phases`)."""
    from ..comparison import batch_phases

    progress = Progress(len(files))
    outcomes = []
    for phase in batch_phases(files):
        outcomes += _batch_phase(phase, out, workers, force, scheduler, reason, progress)
    return _in_order(outcomes, files)


def _batch_phase(
    files: list[str],
    out: str | None,
    workers: int,
    force: bool,
    scheduler: str | None,
    reason: str | None,
    progress: Progress,
) -> list:
    if scheduler:
        return _batch_dask(files, out, force, scheduler, reason, progress)
    outcomes, todo = [], []
    for f in files:  # unchanged lots are skipped here: no worker starts for them
        try:
            o = None if force else _unchanged(f, out)
        except Exception:  # noqa: BLE001 - run_one reports it as this lot's failure
            o = None
        if o is None:
            todo.append(f)
        else:
            outcomes.append(o)
            progress.update(o)
    if not todo:
        return _in_order(outcomes, files)
    _share_sampling_service(todo)
    from .warm import fork_server

    if workers <= 1:
        fork_server()  # its imports overlap this process's first lot's loading
        for f in todo:
            o = run_one(f, out, True, reason, reuse=True)
            outcomes.append(o)
            progress.update(o)
        return _in_order(outcomes, files)
    import multiprocessing as mp
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from .warm import adopt

    # the workers are forked from the batch's one fork server (warm, one preload per batch);
    # spawned, each with a fork server of its own, where this process may have none
    ctx = fork_server()
    pool_args = (
        {"mp_context": ctx, "initializer": adopt, "initargs": (dict(os.environ),)}
        if ctx is not None
        else {"mp_context": mp.get_context("spawn"), "initializer": fork_server}
    )
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), **pool_args) as pool:
        futs = [pool.submit(run_one, f, out, True, reason, reuse=True) for f in todo]
        for fut in as_completed(futs):
            o = fut.result()
            outcomes.append(o)
            progress.update(o)
    return _in_order(outcomes, files)


def _share_sampling_service(files: list[str]) -> None:
    """One sampling service for the whole batch, started here before the workers: each model
    structure compiles once per batch, not once per worker; the structures known from the
    parameters alone start compiling now, while the workers start."""
    import os

    from .. import params, workbook

    if os.environ.get("RMWORK_BAYES_SERVICE_OFF") == "1":
        return
    keys, bayes = [], False
    for f in files:
        try:
            lot = params.load(f)
        except Exception:  # noqa: BLE001 - the lot's own run reports it
            continue
        if workbook.uses_bayes(lot):
            bayes = True
            keys += [k for k in workbook.bayes_structures(lot, {}) if k not in keys]
    if bayes:
        from . import service

        service.start_shared().warm(keys)


def _batch_dask(files, out, force, scheduler, reason, progress) -> list:
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler ({exc.__class__.__name__})",
            key="--scheduler",
            file=scheduler,
            hint="start it with 'dask scheduler' or check the address",
        ) from None
    outcomes = []
    with client:
        futures = [
            client.submit(
                run_one,
                str(Path(f).resolve()),
                str(Path(out or "reports").resolve()),
                force,
                reason,
                reuse=True,
                pure=False,
            )
            for f in files
        ]
        for fut in as_completed(futures):
            o = fut.result()
            outcomes.append(o)
            progress.update(o)
    return _in_order(outcomes, files)


def _same_lot(files: list[str]) -> str | None:
    """One line if two parameter files name the same lot (each would replace the other's report)."""
    from .. import params

    seen: dict[str, str] = {}
    for f in files:
        try:
            name = params.load(f).params.lot
        except Exception:  # noqa: BLE001 - that file's run reports its own problem
            continue
        if name in seen:
            return (
                f"{seen[name]} and {f} both name lot '{name}': each would replace the other's "
                "report; give each lot its own name"
            )
        seen[name] = f
    return None


def _in_order(outcomes: list, files: list[str]) -> list:
    order = {f: i for i, f in enumerate(files)}
    outcomes.sort(key=lambda o: order.get(o.params, order.get(str(Path(o.params)), 0)))
    return outcomes


def _summary(outcomes, elapsed: float) -> str:
    lines = [f"{'lot':<28} {'status':<8} {'seconds':>8}  message"]
    for o in outcomes:
        lines.append(
            f"{(o.lot or Path(o.params).stem):<28} {o.status:<8} {o.seconds:>8.1f}  "
            f"{getattr(o, 'message', '')}"
        )
    n_fail = sum(o.status == "failed" for o in outcomes)
    lines.append(
        f"{len(outcomes)} lots: {sum(o.status == 'done' for o in outcomes)} done, {n_fail} failed, "
        f"{sum(o.status == 'skipped' for o in outcomes)} skipped in {elapsed:.1f} s"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# commands: each registers its arguments and its function

COMMANDS: dict[str, tuple] = {}  # name -> (help, add_arguments(parser), cmd(args) -> int)


def command(name: str, help: str, add_arguments):  # noqa: A002 - argparse calls it help
    """Register ``cmd(args) -> int`` as ``rmwork <name>`` (a decorator)."""

    def register(fn):
        COMMANDS.pop(name, None)  # a re-registered name replaces (and moves to the end)
        COMMANDS[name] = (help, add_arguments, fn)
        return fn

    return register


def _run_args(p):
    p.add_argument("params")
    p.add_argument("--out", default=None, help="reports folder (default: reports)")
    p.add_argument("--reason", default=None, help="why this run was made (recorded in the manifest)")
    p.add_argument("--run-by", default=None, help="who ran it (default: user@host)")


@command("run", "run one lot and write its report folder", _run_args)
def cmd_run(args) -> int:
    from . import runner

    res = runner.run(args.params, args.out, reason=args.reason, run_by=args.run_by)
    print(f"{res.lot}: report written to {res.report_dir} in {res.seconds:.1f} s")
    lines = _withheld(res.report_dir)
    for line in lines:
        _err(line)
    return _withheld_exit(lines)


def _batch_args(p):
    p.add_argument("params", nargs="*")
    p.add_argument("--out", default=None)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--force", action="store_true", help="rerun lots that have not changed")
    p.add_argument("--scheduler", default=None, help="Dask distributed scheduler address, tcp://HOST:PORT")
    p.add_argument("--reason", default=None)


@command("batch", "run many lots in parallel", _batch_args)
def cmd_batch(args) -> int:
    files = _collect(args.params)
    if not files:
        _err(f"{', '.join(args.params) or 'parameters'}: no parameter files found")
        return 2
    if args.workers < 1:
        _err(f"--workers: must be at least 1, got {args.workers}")
        return 2
    if (clash := _same_lot(files)) is not None:
        _err(clash)
        return 2
    t0 = time.perf_counter()
    outcomes = batch(files, args.out, args.workers, args.force, args.scheduler, args.reason)
    print(_summary(outcomes, time.perf_counter() - t0))
    if any(o.status == "failed" for o in outcomes):
        return 1
    return _withheld_exit([getattr(o, "message", "") for o in outcomes])


@command("validate", "check a parameter file and its data", lambda p: p.add_argument("params"))
def cmd_validate(args) -> int:
    from .. import preflight

    # every problem of the parameter file and of each data table, not only the first
    lot, data, problems = preflight.survey(args.params)
    if not problems:
        # and every input problem run would stop on (certificate and DRMD items, labs, units)
        problems = preflight.preflight(lot, data)
    for p in problems:
        _err(p)
    if problems:
        return 2
    rows = ", ".join(f"{k} {len(v)} rows" for k, v in data.items())
    from ..workbook import not_selected

    left = not_selected(data)  # in the data, not listed under analytes: (issue 14)
    shown = f"; not selected (not listed under analytes:): {', '.join(left)}" if left else ""
    print(f"{args.params}: valid (lot {lot.params.lot}; {rows}{shown})")
    return 0


@command(
    "verify",
    "check a report folder against its manifest and history chain",
    lambda p: p.add_argument("report_dir"),
)
def cmd_verify(args) -> int:
    from ..report import provenance

    problems = provenance.verify(Path(args.report_dir))
    if problems:
        for p in problems:
            _err(p)
        return 2
    print(f"{args.report_dir}: intact (every hash and the history chain match)")
    return 0


def _load_commands() -> None:
    """Import every module of :mod:`rmwork.run.commands` (each registers its command)."""
    import pkgutil

    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"{commands.__name__}.{info.name}")


def parser() -> argparse.ArgumentParser:
    _load_commands()
    ap = argparse.ArgumentParser(prog="rmwork", description="Reference-material certification workbook.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, (help_, add_arguments, _) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_))
    return ap


def _terminate(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        signal.signal(signal.SIGTERM, _terminate)  # unwound like Ctrl-C: a failure record is kept
    except ValueError:
        pass  # not the main thread
    try:
        return COMMANDS[args.cmd][2](args)
    except NotebookError as exc:
        # a cell failed on something other than bad input: ours to fix (exit 1), still one line;
        # the partial notebook and kernel log are kept under <out>/.failed/
        _err(f"{exc} (internal error; the partial run is kept under .failed/ for a bug report)")
        return 1
    except Interrupted as exc:
        _err(f"interrupted: {exc}")
        return 130
    except RmworkError as exc:
        _err(str(exc))
        return 2
    except Terminated:
        _err("terminated; the previous report is unchanged (the partial run is kept under .failed/)")
        return 143
    except KeyboardInterrupt:
        _err("interrupted; the previous report is unchanged")
        return 130
    except OSError as exc:
        _err(f"{exc.filename or ''}: {exc.strerror or exc} (internal error: {_where(exc)})")
        return 1


if __name__ == "__main__":
    sys.exit(main())
