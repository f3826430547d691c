"""The warm plug-in of the runner: a batch forks each lot's notebook process from a fork server
that has imported papermill, nbconvert and the kernel's modules once.  With ``--workers N`` the
workers themselves are forked from that one server (:func:`adopt`), so the batch pays its
preload once, not once per worker.

Started as ``python -m rmwork.run.child`` a lot's notebook process would import papermill,
nbformat and nbconvert and compile the report template again for every lot: about 1.3 s of CPU
per lot on our 2-core machine.  The fork server (a :mod:`multiprocessing` "forkserver" context,
preloading :mod:`rmwork.run._warm_preload`) does that once; each lot's process is forked from it,
warm, and so is the lot's kernel (:mod:`rmwork.run.warm_kernel`).  The report is the same as on
the plain path (tests check the bytes).  :class:`WarmLauncher` is what the runner selects for
``reuse=True``; :class:`rmwork.run.runner.PlainLauncher` is the default.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_FORK_CTX = None


def fork_server():
    """This process's multiprocessing fork-server context, its server importing papermill,
    nbconvert and the kernel's modules from the first call on (the call returns at once); None
    where this process may not have one: a daemonic process (a Dask worker) cannot start children
    through multiprocessing.  Batch workers call it first thing so that the server's imports
    overlap their own."""
    global _FORK_CTX
    import multiprocessing as mp

    if mp.current_process().daemon or "forkserver" not in mp.get_all_start_methods():
        return None
    if _FORK_CTX is None:
        from multiprocessing import forkserver

        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["rmwork.run._warm_preload"])
        forkserver.ensure_running()
        _FORK_CTX = ctx
    return _FORK_CTX


def adopt(env: dict) -> None:
    """Initializer of a batch worker forked from the batch's fork server (``rmwork batch
    --workers N``): the worker starts its lots' processes through that same server, and has the
    coordinator's environment (the shared sampling service's address), as a spawned worker would.
    So the workers start warm, without an interpreter and a fork server each: one preload per
    batch, not one per worker (measured: 3.2 s of CPU for a preload and 2.9 s for a spawned
    worker's start, each paid by every worker at once on the batch's two cores).

    multiprocessing hands every process it forks the server's address and "alive" pipe, but
    only the process that launched the server knows its pid; without it ``ensure_running``
    would launch a second server for this worker.  So here it only checks the resource tracker
    (the server lives while the coordinator or a worker holds its alive pipe)."""
    global _FORK_CTX
    import multiprocessing as mp
    from multiprocessing import forkserver, resource_tracker

    os.environ.clear()
    os.environ.update(env)
    server = forkserver._forkserver
    if server._forkserver_address is None or server._forkserver_alive_fd is None:
        return  # not forked from a fork server: fork_server() starts this worker's own
    server.ensure_running = resource_tracker.ensure_running  # type: ignore[method-assign]
    _FORK_CTX = mp.get_context("forkserver")


def kernel_start_file(dst) -> Path:
    """Where a warm child notes how the kernel of notebook ``dst`` started (read by the runner)."""
    dst = Path(dst)
    return dst.parent / f".{dst.name}.kernel-start"


def forked(spec: dict, log: str, env: dict) -> None:
    """Entry point of a lot's process forked from the fork server: the same as
    ``python -m rmwork.run.child`` with its own session (stopped whole with its kernel), output
    appended to ``log`` and the lot's environment."""
    from rmwork.run import child, warm_kernel

    os.setsid()
    child.die_with_parent()  # the fork server ends when its batch does; this process follows
    # multiprocessing hands every forked child the fork server's "alive" pipe (for starting
    # processes of its own, which this one never does); held here, it would keep the server, and
    # so this process (it dies with the server), alive after the batch worker is killed
    from multiprocessing import forkserver

    if forkserver._forkserver._forkserver_alive_fd is not None:
        os.close(forkserver._forkserver._forkserver_alive_fd)
        forkserver._forkserver._forkserver_alive_fd = None
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.clear()
    os.environ.update(env)  # the sampling service's address for the kernel, as on the plain path
    rc = child.execute(spec, kernel_manager_class=warm_kernel.WarmKernelManager, prepared=True)
    if rc == 0:
        kernel_start_file(spec["dst"]).write_text(",".join(warm_kernel.STARTS) or "fresh", encoding="utf-8")
    sys.exit(rc)


class _Forked:
    """A lot's notebook process forked from the fork server, with Popen's pid and wait()."""

    def __init__(self, ctx, spec: dict, log: Path, env: dict):
        self.proc = ctx.Process(target=forked, args=(spec, str(log), env), name="rmwork-notebook")
        self.proc.start()
        self.pid = self.proc.pid

    def wait(self, timeout: float | None = None) -> int:
        self.proc.join(timeout)
        if self.proc.exitcode is None:
            raise subprocess.TimeoutExpired("rmwork-notebook", timeout)
        return self.proc.exitcode


class WarmLauncher:
    """Starts a lot's notebook process forked from this process's fork server (a batch worker).
    ``ctx`` is None where this process may have none (a Dask worker): the runner then takes the
    plain launcher."""

    name = "forked"

    def __init__(self):
        self.ctx = fork_server()  # started now: its imports overlap the lot's loading

    def start(self, spec: dict, log: Path, env: dict):
        return _Forked(self.ctx, spec, log, env)

    @staticmethod
    def kernel_start(dst: Path) -> str:
        note = kernel_start_file(dst)
        how = note.read_text(encoding="utf-8") if note.is_file() else "fresh"
        note.unlink(missing_ok=True)
        return how
