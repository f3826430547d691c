"""Run one notebook with papermill in a child process (used by rmwork.runner), then render it.

The HTML rendering (nbconvert) happens here too, after the kernel has exited: the rmwork process
(a batch worker runs many lots) then never imports nbconvert, whose ~30 MiB would otherwise stay
resident while the next lot's kernel runs.  A child process can be stopped as a whole (with its
kernel) when the user presses Ctrl-C; inside one process asyncio and nbclient swallow SIGINT.  On a cell error the child writes the error's
name, value and cell number as JSON to the error file and exits 3; a rendering error is written
the same way with ``"stage": "render"``.
"""

import json
import os
import sys
import threading
from pathlib import Path


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


def main(argv):
    src, dst, params_json, kernel, cwd, errfile, html, title = argv
    # jsonschema (imported by nbformat) builds an RFC 3987 IRI grammar with Lark at import when the
    # optional rfc3987_syntax is installed (JupyterLab's jupyter-events pulls it in): 2.4 s of CPU
    # on our machine, before the kernel starts, for an "iri" format no nbformat schema uses.
    sys.modules.setdefault("rfc3987_syntax", None)  # None: its import fails and jsonschema skips it
    import papermill as pm

    prep = threading.Thread(target=_prepare_render, daemon=True)
    if html:
        prep.start()
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(src, dst, parameters=json.loads(params_json), kernel_name=kernel, cwd=cwd,
                            progress_bar=False, log_output=False, start_timeout=180,
                            request_save_on_cell_execute=False)
    except PapermillExecutionError as exc:
        with open(errfile, "w", encoding="utf-8") as fh:
            json.dump({"ename": exc.ename, "evalue": exc.evalue, "exec_count": exc.exec_count}, fh)
        return 3
    if html:
        from rmwork.report import render

        prep.join()  # the exporter is not shared between threads
        try:
            render.to_html(Path(dst), Path(html), title=title)
        except Exception as exc:  # noqa: BLE001 - reported by the runner as one line
            with open(errfile, "w", encoding="utf-8") as fh:
                json.dump({"stage": "render", "ename": exc.__class__.__name__, "evalue": str(exc)}, fh)
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
