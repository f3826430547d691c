"""Large-lot benchmark (issue 16): `rmwork run` on a million-result homogeneity lot vs a
thousand-result lot of the same design.

    .venv/bin/python benchmarks/large_lot.py [--repeat N] [--bayes]

Both lots: 5 analytes, results nested in units (small: 20 units x 10 replicates; large: 2,000 units
x 100 replicates), drawn from a seeded normal random-effects model.  Bayesian models are off by
default (their cost does not depend on the number of results: the random-effects model works on
unit means and the within-unit sum of squares); ``--bayes`` turns them on.

Measured per lot (medians of --repeat runs): wall time of `rmwork run` and the peak memory of its
process tree (sum of the RSS of rmwork, the papermill child and the kernel, sampled every 0.1 s),
and the size of report.html.  Targets: large time <= 3 x small time; memory bounded (large peak
<= 3 x small peak) and a report.html under 5 MB whatever the table's size.  Results go to
benchmarks/results/large_lot.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results"
DESIGNS = {"small": (5, 20, 10), "large": (5, 2000, 100)}  # analytes, units, replicates
TIME_RATIO_MAX, MEMORY_RATIO_MAX, HTML_MAX = 3.0, 3.0, 5_000_000


def write_table(path: Path, n_analytes: int, n_units: int, n_rep: int, seed: int = 20261201) -> int:
    """A homogeneity table from x_ij = mu + a_i + e_ij (between 1 %, within 2 % of mu)."""
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write("analyte,unit,replicate,value,unit_of_measure\n")
        for a in range(n_analytes):
            mu = 10.0 * (a + 1)
            effects = rng.normal(0.0, 0.01 * mu, n_units)
            for u in range(n_units):
                vals = mu + effects[u] + rng.normal(0.0, 0.02 * mu, n_rep)
                f.write("".join(f"A{a},U{u:05d},{r + 1},{v:.6f},mg/kg\n" for r, v in enumerate(vals)))
    return n_analytes * n_units * n_rep


def tree_rss(pid: int) -> int:
    """Sum of the resident set sizes (bytes) of ``pid`` and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (d / "statm").read_text().split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(d.name))
        rss[int(d.name)] = int(statm[1]) * page
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def run_lot(params: Path, out: Path) -> tuple[float, int]:
    """Wall time (s) and peak process-tree RSS (bytes) of one `rmwork run`."""
    peak = [0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "rmwork"), "run", str(params), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, stderr = proc.communicate()
    dt = time.perf_counter() - t0
    done.set()
    th.join()
    if proc.returncode != 0:
        raise RuntimeError(f"rmwork run {params} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return dt, peak[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--bayes", action="store_true")
    args = ap.parse_args(argv)
    out: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d"),
        },
        "bayes": args.bayes,
        "lots": {},
    }
    with tempfile.TemporaryDirectory(prefix="rmwork-large-") as tmp:
        tmp = Path(tmp)
        for name, (n_a, n_u, n_r) in DESIGNS.items():
            n = write_table(tmp / f"{name}.csv", n_a, n_u, n_r)
            lot = f"LARGE-{name.upper()}"
            params = tmp / f"{lot}.yaml"
            params.write_text(
                f"lot: {lot}\nmaterial: large-lot benchmark\nseed: 1\nhomogeneity:\n"
                f"  data: {name}.csv\n  bayes: {'true' if args.bayes else 'false'}\n"
            )
            times, peaks = [], []
            for _ in range(args.repeat):
                dt, peak = run_lot(params, tmp / "reports")
                times.append(dt)
                peaks.append(peak)
            report = tmp / "reports" / lot
            verify = subprocess.run(
                [str(BIN / "rmwork"), "verify", str(report)], capture_output=True, text=True
            )
            out["lots"][name] = {
                "results": n,
                "analytes": n_a,
                "units": n_u,
                "replicates": n_r,
                "csv_bytes": (tmp / f"{name}.csv").stat().st_size,
                "seconds": times,
                "median_s": statistics.median(times),
                "peak_rss_bytes": peaks,
                "median_peak_rss_mb": statistics.median(peaks) / 2**20,
                "report_html_bytes": (report / "report.html").stat().st_size,
                "verify_exit": verify.returncode,
            }
            print(
                f"{name:<6} {n:>9,} results: {statistics.median(times):6.1f} s, peak "
                f"{statistics.median(peaks) / 2**20:6.0f} MiB, report.html "
                f"{out['lots'][name]['report_html_bytes'] / 1e6:.2f} MB",
                flush=True,
            )
    small, large = out["lots"]["small"], out["lots"]["large"]
    t_ratio = large["median_s"] / small["median_s"]
    m_ratio = large["median_peak_rss_mb"] / small["median_peak_rss_mb"]
    out["time_ratio"], out["memory_ratio"] = t_ratio, m_ratio
    out["targets"] = {
        "time_ratio_max": TIME_RATIO_MAX,
        "memory_ratio_max": MEMORY_RATIO_MAX,
        "report_html_max_bytes": HTML_MAX,
    }
    out["passed"] = bool(
        t_ratio <= TIME_RATIO_MAX
        and m_ratio <= MEMORY_RATIO_MAX
        and large["report_html_bytes"] <= HTML_MAX
        and large["verify_exit"] == 0
    )
    print(
        f"time ratio {t_ratio:.2f} (target <= {TIME_RATIO_MAX}); memory ratio {m_ratio:.2f} "
        f"(target <= {MEMORY_RATIO_MAX}); {'PASS' if out['passed'] else 'FAIL'}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "large_lot.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0 if out["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
