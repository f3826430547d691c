"""Where a batch spends its time: CPU seconds per process of the batch's tree, and each lot's
notebook from its first cell's start to its last cell's end (issue 13).

    .venv/bin/python benchmarks/batch_timeline.py [--workers 2] [--lots 6]

Runs ``rmwork batch`` on ``--lots`` copies of RM-DEMO-CRM001 (Bayesian homogeneity on, as the
batch-bayes row of benchmarks/run.py) and prints one line per process (when it started and
ended, its CPU seconds, its role in the tree) and the CPU seconds per role.  CPU seconds are what
the batch computed whatever else the machine runs, so they compare runs on a busy machine where
wall times do not; the cells' times (papermill writes them into each notebook) show when a lot
waited.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from run import ROOT, TreeCPU, batch_cmd, make_bayes_lots


class Tree(TreeCPU):
    """Every process of a tree, sampled every 0.1 s: pid, parent, command line, last CPU seconds."""

    interval = 0.1

    def __init__(self, pid: int):
        super().__init__(pid)
        self.procs: dict = {}

    def _record(self, p, cpu: float, now: float) -> None:
        super()._record(p, cpu, now)
        rec = self.procs.setdefault(
            (p.pid, p.create_time()),
            {"pid": p.pid, "ppid": p.ppid(), "start": p.create_time(), "cmd": " ".join(p.cmdline())},
        )
        rec["cpu"], rec["end"] = cpu, now


def roles(procs: dict, root_pid: int) -> dict:
    """The role of each process, from its command line and its place in the tree: a process
    forked from a fork server keeps the server's command line, so its place tells what it is (a
    child with a child of its own is a lot's notebook process, a childless one a forked worker,
    a grandchild a forked kernel)."""
    by_pid = {r["pid"]: r for r in procs.values()}
    parents = {r["ppid"] for r in procs.values()}

    def server(r) -> bool:  # started by exec, not forked from another fork server
        return "multiprocessing.forkserver" in r["cmd"] and "multiprocessing.forkserver" not in by_pid.get(
            r["ppid"], {}
        ).get("cmd", "")

    out = {}
    for key, r in procs.items():
        parent = by_pid.get(r["ppid"], {})
        if r["pid"] == root_pid:
            role = "coordinator"
        elif "rmwork.run.service" in r["cmd"]:
            role = "sampling service"
        elif "resource_tracker" in r["cmd"]:
            role = "resource tracker"
        elif server(r):
            role = "fork server"
        elif "spawn_main" in r["cmd"]:
            role = "worker (spawned)"
        elif parent and server(parent):
            role = "lot process" if r["pid"] in parents else "worker (forked)"
        elif "multiprocessing.forkserver" in r["cmd"] or "ipykernel" in r["cmd"]:
            role = "kernel"
        else:
            role = r["cmd"][:40]
        out[key] = role
    return out


def lot_windows(reports: Path) -> dict:
    """Per lot: its first cell's start and its last cell's end (papermill's cell metadata)."""
    out = {}
    for nb in sorted(reports.glob("*/certification_report.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        times = [
            c["metadata"]["papermill"]
            for c in cells
            if c.get("metadata", {}).get("papermill", {}).get("start_time")
        ]
        if times:
            start = datetime.datetime.fromisoformat(times[0]["start_time"]).timestamp()
            out[nb.parent.name] = (start, start + sum(t["duration"] for t in times))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lots", type=int, default=6)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="rmwork-timeline-"))
    folder = make_bayes_lots(tmp, args.lots)
    cmd = batch_cmd(folder, tmp / "reports", args.workers)
    t0 = time.time()
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with Tree(p.pid) as tree:
        _, err = p.communicate()
    wall = time.time() - t0
    if p.returncode not in (0, 3):
        raise SystemExit(f"rmwork batch failed ({p.returncode}):\n{err[-2000:]}")
    role = roles(tree.procs, p.pid)
    per_role: dict = defaultdict(float)
    print(f"rmwork batch, {args.lots} lots, --workers {args.workers}: {wall:.1f} s wall")
    print(f"{'start':>6} {'end':>6} {'CPU s':>6}  role")
    for key, r in sorted(tree.procs.items(), key=lambda kv: kv[1]["start"]):
        per_role[role[key]] += r["cpu"]
        if r["cpu"] >= 0.2:
            print(f"{r['start'] - t0:6.1f} {r['end'] - t0:6.1f} {r['cpu']:6.1f}  {role[key]} ({r['pid']})")
    total = sum(per_role.values())
    print(
        f"CPU of the tree: {total:.1f} s = "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(per_role.items(), key=lambda kv: -kv[1]))
    )
    for lot, (a, b) in lot_windows(tmp / "reports").items():
        print(f"{lot}: cells {a - t0:6.1f} .. {b - t0:6.1f} s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
