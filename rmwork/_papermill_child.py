"""Run one notebook with papermill in a child process (used by rmwork.runner), then render it.

The HTML rendering (nbconvert) happens here too, after the kernel has exited: the rmwork process
(a batch worker runs many lots) then never imports nbconvert, whose ~30 MiB would otherwise stay
resident while the next lot's kernel runs.  A child process can be stopped as a whole (with its kernel) when the user presses Ctrl-C; inside
one process asyncio and nbclient swallow SIGINT.  On a cell error the child writes the error's
name, value and cell number as JSON to the error file and exits 3; a rendering error is written
the same way with ``"stage": "render"``.
"""

import json
import sys
from pathlib import Path


def main(argv):
    src, dst, params_json, kernel, cwd, errfile, html, title = argv
    import papermill as pm
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

        try:
            render.to_html(Path(dst), Path(html), title=title)
        except Exception as exc:  # noqa: BLE001 - reported by the runner as one line
            with open(errfile, "w", encoding="utf-8") as fh:
                json.dump({"stage": "render", "ename": exc.__class__.__name__, "evalue": str(exc)}, fh)
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
