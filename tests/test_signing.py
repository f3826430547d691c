"""Signatures on report folders: keys, records, ``verify --trust``, and the four forgeries of issue 18.

Oracles: Ed25519 (RFC 8032) and SHA-256 checked with ``cryptography`` and ``hashlib`` directly in
the tests, on bytes the tests build themselves (canonical JSON as docs/signing.md defines it); the
forgeries are made as issue 18 describes an attacker making them (hashlib, manifest rewritten).
The report folders are built with the runner's own manifest and history code
(:func:`rmwork.report.provenance.build_manifest`, :func:`rmwork.runner._archive_previous`), without
running a notebook; ``tests/test_signing_e2e.py`` does the same through ``rmwork run``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID

from rmwork.certificate import CertificateMetadata, budget, certify, validity_period
from rmwork.drmd import to_drmd
from rmwork.errors import InputError
from rmwork.report import provenance
from rmwork.run import cli, runner
from rmwork.signing import keys

PASS = "correct horse battery"
LOT = "S-1"


# ---------------------------------------------------------------------------------------------
# fixtures: keys and report folders made with the runner's manifest code


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch):
    monkeypatch.setenv("RMWORK_KEY_PASSPHRASE", PASS)


@pytest.fixture(scope="module")
def keydir(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    keys.new_key(
        "rev", "reviewer", d, PASS.encode(), signer="B. Reviewer", title="Quality reviewer", with_x509=False
    )
    keys.new_key("ann", "approver", d, PASS.encode(), signer="Dr. A. Approver", title="Head of RM")
    keys.new_key("eve", "approver", d, PASS.encode(), signer="Dr. A. Approver")  # not trusted
    ring = d / "ring"
    ring.mkdir()
    for n in ("rev", "ann"):
        shutil.copy(d / f"{n}.pub", ring)
    return d


def _certified():
    cd = certify(
        0.2153,
        budget(0.004, 0.0015, 0.002, value=0.215, dof={"u_char": 9}),
        analyte="Cd",
        unit_of_measure="mg/kg",
    )
    meta = CertificateMetadata(
        material="Rice flour",
        producer="NIM",
        rm_number="GBW-T1",
        lot=LOT,
        intended_use="QC.",
        storage="Dry.",
        instructions="Shake.",
        minimum_sample_intake=0.2,
        certification_date="2026-03-01",
        validity=validity_period(24, "2026-03-01"),
        approver="free text approver",
        producer_city="Beijing",
        producer_country_code="CN",
    )
    return cd, meta


def make_report(root: Path, *, pending=False, value="1.0") -> Path:
    """A report folder as rmwork run leaves it (results, HTML, notebook, DRMD, manifest), built and
    swapped in with the runner's code; a second call is a rerun (the old one moves to history/)."""
    cd, meta = _certified()
    data = root / "data.csv"
    if not data.exists():
        data.write_text(f"analyte,lab,value\nCd,L1,{value}\n", encoding="utf-8")
    params = root / f"{LOT}.yaml"
    params.write_text(f"lot: {LOT}\n", encoding="utf-8")
    nb = root / "template.ipynb"
    nb.write_text("{}", encoding="utf-8")
    out_root = root / "reports"
    final = out_root / LOT
    work = out_root / f".tmp-{LOT}-{dt.datetime.now().timestamp()}"
    work.mkdir(parents=True)
    U = cd.U_rounded
    (work / "results.json").write_text(
        json.dumps(
            {
                "lot": LOT,
                "analytes": {"Cd": {"certified": {"value_rounded": cd.value_rounded, "U_rounded": U}}},
            }
        ),
        encoding="utf-8",
    )
    # Table P2 as rmwork.report.lot prints it: verify compares its hashes with the manifest's
    p2 = "".join(
        f"<tr><td>{k}</td><td>{f.name}</td><td>{provenance.sha256_file(f)}</td></tr>"
        for k, f in (("parameter file", params), ("characterization.data", data))
    )
    (work / "report.html").write_text(
        f"<p>Cd: {cd.value_rounded} ± {U} mg/kg</p><table><caption>Table P2 — "
        f"Input files</caption><tbody>{p2}</tbody></table>",
        encoding="utf-8",
    )
    (work / "certification_report.ipynb").write_text(json.dumps({"U": U}), encoding="utf-8")
    (work / "certificate.drmd.xml").write_bytes(to_drmd([cd], meta, approval_pending=pending))
    prev = None
    if (final / provenance.MANIFEST).is_file():
        prev = provenance.sha256_file(final / provenance.MANIFEST)
        runner._archive_previous(final, work)
    m = provenance.build_manifest(
        lot=LOT,
        report_dir=work,
        inputs={"characterization.data": data},
        parameter_file=params,
        notebooks={"certification_report.ipynb": nb},
        seed=1,
        started=provenance.now_utc(),
        finished=provenance.now_utc(),
        run_by="analyst@lab",
        reason="test",
        previous=prev,
        environment={},
    )
    if prev is not None:  # as rmwork.runner.run does
        m["previous_signatures_sha256"] = runner._signatures_sha256(final)
    provenance.write_manifest(work, m)
    runner._swap(out_root, LOT, work)
    return final


