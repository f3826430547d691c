"""Sampling service: one process compiles each model structure once and samples for the kernels
of a run or a batch (PITFALLS.md: compile once per structure, swap data).

Why a process of its own: the nutpie/numba compile of a structure (12-15 s on our 2-core
machine) dominates a lot's run, and it cannot be cached across processes (nutpie's compiled
wrappers are numba cfuncs with dynamic globals).  ``rmwork run`` and ``rmwork batch`` start this
service before the notebook's kernel and name the structures the lot needs, so the compile runs
on the second core while papermill starts the kernel and the classical studies run; the kernel
itself never imports PyMC; and a batch worker's service compiles each structure once for all the
lots it runs.  The same compiled structure and seed give the same draws in any process (measured;
``tests/test_bayes_service.py``), so a result does not depend on where its fit ran: only the
runtime record (pid, compile time, ``service``) differs.

Protocol: :mod:`multiprocessing.connection` over a Unix socket in a private (0700) directory,
with a random authentication key (HMAC challenge) passed in the environment; one thread per
client connection; the requests are tuples

* ``("run", key, data, var_names, seed, settings)`` -> ``("ok", _Run)`` or ``("error", type, message)``
* ``("warm", keys)`` -> ``("ok", None)``; the structures compile in the background
* ``("ping",)`` -> ``("ok", pid)``

The service ends when its standard input closes, i.e. when the process that started it ends,
however it ends (Ctrl-C, kill, normal exit).  Without the environment variables (a notebook
opened in JupyterLab, a script) every fit runs in the calling process, as before.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings

__all__ = ["Service", "ensure", "run_remote", "configured", "ENV_ADDRESS", "ENV_KEY"]

ENV_ADDRESS = "RMWORK_BAYES_SERVICE"      # Unix socket of the service a kernel should use
ENV_KEY = "RMWORK_BAYES_SERVICE_KEY"      # its authentication key, hex
CONNECT_TIMEOUT = 30.0                    # s to wait for the socket of a service just started


# ---------------------------------------------------------------------------------------------
# server side (runs in the service process)

def _serve(address: str, authkey: bytes) -> None:
    from multiprocessing.connection import Listener

    _defer_import("arviz")  # before any thread imports nutpie (see _prepare)
    listener = Listener(address, family="AF_UNIX", authkey=authkey)  # bind first: clients may connect early
    threading.Thread(target=_exit_on_eof, daemon=True).start()
    threading.Thread(target=_prepare, daemon=True).start()
    while True:
        try:
            conn = listener.accept()
        except Exception:  # noqa: BLE001 - a client that fails the handshake must not stop the service
            continue
        threading.Thread(target=_client, args=(conn,), daemon=True).start()


def _exit_on_eof() -> None:
    """End the service when the parent's end of the stdin pipe closes (the parent has ended)."""
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(0)


def _defer_import(name: str) -> None:
    """Make ``import name`` cheap in this process: a stand-in module imports the real one at its
    first attribute use (and replaces itself in ``sys.modules``)."""
    import importlib
    import types

    stub = types.ModuleType(name, f"stand-in for {name}, imported at first use")

    def __getattr__(attr):
        if sys.modules.get(name) is stub:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)

    stub.__getattr__ = __getattr__
    sys.modules.setdefault(name, stub)


def _prepare() -> None:
    # the heavy imports start at once, in parallel with the caller's kernel start-up.  nutpie
    # imports ArviZ at the top of nutpie.sample (1.6 s here, with matplotlib) only to convert
    # traces; the service reads the raw Arrow trace, so ArviZ loads only if something uses it.
    from . import models  # noqa: F401 - registers the structures
    import nutpie  # noqa: F401
    import pymc  # noqa: F401


def _warm(keys) -> None:
    from . import models  # noqa: F401
    from . import sampling

    for key in keys:
        try:
            sampling.warm([key])
        except Exception as exc:  # noqa: BLE001 - the fit that needs it will report the error
            print(f"rmwork sampling service: warm-up of {key!r} failed: {exc}", file=sys.stderr, flush=True)


