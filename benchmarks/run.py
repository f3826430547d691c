"""rmwork benchmarks (issue: performance and scale).  Prints every figure beside its target.

    .venv/bin/python benchmarks/run.py [--repeat N] [--lots N] [--skip floor,lot,per-analyte,peer,batch,batch-bayes]
                                       [--results FILE]

Rows:
  floor        papermill on a one-cell notebook importing numpy/pandas/scipy/matplotlib/pymc, plus
               nbconvert to HTML (the cost any notebook report pays)
  lot          `rmwork run` on a demo lot with Bayesian models for >= 3 analytes; target <= 2 x floor
  per-analyte  one more Bayesian fit of an already compiled structure; target <= 0.3 s
  peer         the same NICOB hierarchical Gauss model on PCB 28 in JAGS through R (rjags) vs rmwork;
               target >= 15 x faster per fit; skipped with a note without R/JAGS
  batch        16 lots, --workers 2 vs --workers 1; target >= 1.8 x.  Two sets of lots: "small"
               (homogeneity only: a lot costs little more than a kernel, so the batch's fixed
               start-up weighs most) and "full" (the demo lot's four studies, Bayes off)
  batch-bayes  6 copies of RM-DEMO-CRM001 with its Bayesian homogeneity model on, --workers 2 vs
               --workers 1; target >= 1.8 x: one sampling service for the whole batch compiles
               the model structure once, not once per worker (issue 13); medians of
               --bayes-repeat pairs, and the ceiling 2 cores allow (2 x T1 / CPU of --workers 2)
  memory       peak memory of the batch's process tree (sum of RSS, and sum of PSS) vs workers x
               one lot's peak (`rmwork run` of one of the lots)
Medians of --repeat runs.  Results also go to benchmarks/results/latest.json (or --results FILE).
benchmarks/batch_timeline.py shows where a batch's CPU goes, process by process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results"


# rmwork's exit 3: every report written, an analyte withheld (the demo lot's X): a finished run
RMWORK_OK = (0, 3)


def wall(cmd, ok=(0,), **kw) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.perf_counter() - t0
    if r.returncode not in ok:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return dt


def batch_cmd(folder: Path, out: Path, workers: int, *, force: bool = True) -> list:
    """``rmwork batch FOLDER --out OUT --workers N [--force]``."""
    return [BIN / "rmwork", "batch", folder, "--out", out, "--workers", str(workers)] + (
        ["--force"] if force else []
    )


def floor(tmp: Path) -> float:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import numpy, pandas, scipy, matplotlib, pymc")])
    src = tmp / "floor.ipynb"
    nbformat.write(nb, str(src))
    t0 = time.perf_counter()
    wall([BIN / "papermill", src, tmp / "floor_out.ipynb", "-k", "rmwork", "--no-progress-bar"])
    wall([BIN / "jupyter", "nbconvert", "--to", "html", tmp / "floor_out.ipynb", "--output-dir", tmp])
    return time.perf_counter() - t0


def lot_run(tmp: Path, params: Path) -> float:
    return wall([BIN / "rmwork", "run", params, "--out", tmp / "reports"], ok=RMWORK_OK, cwd=ROOT)


def per_analyte_fit(repeat: int, seeds: int) -> dict:
    """Compile once, then time fits of new data through the compiled structure (in one process);
    then fit the PCB 28 data with ``seeds`` seeds for the comparison with the peer."""
    code = textwrap.dedent(f"""
        import json, time, numpy as np
        from rmwork import bayes
        from rmwork.testing import reference
        d = reference("consensus_pcb28_ccqm_k25")
        x, u, dof = d["value"].to_numpy(), d["u"].to_numpy(), d["dof"].to_numpy()
        t0 = time.perf_counter(); first = bayes.hierarchical(x, u, dof, seed=1); t_first = time.perf_counter() - t0
        rng = np.random.default_rng(0); times = []; ok = []
        for i in range({repeat}):
            xi = x + rng.normal(0, 0.5, x.size)
            t0 = time.perf_counter(); f = bayes.hierarchical(xi, u, dof, seed=100 + i); times.append(time.perf_counter() - t0)
            ok.append(bool(f.diagnostics.passed))
        a = bayes.hierarchical(x, u, dof, seed=7).summary
        b = bayes.hierarchical(x, u, dof, seed=7).summary
        post = [bayes.hierarchical(x, u, dof, seed=s).summary for s in range(1, {seeds} + 1)]
        print(json.dumps({{"first_fit_s": t_first, "fits_s": times, "diagnostics_passed": ok,
                          "same_seed_same_numbers": a == b,
                          "mu_mean": [p["mu"]["mean"] for p in post], "mu_sd": [p["mu"]["sd"] for p in post],
                          "tau_mean": [p["tau"]["mean"] for p in post]}}))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


