"""Manifest of a report: hashes of inputs and outputs, versions, seed, times, attribution.

The manifest is what makes a report auditable (ISO 17034 records, ALCOA+): every input file,
the parameter file, the notebook template and every output are listed with their SHA-256;
each manifest records the SHA-256 of the previous report's manifest, so the history of a lot
is a hash chain (``rmwork verify`` checks it).
"""

from __future__ import annotations

import getpass
import hashlib
import html
import json
import os
import platform
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "rmwork",
    "numpy",
    "scipy",
    "pandas",
    "pymc",
    "pytensor",
    "nutpie",
    "arviz",
    "papermill",
    "nbconvert",
    "nbformat",
    "matplotlib",
    "pydantic",
    "openpyxl",
    "lxml",
    "ipykernel",
)
MANIFEST = "manifest.json"
HISTORY = "history"
# added to a report folder after its manifest, by ``rmwork sign``; their own signatures cover them
SIGNED_LATER = ("signatures.jsonl", "certificate.signed.drmd.xml")
SIGNATURE_FILES = SIGNED_LATER  # the name rmwork.signing uses
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
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
        r = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=start, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=start,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if r.returncode != 0:
        return None
    return r.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def build_manifest(
    *,
    lot: str,
    report_dir: Path,
    inputs: dict[str, Path],
    parameter_file: Path,
    notebooks: dict[str, Path],
    seed: int,
    started: str,
    finished: str,
    run_by: str | None,
    reason: str | None,
    previous: str | None,
    environment: dict,
    kernel_start: dict[str, str] | None = None,
) -> dict:
    """Assemble the manifest; ``outputs`` lists every file in ``report_dir`` except the manifest.
    ``kernel_start``: per notebook, "fresh" (a new interpreter, ``rmwork run``) or "forked" (from a
    batch worker's fork server that had imported the kernel's modules; same numbers)."""
    outputs = {
        p.relative_to(report_dir).as_posix(): sha256_file(p)
        for p in sorted(report_dir.rglob("*"))
        if p.is_file()
        and p.relative_to(report_dir).as_posix() != MANIFEST
        and p.relative_to(report_dir).parts[0] != HISTORY
    }
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
    return {
        "parameter_file": manifest["parameter_file"]["sha256"],
        "inputs": {k: v["sha256"] for k, v in manifest["inputs"].items()},
        "notebooks": {k: v["sha256"] for k, v in manifest["notebooks"].items()},
        "rmwork": manifest["versions"].get("rmwork"),
        "git_commit": manifest.get("git_commit"),
    }


def verify(report_dir: Path) -> list[str]:
    """Problems found in a report folder and its history chain; empty when intact.

    Trusts nothing in the folder (issue 16): every file under it is checked -- dot files and
    nested folders included -- against the manifest's ``outputs`` (a file not listed is reported
    as added); a listed path outside the folder (``../../etc/hostname``) and any symbolic link are
    refused, not followed; every entry of ``history/`` must be a report version with its own
    manifest; each manifest's ``previous_manifest_sha256`` must equal the SHA-256 of the next older
    manifest; the input hashes that report.html shows (Table P2) must equal the manifest's.  A
    malformed manifest is reported in one line.  Only the files ``rmwork sign`` adds later
    (:data:`SIGNED_LATER`, checked by their signatures) may be absent from the manifest.
    """
    report_dir = Path(report_dir)
    if report_dir.is_symlink():
        return [f"{report_dir}: is a symbolic link; verify the report folder itself"]
    if not (report_dir / MANIFEST).is_file() or (report_dir / MANIFEST).is_symlink():
        return [f"{report_dir}: no {MANIFEST}; not a report folder"]
    chain, problems = _history_chain(report_dir)
    for i, folder in enumerate(chain):
        m, bad = _read_manifest(folder / MANIFEST)
        if bad:
            problems.append(bad)
            break
        problems += _check_files(folder, m["outputs"], top=i == 0)
        problems += _check_table_p2(folder, m)
        problems += _check_link(chain, i, m)
    return problems


def _history_chain(report_dir: Path) -> tuple[list[Path], list[str]]:
    """The report and its history versions, newest first, and what in history/ is not a version."""
    chain, problems = [report_dir], []
    hist = report_dir / HISTORY
    if hist.is_symlink() or (hist.exists() and not hist.is_dir()):
        return chain, [f"{hist}: not a history folder (a link or a file); refused"]
    if not hist.is_dir():
        return chain, problems
    for entry in sorted(hist.iterdir(), reverse=True):
        if entry.is_symlink():
            problems.append(f"{entry}: a symbolic link in history/; refused")
        elif not entry.is_dir():
            problems.append(f"{entry}: not a report version (added after the report was made)")
        elif not (entry / MANIFEST).is_file() or (entry / MANIFEST).is_symlink():
            problems.append(f"{entry}: a history entry without {MANIFEST}; not a report version rmwork made")
        else:
            chain.append(entry)
    return chain, problems


def _read_manifest(path: Path) -> tuple[dict | None, str | None]:
    """The manifest as a mapping with ``outputs`` a mapping of relative path -> SHA-256, or the
    one-line reason it is not one."""
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"{path}: unreadable ({exc.__class__.__name__})"
    if not isinstance(m, dict):
        return None, f"{path}: malformed (a JSON object is expected, found {type(m).__name__})"
    outputs = m.get("outputs")
    if not isinstance(outputs, dict):
        return None, (
            f"{path}: malformed ('outputs' must map each file to its SHA-256, found {type(outputs).__name__})"
        )
    bad = [k for k, v in outputs.items() if not isinstance(v, str) or not SHA256_RE.match(v)]
    if bad:
        return None, f"{path}: malformed ('outputs' entry '{bad[0]}' is not a SHA-256)"
    prev = m.get("previous_manifest_sha256")
    if prev is not None and not (isinstance(prev, str) and SHA256_RE.match(prev)):
        return None, f"{path}: malformed ('previous_manifest_sha256' is not a SHA-256)"
    return m, None


