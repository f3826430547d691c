"""Command line: ``rmwork run | batch | validate | verify`` (CONTRACT.md).

Exit status: 0 success; 2 bad input or a refused run (one line, no traceback); 1 a bug
(traceback printed, since it is ours to fix).  ``batch`` exits 1 if any lot failed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .errors import RmworkError
from .runner_errors import NotebookError


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


def run_one(params_file: str, out: str | None, force: bool, reason: str | None = None,
            run_by: str | None = None, reuse: bool = False):
    """Run one lot and return an outcome object; never raises (for pools and Dask workers).
    ``reuse``: this process runs many lots (see :func:`rmwork.runner.run`)."""
    from . import runner

    t0 = time.perf_counter()
    try:
        if not force and (skipped := _unchanged(params_file, out)) is not None:
            return skipped
        res = runner.run(params_file, out, reason=reason, run_by=run_by, reuse=reuse)
        return LotSucceeded(params=str(params_file), lot=res.lot, seconds=res.seconds)
    except RmworkError as exc:
        return LotFailed(params=str(params_file), message=str(exc), seconds=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - a bug in one lot must not stop the batch
        tb = traceback.format_exc(limit=3).strip().splitlines()
        return LotFailed(params=str(params_file), seconds=time.perf_counter() - t0,
                         message=f"internal error {exc.__class__.__name__}: {exc} ({tb[-1] if tb else ''})")


def _unchanged(params_file: str, out: str | None) -> LotSkipped | None:
    """LotSkipped if the lot's inputs, parameters and workbook version are those of its last
    report (raises on a bad parameter file: the caller reports it as the lot's failure)."""
    from . import params, runner

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
        print(f"[{n}/{self.total}] {outcome.status:<7} {outcome.lot or outcome.params}  "
              f"(done {c['done']}, failed {c['failed']}, skipped {c['skipped']}; "
              f"elapsed {el:.0f} s, about {eta:.0f} s left)", file=self.stream, flush=True)


def batch(files: list[str], out: str | None, workers: int, force: bool, scheduler: str | None,
          reason: str | None = None) -> list:
    progress = Progress(len(files))
    outcomes = []
    if scheduler:
        from distributed import Client, as_completed

        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            from .errors import InputError

            raise InputError(f"cannot reach the Dask scheduler ({exc.__class__.__name__})",
                             key="--scheduler", file=scheduler,
                             hint="start it with 'dask scheduler' or check the address") from None
        with client:
            futures = [client.submit(run_one, str(Path(f).resolve()),
                                     str(Path(out or "reports").resolve()), force, reason,
                                     reuse=True, pure=False) for f in files]
            for fut in as_completed(futures):
                o = fut.result()
                outcomes.append(o)
                progress.update(o)
        return _in_order(outcomes, files)
    # unchanged lots are skipped here, so that no worker (nor fork server) starts for them
    todo = []
    for f in files:
        try:
            o = None if force else _unchanged(f, out)
        except Exception:  # noqa: BLE001 - run_one reports it as this lot's failure
            o = None
        if o is None:
            todo.append(f)
        else:
            outcomes.append(o)
            progress.update(o)
    if todo and workers <= 1:
        from ._papermill_child import fork_server

        fork_server()                       # its imports overlap this process's first lot's loading
        for f in todo:
            o = run_one(f, out, True, reason, reuse=True)
            outcomes.append(o)
            progress.update(o)
    elif todo:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from ._papermill_child import fork_server

        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=mp.get_context("spawn"),
                                 initializer=fork_server) as pool:
            futs = [pool.submit(run_one, f, out, True, reason, reuse=True) for f in todo]
            for fut in as_completed(futs):
                o = fut.result()
                outcomes.append(o)
                progress.update(o)
    return _in_order(outcomes, files)


def _in_order(outcomes: list, files: list[str]) -> list:
    order = {f: i for i, f in enumerate(files)}
    outcomes.sort(key=lambda o: order.get(o.params, order.get(str(Path(o.params)), 0)))
    return outcomes


def _summary(outcomes, elapsed: float) -> str:
    lines = [f"{'lot':<28} {'status':<8} {'seconds':>8}  message"]
    for o in outcomes:
        lines.append(f"{(o.lot or Path(o.params).stem):<28} {o.status:<8} {o.seconds:>8.1f}  "
                     f"{getattr(o, 'message', '')}")
    n_fail = sum(o.status == "failed" for o in outcomes)
    lines.append(f"{len(outcomes)} lots: {sum(o.status == 'done' for o in outcomes)} done, {n_fail} failed, "
                 f"{sum(o.status == 'skipped' for o in outcomes)} skipped in {elapsed:.1f} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rmwork", description="Reference-material certification workbook.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run one lot and write its report folder")
    r.add_argument("params")
    r.add_argument("--out", default=None, help="reports folder (default: reports)")
    r.add_argument("--reason", default=None, help="why this run was made (recorded in the manifest)")
    r.add_argument("--run-by", default=None, help="who ran it (default: user@host)")
    b = sub.add_parser("batch", help="run many lots in parallel")
    b.add_argument("params", nargs="*")
    b.add_argument("--out", default=None)
    b.add_argument("--workers", type=int, default=1)
    b.add_argument("--force", action="store_true", help="rerun lots that have not changed")
    b.add_argument("--scheduler", default=None, help="Dask distributed scheduler address, tcp://HOST:PORT")
    b.add_argument("--reason", default=None)
    v = sub.add_parser("validate", help="check a parameter file and its data")
    v.add_argument("params")
    ve = sub.add_parser("verify", help="check a report folder against its manifest and history chain")
    ve.add_argument("report_dir")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            from . import runner

            res = runner.run(args.params, args.out, reason=args.reason, run_by=args.run_by)
            print(f"{res.lot}: report written to {res.report_dir} in {res.seconds:.1f} s")
            return 0
        if args.cmd == "validate":
            from . import params

            lot, data, found = params.survey(args.params)   # every problem, not only the first
            for problem in found:
                _err(problem)
            if found:
                return 2
            rows = ", ".join(f"{k} {len(v)} rows" for k, v in data.items())
            print(f"{args.params}: valid (lot {lot.params.lot}; {rows})")
            return 0
        if args.cmd == "verify":
            from .report import provenance

            problems = provenance.verify(Path(args.report_dir))
            if problems:
                for p in problems:
                    _err(p)
                return 2
            print(f"{args.report_dir}: intact (every hash and the history chain match)")
            return 0
        if args.cmd == "batch":
            files = _collect(args.params)
            if not files:
                _err(f"{', '.join(args.params) or 'parameters'}: no parameter files found")
                return 2
            if args.workers < 1:
                _err(f"--workers: must be at least 1, got {args.workers}")
                return 2
            t0 = time.perf_counter()
            outcomes = batch(files, args.out, args.workers, args.force, args.scheduler, args.reason)
            print(_summary(outcomes, time.perf_counter() - t0))
            return 1 if any(o.status == "failed" for o in outcomes) else 0
    except NotebookError as exc:
        # a cell failed on something other than bad input: ours to fix (exit 1), still one line;
        # the partial notebook and kernel log are kept under <out>/.failed/
        _err(f"{exc} (internal error; the partial run is kept under .failed/ for a bug report)")
        return 1
    except RmworkError as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        _err("interrupted; the previous report is unchanged")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
