"""Sampling service: one process compiles each model structure once and samples for the kernels
of a run or of a whole batch (PITFALLS.md: compile once per structure, swap data).

Why a process of its own: the nutpie/numba compile of a structure (12-15 s on our 2-core
machine) dominates a lot's run, and it cannot be cached across processes (nutpie's compiled
wrappers are numba cfuncs with dynamic globals).  ``rmwork run`` and ``rmwork batch`` start this
service before the notebook's kernel and name the structures the lot needs, so the compile runs
on the second core while papermill starts the kernel and the classical studies run; the kernel
itself never imports PyMC; and ``batch`` starts one service for all its workers, so each structure
compiles once per batch, not once per worker (:func:`shared`).  The same compiled structure and seed give the same draws in any process (measured;
``tests/test_bayes_service.py``), so a result does not depend on where its fit ran: only the
runtime record (pid, compile time, ``service``) differs.

Protocol: :mod:`multiprocessing.connection` over a Unix socket in a private (0700) directory,
with a random authentication key (HMAC challenge) passed in the environment; one thread per
client connection; the requests are tuples

* ``("run", key, data, var_names, seed, settings)`` -> ``("ok", _Run)`` or ``("error", type, message)``
* ``("warm", keys)`` -> ``("ok", None)``; the structures compile in the background
* ``("ping",)`` -> ``("ok", pid)``

The service ends when its standard input closes, i.e. when the process that started it ends,
however it ends (Ctrl-C, kill, normal exit).  The kernel's side is :class:`RemoteSampler`, a
sampler callable of :mod:`rmwork.bayes.sampling` that the kernel plug-in (:mod:`rmwork.run.kernel`)
hands the models; without the environment variables (a notebook opened in JupyterLab, a script)
nothing sends fits anywhere and every fit runs in the calling process.
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

__all__ = [
    "Service",
    "ensure",
    "shared",
    "RemoteSampler",
    "from_environment",
    "configured",
    "ENV_ADDRESS",
    "ENV_KEY",
]

ENV_ADDRESS = "RMWORK_BAYES_SERVICE"  # Unix socket of the service a kernel should use
ENV_KEY = "RMWORK_BAYES_SERVICE_KEY"  # its authentication key, hex
ENV_SHARED = "RMWORK_BATCH_SERVICE"  # a batch's service, for its workers (not for kernels)
ENV_SHARED_KEY = "RMWORK_BATCH_SERVICE_KEY"
CONNECT_TIMEOUT = 30.0  # s to wait for the socket of a service just started


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
    import nutpie  # noqa: F401
    import pymc  # noqa: F401

    from rmwork.bayes import models  # noqa: F401


def _warm(keys) -> None:
    from rmwork.bayes import models, sampling

    for key in keys:
        try:
            build, var_names = models.structure(key)
            with _compiling(key):
                sampling.compile_structure(key, build, var_names)
        except Exception as exc:  # noqa: BLE001 - the fit that needs it will report the error
            print(f"rmwork sampling service: warm-up of {key!r} failed: {exc}", file=sys.stderr, flush=True)


_COMPILING: dict = {}
_COMPILING_LOCK = threading.Lock()


class _compiling:
    """One compile per structure in this process: a second request for a key being compiled
    waits for the first (sampling's cache lock would serialise them anyway; this keeps the wait
    out of other keys' way)."""

    def __init__(self, key):
        self.key = key

    def __enter__(self):
        with _COMPILING_LOCK:
            self.lock = _COMPILING.setdefault(self.key, threading.Lock())
        self.lock.acquire()

    def __exit__(self, *exc):
        self.lock.release()


def _client(conn) -> None:
    from rmwork.bayes import models, sampling

    with conn:
        while True:
            try:
                req = conn.recv()
            except (EOFError, OSError):
                return
            try:
                if req[0] == "run":
                    _, key, data, var_names, seed, settings = req
                    key = tuple(key)
                    build, _ = models.structure(key)
                    with _compiling(key):
                        sampling.compile_structure(key, build, var_names)
                    run = sampling.sample_here(
                        key, build, data, var_names=var_names, seed=seed, settings=settings
                    )
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


def configured() -> bool:
    """Whether the environment names a sampling service for this process's fits."""
    return bool(os.environ.get(ENV_ADDRESS))


class RemoteSampler:
    """A sampler (:mod:`rmwork.bayes.sampling`) that fits in the sampling service at ``address``.

    A service that cannot be reached (it ended, or the socket is gone) gives a warning, and the
    fit runs in this process with the same draws; so does a structure the service cannot build
    from its key (a custom model).
    """

    def __init__(self, address: str, key_hex: str):
        self.address, self.key_hex = address, key_hex

    def _connection(self):
        conn = getattr(_local, "conn", None)
        if conn is None or getattr(_local, "address", None) != self.address:
            from multiprocessing.connection import Client

            conn = Client(self.address, family="AF_UNIX", authkey=bytes.fromhex(self.key_hex))
            _local.conn, _local.address = conn, self.address
        return conn

    def __call__(self, key, build, data, *, var_names, seed, settings):
        from rmwork.bayes import models, sampling

        if not (isinstance(key, tuple) and key and key[0] in models.STRUCTURES):
            return sampling.sample_here(key, build, data, var_names=var_names, seed=seed, settings=settings)
        try:
            conn = self._connection()
            conn.send(("run", tuple(key), dict(data), tuple(var_names), int(seed), settings))
            reply = conn.recv()
        except (OSError, EOFError, ValueError) as exc:
            _local.conn = None
            warnings.warn(
                f"sampling service unreachable ({type(exc).__name__}); fitting in this process",
                RuntimeWarning,
                stacklevel=4,
            )
            return sampling.sample_here(key, build, data, var_names=var_names, seed=seed, settings=settings)
        if reply[0] != "ok":
            raise RuntimeError(f"sampling service: {reply[1]}: {reply[2]}")
        run = reply[1]
        run.runtime["service"] = True
        return run


def from_environment() -> RemoteSampler | None:
    """The sampler of the service the environment names (set by the runner), or None."""
    address = os.environ.get(ENV_ADDRESS)
    return RemoteSampler(address, os.environ.get(ENV_KEY, "")) if address else None


# ---------------------------------------------------------------------------------------------
# starting and stopping (the runner's process)


class Handle:
    """A running sampling service, by address and key: what a batch worker holds of the service
    the batch's coordinator started (:func:`shared`)."""

    def __init__(self, address: str, key: str):
        self.address, self.key = address, key
        self._lock = threading.Lock()

    def alive(self) -> bool:
        # the private directory is made before the service starts and removed when it closes
        return os.path.isdir(os.path.dirname(self.address))

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


class Service(Handle):
    """A sampling service process; ends with this object's :meth:`close` or this process."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rmwork-bayes-")  # 0700: only this user reaches the socket
        super().__init__(os.path.join(self.dir, "service.sock"), os.urandom(32).hex())
        env = {k: v for k, v in os.environ.items() if k not in (ENV_ADDRESS, ENV_SHARED, ENV_SHARED_KEY)}
        env[ENV_KEY] = self.key
        self._log = open(os.path.join(self.dir, "service.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rmwork.run.service", self.address],
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=self._log,
            env=env,
            start_new_session=True,
        )  # Ctrl-C reaches the runner, which closes us

    def alive(self) -> bool:
        return self.proc.poll() is None

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


def shared() -> Handle | None:
    """The service this process's parent shares with it (a batch worker: the coordinator started
    one service for all its workers, :func:`start_shared`), or None."""
    address = os.environ.get(ENV_SHARED)
    if address and os.path.isdir(os.path.dirname(address)):
        return Handle(address, os.environ.get(ENV_SHARED_KEY, ""))
    return None


def start_shared() -> Service:
    """Start this process's service and name it in the environment, so that the processes this
    one starts (batch workers) send their fits, and their warm-up requests, to it: one compile
    per structure per batch."""
    svc = ensure()
    os.environ[ENV_SHARED], os.environ[ENV_SHARED_KEY] = svc.address, svc.key
    return svc


def ensure() -> Handle:
    """The batch's shared service if there is one, else this process's own, started on first use
    (and again if it has ended)."""
    global _service
    if (handle := shared()) is not None:
        return handle
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
