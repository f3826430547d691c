"""One notebook executed with papermill in a child process, then rendered to HTML.

``python -m rmwork.run.child SPEC_FILE`` -- the runner's plain path (:mod:`rmwork.run.runner`).
The spec is a JSON file, not the command line: a lot's title may be longer than the kernel
allows an argument list to be (issue 16: a 140,000-character material name).

Why a child process: it can be stopped as a whole (with its kernel) when the user presses Ctrl-C
(inside one process asyncio and nbclient swallow SIGINT), and the rmwork process (a batch worker
runs many lots) never imports nbconvert, whose ~30 MiB would stay resident while the next lot's
kernel runs.  On a cell error the child writes the error's name, value and cell as JSON to the
error file and exits 3 (a rendering error is written the same way, with ``"stage": "render"``);
an :class:`~rmwork.errors.InputError` raised in the kernel is also pickled whole by the kernel
(:mod:`rmwork.run.kernel`), so that the runner re-raises it with its file, row, column and key.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

EXIT_CELL_ERROR = 3


def skip_iri_grammar() -> None:
    """Call before importing nbformat.  jsonschema (which nbformat imports) builds an RFC 3987 IRI
    grammar with Lark at import when the optional rfc3987_syntax is installed (JupyterLab's
    jupyter-events pulls it in): 2.4 s of CPU on our machine, for an "iri" format no nbformat
    schema uses.  A None entry makes that import fail, and jsonschema skips the format."""
    sys.modules.setdefault("rfc3987_syntax", None)


def die_with_parent() -> None:
    """Child side (Linux): get SIGKILL when the parent process dies, so a killed run leaves no
    papermill behind (the kernel's parent poller then ends the kernel too)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _prepare_render() -> None:
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


def _write_error(errfile: str, record: dict) -> int:
    with open(errfile, "w", encoding="utf-8") as fh:
        json.dump(record, fh)
    return EXIT_CELL_ERROR


def execute(spec: dict, *, kernel_manager_class=None, prepared: bool = False) -> int:
    """Execute ``spec["src"]`` into ``spec["dst"]`` with papermill, then render ``spec["html"]``.

    ``kernel_manager_class`` and ``prepared`` are for the warm plug-in (:mod:`rmwork.run.warm`):
    a kernel manager that forks the kernel, and a template already compiled.
    """
    skip_iri_grammar()
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    prep = threading.Thread(target=_prepare_render, daemon=True)
    if spec.get("html") and not prepared:
        prep.start()
    extra = {"kernel_manager_class": kernel_manager_class} if kernel_manager_class else {}
    try:
        pm.execute_notebook(
            spec["src"],
            spec["dst"],
            parameters=spec["parameters"],
            kernel_name=spec["kernel"],
            cwd=spec["cwd"],
            progress_bar=False,
            log_output=False,
            start_timeout=180,
            request_save_on_cell_execute=False,
            **extra,
        )
    except PapermillExecutionError as exc:
        return _write_error(
            spec["errfile"],
            {
                "ename": exc.ename,
                "evalue": exc.evalue,
                "exec_count": exc.exec_count,
                "cell": exc.cell_index,
                "source": (exc.source or "")[:500],
            },
        )
    if spec.get("html"):
        from rmwork.report import render

        if prep.ident is not None:
            prep.join()  # the exporter is not shared between threads
        try:
            render.to_html(Path(spec["dst"]), Path(spec["html"]), title=spec["title"])
            render.to_docx(Path(spec["dst"]), Path(spec["html"]).parent, title=spec["title"])
        except Exception as exc:  # noqa: BLE001 - reported by the runner as one line
            return _write_error(
                spec["errfile"], {"stage": "render", "ename": exc.__class__.__name__, "evalue": str(exc)}
            )
    return 0


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    return execute(spec)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
