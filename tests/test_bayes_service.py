"""The sampling service (rmwork.run.service): same draws as a fit in the kernel, deferred
sensitivity fits in the workbook (the kernel plug-in, rmwork.run.kernel), fall-back when
unreachable, one service shared by a batch's workers, and no process left behind.

Run time: the service compiles random-effects once (10-20 s, in its own process); this module's
in-process fits reuse the structure compiled by other test modules when they ran first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import rmwork.bayes as rb
from rmwork.bayes import sampling
from rmwork.bayes.models import RANDOM_EFFECTS_KEY
from rmwork.run import kernel, service

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"draws": 500, "tune": 300, "chains": 2}

rng = np.random.default_rng(11)
UNITS = np.repeat([f"U{i}" for i in range(8)], 3)
VALUES = 10 + np.repeat(rng.normal(0, 0.2, 8), 3) + rng.normal(0, 0.1, 24)


@pytest.fixture(scope="module")
def svc():
    s = service.Service()
    s.warm([RANDOM_EFFECTS_KEY], wait=True)
    yield s
    s.close()


@pytest.fixture
def use(svc, monkeypatch):
    """The service's sampler as this process's default (what the kernel plug-in sets)."""
    for k, v in svc.env().items():
        monkeypatch.setenv(k, v)
    sampling.set_default_sampler(service.from_environment())
    yield svc
    sampling.set_default_sampler(None)


def _draws(fit):
    return {k: np.asarray(v) for k, v in fit.draws.items()}


def test_service_fit_has_the_same_draws_as_a_fit_in_this_process(use, monkeypatch):
    remote = rb.random_effects(VALUES, UNITS, seed=3, settings=SETTINGS)
    assert remote.runtime["service"] is True and remote.runtime["pid"] == use.proc.pid
    here = rb.random_effects(VALUES, UNITS, seed=3, settings=SETTINGS, sampler=sampling.sample_here)
    assert "service" not in here.runtime and here.runtime["pid"] == os.getpid()
    a, b = _draws(remote), _draws(here)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)  # bit for bit
    assert remote.config_hash == here.config_hash and remote.to_dict() == here.to_dict()


def test_second_fit_in_the_service_reuses_the_compiled_structure(use):
    rb.random_effects(VALUES, UNITS, seed=4, settings=SETTINGS)
    f = rb.random_effects(VALUES + 1, UNITS, seed=5, settings=SETTINGS)
    assert f.runtime["cache_hit"] is True and f.runtime["compile_seconds"] == 0.0


def test_an_unreachable_service_warns_and_fits_here_with_the_same_numbers(use, monkeypatch, tmp_path):
    good = rb.random_effects(VALUES, UNITS, seed=6, settings=SETTINGS)
    sampling.set_default_sampler(service.RemoteSampler(str(tmp_path / "no-such.sock"), use.key))
    with pytest.warns(RuntimeWarning, match="sampling service unreachable"):
        here = rb.random_effects(VALUES, UNITS, seed=6, settings=SETTINGS)
    assert here.to_dict() == good.to_dict()


def test_errors_in_the_service_come_back_as_one_line(use):
    from rmwork.bayes import models

    build, var_names = models.structure(RANDOM_EFFECTS_KEY)
    with pytest.raises(RuntimeError, match=r"^sampling service: \w+: "):
        sampling.run(
            RANDOM_EFFECTS_KEY,
            build,
            {"no_such_data": np.zeros(3)},
            var_names=var_names,
            seed=1,
            settings=sampling.SamplerSettings(**SETTINGS),
        )


def test_workbook_defers_sensitivity_fits_and_settles_to_the_same_results(use, monkeypatch, tmp_path):
    import pandas as pd

    from rmwork import workbook

    pd.DataFrame({"unit": UNITS, "value": VALUES, "analyte": "A"}).to_csv(tmp_path / "h.csv", index=False)
    lot = tmp_path / "L.yaml"
    lot.write_text(
        "lot: L\nmaterial: m\nseed: 8\nsampler: {draws: 1000, tune: 300, chains: 2}\n"
        "homogeneity:\n  data: h.csv\n  bayes: true\n"
    )
    wb = workbook.open(lot, fits=kernel.BackgroundFits(service.from_environment()))
    studies = wb.homogeneity()
    assert wb.pending("homogeneity") and studies["A"].bayes is None
    seen = []
    wb.on_settle(lambda: seen.append(wb.results["homogeneity"]["A"].bayes))
    deferred = wb.record(None)
    assert not wb.pending("homogeneity") and seen and seen[0] is not None
    assert seen[0].runtime["service"] is True
    sampling.set_default_sampler(None)
    wb2 = workbook.open(lot)
    wb2.homogeneity()
    assert not wb2.pending("homogeneity")
    assert wb2.record(None) == deferred


def test_service_ends_when_the_process_that_started_it_is_killed(tmp_path):
    code = textwrap.dedent("""
        import sys, time
        from rmwork.run import service
        s = service.Service()
        s.ping()
        print(s.proc.pid, flush=True)
        time.sleep(600)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    pid = int(p.stdout.readline())
    os.kill(pid, 0)  # running
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.1)
    if _running(pid):
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the sampling service outlived the process that started it")


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status waits for init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_a_batch_worker_uses_the_batch_service_instead_of_starting_its_own(svc, monkeypatch):
    """Issue 13: one compile per structure per batch -- the coordinator's service, named in the
    workers' environment, is the one a worker's runner gets (no second service, no second compile)."""
    monkeypatch.setenv(service.ENV_SHARED, svc.address)
    monkeypatch.setenv(service.ENV_SHARED_KEY, svc.key)
    handle = service.ensure()
    assert not isinstance(handle, service.Service)
    assert handle.address == svc.address and handle.ping() == svc.proc.pid