def _client(conn) -> None:
    from . import models  # noqa: F401
    from . import sampling

    with conn:
        while True:
            try:
                req = conn.recv()
            except (EOFError, OSError):
                return
            try:
                if req[0] == "run":
                    _, key, data, var_names, seed, settings = req
                    run = sampling._run_here(tuple(key), sampling.structure(tuple(key))[0], data,
                                             var_names=var_names, seed=seed, settings=settings)
                    reply = ("ok", run)
                elif req[0] == "warm":
                    threading.Thread(target=_warm, args=([tuple(k) for k in req[1]],), daemon=True).start()
                    reply = ("ok", None)
                elif req[0] == "ping":
                    reply = ("ok", os.getpid())
                else:
                    reply = ("error", "ValueError", f"unknown request {req[0]!r}")
            except Exception as exc:  # noqa: BLE001 - sent back to the client, which raises it
                reply = ("error", type(exc).__name__, str(exc))
            try:
                conn.send(reply)
            except (OSError, EOFError):
                return


# ---------------------------------------------------------------------------------------------
# client side (the kernel)

_local = threading.local()


def _connection():
    address = os.environ.get(ENV_ADDRESS)
    if not address:
        return None, None
    conn = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "address", None) != address:
        from multiprocessing.connection import Client

        conn = Client(address, family="AF_UNIX", authkey=bytes.fromhex(os.environ.get(ENV_KEY, "")))
        _local.conn, _local.address = conn, address
    return conn, address


def configured() -> bool:
    """Whether this process's fits go to a sampling service (the environment names one)."""
    return bool(os.environ.get(ENV_ADDRESS))


def run_remote(key, data, *, var_names, seed, settings):
    """Fit ``key`` in the sampling service named by the environment; None if there is none.

    A service that cannot be reached (it ended, or the socket is gone) gives a warning and None:
    the caller then fits in its own process, with the same draws.
    """
    try:
        conn, address = _connection()
        if conn is None:
            return None
        conn.send(("run", tuple(key), dict(data), tuple(var_names), int(seed), settings))
        reply = conn.recv()
    except (OSError, EOFError, ValueError) as exc:
        _local.conn = None
        warnings.warn(f"sampling service unreachable ({type(exc).__name__}); fitting in this process",
                      RuntimeWarning, stacklevel=3)
        return None
    if reply[0] != "ok":
        raise RuntimeError(f"sampling service: {reply[1]}: {reply[2]}")
    run = reply[1]
    run.runtime["service"] = True
    return run


# ---------------------------------------------------------------------------------------------
# starting and stopping (the runner's process)

class Service:
    """A sampling service process; ends with this object's :meth:`close` or this process."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rmwork-bayes-")  # 0700: only this user reaches the socket
        self.address = os.path.join(self.dir, "service.sock")
        self.key = os.urandom(32).hex()
        env = {k: v for k, v in os.environ.items() if k != ENV_ADDRESS}  # the service samples itself
        env[ENV_KEY] = self.key
        self._log = open(os.path.join(self.dir, "service.log"), "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "rmwork.bayes.service", self.address],
                                     stdin=subprocess.PIPE, stdout=self._log, stderr=self._log, env=env,
                                     start_new_session=True)  # Ctrl-C reaches the runner, which closes us
        self._lock = threading.Lock()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def env(self) -> dict[str, str]:
        """Environment variables that send a kernel's fits to this service."""
        return {ENV_ADDRESS: self.address, ENV_KEY: self.key}

    def _client(self):
        from multiprocessing.connection import Client

        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            try:
                return Client(self.address, family="AF_UNIX", authkey=bytes.fromhex(self.key))
            except (FileNotFoundError, ConnectionRefusedError):
                if not self.alive() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def warm(self, keys, *, wait: bool = False) -> None:
        """Ask the service to compile ``keys`` now (in the background unless ``wait``)."""
        keys = [tuple(k) for k in keys]
        if not keys:
            return

        def send():
            try:
                with self._lock, self._client() as c:
                    c.send(("warm", keys))
                    c.recv()
            except (OSError, EOFError):
                pass  # the fits will compile on demand (or fall back to the kernel)

        if wait:
            send()
        else:
            threading.Thread(target=send, daemon=True).start()

    def ping(self) -> int:
        with self._client() as c:
            c.send(("ping",))
            return c.recv()[1]

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()  # the service sees EOF and exits
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


_service: Service | None = None
_service_lock = threading.Lock()


def ensure() -> Service:
    """This process's sampling service, started on first use (and again if it has ended)."""
    global _service
    with _service_lock:
        if _service is None or not _service.alive():
            if _service is not None:
                _service.close()
            _service = Service()
        return _service


@atexit.register
def _close_at_exit():
    if _service is not None:
        _service.close()


if __name__ == "__main__":
    _serve(sys.argv[1], bytes.fromhex(os.environ.pop(ENV_KEY)))
