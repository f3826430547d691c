"""The append-only signature file of a report, ``signatures.jsonl`` (21 CFR Part 11 §11.50 signature
manifestations, §11.70 signature/record linking; ALCOA+ attributable and contemporaneous).

One JSON object per line.  Each record names the signer, the key id, the role, the UTC time, the
meaning (``reviewed`` or ``approved``) and carries the SHA-256 of the ``manifest.json`` it signs and
the SHA-256 of the previous line, so the records form a chain; ``signature`` is the Ed25519 signature
(RFC 8032) of the record's canonical JSON (sorted keys, no blanks, UTF-8) without ``signature`` and
``timestamp``, prefixed by :data:`DOMAIN`.  ``timestamp`` is an optional RFC 3161 time-stamp response
over the signature bytes, added after signing.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

SIGNATURES = "signatures.jsonl"
SIGNED_DRMD = "certificate.signed.drmd.xml"
MEANINGS = ("reviewed", "approved")
DOMAIN = b"rmwork-signature-record-v1\n"
FIELDS = (
    "record",
    "lot",
    "meaning",
    "signer",
    "role",
    "title",
    "key_id",
    "signed_utc",
    "manifest_sha256",
    "previous_record_sha256",
    "signed_drmd_sha256",
    "comment",
    "algorithm",
)
UNSIGNED_FIELDS = ("signature", "timestamp")


def canonical(record: dict) -> bytes:
    """The bytes an Ed25519 signature covers: DOMAIN + canonical JSON of the signed fields."""
    body = {k: record.get(k) for k in FIELDS}
    return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def line_sha256(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def signature_bytes(record: dict) -> bytes:
    try:
        return base64.b64decode(record.get("signature") or "", validate=True)
    except ValueError:
        return b""


def read(folder: Path) -> list[tuple[str, dict]]:
    """The lines of ``folder/signatures.jsonl`` with their records; ``[]`` when there is none.

    A line that is not a record is refused naming its line (the file was edited by hand).
    """
    path = Path(folder) / SIGNATURES
    if not path.is_file():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rec = json.loads(line)
            if (
                not isinstance(rec, dict)
                or set(rec) - set(FIELDS) - set(UNSIGNED_FIELDS)
                or not isinstance(rec.get("record"), int)
                or isinstance(rec.get("record"), bool)
                or any(not isinstance(rec.get(k), str) for k in ("key_id", "signature", "manifest_sha256"))
                or not isinstance(rec.get("timestamp") or {}, dict)
            ):
                raise ValueError
        except ValueError:
            raise InputError(
                "not a signature record (the file was edited by hand)",
                file=str(path),
                row=n,
                hint="restore signatures.jsonl from the report's backup",
            ) from None
        out.append((line, rec))
    return out


def chain_problems(folder: Path, lines: list[tuple[str, dict]]) -> list[str]:
    """Breaks in the record chain: numbering and ``previous_record_sha256`` (lines removed,
    reordered or edited)."""
    problems = []
    prev = None
    for i, (line, rec) in enumerate(lines, 1):
        where = f"{Path(folder) / SIGNATURES}, record {i}"
        if rec.get("record") != i:
            problems.append(
                f"{where}: numbered {rec.get('record')!r}, expected {i} (records removed or reordered)"
            )
        if rec.get("previous_record_sha256") != prev:
            problems.append(
                f"{where}: previous_record_sha256 does not match the line before it "
                "(records removed, reordered or edited)"
            )
        prev = line_sha256(line)
    return problems


def new_record(lines: list[tuple[str, dict]], **fields) -> dict:
    rec = {k: None for k in FIELDS}
    rec.update(fields)
    rec["record"] = len(lines) + 1
    rec["previous_record_sha256"] = line_sha256(lines[-1][0]) if lines else None
    rec["algorithm"] = "Ed25519"
    return rec


def dumps(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def append(folder: Path, record: dict, expected_lines: int) -> None:
    """Append one record; refused if the file changed since it was read (another signer)."""
    path = Path(folder) / SIGNATURES
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        if len(read(folder)) != expected_lines:
            raise InputError(
                "changed while this signature was made (another signer?)", file=str(path), hint="sign again"
            )
        f.write(dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def report_lock(report_dir: Path, lot: str):
    """The lot's run lock (the one :func:`rmwork.runner.lot_lock` takes): no signing during a rerun."""
    path = Path(report_dir).parent / f".{lot}.lock"
    fh = open(path, "a")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"a run of lot '{lot}' is in progress", file=str(report_dir), hint="sign when it has finished"
            ) from None
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
