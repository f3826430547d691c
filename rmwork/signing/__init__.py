"""Electronic signatures and approval of a report (21 CFR Part 11 §11.10(e), §11.50, §11.70; ALCOA+).

A report folder's ``manifest.json`` hashes every input and output (:mod:`rmwork.report.provenance`);
the records here sign the SHA-256 of that manifest with a person's Ed25519 key, so that a report
changed after signing — even completely re-hashed — no longer verifies against a keyring of trusted
public keys.  An ``approved`` signature also issues the certificate: the DRMD with an enveloped
XML-DSig signature (W3C XML Signature 1.1) by the approver's X.509 certificate.

Modules: :mod:`.keys` (key pairs, keyrings), :mod:`.records` (the append-only ``signatures.jsonl``),
:mod:`.check` (verification of a report folder's signatures), :mod:`.xmldsig` (signed DRMD, the
buyer's check), :mod:`.tsa` (RFC 3161 time stamps), :mod:`.cli` (the commands).  Design and
workflow: ``docs/signing.md``.
"""
