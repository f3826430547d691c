"""Run one notebook with papermill in a child process (used by rmwork.runner), then render it.

The HTML rendering (nbconvert) happens here too, after the kernel has exited: the rmwork process
(a batch worker runs many lots) then never imports nbconvert, whose ~30 MiB would otherwise stay
resident while the next lot's kernel runs.  A child process can be stopped as a whole (with its
kernel) when the user presses Ctrl-C; inside one process asyncio and nbclient swallow SIGINT.
On a cell error the child writes the error's name, value and cell number as JSON to the error
file and exits 3; a rendering error is written the same way with ``"stage": "render"``.
"""

import json
import os
import sys
import threading
from pathlib import Path


def skip_iri_grammar() -> None:
    """Call before importing nbformat.  jsonschema (which nbformat imports) builds an RFC 3987 IRI
    grammar with Lark at import when the optional rfc3987_syntax is installed (JupyterLab's
    jupyter-events pulls it in): 2.4 s of CPU on our machine, for an "iri" format no nbformat
    schema uses.  A None entry makes that import fail, and jsonschema skips the format."""
    sys.modules.setdefault("rfc3987_syntax", None)


def _prepare_render():
    """Import nbconvert and compile the report template while the kernel runs, at low CPU
    priority (Linux: a thread is a task with its own nice value), so that it uses a core the
    kernel and the sampling service leave idle and the rendering after the kernel is short."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 15)
    except (AttributeError, OSError):
        pass
    try:
        from rmwork.report import render

        render.prepare()
    except Exception:  # noqa: BLE001 - the rendering proper reports any real problem
        pass


_FORK_CTX = None


def fork_server():
    """This process's multiprocessing fork-server context, its server importing papermill,
    nbconvert and the kernel's modules (:mod:`rmwork._papermill_warm`) from the first call on
    (the call returns at once); None where this process may not have one: a daemonic process (a
    Dask worker) cannot start children through multiprocessing.  Used by batch workers, which
    call it first thing so that the server's imports overlap their own."""
    global _FORK_CTX
    import multiprocessing as mp

    if mp.current_process().daemon or "forkserver" not in mp.get_all_start_methods():
        return None
    if _FORK_CTX is None:
        from multiprocessing import forkserver

        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["rmwork._papermill_warm"])
        forkserver.ensure_running()
        _FORK_CTX = ctx
    return _FORK_CTX


def kernel_start_file(dst) -> Path:
    """Where a warm child notes how the kernel of notebook ``dst`` started (read by the runner)."""
    dst = Path(dst)
    return dst.parent / f".{dst.name}.kernel-start"


def _record_kernel_start(dst) -> None:
    from rmwork import _warm_kernel

    kernel_start_file(dst).write_text(",".join(_warm_kernel.STARTS) or "fresh", encoding="utf-8")


def die_with_parent():
    """Child side (Linux): get SIGKILL when the parent process dies, so a killed run leaves no
    papermill behind (the kernel's parent poller then ends the kernel too)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv, warm: bool = False):
    """``warm``: forked from the batch worker's fork server, the kernel is forked warm too."""
    src, dst, params_json, kernel, cwd, errfile, html, title = argv
    skip_iri_grammar()
    import papermill as pm

    prep = threading.Thread(target=_prepare_render, daemon=True)
    if html and not warm:                       # warm: the fork server compiled the template
        prep.start()
    from papermill.exceptions import PapermillExecutionError

    extra = {}
    if warm:
        from rmwork._warm_kernel import WarmKernelManager

        extra["kernel_manager_class"] = WarmKernelManager
    try:
        pm.execute_notebook(src, dst, parameters=json.loads(params_json), kernel_name=kernel, cwd=cwd,
                            progress_bar=False, log_output=False, start_timeout=180,
                            request_save_on_cell_execute=False, **extra)
        if warm:
            _record_kernel_start(dst)
    except PapermillExecutionError as exc:
        with open(errfile, "w", encoding="utf-8") as fh:
            json.dump({"ename": exc.ename, "evalue": exc.evalue, "exec_count": exc.exec_count}, fh)
        return 3
    if html:
        from rmwork.report import render

        if prep.ident is not None:      # started (not in a warm child)
            prep.join()  # the exporter is not shared between threads
        try:
            render.to_html(Path(dst), Path(html), title=title)
            render.to_docx(Path(dst), Path(html).parent, title=title)
        except Exception as exc:  # noqa: BLE001 - reported by the runner as one line
            with open(errfile, "w", encoding="utf-8") as fh:
                json.dump({"stage": "render", "ename": exc.__class__.__name__, "evalue": str(exc)}, fh)
            return 3
    return 0


def forked(argv, log: str, env: dict) -> None:
    """Entry point of a lot's process forked from a batch worker's fork server
    (:mod:`rmwork._papermill_warm`): the same as ``python -m rmwork._papermill_child`` with its own
    session (stopped whole with its kernel), output appended to ``log`` and the lot's environment."""
    os.setsid()
    die_with_parent()  # the fork server ends when its batch worker does; this process follows
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
    os.environ.update(env)  # the sampling service's address for the kernel, as in the runner
    sys.exit(main(argv, warm=True))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
