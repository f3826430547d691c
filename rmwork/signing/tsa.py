"""Trusted time: RFC 3161 time-stamp tokens over record signatures (IETF RFC 3161:2001, Time-Stamp
Protocol over HTTP, section 3.4; ESS certificate id per RFC 5816), made and checked with OpenSSL's
``openssl ts``.

The token's message imprint is the SHA-256 of the record's Ed25519 signature bytes, so it proves
that the signature existed at the token's time.  ``rmwork verify --trust`` checks the token against
the TSA certificates in the keyring (``*.tsa.crt``: the TSA's CA or its own certificate), that the
signing time the record claims lies within :data:`TOLERANCE` of the token's time, and that the key
was valid at the token's time.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import InputError
from . import records
from .keys import Keyring, parse_utc, utc_text

TOLERANCE = dt.timedelta(minutes=10)
MAX_RESPONSE = 1 << 20
_TIME = re.compile(r"^Time stamp: (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\d{4}) GMT$", re.M)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _openssl() -> str:
    exe = shutil.which("openssl")
    if exe is None:
        raise InputError(
            "the openssl command is not installed, so time stamps cannot be made or checked",
            hint="install OpenSSL (Debian package openssl)",
        )
    return exe


def _run(args: list[str], where: str) -> subprocess.CompletedProcess:
    r = subprocess.run([_openssl(), *args], capture_output=True, timeout=60, check=False)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise InputError(f"openssl ts failed: {tail[0][:200]}", file=where)
    return r


def token_time(response: bytes) -> str:
    """The time (UTC) stated in a time-stamp response (RFC 3161 TSTInfo genTime)."""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "r.tsr"
        f.write_bytes(response)
        text = _run(["ts", "-reply", "-in", str(f), "-text"], "time-stamp response").stdout.decode()
    if "Status: Granted" not in text:
        raise InputError(
            "the TSA did not grant the time stamp",
            file="time-stamp response",
            hint="check the TSA URL and its status",
        )
    m = _TIME.search(text)
    if m is None:
        raise InputError("the time-stamp response states no time", file="time-stamp response")
    mon, day, hh, mm, ss, year = m.groups()
    t = dt.datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=dt.UTC)
    return utc_text(t)


def stamp(signature: bytes, url: str) -> dict:
    """Ask the TSA at ``url`` for a token over ``signature`` (RFC 3161 §3.4: HTTP POST of a
    ``application/timestamp-query``); returns the record's ``timestamp`` entry."""
    with tempfile.TemporaryDirectory() as d:
        data, query = Path(d) / "sig", Path(d) / "q.tsq"
        data.write_bytes(signature)
        _run(["ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)], url)
        req = urllib.request.Request(
            url,
            data=query.read_bytes(),
            method="POST",
            headers={"Content-Type": "application/timestamp-query"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                body = resp.read(MAX_RESPONSE + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise InputError(
                f"no time stamp from the TSA ({exc.__class__.__name__}: "
                f"{getattr(exc, 'reason', exc)}); nothing was signed",
                file=url,
                key="--tsa",
                hint="check the TSA URL, or sign without --tsa / RMWORK_TSA_URL",
            ) from None
        if len(body) > MAX_RESPONSE:
            raise InputError("the TSA's answer is too large to be a time stamp", file=url, key="--tsa")
        reply = Path(d) / "r.tsr"
        reply.write_bytes(body)
        # the answer must be for this query (imprint and nonce), whoever signed it
        _run(
            [
                "ts",
                "-verify",
                "-queryfile",
                str(query),
                "-in",
                str(reply),
                "-no_check_time",
                "-partial_chain",
                "-CAfile",
                str(_signer_as_ca(reply, Path(d))),
            ],
            url,
        )
    return {"tsa": url, "time_utc": token_time(body), "response": base64.b64encode(body).decode("ascii")}


def _signer_as_ca(reply: Path, d: Path) -> Path:
    """The TSA certificate the response carries, used only to match the response to the query
    at signing time (trust in the TSA is decided at verify time, from the keyring)."""
    tok = d / "tok.p7"
    _run(["ts", "-reply", "-in", str(reply), "-token_out", "-out", str(tok)], "time-stamp response")
    certs = d / "certs.pem"
    _run(
        ["pkcs7", "-inform", "DER", "-in", str(tok), "-print_certs", "-out", str(certs)],
        "time-stamp response",
    )
    return certs


def check_record_token(rec: dict, keyring: Keyring) -> tuple[str | None, str | None]:
    """(time of the verified token, problem or None) for one record's ``timestamp``."""
    entry = rec.get("timestamp") or {}
    try:
        body = base64.b64decode(entry.get("response") or "", validate=True)
    except ValueError:
        return None, "time stamp unreadable (edited by hand?)"
    if not keyring.tsa_certificates:
        return "not checked (no trusted *.tsa.crt in the keyring)", None
    with tempfile.TemporaryDirectory() as d:
        data, reply, ca = Path(d) / "sig", Path(d) / "r.tsr", Path(d) / "ca.pem"
        data.write_bytes(records.signature_bytes(rec))
        reply.write_bytes(body)
        ca.write_bytes(b"".join(p.read_bytes() for p in keyring.tsa_certificates))
        r = subprocess.run(
            [_openssl(), "ts", "-verify", "-data", str(data), "-in", str(reply), "-CAfile", str(ca)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if r.returncode != 0:
            return None, "time stamp does not verify against the keyring's TSA certificates"
    try:
        when = token_time(body)
    except InputError as exc:
        return None, f"time stamp: {exc.problem}"
    claimed = parse_utc(str(rec.get("signed_utc")))
    if abs(parse_utc(when) - claimed) > TOLERANCE:
        return when, f"time stamp says {when}, but the record claims {rec.get('signed_utc')}"
    pub = keyring.get(str(rec.get("key_id")))
    if pub is not None and not pub.valid_at(parse_utc(when)):
        return when, f"time-stamped at {when}, outside the key's validity: expired signer"
    return when, None