JAGS_MODEL = """
model {
  for (j in 1:n) {
    lambda[j] ~ dnorm(0, 1 / (tau * tau))
    x[j] ~ dnorm(mu + lambda[j], 1 / (sigma[j] * sigma[j]))
    sigma[j] ~ dt(0, 1 / (medu * medu), 1) T(0,)
    u2[j] ~ dgamma(nu[j] / 2, nu[j] / (2 * sigma[j] * sigma[j]))
  }
  mu ~ dnorm(0, 1.0E-10)
  tau ~ dt(0, 1 / (madx * madx), 1) T(0,)
}
"""


def jags_peer(repeat: int) -> dict | None:
    """NICOB hierarchical Gauss (Koepke et al. 2017) in JAGS: 250 000 iterations as NICOB runs it."""
    if not shutil.which("Rscript"):
        return None
    chk = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(rjags))"], capture_output=True, text=True
    )
    if chk.returncode != 0:
        return None
    from rmwork.testing import reference

    d = reference("consensus_pcb28_ccqm_k25")
    tmp = Path(tempfile.mkdtemp())
    (tmp / "model.jags").write_text(JAGS_MODEL)
    vec = lambda s: "c(" + ",".join(repr(float(v)) for v in s) + ")"  # noqa: E731
    script = f"""
    suppressMessages(library(rjags))
    x <- {vec(d["value"])}; u <- {vec(d["u"])}; nu <- {vec(d["dof"])}
    madx <- mad(x); medu <- median(u)
    times <- c(); mus <- c(); sds <- c(); taus <- c()
    for (r in 1:{repeat}) {{
      t0 <- proc.time()[["elapsed"]]
      set.seed(r)
      m <- jags.model("{tmp / "model.jags"}", data = list(x = x, u2 = u^2, nu = nu, n = length(x),
                      madx = madx, medu = medu), inits = list(.RNG.name = "base::Mersenne-Twister", .RNG.seed = r),
                      n.chains = 1, n.adapt = 1000, quiet = TRUE)
      update(m, 25000, progress.bar = "none")
      s <- coda.samples(m, c("mu", "tau"), n.iter = 250000, thin = 25, progress.bar = "none")[[1]]
      times <- c(times, proc.time()[["elapsed"]] - t0)
      mus <- c(mus, mean(s[, "mu"])); sds <- c(sds, sd(s[, "mu"])); taus <- c(taus, mean(s[, "tau"]))
    }}
    cat(sprintf('{{"fits_s": [%s], "mu_mean": [%s], "mu_sd": [%s], "tau_mean": [%s]}}\\n',
        paste(times, collapse = ","), paste(mus, collapse = ","), paste(sds, collapse = ","),
        paste(taus, collapse = ",")))
    """
    r = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def _pss(pid: int) -> int:
    """Proportional set size in bytes (Linux smaps_rollup): shared pages split between sharers."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakRSS:
    """Peak memory of a process tree, sampled every 0.1 s: the sum of the processes' RSS (counts a
    library shared by n processes n times: an upper bound) and the sum of their PSS (each shared
    page split between its sharers: the memory the tree really holds)."""

    def __init__(self, pid: int):
        import psutil

        self.proc, self.peak, self.peak_pss, self._stop = psutil.Process(pid), 0, 0, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        import psutil

        while not self._stop.is_set():
            try:
                procs = [p for p in [self.proc] + self.proc.children(recursive=True) if p.is_running()]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
                self.peak_pss = max(self.peak_pss, sum(_pss(p.pid) for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self.thread.join()


class TreeCPU:
    """CPU seconds (user + system) of a process tree, each process's last sample every 0.2 s: what
    the tree computed, whatever the machine's load (a structure compiled twice shows here)."""

    interval = 0.2  # seconds between samples

    def __init__(self, pid: int):
        import psutil

        self.proc, self.seen, self._stop = psutil.Process(pid), {}, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _record(self, p, cpu: float, now: float) -> None:
        """One sample of process ``p`` (a subclass keeps more of it: batch_timeline.Tree)."""
        self.seen[(p.pid, p.create_time())] = cpu

    def _loop(self):
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
            except psutil.Error:
                procs = []
            now = time.time()
            for p in procs:
                try:
                    t = p.cpu_times()
                    self._record(p, t.user + t.system, now)
                except psutil.Error:
                    pass
            time.sleep(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self.thread.join()


def timed_tree(cmd, cwd=ROOT) -> tuple[float, float]:
    """Wall and CPU seconds of ``cmd`` and its descendants."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeCPU(p.pid) as m:
        out, err = p.communicate()
    if p.returncode not in (0, 3):  # 3: reports written with an analyte withheld (the demo's X)
        raise RuntimeError(f"{cmd} failed:\n{out[-2000:]}\n{err[-2000:]}")
    return time.perf_counter() - t0, m.seconds


def run_tree(cmd, cwd=ROOT) -> tuple[float, PeakRSS]:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakRSS(p.pid) as m:
        out, err = p.communicate()
    if p.returncode not in (0, 3):  # 3: reports written with an analyte withheld
        raise RuntimeError(f"{cmd} failed:\n{out[-2000:]}\n{err[-2000:]}")
    return time.perf_counter() - t0, m


def make_batch_lots(tmp: Path, n: int) -> Path:
    folder = tmp / "batch_params"
    folder.mkdir()
    shutil.copy(ROOT / "rmwork" / "data" / "reference" / "homogeneity_ecerto_crm001.csv", folder / "h.csv")
    for i in range(n):
        (folder / f"B{i:02d}.yaml").write_text(
            f"lot: B{i:02d}\nmaterial: batch benchmark lot {i}\nseed: {i}\nhomogeneity:\n  data: h.csv\n  bayes: false\n"
        )
    return folder


def make_full_lots(tmp: Path, n: int) -> Path:
    """Lots like the demo lot RM-DEMO-CRM001 (all four studies and the certificate) with the
    Bayesian model off, so that the batch figure is not about the once-per-worker compile."""
    folder = tmp / "batch_full"
    folder.mkdir()
    demo = (ROOT / "parameters" / "RM-DEMO-CRM001.yaml").read_text(encoding="utf-8")
    demo = demo.replace("../data/", f"{ROOT / 'data'}/").replace("bayes: true", "bayes: false")
    for i in range(n):
        text = "\n".join(
            f"lot: F{i:02d}" if ln.startswith("lot:") else f"seed: {i}" if ln.startswith("seed:") else ln
            for ln in demo.splitlines()
        )
        (folder / f"F{i:02d}.yaml").write_text(text + "\n", encoding="utf-8")
    return folder


def make_bayes_lots(tmp: Path, n: int) -> Path:
    """``n`` copies of the demo lot RM-DEMO-CRM001 as shipped (Bayesian homogeneity on), each its
    own lot name and seed: the batch that measures one compile per structure per batch."""
    folder = tmp / "batch_bayes"
    folder.mkdir()
    demo = (ROOT / "parameters" / "RM-DEMO-CRM001.yaml").read_text(encoding="utf-8")
    demo = demo.replace("../data/", f"{ROOT / 'data'}/")
    assert "bayes: true" in demo
    for i in range(n):
        text = "\n".join(
            f"lot: BY{i:02d}" if ln.startswith("lot:") else f"seed: {i}" if ln.startswith("seed:") else ln
            for ln in demo.splitlines()
        )
        (folder / f"BY{i:02d}.yaml").write_text(text + "\n", encoding="utf-8")
    return folder


def batch_bayes(tmp: Path, n: int, repeat: int) -> tuple[dict, list]:
    """Wall times of ``repeat`` interleaved pairs (--workers 1, then 2), unobserved; then one
    pair under the process-tree CPU monitor (its sampling would take CPU from the saturated
    --workers 2 run only, as the memory monitor would in the batch rows).

    On 2 cores a --workers 2 batch cannot finish before its CPU seconds / 2; with the same CPU
    seconds as the --workers 1 batch (no structure compiled twice), T1 / T2 is at most
    2 x T1 / CPU1: the "ceiling" row, taken from one run so that the machine's drift between runs
    (the floor varied from 6.4 to 9.7 s between days) does not enter it.  It is below 2 because
    the --workers 1 batch already uses part of the second core (the sampling service imports
    PyMC and compiles beside the first lot's kernel)."""
    folder = make_bayes_lots(tmp, n)
    t1s, t2s = [], []
    for i in range(repeat):  # interleaved, so both see the same machine state
        t1s.append(wall(batch_cmd(folder, tmp / f"by1-{i}", 1), ok=RMWORK_OK, cwd=ROOT))
        t2s.append(wall(batch_cmd(folder, tmp / f"by2-{i}", 2), ok=RMWORK_OK, cwd=ROOT))
    w1, c1 = timed_tree(batch_cmd(folder, tmp / "by1-cpu", 1))
    w2, c2 = timed_tree(batch_cmd(folder, tmp / "by2-cpu", 2))
    t1, t2 = statistics.median(t1s), statistics.median(t2s)
    rows = [
        (
            f"batch (Bayes on: {n} copies of RM-DEMO-CRM001), --workers 1 / --workers 2",
            f"{t1:.1f} s / {t2:.1f} s = {t1 / t2:.2f} x (runs: "
            + ", ".join(f"{a / b:.2f}" for a, b in zip(t1s, t2s))
            + ")",
            ">= 1.8 x",
        ),
        (
            "batch (Bayes on): CPU of the process tree, --workers 1 / --workers 2 (monitored runs)",
            f"{c1:.0f} s / {c2:.0f} s = {c2 / c1:.2f} (no structure compiled twice: about 1); "
            f"--workers 1 keeps {c1 / w1:.2f} cores busy",
            "",
        ),
        (
            "batch (Bayes on): ceiling on 2 cores for the same CPU seconds, 2 x T1 / CPU1 (one monitored run)",
            f"2 x {w1:.1f} s / {c1:.0f} s = {2 * w1 / c1:.2f} x",
            "",
        ),
    ]
    res = {
        "lots": n,
        "workers1_s": t1s,
        "workers2_s": t2s,
        "monitored_workers1_s": w1,
        "monitored_workers2_s": w2,
        "cpu1_s": c1,
        "cpu2_s": c2,
    }
    return res, rows


def _spread(v) -> str:
    """Median and range of per-seed values: the Monte Carlo spread of a posterior summary."""
    v = v if isinstance(v, list) else [v]
    return f"{statistics.median(v):.3f} [{min(v):.3f}, {max(v):.3f}]"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lots", type=int, default=16)
    ap.add_argument("--bayes-lots", type=int, default=6, help="lots of the batch-bayes row")
    ap.add_argument(
        "--bayes-repeat", type=int, default=5, help="interleaved pairs of the batch-bayes row (noisy machine)"
    )
    ap.add_argument("--skip", default="", help="comma-separated rows to skip")
    ap.add_argument(
        "--results", type=Path, default=RESULTS / "latest.json", help="where the figures go (JSON)"
    )
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    tmp = Path(tempfile.mkdtemp(prefix="rmwork-bench-"))
    res: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
        }
    }
    rows = []

    if "floor" not in skip or "lot" not in skip:
        floors, lots = [], []
        demo = ROOT / "parameters" / "RM-DEMO-CRM001.yaml"
        for _ in range(args.repeat):  # interleaved, so both see the same machine state
            floors.append(floor(tmp))
            if "lot" not in skip:
                lots.append(lot_run(tmp, demo))
        f = statistics.median(floors)
        res["floor_s"] = floors
        rows.append(("floor: papermill one-cell notebook + nbconvert", f"{f:.1f} s", "(reference)"))
        if lots:
            lt = statistics.median(lots)
            res["lot_s"] = lots
            rows.append(
                (
                    "lot: rmwork run RM-DEMO-CRM001 (Bayes for 3 analytes)",
                    f"{lt:.1f} s = {lt / f:.2f} x floor",
                    "<= 2 x floor",
                )
            )

    if "per-analyte" not in skip or "peer" not in skip:
        pa = per_analyte_fit(max(5, args.repeat * 3), max(3, args.repeat))
        res["per_analyte"] = pa
        m = statistics.median(pa["fits_s"])
        rows.append(("first fit (compile + sample), hierarchical Gauss", f"{pa['first_fit_s']:.1f} s", ""))
        rows.append(
            (
                "per extra analyte, compiled structure",
                f"{m:.3f} s (diagnostics passed "
                f"{sum(pa['diagnostics_passed'])}/{len(pa['diagnostics_passed'])}, same seed same "
                f"numbers: {pa['same_seed_same_numbers']})",
                "<= 0.3 s",
            )
        )
        if "peer" not in skip:
            peer = jags_peer(args.repeat)
            res["peer"] = peer
            if peer is None:
                rows.append(
                    (
                        "peer: JAGS (rjags) per fit",
                        "skipped: R/rjags not installed (apt-get install r-base-core jags r-cran-rjags)",
                        ">= 15 x",
                    )
                )
            else:
                j = statistics.median(peer["fits_s"])
                rows.append(
                    (
                        "peer: JAGS 250 000 iterations per fit",
                        f"{j:.2f} s; rmwork {m:.3f} s; ratio {j / m:.0f} x",
                        ">= 15 x",
                    )
                )
                rows.append(
                    (
                        "peer: posterior mu mean / sd, tau mean (median [range] of seeds)",
                        f"JAGS {_spread(peer['mu_mean'])} / {_spread(peer['mu_sd'])}, "
                        f"{_spread(peer['tau_mean'])}; rmwork {_spread(pa['mu_mean'])} / "
                        f"{_spread(pa['mu_sd'])}, {_spread(pa['tau_mean'])}",
                        "equal within MC error",
                    )
                )

    if "batch" not in skip:
        sets = {
            "small": ("homogeneity only", make_batch_lots(tmp, args.lots)),
            "full": (
                "homogeneity, stability, characterization, certificate; Bayes off",
                make_full_lots(tmp, args.lots),
            ),
        }
        mib = lambda b: f"{b / 2**20:.0f} MiB"  # noqa: E731
        for key, (what, folder) in sets.items():
            t1s, t2s = [], []
            # timed without the memory monitor: on 2 busy cores its sampling (smaps_rollup of
            # every process, ten times a second) would take CPU from the --workers 2 run only
            for i in range(args.repeat):  # interleaved, so both see the same machine state
                t1s.append(wall(batch_cmd(folder, tmp / f"{key}1-{i}", 1), ok=RMWORK_OK, cwd=ROOT))
                t2s.append(wall(batch_cmd(folder, tmp / f"{key}2-{i}", 2), ok=RMWORK_OK, cwd=ROOT))
            t_skip = wall(batch_cmd(folder, tmp / f"{key}2-0", 2, force=False), ok=RMWORK_OK, cwd=ROOT)
            # memory: separate runs with the monitor
            _, m2 = run_tree(batch_cmd(folder, tmp / f"{key}m", 2))
            _, one = run_tree(
                [BIN / "rmwork", "run", sorted(folder.glob("*.yaml"))[0], "--out", tmp / f"{key}0"]
            )
            t1, t2 = statistics.median(t1s), statistics.median(t2s)
            rss2, pss2 = m2.peak, m2.peak_pss
            res[f"batch_{key}"] = {
                "lots": what,
                "workers1_s": t1s,
                "workers2_s": t2s,
                "peak_rss_workers2": rss2,
                "peak_pss_workers2": pss2,
                "peak_rss_one_lot": one.peak,
                "peak_pss_one_lot": one.peak_pss,
                "all_skipped_s": t_skip,
            }
            rows.append(
                (
                    f"batch ({key} lots: {what}): {args.lots} lots, --workers 1 / --workers 2",
                    f"{t1:.1f} s / {t2:.1f} s = {t1 / t2:.2f} x (runs: "
                    + ", ".join(f"{a / b:.2f}" for a, b in zip(t1s, t2s))
                    + ")",
                    ">= 1.8 x",
                )
            )
            rows.append(
                (f"batch ({key} lots): rerun with nothing changed (all skipped)", f"{t_skip:.1f} s", "")
            )
            for kind, a, b in (("RSS", rss2, one.peak), ("PSS", pss2, one.peak_pss)):
                rows.append(
                    (
                        f"memory ({key} lots): peak {kind} of the tree, batch --workers 2 vs 2 x one lot",
                        f"{mib(a)} vs 2 x {mib(b)} = {mib(2 * b)} ({a / (2 * b):.2f})",
                        "<= workers x one lot",
                    )
                )

    if "batch-bayes" not in skip:
        res["batch_bayes"], more = batch_bayes(tmp, args.bayes_lots, args.bayes_repeat)
        rows += more

    width = max(len(r[0]) for r in rows)
    print(
        f"\nrmwork benchmarks — {res['machine']['cpus']} cores, {res['machine']['platform']}, "
        f"Python {res['machine']['python']}, {res['machine']['date']} (medians of {args.repeat})\n"
    )
    print(f"{'figure':<{width}}  {'measured':<60}  target")
    for name, val, target in rows:
        print(f"{name:<{width}}  {val:<60}  {target}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    res["rows"] = rows
    args.results.write_text(json.dumps(res, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
