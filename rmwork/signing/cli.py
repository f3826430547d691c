"""Commands ``rmwork keys new``, ``rmwork sign``, ``rmwork verify [--trust]`` and
``rmwork verify-certificate`` (CONTRACT.md; 21 CFR Part 11 §11.10(e), §11.50, §11.70).

The commands are registered with the main CLI by :mod:`rmwork.run.commands.signing` (argument
functions ``*_args`` and handlers ``*_cmd``).  Handlers return the exit status; bad input raises
:class:`rmwork.errors.InputError`, which the main CLI prints as one line (exit 2).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import InputError

TSA_ENV = "RMWORK_TSA_URL"


def _out(text: str) -> None:
    print(text)


def _err(text: str) -> None:
    print(f"rmwork: {' '.join(str(text).split())}", file=sys.stderr)


def keys_args(k) -> None:
    """Arguments of ``rmwork keys new``."""
    ks = k.add_subparsers(dest="keys_cmd", required=True)
    kn = ks.add_parser("new", help="make an Ed25519 key pair (and an X.509 certificate) for one person")
    kn.add_argument("name", help="file name of the key: DIR/NAME.key, DIR/NAME.pub, DIR/NAME.crt")
    kn.add_argument("--role", required=True, help="reviewer or approver")
    kn.add_argument("--out", required=True, help="folder for the key files")
    kn.add_argument("--signer", default="", help="the person's name as printed (default NAME)")
    kn.add_argument("--title", default="", help="job title printed on a certificate (default the role)")
    kn.add_argument("--organization", default="", help="organization in the X.509 certificate")
    kn.add_argument("--valid-days", type=int, default=1095, help="validity of the key (default 3 years)")
    kn.add_argument("--no-x509", action="store_true", help="no X.509 certificate (cannot sign a DRMD)")


def sign_args(s) -> None:
    """Arguments of ``rmwork sign``."""
    s.add_argument("report_dir")
    s.add_argument("--key", required=True, help="the signer's NAME.key")
    s.add_argument("--meaning", required=True, help="reviewed or approved")
    s.add_argument("--comment", default=None)
    s.add_argument("--trust", default=None, help="keyring: the existing signatures must verify against it")
    s.add_argument("--tsa", default=None, help=f"RFC 3161 time-stamp authority URL (default ${TSA_ENV})")


def verify_certificate_args(vc) -> None:
    """Arguments of ``rmwork verify-certificate``."""
    vc.add_argument("file")
    vc.add_argument("--trust", default=None, help="the approver's certificate (NAME.crt) or a folder of them")


def verify_args(ve) -> None:
    """Arguments of ``rmwork verify``."""
    ve.add_argument("report_dir")
    ve.add_argument("--trust", default=None, help="keyring: a folder of trusted .pub files")


def keys_new_cmd(args) -> int:
    from . import keys

    if args.keys_cmd != "new":
        raise InputError(f"unknown keys command '{args.keys_cmd}'", hint="use 'rmwork keys new'")
    if args.role not in keys.ROLES:  # before the passphrase is asked for
        raise InputError(
            f"'{args.role}' is not a role", key="--role", hint=f"use one of {', '.join(keys.ROLES)}"
        )
    secret = keys.passphrase(f"Passphrase for the new key {args.name}: ", confirm=True)
    pub = keys.new_key(
        args.name,
        args.role,
        Path(args.out),
        secret,
        signer=args.signer,
        title=args.title,
        valid_days=args.valid_days,
        with_x509=not args.no_x509,
        organization=args.organization,
    )
    files = ", ".join(f"{args.name}.{e}" for e in (("key", "pub") if args.no_x509 else ("key", "pub", "crt")))
    _out(
        f"{pub.name} ({pub.role}): key {pub.key_id} written to {args.out} ({files}); valid until "
        f"{pub.not_after_utc}. Put {args.name}.pub in the keyrings of those who verify"
        + ("" if args.no_x509 else f", and publish {args.name}.crt for buyers of certificates")
        + "."
    )
    return 0


def sign_cmd(args) -> int:
    from . import keys, sign

    if args.meaning not in ("reviewed", "approved"):
        raise InputError(
            f"'{args.meaning}' is not a meaning", key="--meaning", hint="use reviewed or approved"
        )
    keyring = keys.load_keyring(Path(args.trust)) if args.trust else None
    key = keys.load_signing_key(Path(args.key))
    res = sign.sign_report(
        Path(args.report_dir),
        key,
        args.meaning,
        comment=args.comment,
        keyring=keyring,
        tsa_url=args.tsa or os.environ.get(TSA_ENV) or None,
    )
    r = res.record
    ts = " with an RFC 3161 time stamp" if r.get("timestamp") else ""
    _out(
        f"{args.report_dir}: {r['meaning']} by {r['signer']} ({r['role']}) at {r['signed_utc']}{ts}; "
        f"record {r['record']} of signatures.jsonl, manifest {r['manifest_sha256'][:16]}"
    )
    if res.note:
        _out(res.note)
    return 0


def verify_cmd(args) -> int:
    """``rmwork verify REPORT_DIR [--trust KEYRING]``: hashes and history chain
    (:func:`rmwork.report.provenance.verify`), then every signature of every version."""
    from ..report import provenance
    from . import check, keys

    report_dir = Path(args.report_dir)
    trust = getattr(args, "trust", None)
    keyring = keys.load_keyring(Path(trust)) if trust else None
    problems = provenance.verify(report_dir)
    for p in problems:
        _err(p)
    if not (report_dir / provenance.MANIFEST).is_file():
        return 2
    if problems:
        # a folder that fails its hashes is not read further: its manifest may not even parse
        _err(f"{report_dir}: signatures not checked: the report fails verify (above)")
        return 2
    _out(f"{report_dir}: intact (every hash and the history chain match)")
    sigs = check.check_report(report_dir, keyring)
    bad = _print_signatures(report_dir, sigs, keyring)
    return 2 if problems or bad else 0


def _print_signatures(report_dir: Path, sigs, keyring) -> bool:
    bad = False
    for i, fs in enumerate(sigs):
        label = "current report" if i == 0 else f"history/{Path(fs.folder).name}"
        for p in fs.problems:
            _err(p)
            bad = True
        if not fs.signed:
            if i == 0 and keyring is not None:
                _err(f"{report_dir}: {label} is unsigned")
                bad = True
            else:
                _out(f"{label}: unsigned")
            continue
        if keyring is None:
            _out(f"{label}: {len(fs.checks)} signature(s), not checked (give --trust KEYRING)")
            continue
        _out(f"{label} (manifest {fs.manifest_sha256[:16]}):")
        for c in fs.checks:
            (_out if c.valid else _err)(f"  {c.line()}")
            bad |= not c.valid
        if i == 0:
            a = fs.approval()
            _out(
                f"  approval: approved by {a.signer} at {a.signed_utc}"
                if a
                else "  approval: none (a certificate that requires approval is a DRAFT)"
            )
    if keyring is None:
        _out("signatures were not checked: give --trust KEYRING (a folder of trusted .pub files)")
    return bad


def verify_certificate_cmd(args) -> int:
    from . import xmldsig

    res = xmldsig.verify_certificate(Path(args.file), Path(args.trust) if args.trust else None)
    who = f"{res.signer} ({res.signer_title})" if res.signer_title else res.signer
    _out(
        f"{args.file}: signature valid; signed by {who} at {res.signed_utc}; certificate "
        f"SHA-256 {res.certificate_sha256[:16]}…"
        + (" (trusted)" if res.trusted else " (NOT checked against a trusted certificate)")
    )
    _out(
        f"schema: valid (DRMD v0.3.0); material: {res.material}; lot {res.lot}"
        + (f"; RM number {res.rm_number}" if res.rm_number else "")
        + f"; valid until {res.valid_until}"
    )
    _out(f"report manifest SHA-256: {res.manifest_sha256}")
    _out("certified values:")
    for v in res.values:
        _out(f"  {v.name}: {v.value} ± {v.U} (k = {v.k}) {v.unit}")
    for n in res.notes:
        _err(n)
    return 0
