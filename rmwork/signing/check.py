"""Checking the signatures of a report folder and its history against a keyring (21 CFR Part 11
§11.10(e) audit trail, §11.70 signature/record linking; ISO 17034:2016 clause 7.14 records).

Each record must: verify with a key of the keyring (Ed25519, RFC 8032), name the signer and role that
key is trusted for, have been made inside the key's validity, carry a meaning the role allows, and
sign the SHA-256 of the folder's ``manifest.json`` as it is now.  The manifest hashes every output
and input, so editing any file of a signed report — even re-hashing everything — breaks the last
condition.  The records form a chain (:func:`rmwork.signing.records.chain_problems`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..report import provenance
from ..results import Result
from . import records
from .keys import Keyring, parse_utc

VALID = "valid"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureCheck(Result):
    """One record of ``signatures.jsonl`` as checked (21 CFR Part 11 §11.50: name, time, meaning)."""

    record: int
    meaning: str
    signer: str
    role: str
    key_id: str
    signed_utc: str
    comment: str | None
    status: str  # "valid", or the first reason it is not
    problems: tuple[str, ...] = ()
    timestamp_utc: str | None = None  # from a verified RFC 3161 token
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def valid(self) -> bool:
        return self.status == VALID

    def line(self) -> str:
        c = f'; "{self.comment}"' if self.comment else ""
        ts = f"; RFC 3161 time stamp {self.timestamp_utc}" if self.timestamp_utc else ""
        return (
            f"{self.record}. {self.meaning} by {self.signer} ({self.role}, key {self.key_id[:16]}) "
            f"at {self.signed_utc}{ts}{c}: {self.status}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderSignatures(Result):
    """The signatures of one report version (the current one or one in ``history/``)."""

    folder: str
    manifest_sha256: str
    checks: tuple[SignatureCheck, ...]
    problems: tuple[str, ...]  # chain breaks and unreadable lines
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def signed(self) -> bool:
        return bool(self.checks)

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.valid for c in self.checks)

    def approval(self) -> SignatureCheck | None:
        """The valid ``approved`` record, if any."""
        return next((c for c in self.checks if c.valid and c.meaning == "approved"), None)


def versions(report_dir: Path) -> list[Path]:
    """The current report folder, then its history versions from newest to oldest."""
    report_dir = Path(report_dir)
    out = [report_dir]
    hist = report_dir / "history"
    if hist.is_dir():
        out += sorted((p for p in hist.iterdir() if (p / provenance.MANIFEST).is_file()), reverse=True)
    return out


def check_folder(folder: Path, keyring: Keyring | None) -> FolderSignatures:
    """Check every record of ``folder/signatures.jsonl``; without a keyring only the chain."""
    folder = Path(folder)
    manifest_sha = provenance.sha256_file(folder / provenance.MANIFEST)
    try:
        lines = records.read(folder)
    except InputError as exc:  # names the line that is not a record
        return FolderSignatures(
            folder=str(folder), manifest_sha256=manifest_sha, checks=(), problems=(str(exc),)
        )
    problems = tuple(records.chain_problems(folder, lines))
    lot = _lot(folder)
    checks = tuple(_check_record(folder, rec, keyring, manifest_sha, lot) for _, rec in lines)
    return FolderSignatures(
        folder=str(folder), manifest_sha256=manifest_sha, checks=checks, problems=problems
    )


def _lot(folder: Path) -> str | None:
    try:
        return json.loads((folder / provenance.MANIFEST).read_text(encoding="utf-8")).get("lot")
    except (OSError, ValueError):
        return None


def _check_record(
    folder: Path, rec: dict, keyring: Keyring | None, manifest_sha: str, lot: str | None
) -> SignatureCheck:
    probs = _record_problems(folder, rec, keyring, manifest_sha, lot)
    ts = None
    if keyring is not None and not probs and rec.get("timestamp"):
        from . import tsa

        ts, why = tsa.check_record_token(rec, keyring)
        if why:
            probs.append(why)
    status = VALID if not probs else probs[0]
    if keyring is None:
        status = "not checked"
    return SignatureCheck(
        record=int(rec.get("record") or 0),
        meaning=str(rec.get("meaning")),
        signer=str(rec.get("signer")),
        role=str(rec.get("role")),
        key_id=str(rec.get("key_id")),
        signed_utc=str(rec.get("signed_utc")),
        comment=rec.get("comment"),
        status=status,
        problems=tuple(probs),
        timestamp_utc=ts,
    )


def _record_problems(
    folder: Path, rec: dict, keyring: Keyring | None, manifest_sha: str, lot: str | None
) -> list[str]:
    if keyring is None:
        return []
    pub = keyring.get(str(rec.get("key_id")))
    if pub is None:
        return [
            f"signed by a key not in the keyring (key id {str(rec.get('key_id'))[:16]}, "
            f"claims '{rec.get('signer')}')"
        ]
    if not pub.verify(records.signature_bytes(rec), records.canonical(rec)):
        return ["signature does not match (the record was edited after signing)"]
    probs = []
    if (rec.get("signer"), rec.get("role")) != (pub.name, pub.role):
        probs.append(f"signer or role differ from the keyring's ('{pub.name}', {pub.role})")
    try:
        when = parse_utc(str(rec.get("signed_utc")))
        if not pub.valid_at(when):
            probs.append(
                f"signed at {rec.get('signed_utc')}, outside the key's validity "
                f"({pub.created_utc} to {pub.not_after_utc}): expired signer"
            )
    except ValueError:
        probs.append("signing time unreadable")
    if not pub.allows(str(rec.get("meaning"))):
        probs.append(f"role {pub.role} may not sign '{rec.get('meaning')}'")
    if rec.get("lot") != lot:
        probs.append(f"signs lot {rec.get('lot')!r}, but this report is lot {lot!r}")
    if rec.get("manifest_sha256") != manifest_sha:
        probs.append("signature does not match the report: manifest.json was changed after signing")
    drmd = rec.get("signed_drmd_sha256")
    if drmd is not None:
        f = folder / records.SIGNED_DRMD
        if not f.is_file() or hashlib.sha256(f.read_bytes()).hexdigest() != drmd:
            probs.append(f"{records.SIGNED_DRMD} is missing or was changed after signing")
    return probs


def check_report(report_dir: Path, keyring: Keyring | None) -> list[FolderSignatures]:
    """Signatures of the current report and of every history version.

    A rerun records the SHA-256 of the superseded version's ``signatures.jsonl`` in the new
    manifest (``previous_signatures_sha256``, :mod:`rmwork.runner`); a history version whose
    signature file no longer has that hash had records removed, added or edited.
    """
    folders = versions(report_dir)
    out = [check_folder(f, keyring) for f in folders]
    for i in range(len(folders) - 1):
        problem = _anchor_problem(folders[i], folders[i + 1])
        if problem:
            fs = out[i + 1]
            out[i + 1] = FolderSignatures(
                folder=fs.folder,
                manifest_sha256=fs.manifest_sha256,
                checks=fs.checks,
                problems=fs.problems + (problem,),
            )
    return out


def _anchor_problem(newer: Path, older: Path) -> str | None:
    try:
        m = json.loads((newer / provenance.MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # provenance.verify names an unreadable manifest
    if "previous_signatures_sha256" not in m:
        return None  # made before rmwork recorded it
    f = older / records.SIGNATURES
    actual = provenance.sha256_file(f) if f.is_file() else None
    if actual != m["previous_signatures_sha256"]:
        return (
            f"{f}: not the signatures the version had when it was superseded "
            f"({newer / provenance.MANIFEST} records another SHA-256): records removed, added or edited"
        )
    return None
