"""Signing keys: an Ed25519 key pair per person, a public-key file with name and role, keyrings
(21 CFR Part 11 §11.100, §11.300: signatures unique to one person, controls on identification codes).

``NAME.key`` holds the private key(s) as encrypted PKCS#8 PEM (passphrase-based, the strongest
encryption ``cryptography`` offers): first the Ed25519 key that signs records, then, when the key
has an X.509 certificate, the ECDSA P-256 key of that certificate (XML-DSig has no Ed25519 method in
signxml).  ``NAME.pub`` is JSON: the signer's name, role, title, key id, public key, validity and the
certificate's SHA-256.  ``NAME.crt`` is the self-signed X.509 certificate (PEM) that signs DRMDs.
A keyring is a folder of trusted ``.pub`` files (and ``*.tsa.crt`` certificates of trusted TSAs).
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from ..errors import InputError

PUB_FORMAT = "rmwork-public-key"
PASSPHRASE_ENV = "RMWORK_KEY_PASSPHRASE"
MIN_PASSPHRASE = 8
# which record meanings a role may sign (an approver may also review)
ROLES = {"reviewer": ("reviewed",), "approver": ("reviewed", "approved")}
_PEM_BEGIN = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
_PEM_END = b"-----END ENCRYPTED PRIVATE KEY-----"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def utc_text(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def key_id(raw_public: bytes) -> str:
    """First 16 bytes of the SHA-256 of the raw Ed25519 public key, in hex (like an SSH fingerprint)."""
    return hashlib.sha256(raw_public).hexdigest()[:32]


@dataclass(frozen=True)
class PublicKey:
    """A signer's public key with the identity it is trusted for (one ``.pub`` file)."""

    name: str
    role: str
    title: str
    key_id: str
    public: ed25519.Ed25519PublicKey = field(repr=False)
    created_utc: str
    not_after_utc: str
    x509_sha256: str | None
    path: Path | None = None

    def allows(self, meaning: str) -> bool:
        return meaning in ROLES.get(self.role, ())

    def valid_at(self, when: dt.datetime) -> bool:
        return parse_utc(self.created_utc) <= when <= parse_utc(self.not_after_utc)

    def verify(self, signature: bytes, payload: bytes) -> bool:
        try:
            self.public.verify(signature, payload)
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {
            "format": PUB_FORMAT,
            "version": 1,
            "algorithm": "Ed25519",
            "name": self.name,
            "role": self.role,
            "title": self.title,
            "key_id": self.key_id,
            "public_key": base64.b64encode(raw).decode("ascii"),
            "created_utc": self.created_utc,
            "not_after_utc": self.not_after_utc,
            "x509_sha256": self.x509_sha256,
        }


@dataclass(frozen=True)
class SigningKey:
    """An unlocked private key with its public identity (and its X.509 certificate, if any)."""

    public: PublicKey
    private: ed25519.Ed25519PrivateKey = field(repr=False)
    x509_key: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    certificate: x509.Certificate | None = field(default=None, repr=False)

    def sign(self, payload: bytes) -> bytes:
        return self.private.sign(payload)


# ---------------------------------------------------------------------------------------------
# passphrases


def passphrase(prompt: str, *, confirm: bool = False) -> bytes:
    """The passphrase from ``RMWORK_KEY_PASSPHRASE`` (automation) or asked for on the terminal."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return env.encode("utf-8")
    if not sys.stdin.isatty():
        raise InputError(
            "no passphrase: not a terminal and RMWORK_KEY_PASSPHRASE is not set",
            hint="run in a terminal or set RMWORK_KEY_PASSPHRASE",
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise InputError("the two passphrases differ", hint="run the command again")
    return first.encode("utf-8")


# ---------------------------------------------------------------------------------------------
# making keys


def _certificate(
    name: str,
    title: str,
    kid: str,
    key: ec.EllipticCurvePrivateKey,
    start: dt.datetime,
    end: dt.datetime,
    organization: str,
) -> x509.Certificate:
    """Self-signed X.509 v3 certificate (RFC 5280) binding the person to the record key's id."""
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.TITLE, title)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    subject = x509.Name(attrs)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(f"urn:rmwork:key:{kid}")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )


def new_key(
    name: str,
    role: str,
    out: Path,
    secret: bytes,
    *,
    signer: str = "",
    title: str = "",
    valid_days: int = 1095,
    with_x509: bool = True,
    organization: str = "",
) -> PublicKey:
    """Make ``out/NAME.key``, ``out/NAME.pub`` (and ``out/NAME.crt``); refuse to overwrite.

    ``signer`` is the person's name as printed (default NAME), ``title`` the job title printed
    beside it on a certificate (default the role).

    21 CFR Part 11 §11.300(a): each key is unique to one person; the private key is encrypted
    under the person's passphrase and never written in clear.
    """
    if role not in ROLES:
        raise InputError(f"'{role}' is not a role", key="--role", hint=f"use one of {', '.join(ROLES)}")
    if not name.strip() or "/" in name or name.startswith("."):
        raise InputError(
            f"'{name}' cannot name a key file", key="NAME", hint="use letters, digits, '.', '_' or '-'"
        )
    if len(secret) < MIN_PASSPHRASE:
        raise InputError(
            f"the passphrase is shorter than {MIN_PASSPHRASE} characters", hint="choose a longer one"
        )
    signer = " ".join((signer or name).split())
    if not 1 <= valid_days <= 36500:
        raise InputError(f"must be between 1 and 36500 days, got {valid_days}", key="--valid-days")
    out = Path(out)
    paths = {ext: out / f"{name}.{ext}" for ext in ("key", "pub", "crt")}
    for ext, p in paths.items():
        if p.exists() and (ext != "crt" or with_x509):
            raise InputError(
                "already exists; a key is never overwritten",
                file=str(p),
                hint="choose another NAME or --out folder",
            )
    priv = ed25519.Ed25519PrivateKey.generate()
    raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = key_id(raw)
    start = utc_now()
    end = start + dt.timedelta(days=valid_days)
    enc = serialization.BestAvailableEncryption(secret)
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    cert = None
    if with_x509:
        xkey = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(signer, title or role, kid, xkey, start, end, organization)
        pem += xkey.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    pub = PublicKey(
        name=signer,
        role=role,
        title=title or role,
        key_id=kid,
        public=priv.public_key(),
        created_utc=utc_text(start),
        not_after_utc=utc_text(end),
        x509_sha256=cert.fingerprint(hashes.SHA256()).hex() if cert else None,
    )
    out.mkdir(parents=True, exist_ok=True)
    _write_new(paths["key"], pem, mode=0o600)
    _write_new(paths["pub"], (json.dumps(pub.to_json(), indent=2, ensure_ascii=False) + "\n").encode())
    if cert is not None:
        _write_new(paths["crt"], cert.public_bytes(serialization.Encoding.PEM))
    return pub


