"""Signing a report folder (21 CFR Part 11 §11.50 signature manifestations: printed name, date and
time, meaning; §11.70 linking: the signature covers the manifest's SHA-256; §11.200(a)(1)(i): the
passphrase is entered at each signing).

Everything is checked before anything is written: the key (passphrase, validity, role), the report
(``rmwork verify`` must pass), the existing records (chain intact and signing this manifest), and,
for ``approved``, that the report was not approved already and that its DRMD can be signed.  Then
the signed DRMD (for ``approved``) is written, and last the record is appended; if the append fails
the signed DRMD is removed again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..report import provenance
from . import records
from .keys import Keyring, SigningKey, utc_now, utc_text

DRMD = "certificate.drmd.xml"


@dataclass(frozen=True)
class SignOutcome:
    record: dict
    signed_drmd: Path | None
    note: str


def _check_report(report_dir: Path) -> dict:
    if not (report_dir / provenance.MANIFEST).is_file():
        raise InputError(
            f"no {provenance.MANIFEST}; not a report folder",
            file=str(report_dir),
            hint="give the folder 'rmwork run' wrote (reports/<lot>)",
        )
    if report_dir.parent.name == "history" and (report_dir.parent.parent / provenance.MANIFEST).is_file():
        raise InputError(
            "is a superseded version in history/", file=str(report_dir), hint="sign the current report folder"
        )
    problems = provenance.verify(report_dir)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"fails verify, so it is not signed: {problems[0]}{more}",
            file=str(report_dir),
            hint="run 'rmwork verify' and rerun the lot",
        )
    return json.loads((report_dir / provenance.MANIFEST).read_text(encoding="utf-8"))


def _check_existing(report_dir: Path, lines, manifest_sha: str, keyring: Keyring | None) -> None:
    problems = records.chain_problems(report_dir, lines)
    for i, (_, rec) in enumerate(lines, 1):
        if rec.get("manifest_sha256") != manifest_sha:
            problems.append(f"{report_dir / records.SIGNATURES}, record {i}: signs another manifest")
    if keyring is not None:
        from .check import check_folder

        problems += [
            f"record {c.record}: {c.status}" for c in check_folder(report_dir, keyring).checks if not c.valid
        ]
    if problems:
        raise InputError(
            f"existing signatures are broken, so no new one is added: {problems[0]}",
            file=str(report_dir / records.SIGNATURES),
            hint="run 'rmwork verify --trust KEYRING' and restore the file",
        )


def _check_key(key: SigningKey, meaning: str, now: dt.datetime) -> None:
    pub = key.public
    if meaning not in records.MEANINGS:
        raise InputError(
            f"'{meaning}' is not a meaning", key="--meaning", hint=f"use one of {', '.join(records.MEANINGS)}"
        )
    if not pub.valid_at(now):
        raise InputError(
            f"the key is not valid now (valid {pub.created_utc} to {pub.not_after_utc}): expired signer",
            file=str(pub.path),
            hint="make a new key with 'rmwork keys new'",
        )
    if not pub.allows(meaning):
        raise InputError(
            f"role {pub.role} may not sign '{meaning}'",
            file=str(pub.path),
            key="--meaning",
            hint="an approval needs a key made with --role approver",
        )


def sign_report(
    report_dir: Path,
    key: SigningKey,
    meaning: str,
    *,
    comment: str | None = None,
    keyring: Keyring | None = None,
    tsa_url: str | None = None,
) -> SignOutcome:
    """Append one signed record to ``report_dir/signatures.jsonl`` (21 CFR Part 11 §11.50, §11.70);
    with ``approved`` also write ``certificate.signed.drmd.xml`` (W3C XML Signature 1.1).

    ``keyring``: when given, the existing records must verify against it too.  ``tsa_url``: an RFC
    3161 time-stamp authority; its token over the signature is stored in the record.
    """
    report_dir = Path(report_dir)
    now = utc_now()
    _check_key(key, meaning, now)
    if keyring is not None and keyring.get(key.public.key_id) is None:
        raise InputError(
            f"the signer's key is not in the keyring {keyring.folder}: an untrusted signer",
            file=str(key.public.path),
            key="--trust",
            hint="add the signer's .pub to the keyring, or sign with a trusted key",
        )
    manifest = _check_report(report_dir)
    with records.report_lock(report_dir, manifest.get("lot") or report_dir.name):
        manifest = _check_report(report_dir)  # again under the lock: a rerun may have finished
        manifest_sha = provenance.sha256_file(report_dir / provenance.MANIFEST)
        lines = records.read(report_dir)
        _check_existing(report_dir, lines, manifest_sha, keyring)
        signed_xml, note = None, ""
        if meaning == "approved":
            signed_xml, note = _signed_drmd(report_dir, key, lines, utc_text(now), manifest_sha)
        rec = records.new_record(
            lines,
            lot=manifest.get("lot"),
            meaning=meaning,
            signer=key.public.name,
            role=key.public.role,
            title=key.public.title,
            key_id=key.public.key_id,
            signed_utc=utc_text(now),
            manifest_sha256=manifest_sha,
            comment=" ".join(comment.split()) if comment else None,
            signed_drmd_sha256=hashlib.sha256(signed_xml).hexdigest() if signed_xml else None,
        )
        sig = key.sign(records.canonical(rec))
        rec["signature"] = base64.b64encode(sig).decode("ascii")
        if tsa_url:
            from . import tsa

            rec["timestamp"] = tsa.stamp(sig, tsa_url)
        out = _write(report_dir, rec, len(lines), signed_xml)
    return SignOutcome(record=rec, signed_drmd=out, note=note)


def _signed_drmd(report_dir: Path, key: SigningKey, lines, signed_utc: str, manifest_sha: str):
    done = [r for _, r in lines if r.get("meaning") == "approved"]
    if done:
        raise InputError(
            f"already approved by {done[0].get('signer')} at {done[0].get('signed_utc')}",
            file=str(report_dir),
            hint="a new approval needs a new run of the lot",
        )
    draft = report_dir / DRMD
    if not draft.is_file():
        return None, f"the report has no {DRMD}: approval recorded, no signed certificate written"
    from . import xmldsig

    xml = xmldsig.issue(
        draft.read_bytes(), key, signed_utc=signed_utc, manifest_sha256=manifest_sha, where=str(draft)
    )
    return xml, f"{records.SIGNED_DRMD} written (the issued certificate, signed by {key.public.name})"


def _write(report_dir: Path, rec: dict, n_lines: int, signed_xml: bytes | None) -> Path | None:
    out = None
    if signed_xml is not None:
        out = report_dir / records.SIGNED_DRMD
        tmp = report_dir / f".{records.SIGNED_DRMD}.tmp"
        tmp.write_bytes(signed_xml)
        os.replace(tmp, out)
    try:
        records.append(report_dir, rec, n_lines)
    except BaseException:
        if out is not None:
            out.unlink(missing_ok=True)
        raise
    return out
