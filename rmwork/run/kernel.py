"""The run layer's plug-in inside a report kernel.

The runner names it in the kernel's environment (``RMWORK_KERNEL_PLUGIN=rmwork.run.kernel:install``);
:func:`rmwork.workbook.open` calls it once and gets the workbook's fits plug-in.  It does three
things the statistics know nothing of:

* it notes what the kernel really imported (its interpreter, rmwork's path and version) for the
  manifest, so that a stale kernel (an old ``rmwork`` kernelspec earlier on the Jupyter path) is
  refused instead of certifying with other code (issue 16);
* it keeps an :class:`~rmwork.errors.InputError` raised in a cell whole, pickled into the error
  file, so that the runner re-raises it with its file, row, column, key and hint (issue 13);
* with a sampling service (:mod:`rmwork.run.service`), :class:`BackgroundFits` runs the Bayesian
  sensitivity fits in a background thread through the service's sampler, while the classical
  studies go on; the report's placeholders (:func:`rmwork.report.display.later`) are filled in
  when the workbook settles.
"""

from __future__ import annotations

import json
import os
import pickle
import sys

from rmwork.workbook import ImmediateFits

SPEC = "rmwork.run.kernel:install"
ENV_ERROR_FILE = "RMWORK_ERROR_FILE"  # where an InputError of a cell is pickled
ENV_KERNEL_INFO = "RMWORK_KERNEL_INFO"  # where the kernel notes what it imported

_installed = False


def install():
    """Called by :func:`rmwork.workbook.open`: returns the workbook's fits plug-in."""
    global _installed
    if not _installed:
        _record_kernel()
        _keep_input_errors()
        _installed = True
    from rmwork.bayes import sampling

    from .service import from_environment

    sampler = from_environment()
    if sampler is None:
        return ImmediateFits()
    sampling.set_default_sampler(sampler)  # the consensus fits too, not only the sensitivity ones
    return BackgroundFits(sampler)


def kernel_info() -> dict:
    """What this process runs: interpreter, rmwork's package folder and version."""
    import rmwork

    return {
        "python": os.path.realpath(sys.executable),
        "python_version": sys.version.split()[0],
        "rmwork_path": os.path.dirname(os.path.realpath(rmwork.__file__)),
        "rmwork_version": rmwork.__version__,
    }


def _record_kernel() -> None:
    path = os.environ.get(ENV_KERNEL_INFO)
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(kernel_info(), fh)


def _keep_input_errors() -> None:
    """An InputError in a cell is pickled into the error file, then shown as IPython would."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not os.environ.get(ENV_ERROR_FILE):
        return
    from rmwork.errors import InputError

    def keep(self, etype, value, tb, tb_offset=None):
        try:
            with open(os.environ[ENV_ERROR_FILE], "wb") as fh:
                pickle.dump(value, fh)
        finally:
            self.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None

    shell.set_custom_exc((InputError,), keep)


class BackgroundFits:
    """Fits plug-in of a kernel with a sampling service: each fit runs in one background thread,
    through ``sampler``; :meth:`settle` attaches them in the order they were asked for."""

    def __init__(self, sampler):
        self.sampler = sampler
        self._pool = None
        self._jobs: dict = {}  # (section, key) -> (future, attach)
        self._callbacks: list = []

    def _in_service(self, fit):
        from rmwork.bayes import sampling

        with sampling.using(self.sampler):
            return fit()

    def submit(self, section: str, key: str, fit, attach) -> None:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rmwork-bayes")
            # import the posterior summaries' code (arviz_stats, about 1 s) while the service
            # compiles, not after the first fit returns
            from rmwork.bayes import diagnostics

            self._pool.submit(diagnostics._array_stats)
        self._jobs[(section, key)] = (self._pool.submit(self._in_service, fit), attach)

    def pending(self, section: str, key: str | None = None) -> bool:
        return any(s == section and (key is None or k == key) for s, k in self._jobs)

    def pending_keys(self, section: str) -> list[str]:
        return [k for s, k in self._jobs if s == section]

    def on_settle(self, callback) -> None:
        if self._jobs:
            self._callbacks.append(callback)
        else:
            callback()

    def settle(self) -> None:
        jobs = list(self._jobs.items())
        try:
            for _, (future, attach) in jobs:
                attach(future.result())
        finally:
            self._jobs.clear()
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb()
