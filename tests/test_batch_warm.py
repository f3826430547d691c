"""Batch workers fork each lot's notebook process and kernel from a warm fork server
(rmwork.run.warm, rmwork.run.warm_kernel): same report as `rmwork run`, and nothing left
running when the batch is interrupted or killed."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from test_cli import make_lot as cli_lot

from rmwork.report.phrases import text

EXE = Path(sys.executable).parent / "rmwork"


def make_lot(folder: Path, name: str, bayes: str = "false") -> Path:
    return cli_lot(
        folder, name=name, material="m", bayes=bayes, extra="language: zh\n"
    )  # zh: the CJK figures too


def outputs(nb_path: Path) -> list:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return [o for c in nb["cells"] for o in c.get("outputs", [])]


def test_batch_report_is_the_run_report_with_a_forked_kernel(tmp_path):
    lot = make_lot(tmp_path / "params", "W-1")
    r = subprocess.run(
        [str(EXE), "run", str(lot), "--out", str(tmp_path / "run")], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [str(EXE), "batch", str(lot), "--workers", "1", "--force", "--out", str(tmp_path / "batch")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    fresh, warm = tmp_path / "run" / "W-1", tmp_path / "batch" / "W-1"
    m_fresh = json.loads((fresh / "manifest.json").read_text())
    m_warm = json.loads((warm / "manifest.json").read_text())
    assert m_fresh["kernel_start"] == {"certification_report.ipynb": "fresh"}
    assert m_warm["kernel_start"] == {"certification_report.ipynb": "forked"}
    assert (warm / "results.json").read_bytes() == (fresh / "results.json").read_bytes()
    a, b = outputs(fresh / "certification_report.ipynb"), outputs(warm / "certification_report.ipynb")
    png = [o["data"]["image/png"] for o in a if "image/png" in o.get("data", {})]
    assert png and png == [o["data"]["image/png"] for o in b if "image/png" in o.get("data", {})]
    # every output is the same but the one stating when the run started (Table P3, in the lot's language)
    differ = [x for x, y in zip(a, b) if x != y]
    started = {text("started (UTC)", lang) for lang in ("en", "zh")}
    assert len(a) == len(b) and len(differ) == 1
    assert any(s in json.dumps(differ[0], ensure_ascii=False) for s in started)
    assert not list(warm.glob(".*kernel-start"))  # the child's note is not an output


def test_warm_provisioner_forks_the_kernel_and_falls_back_when_a_thread_runs(tmp_path):
    """The kernel is this process's child with the preloaded modules; with another Python thread
    running (forking would be unsafe) jupyter_client's usual Popen start is used."""
    script = tmp_path / "probe.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, os, sys, threading
        import nbformat, papermill as pm
        from rmwork.run import warm_kernel as _warm_kernel
        _warm_kernel.preload()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import os, sys; from ipykernel.kernelapp import IPKernelApp; "
            "print(os.getppid(), 'papermill' in sys.modules, IPKernelApp.instance().parent_handle == os.getppid())")])
        nbformat.write(nb, {str(tmp_path / "in.ipynb")!r})
        def run(tag):
            out = {str(tmp_path)!r} + f"/out-{{tag}}.ipynb"
            pm.execute_notebook({str(tmp_path / "in.ipynb")!r}, out, kernel_name="rmwork", progress_bar=False,
                                kernel_manager_class=_warm_kernel.WarmKernelManager)
            text = nbformat.read(out, as_version=4).cells[0].outputs[0]["text"].split()
            return [int(text[0]) == os.getpid(), text[1] == "True", text[2] == "True"]
        first = run("a")
        stop = threading.Event(); t = threading.Thread(target=stop.wait); t.start()
        second = run("b")
        stop.set(); t.join()
        print(json.dumps({{"first": first, "second": second, "starts": _warm_kernel.STARTS}}))
    """)
    )
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    # forked here, modules inherited, and it watches its parent as a fresh kernel does
    assert res["first"] == [True, True, True]
    assert res["second"] == [True, False, True]  # a fresh interpreter
    assert res["starts"] == ["forked", "fresh"]


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(procs) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.parametrize("how,workers", [("interrupt", 1), ("kill", 1), ("interrupt", 2), ("kill", 2)])
def test_stopped_batch_leaves_no_process_behind(tmp_path, how, workers):
    """Ctrl-C (SIGINT to the terminal's process group) or SIGKILL of the batch while a forked
    kernel runs a lot: the fork server, the lot's process, its kernel and the sampling service end."""
    lots = [make_lot(tmp_path / "params", f"K-{i}", bayes="true") for i in range(workers)]  # compiles: time
    out = tmp_path / "reports"
    p = subprocess.Popen(
        [str(EXE), "batch", *map(str, lots), "--workers", str(workers), "--force", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 120
    kernels = []
    while time.time() < deadline and not kernels:
        time.sleep(0.3)
        # batch -> fork server -> the lot's papermill process -> its kernel (forked, same cmdline)
        servers = [c for c in descendants(p.pid) if "multiprocessing.forkserver" in " ".join(c.cmdline())]
        kernels = [k for s in servers for lot_proc in s.children() for k in lot_proc.children()]
    assert kernels, "no forked kernel appeared"
    time.sleep(3)  # inside the lot's first cells
    procs = descendants(p.pid)
    assert len(procs) >= 4, [" ".join(x.cmdline())[:80] for x in procs]
    os.killpg(p.pid, signal.SIGINT if how == "interrupt" else signal.SIGKILL)
    _, err = p.communicate(timeout=120)
    if how == "interrupt":
        assert p.returncode == 130, err
        assert "Traceback" not in err
    end = time.time() + 30
    while time.time() < end and alive(procs):
        time.sleep(0.3)
    assert not alive(procs), [" ".join(x.cmdline())[:80] for x in alive(procs)]
