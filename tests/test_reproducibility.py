"""Same inputs, parameters and seed give a byte-identical results.json, MCMC included, whether the
compile caches are cold or warm (PITFALLS.md: PyTensor's numba backend changed draws with the cache
state; rmwork compiles with fastmath off through nutpie)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_results_json_identical_cold_and_warm_compile_cache(tmp_path):
    shutil.copy(ROOT / "rmwork" / "data" / "reference" / "homogeneity_usp1010_runs.csv", tmp_path / "h.csv")
    lot = tmp_path / "R-1.yaml"
    lot.write_text(
        "lot: R-1\nmaterial: reproducibility\nseed: 99\nhomogeneity:\n  data: h.csv\n  bayes: true\n"
        "sampler: {draws: 1000, tune: 1000, chains: 2}\n"
    )
    exe = Path(sys.executable).parent / "rmwork"
    cache = tmp_path / "cache"
    env = dict(
        os.environ, PYTENSOR_FLAGS=f"compiledir={cache / 'pytensor'}", NUMBA_CACHE_DIR=str(cache / "numba")
    )
    outs = []
    for name in ("cold", "warm"):
        r = subprocess.run(
            [str(exe), "run", str(lot), "--out", str(tmp_path / name)],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert r.returncode == 0, r.stderr
        outs.append((tmp_path / name / "R-1" / "results.json").read_bytes())
    assert any(cache.rglob("*")), "the first run filled the compile cache"
    assert outs[0] == outs[1]
    bayes = json.loads(outs[0])["analytes"]["value"]["homogeneity"]["bayes"]
    assert bayes["seed"] == 99 and bayes["sampler"] == "nutpie"
    assert bayes["diagnostics"]["passed"]