def _write_new(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------
# reading keys


def read_public(path: Path) -> PublicKey:
    """Read a ``.pub`` file; a file that is not one is refused naming it."""
    path = Path(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        if d.get("format") != PUB_FORMAT or d.get("algorithm") != "Ed25519":
            raise ValueError("format")
        raw = base64.b64decode(d["public_key"], validate=True)
        pub = ed25519.Ed25519PublicKey.from_public_bytes(raw)
        parse_utc(d["created_utc"]), parse_utc(d["not_after_utc"])
    except FileNotFoundError:
        raise InputError(
            "public key file does not exist",
            file=str(path),
            hint="give the NAME.pub written by 'rmwork keys new'",
        ) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise InputError(
            "is not an rmwork public key (.pub)",
            file=str(path),
            hint="give the NAME.pub written by 'rmwork keys new'",
        ) from None
    if key_id(raw) != d["key_id"]:
        raise InputError(
            "key_id does not match its public key (edited by hand?)",
            file=str(path),
            hint="use the .pub file as 'rmwork keys new' wrote it",
        )
    return PublicKey(
        name=d["name"],
        role=d["role"],
        title=d.get("title") or d["role"],
        key_id=d["key_id"],
        public=pub,
        created_utc=d["created_utc"],
        not_after_utc=d["not_after_utc"],
        x509_sha256=d.get("x509_sha256"),
        path=path,
    )


def _pem_blocks(data: bytes) -> list[bytes]:
    blocks, rest = [], data
    while _PEM_BEGIN in rest:
        start = rest.index(_PEM_BEGIN)
        end = rest.find(_PEM_END, start)
        if end < 0:
            break
        blocks.append(rest[start : end + len(_PEM_END)] + b"\n")
        rest = rest[end + len(_PEM_END) :]
    return blocks


def load_signing_key(path: Path, secret: bytes | None = None) -> SigningKey:
    """Unlock ``NAME.key`` with its passphrase; check it against ``NAME.pub`` (and ``NAME.crt``).

    Refused, one line each: a missing file, a file that is not an encrypted rmwork key, a wrong
    passphrase, a ``.pub`` that belongs to another key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "key file does not exist", file=str(path), hint="give the NAME.key of 'rmwork keys new'"
        )
    try:
        blocks = _pem_blocks(path.read_bytes()[: 1 << 20])
    except OSError as exc:
        raise InputError(f"cannot read the key file ({exc.strerror})", file=str(path)) from None
    if not blocks:
        raise InputError(
            "is not an encrypted private key",
            file=str(path),
            hint="give the NAME.key written by 'rmwork keys new'",
        )
    if secret is None:
        secret = passphrase(f"Passphrase for {path.name}: ")
    priv = _decrypt(blocks[0], secret, path)
    if not isinstance(priv, ed25519.Ed25519PrivateKey):
        raise InputError(
            "is not an Ed25519 signing key",
            file=str(path),
            hint="give the NAME.key written by 'rmwork keys new'",
        )
    pub = read_public(path.with_suffix(".pub"))
    raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if key_id(raw) != pub.key_id:
        raise InputError(
            f"does not belong to the private key {path.name}",
            file=str(pub.path),
            hint="keep NAME.key and NAME.pub of one 'rmwork keys new' together",
        )
    xkey = cert = None
    if len(blocks) > 1:
        xkey = _decrypt(blocks[1], secret, path)
        cert = read_certificate(path.with_suffix(".crt"))
        if (
            cert.fingerprint(hashes.SHA256()).hex() != pub.x509_sha256
            or cert.public_key().public_numbers() != xkey.public_key().public_numbers()
        ):
            raise InputError(
                f"is not the certificate of {path.name}",
                file=str(path.with_suffix(".crt")),
                hint="keep NAME.key, NAME.pub and NAME.crt of one 'rmwork keys new' together",
            )
    return SigningKey(public=pub, private=priv, x509_key=xkey, certificate=cert)


def _decrypt(block: bytes, secret: bytes, path: Path):
    try:
        return serialization.load_pem_private_key(block, password=secret)
    except ValueError as exc:
        if "password" in str(exc).lower() or "decrypt" in str(exc).lower():
            raise InputError(
                "wrong passphrase", file=str(path), hint="type the key's passphrase again"
            ) from None
        raise InputError(
            "is not a readable private key",
            file=str(path),
            hint="give the NAME.key written by 'rmwork keys new'",
        ) from None
    except Exception:  # noqa: BLE001 - cryptography raises several types for garbage
        raise InputError(
            "is not a readable private key",
            file=str(path),
            hint="give the NAME.key written by 'rmwork keys new'",
        ) from None


def read_certificate(path: Path) -> x509.Certificate:
    path = Path(path)
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise InputError(
            "certificate file does not exist",
            file=str(path),
            hint="give the NAME.crt written by 'rmwork keys new'",
        ) from None
    except (OSError, ValueError):
        raise InputError(
            "is not a PEM X.509 certificate",
            file=str(path),
            hint="give the NAME.crt written by 'rmwork keys new'",
        ) from None


# ---------------------------------------------------------------------------------------------
# keyrings


@dataclass(frozen=True)
class Keyring:
    """Trusted public keys by key id, and trusted TSA certificates (``*.tsa.crt``)."""

    folder: Path
    keys: dict = field(default_factory=dict)
    tsa_certificates: tuple = ()

    def get(self, kid: str) -> PublicKey | None:
        return self.keys.get(kid)


def load_keyring(folder: Path) -> Keyring:
    """Every ``.pub`` in ``folder``; refused when the folder is missing or holds no key."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            "keyring folder does not exist",
            file=str(folder),
            key="--trust",
            hint="give a folder of trusted .pub files",
        )
    keys = {}
    for p in sorted(folder.glob("*.pub")):
        pub = read_public(p)
        keys[pub.key_id] = pub
    if not keys:
        raise InputError(
            "keyring holds no .pub file",
            file=str(folder),
            key="--trust",
            hint="copy the trusted signers' NAME.pub files into it",
        )
    tsa = tuple(sorted(folder.glob("*.tsa.crt")))
    return Keyring(folder=folder, keys=keys, tsa_certificates=tsa)