def run_cli(capsys, *args) -> tuple[int, str, str]:
    rc = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def sign(capsys, rep, keydir, name, meaning, *extra):
    return run_cli(capsys, "sign", rep, "--key", keydir / f"{name}.key", "--meaning", meaning, *extra)


@pytest.fixture
def signed(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    assert sign(capsys, rep, keydir, "rev", "reviewed", "--comment", "tables checked")[0] == 0
    assert sign(capsys, rep, keydir, "ann", "approved")[0] == 0
    return rep


# ---------------------------------------------------------------------------------------------
# keys


def test_keys_new_writes_encrypted_key_public_file_and_certificate(tmp_path, capsys):
    rc, out, err = run_cli(
        capsys,
        "keys",
        "new",
        "li",
        "--role",
        "approver",
        "--out",
        tmp_path,
        "--signer",
        "Dr. Li Wei",
        "--title",
        "Technical director",
    )
    assert rc == 0, err
    key = (tmp_path / "li.key").read_bytes()
    assert key.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") and b"BEGIN PRIVATE KEY" not in key
    assert key.count(b"BEGIN ENCRYPTED PRIVATE KEY") == 2  # Ed25519, then the certificate's key
    pub = json.loads((tmp_path / "li.pub").read_text())
    raw = base64.b64decode(pub["public_key"])
    assert len(raw) == 32 and pub["key_id"] == hashlib.sha256(raw).hexdigest()[:32]
    assert (pub["name"], pub["role"], pub["title"]) == ("Dr. Li Wei", "approver", "Technical director")
    assert pub["key_id"] in out
    k = keys.load_signing_key(tmp_path / "li.key", PASS.encode())
    subject = {a.oid: a.value for a in k.certificate.subject}
    assert (subject[NameOID.COMMON_NAME], subject[NameOID.TITLE]) == ("Dr. Li Wei", "Technical director")
    der = k.certificate.public_bytes(serialization.Encoding.DER)
    assert hashlib.sha256(der).hexdigest() == pub["x509_sha256"]
    # the record key signs, and the .pub verifies, independently of rmwork
    Ed25519PublicKey.from_public_bytes(raw).verify(k.sign(b"abc"), b"abc")


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--role", "boss"], PASS, "'boss' is not a role"),
        (["--role", "reviewer"], "short", "shorter than 8 characters"),
    ],
)
def test_keys_new_refuses_bad_role_or_short_passphrase_and_writes_nothing(
    tmp_path, capsys, monkeypatch, args, env, message
):
    monkeypatch.setenv("RMWORK_KEY_PASSPHRASE", env)
    rc, out, err = run_cli(capsys, "keys", "new", "x", *args, "--out", tmp_path / "k")
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "k").exists()


def test_keys_new_never_overwrites_a_key(tmp_path, capsys):
    assert run_cli(capsys, "keys", "new", "x", "--role", "reviewer", "--out", tmp_path)[0] == 0
    before = (tmp_path / "x.key").read_bytes()
    rc, _, err = run_cli(capsys, "keys", "new", "x", "--role", "reviewer", "--out", tmp_path)
    assert rc == 2 and "never overwritten" in err
    assert (tmp_path / "x.key").read_bytes() == before


# ---------------------------------------------------------------------------------------------
# signing and verifying


