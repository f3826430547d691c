"""Manifest of a report: hashes of inputs and outputs, versions, seed, times, attribution.

The manifest is what makes a report auditable (ISO 17034 records, ALCOA+): every input file,
the parameter file, the notebook template and every output are listed with their SHA-256;
each manifest records the SHA-256 of the previous report's manifest, so the history of a lot
is a hash chain (``rmwork verify`` checks it).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PACKAGES = ("rmwork", "numpy", "scipy", "pandas", "pymc", "pytensor", "nutpie", "arviz", "papermill",
            "nbconvert", "nbformat", "matplotlib", "pydantic", "openpyxl", "lxml", "ipykernel")
MANIFEST = "manifest.json"
# written after the report by rmwork sign (rmwork.signing), so never listed in the manifest: they sign it
SIGNATURE_FILES = ("signatures.jsonl", "certificate.signed.drmd.xml")
VOLATILE_KEYS = ("started_utc", "finished_utc", "duration_s", "run_by", "reason", "previous_manifest_sha256")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def versions() -> dict:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(start: Path) -> str | None:
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=start, capture_output=True, text=True,
                           timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=start,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if r.returncode != 0:
        return None
    return r.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def who(run_by: str | None = None) -> str:
    if run_by:
        return run_by
    env = os.environ.get("RMWORK_RUN_BY")
    if env:
        return env
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def build_manifest(*, lot: str, report_dir: Path, inputs: dict[str, Path], parameter_file: Path,
                   notebooks: dict[str, Path], seed: int, started: str, finished: str,
                   run_by: str | None, reason: str | None, previous: str | None,
                   environment: dict, kernel_start: dict[str, str] | None = None) -> dict:
    """Assemble the manifest; ``outputs`` lists every file in ``report_dir`` except the manifest.
    ``kernel_start``: per notebook, "fresh" (a new interpreter, ``rmwork run``) or "forked" (from a
    batch worker's fork server that had imported the kernel's modules; same numbers)."""
    outputs = {p.relative_to(report_dir).as_posix(): sha256_file(p)
               for p in sorted(report_dir.rglob("*"))
               if p.is_file() and p.name != MANIFEST and "history" not in p.relative_to(report_dir).parts}
    return {
        "manifest_version": 1,
        "lot": lot,
        "parameter_file": {"path": str(parameter_file), "sha256": sha256_file(parameter_file)},
        "inputs": {k: {"path": str(v), "sha256": sha256_file(v)} for k, v in inputs.items()},
        "notebooks": {k: {"path": str(v), "sha256": sha256_file(v)} for k, v in notebooks.items()},
        "outputs": outputs,
        "versions": versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": git_commit(Path(__file__).parent),
        "seed": seed,
        "environment": environment,
        "kernel_start": kernel_start or {},
        "started_utc": started,
        "finished_utc": finished,
        "run_by": who(run_by),
        "reason": reason,
        "previous_manifest_sha256": previous,
    }


def write_manifest(report_dir: Path, manifest: dict) -> Path:
    path = report_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def fingerprint(manifest: dict) -> dict:
    """What decides whether a lot must be rerun: inputs, parameters, notebooks, rmwork version."""
    return {"parameter_file": manifest["parameter_file"]["sha256"],
            "inputs": {k: v["sha256"] for k, v in manifest["inputs"].items()},
            "notebooks": {k: v["sha256"] for k, v in manifest["notebooks"].items()},
            "rmwork": manifest["versions"].get("rmwork"),
            "git_commit": manifest.get("git_commit")}


def verify(report_dir: Path) -> list[str]:
    """Problems found in a report folder and its history chain; empty when intact.

    Checks every output hash of the current manifest, then walks ``history/`` from newest to
    oldest checking each version's outputs and that each manifest's ``previous_manifest_sha256``
    equals the SHA-256 of the next older manifest.  Names the first broken link.
    """
    problems: list[str] = []
    report_dir = Path(report_dir)
    manifest_path = report_dir / MANIFEST
    if not manifest_path.is_file():
        return [f"{report_dir}: no {MANIFEST}; not a report folder"]
    chain = [report_dir]
    hist = report_dir / "history"
    if hist.is_dir():
        chain += sorted((p for p in hist.iterdir() if (p / MANIFEST).is_file()), reverse=True)
    for i, folder in enumerate(chain):
        try:
            m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{folder / MANIFEST}: unreadable ({exc.__class__.__name__})")
            break
        for rel, digest in m.get("outputs", {}).items():
            f = folder / rel
            if not f.is_file():
                problems.append(f"{f}: missing (listed in {folder / MANIFEST})")
            elif sha256_file(f) != digest:
                problems.append(f"{f}: changed since the report was made (SHA-256 differs)")
        listed = set(m.get("outputs", {}))
        for f in folder.rglob("*"):
            rel = f.relative_to(folder).as_posix()
            if f.is_file() and f.name != MANIFEST and "history" not in f.relative_to(folder).parts \
                    and not f.name.startswith(".") and rel not in listed and rel not in SIGNATURE_FILES:
                problems.append(f"{f}: not listed in {folder / MANIFEST} (added after the report was made)")
        prev = m.get("previous_manifest_sha256")
        older = chain[i + 1] if i + 1 < len(chain) else None
        if older is not None:
            actual = sha256_file(older / MANIFEST)
            if prev != actual:
                problems.append(f"history chain broken between {folder.name if i else 'current report'} "
                                f"and {older.name}: previous_manifest_sha256 does not match "
                                f"{older / MANIFEST}")
        elif prev is not None:
            problems.append(f"history chain broken after {folder.name if i else 'current report'}: "
                            f"the previous report (manifest {prev[:12]}…) is missing from history/")
    return problems
