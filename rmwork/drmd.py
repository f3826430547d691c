"""Digital Reference Material Document (DRMD v0.3.0, BAM) export and offline schema validation
(ISO Guide 31:2015 certificate items in machine-readable form; D-SI units, PTB SI format).

:func:`to_drmd` writes the certified values (value, expanded uncertainty, k, coverage probability,
unit in D-SI notation where rmwork can translate it), the material, producer, lot and the period of
validity, modelled on BAM's example certificate ``rmwork/data/drmd/BAM-M375a.xml``.
:func:`validate_drmd` validates a document against ``rmwork/data/drmd/v0.3.0/xsd/drmd.xsd`` and its
local imports (``rmwork/data/drmd/imports``: DCC 3.3.0 and stubs of the SI format and XMLDSig
schemas), without network access.

Note: the shipped ``SI_Format.xsd`` is a stub that declares only the elements DRMD uses, so ``si:``
content is checked less strictly than by the full D-SI schema.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

from lxml import etree

from .certificate import CertificateMetadata, CertifiedValue
from .errors import InputError
from .results import Result

__all__ = [
    "to_drmd",
    "validate_drmd",
    "DrmdValidation",
    "to_dsi_unit",
    "DRMD_SCHEMA_VERSION",
    "DRAFT_COMMENT",
]

DRMD_SCHEMA_VERSION = "0.3.0"
# a DRMD written while approval is pending (certificate.approval: required) says so in drmd:comment
# and names no approver; rmwork.signing issues the certificate from it (docs/signing.md)
DRAFT_COMMENT = (
    "DRAFT - not an issued certificate: approval pending. The issued certificate is "
    "certificate.signed.drmd.xml, signed by the approver (rmwork sign --meaning approved)."
)
PENDING_APPROVER = "approval pending"
NS = {"drmd": "https://example.org/drmd", "dcc": "https://ptb.de/dcc", "si": "https://ptb.de/si"}
_D, _C, _S = (f"{{{NS[p]}}}" for p in ("drmd", "dcc", "si"))

# D-SI (PTB, SI reference point) unit macros: base and derived units rmwork translates
_DSI_UNITS = {
    "g": r"\gram",
    "kg": r"\kilogram",
    "L": r"\litre",
    "l": r"\litre",
    "m": r"\metre",
    "s": r"\second",
    "mol": r"\mole",
    "K": r"\kelvin",
    "A": r"\ampere",
    "cd": r"\candela",
    "Pa": r"\pascal",
    "J": r"\joule",
    "W": r"\watt",
    "V": r"\volt",
    "Hz": r"\hertz",
    "N": r"\newton",
    "Bq": r"\becquerel",
    "Gy": r"\gray",
    "Sv": r"\sievert",
    "C": r"\coulomb",
    "°C": r"\degreecelsius",
    "h": r"\hour",
    "min": r"\minute",
    "d": r"\day",
    "%": r"\percent",
    "1": r"\one",
}
_NO_PREFIX = {"kg", "°C", "h", "min", "d", "%", "1"}
_DSI_PREFIXES = {
    "Y": r"\yotta",
    "Z": r"\zetta",
    "E": r"\exa",
    "P": r"\peta",
    "T": r"\tera",
    "G": r"\giga",
    "M": r"\mega",
    "k": r"\kilo",
    "h": r"\hecto",
    "da": r"\deca",
    "d": r"\deci",
    "c": r"\centi",
    "m": r"\milli",
    "µ": r"\micro",
    "μ": r"\micro",
    "u": r"\micro",
    "n": r"\nano",
    "p": r"\pico",
    "f": r"\femto",
    "a": r"\atto",
}
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_FACTOR = re.compile(r"^(?P<sym>[^\d^\-]+|1)(?:\^?(?P<exp>-?\d+))?$")


def _dsi_factor(tok: str) -> tuple[str, int] | None:
    m = _FACTOR.match(tok.translate(_SUPERSCRIPT))
    if not m:
        return None
    sym, exp = m.group("sym"), int(m.group("exp") or 1)
    if sym == "1" and m.group("exp"):  # a number such as 100 (g/100 g): not a D-SI unit
        return None
    if sym in _DSI_UNITS:
        return _DSI_UNITS[sym], exp
    for plen in (2, 1):
        pre, rest = sym[:plen], sym[plen:]
        if pre in _DSI_PREFIXES and rest in _DSI_UNITS and rest not in _NO_PREFIX:
            return _DSI_PREFIXES[pre] + _DSI_UNITS[rest], exp
    return None


# whole units written in words or with a qualifier, as certificates print them (D-SI: the
# qualifier is not part of the unit; the quantity kind says mass fraction)
_DSI_TABLE = {
    "% (m/m)": r"\percent",
    "%(m/m)": r"\percent",
    "% m/m": r"\percent",
    "% (w/w)": r"\percent",
    "mass %": r"\percent",
    "wt%": r"\percent",
    "wt. %": r"\percent",
    "ppm": None,
    "ppb": None,  # ambiguous (mass or amount fraction): say it in dsi_unit
}


def dsi_unit(unit: str, *, analyte: str = "", override: str | None = None) -> str:
    """Unit in D-SI syntax for the DRMD, or InputError naming the unit (PTB D-SI; DRMD v0.3.0).

    ``override`` (the lot's ``analytes.<name>.dsi_unit``) wins; then the table of whole units
    (``% (m/m)`` → ``\\percent``), then :func:`to_dsi_unit`. A unit none of them can express
    (``a.u.``, ``ccm3``, ``ppm``) is refused: the DRMD must not carry free text as an SI unit.
    """
    if override:
        return override
    text = " ".join(str(unit).split())
    if text in _DSI_TABLE and _DSI_TABLE[text] is not None:
        return _DSI_TABLE[text]
    out = to_dsi_unit(text) if text not in _DSI_TABLE else text
    if not out or not out.startswith("\\"):
        raise InputError(
            f"the unit '{text}'"
            + (f" of analyte '{analyte}'" if analyte else "")
            + " cannot be written in D-SI syntax for the DRMD",
            key=f"analytes.{analyte or '<name>'}.dsi_unit",
            hint="give the unit in D-SI syntax there, e.g. \\milli\\gram\\kilogram\\tothe{-1}",
        )
    return out


def to_dsi_unit(unit: str) -> str:
    """Unit in D-SI notation for the DRMD ``si:unit`` (PTB D-SI; DRMD v0.3.0).

    Example: ``mg/kg`` → ``\\milli\\gram\\kilogram\\tothe{-1}``.

    Products are written with ``·``, ``*`` or a space, quotients with ``/`` (everything after a ``/``
    is in the denominator), powers as ``m2``, ``m^2``, ``m²`` or ``m-3``. A unit rmwork cannot
    translate (e.g. ``ppm``, ``cfu/g``) is returned unchanged: the DRMD then carries it as given.
    """
    text = str(unit).strip()
    if not text:
        return text
    parts = text.split("/")
    out = []
    for i, part in enumerate(parts):
        toks = [t for t in re.split(r"[·*\s.⋅]+", part.strip("() ")) if t]
        if not toks:
            return text
        for tok in toks:
            f = _dsi_factor(tok)
            if f is None:
                return text
            macro, exp = f
            exp = -exp if i > 0 else exp
            out.append(macro if exp == 1 else f"{macro}\\tothe{{{exp}}}")
    return "".join(out)


def _quantity_type(unit: str) -> str | None:
    """QUDT quantity kind for common composition units (mass/mass, mass/volume); else None."""
    mass = r"(?:[kmµμunp]?g)"
    u = str(unit).strip()
    if u == "%" or re.fullmatch(rf"{mass}/{mass}", u):
        return "MassFraction"
    if re.fullmatch(rf"{mass}/(?:[mµμd]?[lL])", u):
        return "MassConcentration"
    return None


def _clean(text: str) -> str:
    """Trim and collapse whitespace: dcc:notEmptyStringType forbids leading/trailing blanks."""
    return " ".join(str(text).split())


def _text(parent, tag: str, text: str, lang: str):
    el = etree.SubElement(parent, tag)
    c = etree.SubElement(el, f"{_C}content", lang=lang)
    c.text = str(text).strip()
    return el


def _rich(parent, tag: str, name: str, text: str, lang: str):
    el = etree.SubElement(parent, tag)
    n = etree.SubElement(el, f"{_C}name")
    etree.SubElement(n, f"{_C}content", lang=lang).text = name
    etree.SubElement(el, f"{_C}content", lang=lang).text = str(text).strip()
    return el


def _ident(parent, tag: str, scheme: str, value: str):
    el = etree.SubElement(parent, tag)
    etree.SubElement(el, f"{_D}scheme").text = _clean(scheme)
    etree.SubElement(el, f"{_D}value").text = _clean(value)
    return el


def _num(x: float) -> str:
    return repr(float(x))


def _k_text(k: float) -> str:
    # k as printed on certificates: three significant digits (2.09, 2.92, 2)
    return f"{k:.3g}"


def _quantity(
    parent, cv: CertifiedValue, *, name: str, lang: str, quantity_type: str | None, unit: str | None = None
):
    q = etree.SubElement(parent, f"{_D}quantity", refType="basic_measuredValue")
    _text(q, f"{_C}name", name, lang)
    real = etree.SubElement(q, f"{_S}real")
    etree.SubElement(real, f"{_S}label").text = cv.analyte
    if quantity_type:
        etree.SubElement(real, f"{_S}quantityTypeQUDT").text = quantity_type
    etree.SubElement(real, f"{_S}value").text = cv.value_rounded
    etree.SubElement(real, f"{_S}unit").text = unit if unit is not None else to_dsi_unit(cv.unit_of_measure)
    mu = etree.SubElement(real, f"{_S}measurementUncertaintyUnivariate")
    ex = etree.SubElement(mu, f"{_S}expandedMU")
    etree.SubElement(ex, f"{_S}valueExpandedMU").text = cv.U_rounded
    etree.SubElement(ex, f"{_S}coverageFactor").text = _k_text(cv.k)
    etree.SubElement(ex, f"{_S}coverageProbability").text = _num(cv.coverage)
    etree.SubElement(ex, f"{_S}distribution").text = "t" if cv.distribution == "t" else "normal"
    return q


def _as_list(values) -> list[CertifiedValue]:
    vals = list(values.values()) if isinstance(values, Mapping) else list(values)
    for v in vals:
        if not isinstance(v, CertifiedValue):
            raise TypeError(f"`certified` must hold CertifiedValue objects, got {type(v).__name__}")
    return vals


def _u_statement(vals: Sequence[CertifiedValue], lang: str) -> str:
    ks = sorted({_k_text(v.k) for v in vals})
    ps = sorted({f"{100 * v.coverage:g}" for v in vals})
    if lang == "zh":
        return (
            f"标准值为定值结果；扩展不确定度 U = k·u_CRM，u_CRM 合成了定值、瓶间不均匀性及稳定性的标准不确定度，"
            f"包含因子 k = {', '.join(ks)}，包含概率约 {', '.join(ps)} %"
            f"（JJF 1059.1-2012；GUM JCGM 100:2008）。"
        )
    return (
        f"Expanded uncertainty U = k u_CRM, where u_CRM combines the standard uncertainties of "
        f"characterization, between-unit inhomogeneity and stability (ISO Guide 35:2017); coverage "
        f"factor k = {', '.join(ks)}, corresponding to a coverage probability of about "
        f"{', '.join(ps)} % (GUM, JCGM 100:2008)."
    )


def to_drmd(
    certified,
    metadata: CertificateMetadata,
    *,
    informative=(),
    analyte_names: Mapping[str, str] | None = None,
    quantity_types: Mapping[str, str] | None = None,
    unique_identifier: str | None = None,
    until_revoked: bool = False,
    validate: bool = True,
    dsi_units: Mapping[str, str] | None = None,
    strict_units: bool = False,
    approval_pending: bool = False,
) -> bytes:
    """Digital Reference Material Document of a certificate (DRMD v0.3.0; ISO Guide 31:2015 items).

    Parameters
    ----------
    certified : sequence or mapping of CertifiedValue
        Certified values (``analyte``, ``unit_of_measure``, ``value_rounded``, ``U_rounded``, ``k``,
        ``coverage``); written under ``materialProperties isCertified="true"``.
    metadata : CertificateMetadata
        Producer, material, lot, statements; ``validity`` gives the expiry date
        (``validity/specificTime``). Needs ``approver`` (DRMD ``respPersons``) and one of
        ``producer_city``, ``producer_country_code``, ``producer_address`` (DCC location).
    informative : sequence of CertifiedValue
        Indicative values, written under ``isCertified="false"`` (kept apart, Guide 31).
    analyte_names : mapping, optional
        Display names (``{"Cu": "Copper (Cu)"}``); the analyte id is the ``si:label``.
    quantity_types : mapping, optional
        QUDT quantity kind per analyte; default from the unit (mass fraction, mass concentration)
        or omitted.
    unique_identifier : str, optional
        Default: a UUID-5 derived from RM number, lot, material and certification date, so that
        the same inputs give byte-identical documents.
    until_revoked : bool
        Write ``validity/untilRevoked`` instead of an expiry date (only when ``metadata.validity``
        is None).
    validate : bool
        Validate the result with :func:`validate_drmd` (raises InputError when invalid).
    dsi_units : mapping, optional
        D-SI unit per analyte (the lot's ``analytes.<name>.dsi_unit``), used as given.
    strict_units : bool
        Refuse (InputError naming the unit and the key) a unit :func:`dsi_unit` cannot express,
        instead of writing it as given.
    approval_pending : bool
        A draft awaiting an approved signature (``certificate.approval: required``): the document
        carries :data:`DRAFT_COMMENT` and names no approver (``respPersons`` says "approval pending");
        ``metadata.approver`` is then neither needed nor used.

    Returns
    -------
    bytes
        UTF-8 XML document.

    Raises
    ------
    InputError
        A required certificate item is empty, no certified value, no validity period and
        ``until_revoked`` False, or the document fails schema validation.

    Notes
    -----
    Values and U are the certificate's rounded strings (trailing zeros kept: ``0.20``); units are
    D-SI where :func:`to_dsi_unit` can translate them, otherwise as given. ``si:distribution`` is
    ``t`` when k came from the t distribution, otherwise ``normal``.

    Validated against the DRMD v0.3.0 schema: ``tests/test_drmd.py::test_to_drmd_two_analytes_validates``.
    """
    vals = _as_list(certified)
    info = _as_list(informative)
    if not vals:
        raise InputError(
            "no certified value to write",
            key="certified",
            hint="certify at least one analyte before exporting the DRMD",
        )
    m = metadata
    missing = m.missing()
    if not m.approver.strip() and not approval_pending:
        missing.append("approver")
    if not (m.producer_city.strip() or m.producer_country_code.strip() or m.producer_address.strip()):
        missing.append("producer_city")
    if missing:
        raise InputError(
            f"DRMD v{DRMD_SCHEMA_VERSION} needs the certificate item(s) {', '.join(missing)}",
            key="certificate",
            hint="add them to the certificate section of the parameter file",
        )
    if m.validity is None and not until_revoked:
        raise InputError(
            "no period of validity",
            key="certificate.certification_date",
            hint="set certificate.certification_date (and stability.long_term.shelf_life "
            "or certificate.validity_months)",
        )
    dsu = dict(dsi_units or {})
    units = {
        cv.analyte: (
            dsi_unit(cv.unit_of_measure, analyte=cv.analyte, override=dsu.get(cv.analyte))
            if strict_units
            else dsu.get(cv.analyte) or to_dsi_unit(cv.unit_of_measure)
        )
        for cv in vals + info
    }
    lang = (m.language or "en").strip().lower()
    names = dict(analyte_names or {})
    qtypes = dict(quantity_types or {})

    root = etree.Element(f"{_D}digitalReferenceMaterialDocument", nsmap=NS, schemaVersion=DRMD_SCHEMA_VERSION)
    adm = etree.SubElement(root, f"{_D}administrativeData")
    core = etree.SubElement(adm, f"{_D}coreData")
    etree.SubElement(core, f"{_D}titleOfTheDocument").text = "referenceMaterialCertificate"
    uid = unique_identifier or str(
        uuid.uuid5(
            uuid.NAMESPACE_URL, f"rmwork:drmd:{m.rm_number}|{m.lot}|{m.material}|{m.certification_date}"
        )
    )
    etree.SubElement(core, f"{_D}uniqueIdentifier").text = _clean(uid)
    ids = [(s, v) for s, v in (("certificate", m.certificate_id), ("RM number", m.rm_number)) if v.strip()]
    if ids:
        dids = etree.SubElement(core, f"{_D}documentIdentifiers")
        for s, v in ids:
            _ident(dids, f"{_D}documentIdentifier", s, v)
    validity = etree.SubElement(core, f"{_D}validity")
    if m.validity is not None:
        etree.SubElement(validity, f"{_D}specificTime").text = m.validity.expiry
    else:
        etree.SubElement(validity, f"{_D}untilRevoked").text = "true"

    prod = etree.SubElement(adm, f"{_D}referenceMaterialProducer")
    _text(prod, f"{_D}name", m.producer, lang)
    contact = etree.SubElement(prod, f"{_D}contact")
    _text(contact, f"{_C}name", m.producer, lang)
    if m.producer_email.strip():
        etree.SubElement(contact, f"{_C}eMail").text = _clean(m.producer_email)
    loc = etree.SubElement(contact, f"{_C}location")
    if m.producer_city.strip():
        etree.SubElement(loc, f"{_C}city").text = _clean(m.producer_city)
    if m.producer_country_code.strip():
        etree.SubElement(loc, f"{_C}countryCode").text = m.producer_country_code.strip().upper()
    if m.producer_address.strip():
        fur = etree.SubElement(loc, f"{_C}further")
        etree.SubElement(fur, f"{_C}content", lang=lang).text = m.producer_address.strip()

    resp = etree.SubElement(adm, f"{_D}respPersons")
    rp = etree.SubElement(resp, f"{_C}respPerson")
    person = etree.SubElement(rp, f"{_C}person")
    _text(person, f"{_C}name", PENDING_APPROVER if approval_pending else m.approver, lang)
    if m.approver_role.strip() and not approval_pending:
        etree.SubElement(rp, f"{_C}role").text = _clean(m.approver_role)

    mats = etree.SubElement(root, f"{_D}materials")
    mat = etree.SubElement(mats, f"{_D}material")
    _text(mat, f"{_D}name", m.material, lang)
    if m.description.strip():
        _text(mat, f"{_D}description", m.description, lang)
    mss = etree.SubElement(mat, f"{_D}minimumSampleSize")
    iq = etree.SubElement(mss, f"{_C}itemQuantity")
    rl = etree.SubElement(iq, f"{_S}realListXMLList")
    etree.SubElement(rl, f"{_S}valueXMLList").text = _num(m.minimum_sample_intake)
    etree.SubElement(rl, f"{_S}unitXMLList").text = to_dsi_unit(m.minimum_sample_intake_unit)
    mids = [(s, v) for s, v in (("RM number", m.rm_number), ("lot", m.lot)) if v.strip()]
    if mids:
        el = etree.SubElement(mat, f"{_D}materialIdentifiers")
        for s, v in mids:
            _ident(el, f"{_D}materialIdentifier", s, v)

    plist = etree.SubElement(root, f"{_D}materialPropertiesList")
    for group, certified_flag in ((vals, "true"), (info, "false")):
        if not group:
            continue
        mp = etree.SubElement(plist, f"{_D}materialProperties", isCertified=certified_flag)
        title = (
            ("Certified values" if certified_flag == "true" else "Indicative values")
            if lang != "zh"
            else ("标准值" if certified_flag == "true" else "参考值（非认定值）")
        )
        _text(mp, f"{_D}name", title, lang)
        results = etree.SubElement(mp, f"{_D}results")
        res = etree.SubElement(results, f"{_D}result")
        _text(res, f"{_D}name", title, lang)
        _text(res, f"{_D}description", _u_statement(group, lang), lang)
        lst = etree.SubElement(etree.SubElement(res, f"{_D}data"), f"{_D}list")
        for cv in group:
            _quantity(
                lst,
                cv,
                name=names.get(cv.analyte, cv.analyte) or cv.analyte,
                lang=lang,
                quantity_type=qtypes.get(cv.analyte, _quantity_type(cv.unit_of_measure)),
                unit=units[cv.analyte],
            )

    st = etree.SubElement(root, f"{_D}statements")
    zh = lang == "zh"
    _rich(st, f"{_D}intendedUse", "预期用途" if zh else "Intended use", m.intended_use, lang)
    _rich(st, f"{_D}storageInformation", "储存条件" if zh else "Storage information", m.storage, lang)
    _rich(
        st,
        f"{_D}instructionsForHandlingAndUse",
        "使用说明" if zh else "Instructions for handling and use",
        m.instructions,
        lang,
    )
    if m.traceability.strip():
        _rich(
            st,
            f"{_D}metrologicalTraceability",
            "计量溯源性声明" if zh else "Metrological traceability",
            m.traceability,
            lang,
        )
    if m.safety.strip():
        _rich(
            st,
            f"{_D}healthAndSafetyInformation",
            "安全信息" if zh else "Health and safety information",
            m.safety,
            lang,
        )
    extra = []
    if m.validity is not None:
        extra.append(
            (
                "有效期" if zh else "Period of validity",
                m.validity.justification_zh if zh else m.validity.justification,
            )
        )
    if m.certification_date.strip():
        extra.append(("定值日期" if zh else "Date of certification", m.certification_date))
    if m.homogeneity_stability.strip():
        extra.append(("均匀性及稳定性说明" if zh else "Homogeneity and stability", m.homogeneity_stability))
    if m.methods.strip():
        extra.append(("定值方法" if zh else "Methods of characterization", m.methods))
    for name, text in extra:
        _rich(st, f"{_D}statement", name, text, lang)
    if approval_pending:
        etree.SubElement(root, f"{_D}comment").text = DRAFT_COMMENT

    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if validate:
        validate_drmd(xml)
    return xml


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DrmdValidation(Result):
    """Outcome of validating a document against the DRMD schema (DRMD v0.3.0 XSD)."""

    valid: bool
    errors: tuple[str, ...]  # "line N: message", in document order
    schema: str  # schema file and version
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)


@functools.lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    ref = resources.files("rmwork") / "data" / "drmd" / "v0.3.0" / "xsd" / "drmd.xsd"
    with resources.as_file(ref) as path:
        # drmd.xsd imports ../../imports/{dcc,SI_Format,xmldsig-core-schema}.xsd by relative path and
        # dcc.xsd imports its neighbours the same way: no catalog is needed, and no_network=True makes
        # any remote reference fail instead of being fetched
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        return etree.XMLSchema(etree.parse(str(path), parser))


def validate_drmd(xml, *, raise_on_error: bool = True) -> DrmdValidation:
    """Validate a DRMD document against the DRMD v0.3.0 XML schema, offline (W3C XSD 1.0 via lxml).

    Parameters
    ----------
    xml : bytes, str or path-like
        The document (bytes or text) or a path to it.
    raise_on_error : bool
        Raise :class:`InputError` when the document is invalid (default); otherwise return the
        errors in the result.

    Returns
    -------
    DrmdValidation
        ``valid`` and ``errors`` (``"line N: message"``).

    Raises
    ------
    InputError
        Not well-formed XML, or (with ``raise_on_error``) invalid against the schema; the message
        gives the first error's line and the number of errors.

    Validated against BAM's example ``BAM-M375a.xml`` (valid) and a broken copy:
    ``tests/test_drmd.py``.
    """
    parser = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=False)
    try:
        if isinstance(xml, (bytes, bytearray)):
            doc = etree.fromstring(bytes(xml), parser).getroottree()
        elif isinstance(xml, str) and xml.lstrip().startswith("<"):
            doc = etree.fromstring(xml.encode("utf-8"), parser).getroottree()
        else:
            doc = etree.parse(str(xml), parser)
    except etree.XMLSyntaxError as e:
        raise InputError(
            f"DRMD document is not well-formed XML: {e}",
            key="drmd",
            hint="check the file; it must be UTF-8 XML",
        ) from None
    schema = _schema()
    ok = schema.validate(doc)
    errors = tuple(f"line {e.line}: {e.message}" for e in schema.error_log)
    res = DrmdValidation(valid=bool(ok), errors=errors, schema=f"drmd.xsd v{DRMD_SCHEMA_VERSION}")
    if not ok and raise_on_error:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(
            f"DRMD document does not validate against drmd.xsd v{DRMD_SCHEMA_VERSION}: {errors[0]}{more}",
            key="drmd",
            hint="fix the element named in the message (see rmwork/data/drmd/BAM-M375a.xml)",
        )
    return res
