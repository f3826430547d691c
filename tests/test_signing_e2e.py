"""The approval gate end to end through the CLI (issue 18): ``rmwork run`` with
``certificate.approval: required`` → the report and DRMD say DRAFT → ``sign --meaning reviewed`` →
``sign --meaning approved`` → ``verify --trust`` → ``verify-certificate``; then a rerun moves the
signatures into history.

Oracles: the certified strings are those the run wrote to ``results.json`` (the contract's
``value_rounded`` / ``U_rounded``), compared with what the signed DRMD vouches for; the approver is the
key's signer name, distinct from the parameter file's free-text ``approver``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASS = "correct horse battery"
FREE_TEXT = "Free Text Approver"


def _cmd():
    exe = Path(sys.executable).parent / "rmwork"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rmwork.cli"]


def rm(*args, env=None):
    e = {**os.environ, "RMWORK_KEY_PASSPHRASE": PASS, **(env or {})}
    return subprocess.run([*_cmd(), *map(str, args)], capture_output=True, text=True, timeout=600, env=e)


def _lot(folder: Path) -> Path:
    """The demo lot RM-DEMO-CRM001 (eCerto CRM001 data), Bayesian model off for speed, approval required."""
    text = (ROOT / "parameters" / "RM-DEMO-CRM001.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/", f"{ROOT}/data/").replace("bayes: true", "bayes: false")
    text = text.replace("approver: Dr. A. Example", f"approver: {FREE_TEXT}")
    text = text.replace("certificate:\n", "certificate:\n  approval: required\n", 1)
    assert "approval: required" in text and FREE_TEXT in text
    p = folder / "RM-DEMO-CRM001.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    d = tmp_path_factory.mktemp("gate")
    params = _lot(d)
    r = rm("run", params, "--out", d / "reports", "--reason", "approval gate test")
    assert r.returncode in (0, 3), r.stderr  # 3: written, with X withheld (the demo's ν_eff < 1)
    for name, role in (("rev", "reviewer"), ("ann", "approver")):
        r = rm(
            "keys",
            "new",
            name,
            "--role",
            role,
            "--out",
            d / "keys",
            "--signer",
            {"rev": "B. Reviewer", "ann": "Dr. C. Approver"}[name],
            "--title",
            {"rev": "Quality reviewer", "ann": "Head of reference materials"}[name],
        )
        assert r.returncode == 0, r.stderr
    (d / "ring").mkdir()
    for n in ("rev", "ann"):
        (d / "ring" / f"{n}.pub").write_bytes((d / "keys" / f"{n}.pub").read_bytes())
    return d, params, d / "reports" / "RM-DEMO-CRM001"


def test_run_with_approval_required_writes_a_draft_report_and_drmd(gate):
    _, _, rep = gate
    html = (rep / "report.html").read_text(encoding="utf-8")
    assert "DRAFT — not an issued certificate: approval pending" in html
    assert (
        "pending (taken from the approver&#x27;s signature)" in html
        or "pending (taken from the approver's signature)" in html
    )
    assert FREE_TEXT not in html.split("rmwork-certificate", 1)[-1].split("</div>")[0]
    drmd = (rep / "certificate.drmd.xml").read_text(encoding="utf-8")
    assert "DRAFT - not an issued certificate" in drmd and "approval pending" in drmd
    assert FREE_TEXT not in drmd
    r = rm("verify-certificate", rep / "certificate.drmd.xml")
    assert r.returncode == 2 and "a DRAFT awaiting approval" in r.stderr


def test_approval_gate_run_review_approve_verify_and_buyers_check(gate):
    d, _, rep = gate
    r = rm("verify", rep, "--trust", d / "ring")
    assert r.returncode == 2 and "current report is unsigned" in r.stderr
    r = rm(
        "sign", rep, "--key", d / "keys" / "rev.key", "--meaning", "reviewed", "--comment", "budget checked"
    )
    assert r.returncode == 0, r.stderr
    assert not (rep / "certificate.signed.drmd.xml").exists()  # a review issues nothing
    r = rm("verify", rep, "--trust", d / "ring")
    assert (
        r.returncode == 0 and "approval: none (a certificate that requires approval is a DRAFT)" in r.stdout
    )
    r = rm("sign", rep, "--key", d / "keys" / "rev.key", "--meaning", "approved")
    assert r.returncode == 2 and "role reviewer may not sign 'approved'" in r.stderr
    r = rm("sign", rep, "--key", d / "keys" / "ann.key", "--meaning", "approved", "--trust", d / "ring")
    assert r.returncode == 0, r.stderr
    assert "certificate.signed.drmd.xml written" in r.stdout
    r = rm("verify", rep, "--trust", d / "ring")
    assert r.returncode == 0, r.stderr
    assert "1. reviewed by B. Reviewer (reviewer" in r.stdout and "budget checked" in r.stdout
    assert re.search(
        r"2\. approved by Dr\. C\. Approver \(approver, key [0-9a-f]{16}\) at \S+Z: valid", r.stdout
    )
    assert "approval: approved by Dr. C. Approver" in r.stdout
    r = rm("verify-certificate", rep / "certificate.signed.drmd.xml", "--trust", d / "keys" / "ann.crt")
    assert r.returncode == 0, r.stderr
    assert "signed by Dr. C. Approver (Head of reference materials)" in r.stdout and "(trusted)" in r.stdout
    assert FREE_TEXT not in r.stdout
    results = json.loads((rep / "results.json").read_text(encoding="utf-8"))
    for a, entry in results["analytes"].items():
        c = entry.get("certified")
        if c and c.get("status", "certified") == "certified":
            assert f"{a}: {c['value_rounded']} ± {c['U_rounded']} (k = " in r.stdout
    # the buyer's copy with one certified value changed fails
    xml = (rep / "certificate.signed.drmd.xml").read_text(encoding="utf-8")
    first = re.search(r"<si:value>([^<]+)</si:value>", xml)
    bad = d / "changed.xml"
    bad.write_text(xml.replace(first.group(0), "<si:value>9.99</si:value>", 1), encoding="utf-8")
    r = rm("verify-certificate", bad, "--trust", d / "keys" / "ann.crt")
    assert r.returncode == 2 and "signature does not match" in r.stderr and r.stdout == ""


def test_rerun_after_approval_moves_signatures_into_history_and_is_a_draft_again(gate):
    d, params, rep = gate
    # runs after the approval test above (file order), which signed the first version
    assert (rep / "signatures.jsonl").exists(), "run the whole module: the approval test signs first"
    before = (rep / "signatures.jsonl").read_bytes()
    r = rm("run", params, "--out", d / "reports", "--reason", "rerun after approval")
    assert r.returncode in (0, 3), r.stderr  # 3: written, with X withheld
    (old,) = list((rep / "history").iterdir())
    assert (old / "signatures.jsonl").read_bytes() == before
    manifest = json.loads((rep / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["previous_signatures_sha256"] == hashlib.sha256(before).hexdigest()
    assert (old / "certificate.signed.drmd.xml").is_file()
    assert not (rep / "signatures.jsonl").exists() and not (rep / "certificate.signed.drmd.xml").exists()
    r = rm("verify", rep, "--trust", d / "ring")
    assert r.returncode == 2 and "current report is unsigned" in r.stderr
    assert f"history/{old.name}" in r.stdout and "approved by Dr. C. Approver" in r.stdout
    r = rm("verify-certificate", old / "certificate.signed.drmd.xml", "--trust", d / "keys" / "ann.crt")
    assert r.returncode == 0, r.stderr
