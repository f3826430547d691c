"""Run one notebook with papermill in a child process (used by rmwork.runner).

A child process can be stopped as a whole (with its kernel) when the user presses Ctrl-C; inside
one process asyncio and nbclient swallow SIGINT.  On a cell error the child writes the error's
name, value and cell number as JSON to the error file and exits 3.
"""

import json
import sys


def main(argv):
    src, dst, params_json, kernel, cwd, errfile = argv
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
