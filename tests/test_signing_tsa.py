"""RFC 3161 time stamps over record signatures, with OpenSSL's own ``openssl ts -reply`` as the TSA
behind an HTTP server on 127.0.0.1 (RFC 3161 section 3.4, HTTP transport).

Oracle: the token is checked in the tests with ``openssl ts -verify`` directly (the data is the
record's signature bytes), and the TSA's time is compared with the time of the test process.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from test_signing import PASS, keys, make_report, run_cli  # helpers shared with the main signing tests


def _ssl(*args, cwd):
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make_tsa(d: Path) -> Path:
    """A CA and a TSA certificate (extendedKeyUsage critical timeStamping, RFC 3161 2.3) and the
    ``[tsa]`` section of an openssl.cnf for ``openssl ts -reply``."""
    _ssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=rmwork test TSA CA",
        "-days",
        "2",
        "-addext",
        "basicConstraints=critical,CA:true",
        "-addext",
        "keyUsage=critical,keyCertSign",
        cwd=d,
    )
    _ssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/CN=rmwork test TSA",
        cwd=d,
    )
    (d / "ext.cnf").write_text("extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n")
    _ssl(
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        cwd=d,
    )
    (d / "serial").write_text("01\n")
    cfg = d / "tsa.cnf"
    cfg.write_text(f"""[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {d}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    return cfg


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    d = tmp_path_factory.mktemp("tsa")
    cfg = _make_tsa(d)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # http.server's method name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (d / "q.tsq").write_bytes(body)
                r = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(cfg), "-queryfile", "q.tsq", "-out", "r.tsr"],
                    cwd=d,
                    capture_output=True,
                    timeout=60,
                )
                out = (d / "r.tsr").read_bytes() if r.returncode == 0 else b""
            self.send_response(200 if out else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa", d
    server.shutdown()
    server.server_close()


@pytest.fixture
def ring(tmp_path, tsa):
    d = tmp_path / "keys"
    keys.new_key("rev", "reviewer", d, PASS.encode(), signer="B. Reviewer", with_x509=False)
    ring = tmp_path / "ring"
    ring.mkdir()
    shutil.copy(d / "rev.pub", ring)
    shutil.copy(tsa[1] / "ca.crt", ring / "test-ca.tsa.crt")
    return d, ring


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch):
    monkeypatch.setenv("RMWORK_KEY_PASSPHRASE", PASS)


def test_sign_with_tsa_stores_an_rfc3161_token_over_the_signature(tmp_path, tsa, ring, capsys):
    url, tsa_dir = tsa
    kd, ringdir = ring
    rep = make_report(tmp_path)
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rc, out, err = run_cli(
        capsys, "sign", rep, "--key", kd / "rev.key", "--meaning", "reviewed", "--tsa", url
    )
    assert rc == 0, err
    assert "with an RFC 3161 time stamp" in out
    rec = json.loads((rep / "signatures.jsonl").read_text())
    (tmp_path / "sig").write_bytes(base64.b64decode(rec["signature"]))
    (tmp_path / "r.tsr").write_bytes(base64.b64decode(rec["timestamp"]["response"]))
    r = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "sig", "-in", "r.tsr", "-CAfile", str(tsa_dir / "ca.crt")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "Verification: OK" in r.stdout
    when = dt.datetime.strptime(rec["timestamp"]["time_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert t0 - dt.timedelta(seconds=2) <= when <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    rc, out, err = run_cli(capsys, "verify", rep, "--trust", ringdir)
    assert rc == 0, err
    assert f"RFC 3161 time stamp {rec['timestamp']['time_utc']}" in out


def test_time_stamp_from_an_untrusted_tsa_or_of_another_signature_fails(tmp_path, tsa, ring, capsys):
    url, _ = tsa
    kd, ringdir = ring
    rep = make_report(tmp_path)
    assert (
        run_cli(capsys, "sign", rep, "--key", kd / "rev.key", "--meaning", "reviewed", "--tsa", url)[0] == 0
    )
    assert (
        run_cli(capsys, "sign", rep, "--key", kd / "rev.key", "--meaning", "reviewed", "--tsa", url)[0] == 0
    )
    lines = (rep / "signatures.jsonl").read_text().splitlines()
    # the second record's token swapped for the first's: the imprint no longer matches
    r1, r2 = map(json.loads, lines)
    r2["timestamp"] = r1["timestamp"]
    (rep / "signatures.jsonl").write_text(
        lines[0] + "\n" + json.dumps(r2, sort_keys=True, separators=(",", ":")) + "\n"
    )
    rc, _, err = run_cli(capsys, "verify", rep, "--trust", ringdir)
    assert rc == 2 and "2. reviewed by B. Reviewer" in err
    assert "time stamp does not verify against the keyring's TSA certificates" in err
    # a keyring without the TSA's CA: the token is not checked, and verify says so
    (ringdir / "test-ca.tsa.crt").unlink()
    rc, out, _ = run_cli(capsys, "verify", rep, "--trust", ringdir)
    assert "not checked (no trusted *.tsa.crt in the keyring)" in out


def test_unreachable_tsa_signs_nothing(tmp_path, ring, capsys):
    kd, _ = ring
    rep = make_report(tmp_path)
    rc, _, err = run_cli(
        capsys,
        "sign",
        rep,
        "--key",
        kd / "rev.key",
        "--meaning",
        "reviewed",
        "--tsa",
        "http://127.0.0.1:9/tsa",
    )
    assert rc == 2 and "no time stamp from the TSA" in err and "nothing was signed" in err
    assert not (rep / "signatures.jsonl").exists()
