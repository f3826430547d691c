"""Warm kernels for a batch worker: the kernel is forked from a process that has already imported
what a report kernel imports, instead of starting a fresh interpreter for every lot.

A fresh IPython kernel spends about 2 s of CPU (on our 2-core machine) importing numpy, pandas,
scipy, matplotlib, ipykernel and rmwork before the notebook's first cell does any work: in a batch
of many lots that import is most of each lot's cost.  A batch worker's fork server
(:mod:`rmwork.run.warm`) imports them once; the lot's papermill process is forked from it;
and this module's kernel manager forks the kernel from that papermill process, through jupyter
client's own extension point (a kernel *provisioner*, here a :class:`LocalProvisioner` whose
``launch_kernel`` forks rather than execs).  The forked kernel then runs exactly what
``python -m ipykernel_launcher -f <connection file>`` runs, in its own session, with the
environment and working directory jupyter_client asked for; it is this process's child, so
jupyter_client polls, signals and reaps it as it would a Popen.  The modules it finds imported
were only imported (nothing in them was run), so a lot's numbers and figures are the same as in a
fresh kernel (tests check the bytes of results.json and the figures).

Used only by batch workers (``rmwork batch``); ``rmwork run`` and JupyterLab start fresh kernels.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

# What the kernel and the report notebook's first cell import (notebooks/certification_report.ipynb)
MODULES = (
    "numpy",
    "pandas",
    "scipy.stats",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "ipykernel.kernelapp",
    "rmwork.workbook",
    "rmwork.report.lot",
    "rmwork.report.homogeneity",
    "rmwork.report.sections",
    "rmwork.run.kernel",
)

_PRELOADED = False
STARTS: list[str] = []  # "forked" or "fresh" per kernel started by this process (for the manifest)


def preload() -> None:
    """Import :data:`MODULES` (in the fork server: a process with no Python thread running)."""
    global _PRELOADED
    # ipykernel sets this before anything imports matplotlib (kernelapp.init_gui_pylab); matplotlib
    # reads it once, at import, so it is set here as a fresh kernel would have it
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in MODULES:
        importlib.import_module(name)
    _PRELOADED = True


class _ForkedKernel:
    """Popen's interface (what LocalProvisioner uses) over a kernel forked by this process."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def _reap(self, flags: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:  # already reaped
            self.returncode = self.returncode if self.returncode is not None else 0
            return
        if pid:
            self.returncode = os.waitstatus_to_exitcode(status)

    def poll(self) -> int | None:
        if self.returncode is None:
            self._reap(os.WNOHANG)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            while self.returncode is None:
                self._reap(0)
            return self.returncode
        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > end:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _launcher_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` if ``cmd`` starts this interpreter's
    ipykernel (the rmwork kernel spec), else None (then the kernel is started as usual)."""
    try:
        i = cmd.index("ipykernel_launcher")
    except ValueError:
        return None
    same_python = os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
    return cmd[i + 1 :] if same_python and i >= 1 and cmd[i - 1] == "-m" else None


def _kernel_main(args: list[str], env: dict, cwd: str | None) -> None:
    """The forked child: become ``python -m ipykernel_launcher <args>``; never returns."""
    import atexit

    code = 1
    try:
        os.setsid()  # its own process group, as jupyter_client's Popen does
        atexit._clear()  # the papermill process's exit handlers are not the kernel's
        asyncio.events._set_running_loop(None)  # forked inside papermill's running event loop
        asyncio.set_event_loop(None)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(env)
        if cwd:
            os.chdir(cwd)
        sys.argv = [
            os.path.join(
                os.path.dirname(importlib.util.find_spec("ipykernel_launcher").origin),
                "ipykernel_launcher.py",
            ),
            *args,
        ]
        from ipykernel import kernelapp

        # ipykernel reads JPY_PARENT_PID when it is imported (a trait default), which here was
        # before jupyter_client set it: passed explicitly, so the kernel ends when papermill does
        parent = env.get("JPY_PARENT_PID")
        kernelapp.launch_new_instance(
            argv=[*args, f"--IPKernelApp.parent_handle={parent}"] if parent else args
        )
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the kernel's own traceback goes to its log
        import traceback

        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()  # IPython's history and the kernel's own clean-up
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class WarmProvisioner(LocalProvisioner):
    """Forks the kernel from this (preloaded) process; falls back to LocalProvisioner's Popen when
    the kernel is not this interpreter's ipykernel, nothing was preloaded, or a Python thread is
    running here (forking then is unsafe)."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        args = _launcher_args(cmd)
        if args is None or not _PRELOADED or threading.active_count() > 1:
            STARTS.append("fresh")
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        if not kwargs.get("independent"):
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client.launcher does
        cwd = kwargs.get("cwd")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _kernel_main(args, env, cwd)
        STARTS.append("forked")
        self.process = _ForkedKernel(pid)
        self.pid = pid
        self.pgid = pid  # after the child's setsid; a signal sent before it falls
        self.cwd = cwd or Path.cwd()  # back to the process alone (LocalProvisioner.send_signal)
        return self.connection_info


class WarmKernelManager(AsyncKernelManager):
    """jupyter_client's AsyncKernelManager with :class:`WarmProvisioner` (papermill passes it to
    nbclient as ``kernel_manager_class``)."""

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        if self.provisioner is None:
            self.provisioner = WarmProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)
