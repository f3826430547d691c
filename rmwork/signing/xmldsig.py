"""The issued certificate: the DRMD with an enveloped XML signature by the approver (W3C XML Signature
Syntax and Processing 1.1, enveloped-signature transform; DRMD v0.3.0 ``ds:Signature``; ISO Guide
31:2015 clause 4 authorization), and the buyer's offline check of it.

:func:`issue` turns the report's ``certificate.drmd.xml`` (a draft when approval was required) into
the issued document: the approver named in ``respPersons`` comes from the signing key, not from free
text; the document names the report's manifest SHA-256 and the signing time; ECDSA P-256 / SHA-256
over exclusive C14N, the X.509 certificate in ``KeyInfo``.  :func:`verify_certificate` checks such a
file: the signature (against a trusted certificate when one is given), the certificate's validity at
the signing time, the DRMD schema, and returns the certified values the signature vouches for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree

from .. import drmd
from ..errors import InputError
from ..results import Result
from .keys import SigningKey, parse_utc, utc_now, utc_text

_D, _C, _S = (f"{{{drmd.NS[p]}}}" for p in ("drmd", "dcc", "si"))
DS = "http://www.w3.org/2000/09/xmldsig#"
MANIFEST_SCHEME = "rmwork report manifest SHA-256"
SIGNED_AT_SCHEME = "rmwork signed UTC"


def _parse(xml: bytes, where: str):
    parser = etree.XMLParser(no_network=True, resolve_entities=False, remove_blank_text=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(
            f"is not well-formed XML ({exc})", file=where, hint="give the DRMD rmwork wrote"
        ) from None


def _identifier(core, scheme: str, value: str):
    ids = core.find(f"{_D}documentIdentifiers")
    if ids is None:
        ids = etree.Element(f"{_D}documentIdentifiers")
        core.find(f"{_D}uniqueIdentifier").addnext(ids)
    el = etree.SubElement(ids, f"{_D}documentIdentifier")
    etree.SubElement(el, f"{_D}scheme").text = scheme
    etree.SubElement(el, f"{_D}value").text = value


def _approver(root, key: SigningKey, lang: str):
    """respPersons := the signer, marked main signer with a cryptographic signature (DCC 3.3)."""
    resp = root.find(f"{_D}administrativeData/{_D}respPersons")
    for child in list(resp):
        resp.remove(child)
    rp = etree.SubElement(resp, f"{_C}respPerson")
    person = etree.SubElement(rp, f"{_C}person")
    name = etree.SubElement(person, f"{_C}name")
    etree.SubElement(name, f"{_C}content", lang=lang).text = key.public.name
    etree.SubElement(rp, f"{_C}role").text = key.public.title
    etree.SubElement(rp, f"{_C}mainSigner").text = "true"
    etree.SubElement(rp, f"{_C}cryptElectronicSignature").text = "true"


def issue(
    draft_xml: bytes,
    key: SigningKey,
    *,
    signed_utc: str,
    manifest_sha256: str,
    where: str = "certificate.drmd.xml",
) -> bytes:
    """The issued, signed DRMD from the report's DRMD (W3C XML Signature 1.1, enveloped; DRMD v0.3.0).

    Removes the draft comment, names the approver from the key, records the report manifest's
    SHA-256 and the signing time as document identifiers, validates against the DRMD schema, then
    signs the whole document (``URI=""``) and validates again.
    """
    import signxml

    if key.x509_key is None or key.certificate is None:
        raise InputError(
            "the key has no X.509 certificate, so it cannot sign the DRMD",
            file=str(key.public.path),
            hint="make the approver's key with 'rmwork keys new' (without --no-x509)",
        )
    root = _parse(draft_xml, where)
    if root.find(f"{{{DS}}}Signature") is not None:
        raise InputError("is already signed", file=where, hint="sign the report's certificate.drmd.xml")
    comment = root.find(f"{_D}comment")
    if comment is not None and (comment.text or "").startswith("DRAFT"):
        root.remove(comment)
    lang = root.find(f".//{_D}administrativeData//{_C}content").get("lang", "en")
    core = root.find(f"{_D}administrativeData/{_D}coreData")
    _identifier(core, MANIFEST_SCHEME, manifest_sha256)
    _identifier(core, SIGNED_AT_SCHEME, signed_utc)
    _approver(root, key, lang)
    prod = root.find(f"{_D}administrativeData/{_D}referenceMaterialProducer")
    if prod.find(f"{_D}cryptElectronicSignature") is None:
        prod.find(f"{_D}contact").addnext(etree.Element(f"{_D}cryptElectronicSignature"))
        prod.find(f"{_D}cryptElectronicSignature").text = "true"
    drmd.validate_drmd(etree.tostring(root))
    signer = signxml.XMLSigner(
        method=signxml.methods.enveloped,
        signature_algorithm="ecdsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    )
    cert_pem = key.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    signed = signer.sign(root, key=key.x509_key, cert=cert_pem)
    xml = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    drmd.validate_drmd(xml)
    return xml


# ---------------------------------------------------------------------------------------------
# the buyer's check


@dataclass(frozen=True, slots=True, kw_only=True)
class CertifiedEntry(Result):
    """One certified value as the signed DRMD states it (strings as printed)."""

    analyte: str
    name: str
    value: str
    U: str
    k: str
    unit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateCheck(Result):
    """Outcome of checking a signed DRMD offline (W3C XML Signature 1.1; DRMD v0.3.0 schema)."""

    file: str
    signer: str
    signer_title: str
    certificate_sha256: str
    trusted: bool  # the signing certificate is the one given with --trust
    signed_utc: str
    manifest_sha256: str
    lot: str
    rm_number: str
    material: str
    valid_until: str
    schema_valid: bool
    values: tuple[CertifiedEntry, ...]
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


def _trusted_certs(trust: Path) -> list[x509.Certificate]:
    from .keys import read_certificate

    trust = Path(trust)
    if trust.is_dir():
        certs = [read_certificate(p) for p in sorted(trust.glob("*.crt")) if not p.name.endswith(".tsa.crt")]
        if not certs:
            raise InputError(
                "holds no .crt certificate",
                file=str(trust),
                key="--trust",
                hint="give the approver's NAME.crt or a folder with it",
            )
        return certs
    return [read_certificate(trust)]


def _embedded_cert(root, where: str) -> x509.Certificate:
    el = root.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if el is None:
        raise InputError(
            "the signature carries no X.509 certificate",
            file=where,
            hint="give a DRMD signed by 'rmwork sign --meaning approved'",
        )
    import base64

    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(el.text.split())))
    except ValueError:
        raise InputError("the signature's X.509 certificate is unreadable", file=where) from None


def _verified_root(xml: bytes, cert: x509.Certificate, where: str):
    import signxml
    from signxml.exceptions import InvalidSignature

    cfg = signxml.SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=frozenset({signxml.SignatureMethod.ECDSA_SHA256}),
    )
    try:
        res = signxml.XMLVerifier().verify(
            xml,
            x509_cert=cert,
            expect_config=cfg,
            parser=etree.XMLParser(no_network=True, resolve_entities=False),
        )
    except InvalidSignature as exc:
        raise InputError(
            f"signature does not match: the certificate was changed after signing "
            f"or signed by another key ({' '.join(str(exc).split())[:120]})",
            file=where,
            hint="obtain the certificate again from its producer",
        ) from None
    return res.signed_xml


def verify_certificate(path: Path, trust: Path | None = None) -> CertificateCheck:
    """Check a signed DRMD offline (W3C XML Signature 1.1; DRMD v0.3.0 schema) and read what it certifies.

    Refused (one line, :class:`InputError`): no signature (a draft), a signature that does not
    match (any value changed after signing), a signing certificate other than the trusted one, a
    certificate not valid at the signing time, a document invalid against the DRMD schema.
    Everything returned is read from the signed content that signxml hands back, never from the
    file around it ("see what is signed", W3C XML Signature Best Practices).
    """
    where = str(path)
    try:
        xml = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=where) from None
    root = _parse(xml, where)
    if root.find(f"{{{DS}}}Signature") is None:
        draft = root.find(f"{_D}comment")
        what = (
            "a DRAFT awaiting approval"
            if draft is not None and (draft.text or "").startswith("DRAFT")
            else "unsigned"
        )
        raise InputError(
            f"has no XML signature: {what}, not an issued certificate",
            file=where,
            hint="check certificate.signed.drmd.xml, written by 'rmwork sign --meaning approved'",
        )
    embedded = _embedded_cert(root, where)
    notes = []
    if trust is not None:
        trusted = _trusted_certs(trust)
        fp = embedded.fingerprint(hashes.SHA256())
        match = [c for c in trusted if c.fingerprint(hashes.SHA256()) == fp]
        if not match:
            raise InputError(
                "signed by a certificate that is not the trusted one",
                file=where,
                key="--trust",
                hint="ask the producer for the approver's certificate",
            )
        cert = match[0]
    else:
        cert = embedded
        notes.append(
            "signer not authenticated: the signature matches the certificate inside the file, "
            "which anyone could make; give --trust CERT (the producer's published certificate)"
        )
    signed = _verified_root(xml, cert, where)
    validation = drmd.validate_drmd(xml, raise_on_error=False)
    if not validation.valid:
        raise InputError(
            f"not valid against the DRMD v{drmd.DRMD_SCHEMA_VERSION} schema: {validation.errors[0]}",
            file=where,
        )
    return _read_signed(signed, cert, where, trusted=trust is not None, notes=tuple(notes))


def _ids(signed) -> dict:
    out = {}
    for el in signed.iterfind(
        f"{_D}administrativeData/{_D}coreData/{_D}documentIdentifiers/{_D}documentIdentifier"
    ):
        out[el.findtext(f"{_D}scheme")] = el.findtext(f"{_D}value")
    return out


def _read_signed(
    signed, cert: x509.Certificate, where: str, *, trusted: bool, notes: tuple[str, ...]
) -> CertificateCheck:
    ids = _ids(signed)
    signed_utc = ids.get(SIGNED_AT_SCHEME) or ""
    try:
        when = parse_utc(signed_utc)
    except ValueError:
        raise InputError(
            "the signed document states no signing time",
            file=where,
            hint="give a DRMD signed by 'rmwork sign --meaning approved'",
        ) from None
    if not (cert.not_valid_before_utc <= when <= cert.not_valid_after_utc):
        why = "expired signer" if when > cert.not_valid_after_utc else "certificate not yet valid"
        raise InputError(
            f"signed at {signed_utc}, outside the signer's certificate validity "
            f"({cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to "
            f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}): {why}",
            file=where,
        )
    person = signed.find(f"{_D}administrativeData/{_D}respPersons/{_C}respPerson")
    mat_ids = {
        el.findtext(f"{_D}scheme"): el.findtext(f"{_D}value")
        for el in signed.iterfind(
            f"{_D}materials/{_D}material/{_D}materialIdentifiers/{_D}materialIdentifier"
        )
    }
    values = []
    for mp in signed.iterfind(f"{_D}materialPropertiesList/{_D}materialProperties[@isCertified='true']"):
        for q in mp.iterfind(f".//{_D}quantity"):
            real = q.find(f"{_S}real")
            ex = real.find(f"{_S}measurementUncertaintyUnivariate/{_S}expandedMU")
            values.append(
                CertifiedEntry(
                    analyte=real.findtext(f"{_S}label") or "",
                    name=q.findtext(f"{_C}name/{_C}content") or "",
                    value=real.findtext(f"{_S}value") or "",
                    U=ex.findtext(f"{_S}valueExpandedMU") or "",
                    k=ex.findtext(f"{_S}coverageFactor") or "",
                    unit=real.findtext(f"{_S}unit") or "",
                )
            )
    validity = signed.find(f"{_D}administrativeData/{_D}coreData/{_D}validity")
    until = validity.findtext(f"{_D}specificTime") or ("until revoked" if validity is not None else "")
    if re.fullmatch(r"\d{4}-\d\d-\d\d", until) and until < utc_text(utc_now())[:10]:
        notes = notes + (f"the certificate's period of validity ended on {until}",)
    return CertificateCheck(
        file=where,
        signer=person.findtext(f"{_C}person/{_C}name/{_C}content") or "",
        signer_title=person.findtext(f"{_C}role") or "",
        certificate_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        trusted=trusted,
        signed_utc=signed_utc,
        manifest_sha256=ids.get(MANIFEST_SCHEME) or "",
        lot=mat_ids.get("lot", ""),
        rm_number=mat_ids.get("RM number", ""),
        material=signed.findtext(f"{_D}materials/{_D}material/{_D}name/{_C}content") or "",
        valid_until=until,
        schema_valid=True,
        values=tuple(values),
        notes=notes,
    )
