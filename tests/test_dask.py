"""`rmwork batch --scheduler` on a real Dask distributed scheduler and workers on loopback."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c


def test_batch_runs_lots_on_a_dask_cluster(cluster, tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    shutil.copy(ROOT / "rmwork" / "data" / "reference" / "homogeneity_ecerto_crm001.csv", params / "h.csv")
    for name in ("DASK-A", "DASK-B"):
        (params / f"{name}.yaml").write_text(
            f"lot: {name}\nmaterial: m\nseed: 3\nhomogeneity:\n  data: h.csv\n  bayes: false\n"
        )
    (params / "DASK-BAD.yaml").write_text(
        "lot: DASK-BAD\nmaterial: m\nseed: 3\nhomogeneity:\n  data: nope.csv\n"
    )
    exe = Path(sys.executable).parent / "rmwork"
    r = subprocess.run(
        [
            str(exe),
            "batch",
            str(params),
            "--out",
            str(tmp_path / "reports"),
            "--scheduler",
            cluster.scheduler_address,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 1, r.stdout + r.stderr  # one lot is bad
    assert re.search(r"DASK-A\s+done", r.stdout) and re.search(r"DASK-B\s+done", r.stdout)
    assert re.search(r"DASK-BAD\s+failed .*nope.csv' does not exist", r.stdout)
    for name in ("DASK-A", "DASK-B"):
        assert (tmp_path / "reports" / name / "report.html").is_file()
    # the cluster's workers really ran them: the scheduler knows the tasks
    assert "run_one" in cluster.scheduler.task_prefixes


def test_batch_with_unreachable_scheduler_fails_clearly(tmp_path):
    exe = Path(sys.executable).parent / "rmwork"
    (tmp_path / "a.yaml").write_text("lot: A\nmaterial: m\nseed: 1\nhomogeneity:\n  data: h.csv\n")
    r = subprocess.run(
        [str(exe), "batch", str(tmp_path / "a.yaml"), "--scheduler", "tcp://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "tcp://127.0.0.1:1" in r.stderr and len(r.stderr.strip().splitlines()) == 1