def _outside(rel: str) -> bool:
    parts = Path(rel).parts
    return (
        not rel
        or Path(rel).is_absolute()
        or rel.startswith(("/", "\\"))
        or ".." in parts
        or "\\" in rel
        or rel != Path(rel).as_posix()
    )


def _link_on_the_way(folder: Path, rel: str) -> Path | None:
    """The first symbolic link among ``folder/rel`` and its parents below ``folder``."""
    p = folder
    for part in Path(rel).parts:
        p = p / part
        if p.is_symlink():
            return p
    return None


def _check_files(folder: Path, outputs: dict, *, top: bool) -> list[str]:
    """Every listed output is inside the folder, not a link, present and unchanged; every file
    under the folder is listed (``history/`` of the current report is checked as the chain)."""
    problems, listed = [], set()
    where = folder / MANIFEST
    for rel, digest in outputs.items():
        if _outside(rel):
            problems.append(f"{where}: lists '{rel}', a path outside the report folder; refused")
            continue
        listed.add(rel)
        f = folder / rel
        link = _link_on_the_way(folder, rel)
        if link is not None:
            problems.append(f"{link}: a symbolic link; refused (outputs are files in the report folder)")
        elif not f.is_file():
            problems.append(f"{f}: missing (listed in {where})")
        elif sha256_file(f) != digest:
            problems.append(f"{f}: changed since the report was made (SHA-256 differs)")
    for f, rel in _every_entry(folder, top=top):
        if f.is_symlink():
            if rel not in listed:
                problems.append(f"{f}: a symbolic link in the report folder; refused")
        elif not f.is_file():
            problems.append(f"{f}: not a regular file (added after the report was made)")
        elif rel not in listed and rel != MANIFEST and rel not in SIGNED_LATER:
            problems.append(f"{f}: not listed in {where} (added after the report was made)")
    return problems


def _every_entry(folder: Path, *, top: bool):
    """(path, relative POSIX path) of every non-directory under ``folder`` and every link to a
    directory, without following links; the current report's top-level ``history/`` is skipped."""
    for root, dirs, names in os.walk(folder, followlinks=False):
        here = Path(root)
        if top and here == folder and HISTORY in dirs and not (folder / HISTORY).is_symlink():
            dirs.remove(HISTORY)
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                names.append(d)
        for n in sorted(names):
            p = here / n
            yield p, p.relative_to(folder).as_posix()


_P2 = re.compile(r"<caption>(?:Table P2|表 P2) — [^<]*</caption>.*?<tbody>(.*?)</tbody>", re.S)
_P2_KEYS = {"参数文件": "parameter file"}  # a zh report's Table P2 names the parameter file in Chinese
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def _check_table_p2(folder: Path, m: dict) -> list[str]:
    """The input hashes report.html shows (Table P2) against the manifest's."""
    page = folder / "report.html"
    if not page.is_file() or page.is_symlink() or "report.html" not in m["outputs"]:
        return []
    shown = _table_p2(page.read_text(encoding="utf-8", errors="replace"))
    if shown is None:
        return [f"{page}: has no Table P2 (input files) to compare with {folder / MANIFEST}"]
    expected = _manifest_inputs(m)
    problems = []
    for key in sorted(set(shown) | set(expected)):
        a, b = shown.get(key), expected.get(key)
        if a is None:
            problems.append(f"{page}: Table P2 does not show input '{key}' listed in {folder / MANIFEST}")
        elif b is None:
            problems.append(f"{page}: Table P2 shows input '{key}', which {folder / MANIFEST} does not list")
        elif a != b:
            problems.append(
                f"{page}: Table P2 shows SHA-256 {a[:12]}… for input '{key}', "
                f"{folder / MANIFEST} {b[:12]}…; the report and its manifest disagree"
            )
    return problems


def _table_p2(text: str) -> dict[str, str] | None:
    match = _P2.search(text)
    if match is None:
        return None
    out = {}
    for row in _ROW.findall(match.group(1)):
        cells = [html.unescape(c).strip() for c in _CELL.findall(row)]
        if len(cells) >= 3:
            out[_P2_KEYS.get(cells[0], cells[0])] = cells[-1]
    return out


def _manifest_inputs(m: dict) -> dict[str, str]:
    out = {}
    pf = m.get("parameter_file")
    if isinstance(pf, dict):
        out["parameter file"] = str(pf.get("sha256"))
    inputs = m.get("inputs")
    if isinstance(inputs, dict):
        out.update(
            {str(k): str(v.get("sha256")) if isinstance(v, dict) else str(v) for k, v in inputs.items()}
        )
    return out


def _check_link(chain: list[Path], i: int, m: dict) -> list[str]:
    """Manifest ``i``'s previous_manifest_sha256 against the next older manifest in the chain."""
    folder = chain[i]
    prev = m.get("previous_manifest_sha256")
    older = chain[i + 1] if i + 1 < len(chain) else None
    name = folder.name if i else "current report"
    if older is not None:
        if prev != sha256_file(older / MANIFEST):
            return [
                f"history chain broken between {name} and {older.name}: previous_manifest_sha256 "
                f"does not match {older / MANIFEST}"
            ]
    elif prev is not None:
        return [
            f"history chain broken after {name}: the previous report (manifest {prev[:12]}…) is "
            "missing from history/"
        ]
    return []
