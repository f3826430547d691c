"""``rmwork keys new``, ``rmwork sign``, ``rmwork verify [--trust]``, ``rmwork verify-certificate``
(issue 18; the library code is :mod:`rmwork.signing`)."""

from __future__ import annotations

from ...signing import cli as sc
from ..cli import command

command("keys", "make signing keys (rmwork keys new NAME --role ROLE --out DIR)", sc.keys_args)(
    sc.keys_new_cmd
)
command("sign", "sign a report folder (appends to signatures.jsonl)", sc.sign_args)(sc.sign_cmd)
# replaces the plain verify: the same hash and chain check, then every signature (with --trust)
command("verify", "check a report folder against its manifest, history chain and signatures", sc.verify_args)(
    sc.verify_cmd
)
command(
    "verify-certificate",
    "check a signed DRMD offline and print what it certifies",
    sc.verify_certificate_args,
)(sc.verify_certificate_cmd)