def test_sign_appends_chained_ed25519_records_over_the_manifest(signed, keydir):
    lines = (signed / "signatures.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    r1, r2 = map(json.loads, lines)
    manifest_sha = hashlib.sha256((signed / "manifest.json").read_bytes()).hexdigest()
    assert r1["manifest_sha256"] == r2["manifest_sha256"] == manifest_sha
    assert r1["previous_record_sha256"] is None
    assert r2["previous_record_sha256"] == hashlib.sha256(lines[0].encode()).hexdigest()
    assert (r1["meaning"], r1["signer"], r1["role"], r1["comment"]) == (
        "reviewed",
        "B. Reviewer",
        "reviewer",
        "tables checked",
    )
    assert (r2["meaning"], r2["signer"]) == ("approved", "Dr. A. Approver")
    dt.datetime.strptime(r2["signed_utc"], "%Y-%m-%dT%H:%M:%SZ")
    # the signature checked here from the .pub alone: DOMAIN + canonical JSON without signature
    for rec, name in ((r1, "rev"), (r2, "ann")):
        pub = json.loads((keydir / f"{name}.pub").read_text())
        body = {k: v for k, v in rec.items() if k not in ("signature", "timestamp")}
        payload = (
            b"rmwork-signature-record-v1\n"
            + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        )
        Ed25519PublicKey.from_public_bytes(base64.b64decode(pub["public_key"])).verify(
            base64.b64decode(rec["signature"]), payload
        )
        assert rec["key_id"] == pub["key_id"]


def test_verify_trust_prints_who_signed_what_when_and_meaning(signed, keydir, capsys):
    rc, out, err = run_cli(capsys, "verify", signed, "--trust", keydir / "ring")
    assert rc == 0, err
    r1, r2 = map(json.loads, (signed / "signatures.jsonl").read_text().splitlines())
    assert f"1. reviewed by B. Reviewer (reviewer, key {r1['key_id'][:16]}) at {r1['signed_utc']}" in out
    assert '"tables checked": valid' in out
    assert f"2. approved by Dr. A. Approver (approver, key {r2['key_id'][:16]}) at {r2['signed_utc']}" in out
    assert f"approval: approved by Dr. A. Approver at {r2['signed_utc']}" in out


def test_verify_without_trust_says_signatures_were_not_checked(signed, capsys):
    rc, out, _ = run_cli(capsys, "verify", signed)
    assert rc == 0
    assert "2 signature(s), not checked" in out and "signatures were not checked" in out


def test_verify_trust_reports_unsigned_report(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    rc, out, err = run_cli(capsys, "verify", rep, "--trust", keydir / "ring")
    assert rc == 2 and "current report is unsigned" in err
    assert "intact" in out  # the hashes themselves are fine


def test_verify_trust_reports_key_not_in_keyring(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    assert sign(capsys, rep, keydir, "eve", "reviewed")[0] == 0
    rc, _, err = run_cli(capsys, "verify", rep, "--trust", keydir / "ring")
    eve = json.loads((keydir / "eve.pub").read_text())
    assert rc == 2
    assert (
        f"signed by a key not in the keyring (key id {eve['key_id'][:16]}, claims 'Dr. A. Approver')" in err
    )


# ---------------------------------------------------------------------------------------------
# the four forgeries of issue 18: each passes the hash-only verify, and fails verify --trust


def _rehash(folder: Path, **rewrite) -> None:
    """What issue 18's attacker does: recompute every output hash with hashlib, rewrite fields."""
    m = json.loads((folder / "manifest.json").read_text())
    for rel in m["outputs"]:
        m["outputs"][rel] = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    m.update(rewrite)
    (folder / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")


def _change_U(folder: Path) -> None:
    cd, _ = _certified()
    old, new = cd.U_rounded, "0.0001"
    for name in ("results.json", "report.html", "certification_report.ipynb", "certificate.drmd.xml"):
        f = folder / name
        text = f.read_text(encoding="utf-8")
        assert old in text, name
        f.write_text(text.replace(old, new), encoding="utf-8")


def _relink(rep: Path) -> None:
    """Re-link previous_manifest_sha256 from the oldest history version up to the current one."""
    chain = sorted((p for p in (rep / "history").iterdir()), reverse=False) + [rep]
    for older, newer in zip(chain, chain[1:]):
        _rehash(
            newer, previous_manifest_sha256=hashlib.sha256((older / "manifest.json").read_bytes()).hexdigest()
        )


def forge_current(rep: Path) -> None:
    _change_U(rep)
    _rehash(rep, run_by="approver@lab", reason="correction of a typing error")


def forge_oldest(rep: Path) -> None:
    oldest = sorted((rep / "history").iterdir())[0]
    _change_U(oldest)
    _rehash(oldest, run_by="approver@lab", reason="correction of a typing error")
    _relink(rep)


def forge_metadata(rep: Path) -> None:
    _rehash(rep, run_by="someone.else@lab", reason="rewritten", started_utc="2026-01-01T00:00:00.000000Z")


def forge_inputs(rep: Path) -> None:
    m = json.loads((rep / "manifest.json").read_text())
    data = Path(m["inputs"]["characterization.data"]["path"])
    old = hashlib.sha256(data.read_bytes()).hexdigest()
    data.write_text("analyte,lab,value\nCd,L1,2.0\n", encoding="utf-8")
    page = rep / "report.html"  # a thorough forger edits Table P2 to match
    page.write_text(
        page.read_text(encoding="utf-8").replace(old, hashlib.sha256(data.read_bytes()).hexdigest()),
        encoding="utf-8",
    )
    _rehash(
        rep,
        inputs={
            "characterization.data": {
                "path": str(data),
                "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
            }
        },
    )


@pytest.mark.parametrize(
    "forge",
    [forge_current, forge_oldest, forge_metadata, forge_inputs],
    ids=["current-version", "oldest-version-relinked", "manifest-metadata", "inputs-rehashed"],
)
def test_issue18_forgery_passes_hashes_but_fails_verify_trust(tmp_path, keydir, capsys, forge):
    rep = make_report(tmp_path)
    assert sign(capsys, rep, keydir, "ann", "approved")[0] == 0  # the first version, signed
    make_report(tmp_path)  # a rerun: it moves to history/
    assert sign(capsys, rep, keydir, "rev", "reviewed")[0] == 0
    assert sign(capsys, rep, keydir, "ann", "approved")[0] == 0
    assert run_cli(capsys, "verify", rep, "--trust", keydir / "ring")[0] == 0
    forge(rep)
    assert provenance.verify(rep) == []  # the hash chain alone is fooled, as issue 18 found
    rc, out, err = run_cli(capsys, "verify", rep, "--trust", keydir / "ring")
    assert rc == 2
    assert "manifest.json was changed after signing" in err


def test_forged_oldest_version_also_fails_its_own_signature(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    assert sign(capsys, rep, keydir, "ann", "approved")[0] == 0
    make_report(tmp_path)
    forge_oldest(rep)
    rc, out, err = run_cli(capsys, "verify", rep, "--trust", keydir / "ring")
    old = sorted((rep / "history").iterdir())[0].name
    assert rc == 2 and f"history/{old}" in out
    assert "1. approved by Dr. A. Approver" in err and "manifest.json was changed after signing" in err


# ---------------------------------------------------------------------------------------------
# a signature file edited by hand


def _edit_line(rep: Path, i: int, **change) -> None:
    lines = (rep / "signatures.jsonl").read_text().splitlines()
    rec = json.loads(lines[i])
    rec.update(change)
    lines[i] = json.dumps(rec, sort_keys=True, separators=(",", ":"))
    (rep / "signatures.jsonl").write_text("\n".join(lines) + "\n")


def test_edited_record_fails_signature(signed, keydir, capsys):
    _edit_line(signed, 0, comment="nothing checked")
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", keydir / "ring")
    assert rc == 2 and "1. reviewed by B. Reviewer" in err
    assert "signature does not match (the record was edited after signing)" in err


def test_removed_record_breaks_the_chain(signed, keydir, capsys):
    lines = (signed / "signatures.jsonl").read_text().splitlines()
    (signed / "signatures.jsonl").write_text(lines[1] + "\n")
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", keydir / "ring")
    assert rc == 2 and "numbered 2, expected 1 (records removed or reordered)" in err


def test_garbage_line_is_named_and_signing_on_it_is_refused(signed, keydir, capsys):
    with open(signed / "signatures.jsonl", "a") as f:
        f.write("{not json\n")
    before = (signed / "signatures.jsonl").read_bytes()
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", keydir / "ring")
    assert rc == 2 and "row 3: not a signature record (the file was edited by hand)" in err
    rc, _, err = sign(capsys, signed, keydir, "rev", "reviewed")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "row 3" in err
    assert (signed / "signatures.jsonl").read_bytes() == before


def test_sign_with_trust_refuses_onto_an_untrusted_record(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    assert sign(capsys, rep, keydir, "eve", "reviewed")[0] == 0
    before = (rep / "signatures.jsonl").read_bytes()
    rc, _, err = sign(capsys, rep, keydir, "rev", "reviewed", "--trust", keydir / "ring")
    assert rc == 2 and "existing signatures are broken" in err and "not in the keyring" in err
    assert (rep / "signatures.jsonl").read_bytes() == before


# ---------------------------------------------------------------------------------------------
# bad input: one line, exit 2, nothing written


def _nothing_written(rep: Path) -> bool:
    return not (rep / "signatures.jsonl").exists() and not (rep / "certificate.signed.drmd.xml").exists()


def test_sign_refuses_a_report_that_fails_verify(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    (rep / "report.html").write_text("<p>changed</p>")
    rc, _, err = sign(capsys, rep, keydir, "ann", "approved")
    assert rc == 2 and "fails verify, so it is not signed" in err and "report.html" in err
    assert len(err.strip().splitlines()) == 1 and _nothing_written(rep)


def test_sign_wrong_passphrase(tmp_path, keydir, capsys, monkeypatch):
    rep = make_report(tmp_path)
    monkeypatch.setenv("RMWORK_KEY_PASSPHRASE", "not the passphrase")
    rc, _, err = sign(capsys, rep, keydir, "ann", "approved")
    assert (
        rc == 2
        and err.strip() == f"rmwork: {keydir / 'ann.key'}: wrong passphrase; type the key's passphrase again"
    )
    assert _nothing_written(rep)


@pytest.mark.parametrize(
    "content",
    [b"hello", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"],
    ids=["text", "bad-pem"],
)
def test_sign_key_file_that_is_not_a_key(tmp_path, keydir, capsys, content):
    rep = make_report(tmp_path)
    bad = tmp_path / "bad.key"
    bad.write_bytes(content)
    rc, _, err = run_cli(capsys, "sign", rep, "--key", bad, "--meaning", "reviewed")
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "is not an encrypted private key" in err or "is not a readable private key" in err
    assert _nothing_written(rep)


def test_sign_refuses_an_expired_key(tmp_path, keydir, capsys, monkeypatch):
    rep = make_report(tmp_path)
    later = keys.utc_now() + dt.timedelta(days=4 * 365)
    monkeypatch.setattr("rmwork.signing.sign.utc_now", lambda: later)
    rc, _, err = sign(capsys, rep, keydir, "ann", "approved")
    assert rc == 2 and "expired signer" in err and _nothing_written(rep)


def test_verify_flags_a_record_signed_after_the_key_expired(tmp_path, keydir, capsys, monkeypatch):
    """A record dated outside the key's validity (the signer's clock or an old key) is not valid."""
    rep = make_report(tmp_path)
    pub = keys.read_public(keydir / "rev.pub")
    later = keys.parse_utc(pub.not_after_utc) + dt.timedelta(days=1)
    monkeypatch.setattr("rmwork.signing.sign.utc_now", lambda: later)
    monkeypatch.setattr(keys.PublicKey, "valid_at", lambda self, when: True)  # get past sign's own check
    assert sign(capsys, rep, keydir, "rev", "reviewed")[0] == 0
    monkeypatch.undo()
    monkeypatch.setenv("RMWORK_KEY_PASSPHRASE", PASS)
    rc, _, err = run_cli(capsys, "verify", rep, "--trust", keydir / "ring")
    assert rc == 2 and "outside the key's validity" in err and "expired signer" in err


def test_sign_refuses_a_reviewer_approving(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    rc, _, err = sign(capsys, rep, keydir, "rev", "approved")
    assert rc == 2 and "role reviewer may not sign 'approved'" in err and _nothing_written(rep)


def test_sign_refuses_a_second_approval(signed, keydir, capsys):
    before = (signed / "signatures.jsonl").read_bytes()
    rc, _, err = sign(capsys, signed, keydir, "ann", "approved")
    assert rc == 2 and "already approved by Dr. A. Approver" in err
    assert (signed / "signatures.jsonl").read_bytes() == before


def test_sign_refuses_a_history_version(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    make_report(tmp_path)
    old = next((rep / "history").iterdir())
    rc, _, err = sign(capsys, old, keydir, "rev", "reviewed")
    assert rc == 2 and "superseded version in history/" in err


def test_keyring_folder_missing_or_empty(tmp_path, signed, capsys):
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", tmp_path / "none")
    assert rc == 2 and "keyring folder does not exist" in err
    (tmp_path / "empty").mkdir()
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", tmp_path / "empty")
    assert rc == 2 and "keyring holds no .pub file" in err


def test_load_signing_key_refuses_a_pub_of_another_key(tmp_path, keydir):
    shutil.copy(keydir / "ann.key", tmp_path / "ann.key")
    shutil.copy(keydir / "eve.pub", tmp_path / "ann.pub")
    with pytest.raises(InputError, match="does not belong to the private key ann.key"):
        keys.load_signing_key(tmp_path / "ann.key", PASS.encode())


# ---------------------------------------------------------------------------------------------
# reruns


def test_rerun_moves_signatures_with_the_report_into_history(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    assert sign(capsys, rep, keydir, "rev", "reviewed")[0] == 0
    assert sign(capsys, rep, keydir, "ann", "approved")[0] == 0
    signed_lines = (rep / "signatures.jsonl").read_bytes()
    make_report(tmp_path)
    (old,) = list((rep / "history").iterdir())
    assert (old / "signatures.jsonl").read_bytes() == signed_lines
    assert (old / "certificate.signed.drmd.xml").is_file()
    assert _nothing_written(rep)  # the new version starts unsigned
    rc, out, err = run_cli(capsys, "verify", rep, "--trust", keydir / "ring")
    assert rc == 2 and "current report is unsigned" in err
    assert f"history/{old.name}" in out and "2. approved by Dr. A. Approver" in out
    assert sign(capsys, rep, keydir, "rev", "reviewed")[0] == 0
    assert run_cli(capsys, "verify", rep, "--trust", keydir / "ring")[0] == 0


# ---------------------------------------------------------------------------------------------
# the issued certificate: enveloped XML-DSig over the DRMD (W3C XML Signature 1.1)

DS = {"ds": "http://www.w3.org/2000/09/xmldsig#"}


def test_approved_signature_issues_a_signed_drmd_naming_the_signer(signed, keydir, capsys):
    from lxml import etree

    from rmwork.drmd import NS, validate_drmd

    xml = (signed / "certificate.signed.drmd.xml").read_bytes()
    rec = json.loads((signed / "signatures.jsonl").read_text().splitlines()[1])
    assert rec["signed_drmd_sha256"] == hashlib.sha256(xml).hexdigest()
    assert validate_drmd(xml).valid
    root = etree.fromstring(xml)
    names = root.findall(".//drmd:respPersons/dcc:respPerson/dcc:person/dcc:name/dcc:content", NS)
    assert [n.text for n in names] == ["Dr. A. Approver"]  # from the key, not the free text
    assert b"free text approver" not in xml
    ids = {
        e.findtext("drmd:scheme", namespaces=NS): e.findtext("drmd:value", namespaces=NS)
        for e in root.iterfind(".//drmd:documentIdentifier", NS)
    }
    assert ids["rmwork report manifest SHA-256"] == rec["manifest_sha256"]
    assert ids["rmwork signed UTC"] == rec["signed_utc"]
    cd, _ = _certified()
    rc, out, err = run_cli(
        capsys, "verify-certificate", signed / "certificate.signed.drmd.xml", "--trust", keydir / "ann.crt"
    )
    assert rc == 0, err
    assert f"signed by Dr. A. Approver (Head of RM) at {rec['signed_utc']}" in out and "(trusted)" in out
    assert f"Cd: {cd.value_rounded} ± {cd.U_rounded} (k = {cd.k:.3g})" in out
    assert "schema: valid" in out and f"lot {LOT}" in out


def test_signed_drmd_digest_and_ecdsa_signature_checked_without_signxml(signed, keydir):
    """Independent oracle: the Reference digest is SHA-256 of the exclusive C14N of the document
    without its Signature (enveloped-signature transform), and SignatureValue is ECDSA P-256 over
    the exclusive C14N of SignedInfo (r||s, XML Signature 1.1 section 6.4.3)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from lxml import etree

    root = etree.fromstring((signed / "certificate.signed.drmd.xml").read_bytes())
    sig = root.find("ds:Signature", DS)
    signed_info = sig.find("ds:SignedInfo", DS)
    digest = signed_info.findtext("ds:Reference/ds:DigestValue", namespaces=DS)
    value = base64.b64decode(sig.findtext("ds:SignatureValue", namespaces=DS))
    si_c14n = etree.tostring(signed_info, method="c14n", exclusive=True)
    root.remove(sig)
    assert (
        base64.b64encode(
            hashlib.sha256(etree.tostring(root, method="c14n", exclusive=True)).digest()
        ).decode()
        == digest
    )
    cert = keys.load_signing_key(keydir / "ann.key", PASS.encode()).certificate
    r, s = int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big")
    cert.public_key().verify(encode_dss_signature(r, s), si_c14n, ec.ECDSA(hashes.SHA256()))


def test_signed_drmd_with_one_value_changed_fails(signed, keydir, capsys, tmp_path):
    cd, _ = _certified()
    xml = (signed / "certificate.signed.drmd.xml").read_text(encoding="utf-8")
    old = f"<si:value>{cd.value_rounded}</si:value>"
    assert xml.count(old) == 1
    bad = tmp_path / "changed.xml"
    bad.write_text(xml.replace(old, "<si:value>0.300</si:value>"), encoding="utf-8")
    rc, out, err = run_cli(capsys, "verify-certificate", bad, "--trust", keydir / "ann.crt")
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "signature does not match" in err
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", keydir / "ring")
    assert rc == 0  # the report's own copy is untouched
    (signed / "certificate.signed.drmd.xml").write_text(bad.read_text(encoding="utf-8"), encoding="utf-8")
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", keydir / "ring")
    assert rc == 2 and "certificate.signed.drmd.xml is missing or was changed after signing" in err


def test_verify_certificate_untrusted_signer_and_no_trust_given(signed, keydir, capsys):
    f = signed / "certificate.signed.drmd.xml"
    rc, _, err = run_cli(capsys, "verify-certificate", f, "--trust", keydir / "eve.crt")
    assert rc == 2 and "signed by a certificate that is not the trusted one" in err
    rc, out, err = run_cli(capsys, "verify-certificate", f)
    assert rc == 0 and "NOT checked against a trusted certificate" in out
    assert "signer not authenticated" in err


def test_draft_drmd_says_draft_and_is_not_a_certificate(tmp_path, keydir, capsys):
    from lxml import etree

    from rmwork.drmd import DRAFT_COMMENT, NS, validate_drmd

    rep = make_report(tmp_path, pending=True)
    draft = (rep / "certificate.drmd.xml").read_bytes()
    assert validate_drmd(draft).valid
    root = etree.fromstring(draft)
    assert root.findtext("drmd:comment", namespaces=NS) == DRAFT_COMMENT
    assert (
        root.findtext(".//dcc:respPerson/dcc:person/dcc:name/dcc:content", namespaces=NS)
        == "approval pending"
    )
    assert b"free text approver" not in draft
    rc, _, err = run_cli(capsys, "verify-certificate", rep / "certificate.drmd.xml")
    assert rc == 2 and "has no XML signature: a DRAFT awaiting approval, not an issued certificate" in err
    assert sign(capsys, rep, keydir, "ann", "approved")[0] == 0
    issued = etree.fromstring((rep / "certificate.signed.drmd.xml").read_bytes())
    assert issued.find("drmd:comment", NS) is None
    assert (
        issued.findtext(".//dcc:respPerson/dcc:person/dcc:name/dcc:content", namespaces=NS)
        == "Dr. A. Approver"
    )
    assert issued.findtext(".//dcc:respPerson/dcc:mainSigner", namespaces=NS) == "true"


def test_verify_certificate_refuses_a_signature_outside_the_certificate_validity(tmp_path, keydir, capsys):
    from rmwork.signing import xmldsig

    rep = make_report(tmp_path)
    key = keys.load_signing_key(keydir / "ann.key", PASS.encode())
    after = key.certificate.not_valid_after_utc + dt.timedelta(days=1)
    xml = xmldsig.issue(
        (rep / "certificate.drmd.xml").read_bytes(),
        key,
        signed_utc=keys.utc_text(after),
        manifest_sha256="0" * 64,
    )
    f = tmp_path / "late.xml"
    f.write_bytes(xml)
    rc, _, err = run_cli(capsys, "verify-certificate", f, "--trust", keydir / "ann.crt")
    assert rc == 2 and "outside the signer's certificate validity" in err and "expired signer" in err


def test_verify_certificate_refuses_a_schema_invalid_signed_document(tmp_path, keydir, capsys):
    """Signed correctly, but not a valid DRMD (statements removed): the schema check refuses it."""
    import signxml
    from cryptography.hazmat.primitives import serialization as ser
    from lxml import etree

    from rmwork.drmd import NS

    rep = make_report(tmp_path)
    key = keys.load_signing_key(keydir / "ann.key", PASS.encode())
    root = etree.fromstring((rep / "certificate.drmd.xml").read_bytes())
    root.remove(root.find("drmd:statements", NS))
    signed_root = signxml.XMLSigner(signature_algorithm="ecdsa-sha256").sign(
        root, key=key.x509_key, cert=key.certificate.public_bytes(ser.Encoding.PEM).decode()
    )
    f = tmp_path / "invalid.xml"
    f.write_bytes(etree.tostring(signed_root))
    rc, _, err = run_cli(capsys, "verify-certificate", f, "--trust", keydir / "ann.crt")
    assert rc == 2 and "not valid against the DRMD v0.3.0 schema" in err


def test_approval_with_a_key_without_certificate_is_refused(tmp_path, capsys):
    keys.new_key("nox", "approver", tmp_path / "k", PASS.encode(), with_x509=False)
    rep = make_report(tmp_path)
    rc, _, err = run_cli(capsys, "sign", rep, "--key", tmp_path / "k" / "nox.key", "--meaning", "approved")
    assert rc == 2 and "has no X.509 certificate" in err and _nothing_written(rep)


@pytest.mark.parametrize("edit", ["delete-file", "drop-last-record"])
def test_signatures_removed_from_a_history_version_are_detected(tmp_path, keydir, capsys, edit):
    """The rerun's manifest records the SHA-256 of the superseded version's signatures.jsonl."""
    rep = make_report(tmp_path)
    assert sign(capsys, rep, keydir, "rev", "reviewed")[0] == 0
    assert sign(capsys, rep, keydir, "ann", "approved")[0] == 0
    make_report(tmp_path)
    assert sign(capsys, rep, keydir, "rev", "reviewed")[0] == 0
    (old,) = list((rep / "history").iterdir())
    f = old / "signatures.jsonl"
    if edit == "delete-file":
        f.unlink()
    else:
        f.write_text(f.read_text().splitlines()[0] + "\n")
    assert provenance.verify(rep) == []
    rc, _, err = run_cli(capsys, "verify", rep, "--trust", keydir / "ring")
    assert rc == 2 and "not the signatures the version had when it was superseded" in err


@pytest.mark.parametrize(
    "change",
    [{"record": "one"}, {"signature": 5}, {"extra": 1}, {"timestamp": "x"}],
    ids=["record-not-int", "signature-not-text", "unknown-field", "timestamp-not-object"],
)
def test_wrongly_typed_record_is_named_not_a_traceback(signed, keydir, capsys, change):
    _edit_line(signed, 1, **change)
    rc, _, err = run_cli(capsys, "verify", signed, "--trust", keydir / "ring")
    assert rc == 2 and "row 2: not a signature record (the file was edited by hand)" in err


@pytest.mark.parametrize(
    "lang, banner, pending",
    [
        ("en", "DRAFT — not an issued certificate: approval pending", "pending (taken from the approver"),
        ("zh", "草稿 — 非正式证书：待批准", "待定（取自批准人的电子签名）"),
    ],
)
def test_certificate_page_awaiting_approval_says_draft_and_shows_no_free_text_approver(lang, banner, pending):
    from rmwork.report.certificate import certificate_page

    cd, meta = _certified()
    page = certificate_page([cd], meta, lang=lang, approval_pending=True)
    assert banner in page and pending in page.replace("&#x27;", "'")
    assert "free text approver" not in page
    assert "free text approver" in certificate_page([cd], meta, lang=lang)  # approval: none, as before


def test_verify_certificate_with_a_folder_of_trusted_certificates_and_an_ended_validity(
    signed, keydir, capsys, monkeypatch
):
    """--trust may name a folder of .crt files; a certificate past its period of validity is said so."""
    from rmwork.signing import xmldsig

    trusted = keydir / "published"
    trusted.mkdir(exist_ok=True)
    shutil.copy(keydir / "ann.crt", trusted)
    f = signed / "certificate.signed.drmd.xml"
    cd, meta = _certified()
    expiry = meta.validity.expiry  # 24 months after 2026-03-01
    end = dt.datetime.fromisoformat(expiry).replace(tzinfo=dt.UTC)
    monkeypatch.setattr(xmldsig, "utc_now", lambda: end - dt.timedelta(days=1))
    rc, out, err = run_cli(capsys, "verify-certificate", f, "--trust", trusted)
    assert rc == 0 and "(trusted)" in out and "period of validity ended" not in err
    monkeypatch.setattr(xmldsig, "utc_now", lambda: end + dt.timedelta(days=1))
    rc, out, err = run_cli(capsys, "verify-certificate", f, "--trust", trusted)
    assert rc == 0 and f"the certificate's period of validity ended on {expiry}" in err


def test_keys_new_refuses_an_absurd_validity(tmp_path, capsys):
    rc, _, err = run_cli(
        capsys, "keys", "new", "x", "--role", "reviewer", "--out", tmp_path / "k", "--valid-days", "10000000"
    )
    assert rc == 2 and "between 1 and 36500 days" in err and not (tmp_path / "k").exists()


def test_sign_with_trust_refuses_an_untrusted_signer(tmp_path, keydir, capsys):
    rep = make_report(tmp_path)
    rc, _, err = sign(capsys, rep, keydir, "eve", "approved", "--trust", keydir / "ring")
    assert rc == 2 and "not in the keyring" in err and "untrusted signer" in err and _nothing_written(rep)


def test_parameter_file_approval_must_be_required_or_none(tmp_path):
    from rmwork import params

    shutil.copy(
        Path(__file__).parent.parent / "rmwork" / "data" / "reference" / "homogeneity_ecerto_crm001.csv",
        tmp_path / "h.csv",
    )
    p = tmp_path / "L.yaml"
    p.write_text("lot: L\nmaterial: m\nseed: 1\nhomogeneity: {data: h.csv}\ncertificate: {approval: maybe}\n")
    with pytest.raises(InputError, match=r"key 'certificate.approval'.*'required' or 'none'"):
        params.load(p)
    p.write_text(
        "lot: L\nmaterial: m\nseed: 1\nhomogeneity: {data: h.csv}\ncertificate: {approval: required}\n"
    )
    assert params.load(p).params.certificate.approval == "required"
