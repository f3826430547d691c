"""DRMD v0.3.0 export and offline schema validation.

Oracles: BAM's example certificate ``rmwork/data/drmd/BAM-M375a.xml`` (valid against the shipped
schema, checked with lxml 6 and xmlschema 4); element structure modelled on it.
"""

import socket
from importlib import resources

import pytest
from lxml import etree

from rmwork import drmd
from rmwork.certificate import CertificateMetadata, budget, certify, validity_period
from rmwork.drmd import NS, to_drmd, to_dsi_unit, validate_drmd
from rmwork.errors import InputError

EXAMPLE = resources.files("rmwork") / "data" / "drmd" / "BAM-M375a.xml"


def _doc(**meta_kw):
    meta = dict(
        material="Trace elements in rice flour",
        producer="National Institute of Metrology",
        rm_number="GBW10010a",
        lot="A-01",
        intended_use="Quality control of cereal analysis.",
        storage="Store dry below 25 °C.",
        instructions="Shake before use.",
        traceability="Traceable to the SI.",
        minimum_sample_intake=0.2,
        certification_date="2026-03-01",
        validity=validity_period(24, "2026-03-01"),
        approver="Dr. Li",
        approver_role="Head of RM division",
        producer_city="Beijing",
        producer_country_code="CN",
        homogeneity_stability="Homogeneous; stable for 24 months.",
    )
    meta.update(meta_kw)
    m = CertificateMetadata(**meta)
    cd = certify(
        0.2153,
        budget(0.004, 0.0015, 0.002, value=0.215, dof={"u_char": 9}),
        analyte="Cd",
        unit_of_measure="mg/kg",
    )
    pb = certify(8.4321, budget(0.05, 0.02, 0.03, value=8.43), analyte="Pb", unit_of_measure="mg/kg", k=2)
    return m, [cd, pb]


def test_validate_drmd_bam_m375a_example_is_valid():
    with resources.as_file(EXAMPLE) as p:
        res = validate_drmd(p)
        assert res.valid and res.errors == ()
        assert validate_drmd(p.read_bytes()).valid


def test_to_drmd_two_analytes_validates():
    """Two certified analytes; the document validates and carries the certificate's strings."""
    m, certs = _doc()
    xml = to_drmd(certs, m, analyte_names={"Cd": "Cadmium (Cd)", "Pb": "Lead (Pb)"})
    assert validate_drmd(xml).valid
    root = etree.fromstring(xml)
    assert root.get("schemaVersion") == "0.3.0"
    qs = root.findall(".//drmd:materialProperties[@isCertified='true']//drmd:quantity", NS)
    assert len(qs) == 2
    cd = qs[0]
    assert cd.findtext("dcc:name/dcc:content", namespaces=NS) == "Cadmium (Cd)"
    assert cd.findtext("si:real/si:label", namespaces=NS) == "Cd"
    assert cd.findtext("si:real/si:value", namespaces=NS) == certs[0].value_rounded
    assert cd.findtext("si:real/si:unit", namespaces=NS) == r"\milli\gram\kilogram\tothe{-1}"
    assert cd.findtext("si:real/si:quantityTypeQUDT", namespaces=NS) == "MassFraction"
    ex = cd.find("si:real/si:measurementUncertaintyUnivariate/si:expandedMU", NS)
    assert ex.findtext("si:valueExpandedMU", namespaces=NS) == certs[0].U_rounded
    assert float(ex.findtext("si:coverageFactor", namespaces=NS)) == pytest.approx(certs[0].k, abs=0.005)
    assert ex.findtext("si:coverageProbability", namespaces=NS) == "0.95"
    assert qs[1].findtext(".//si:coverageFactor", namespaces=NS) == "2"
    assert root.findtext(".//drmd:validity/drmd:specificTime", namespaces=NS) == "2028-03-01"
    assert root.findtext(".//drmd:materialIdentifier[drmd:scheme='lot']/drmd:value", namespaces=NS) == "A-01"
    assert root.findtext(".//drmd:minimumSampleSize//si:unitXMLList", namespaces=NS) == r"\gram"
    # deterministic: same inputs, same bytes (UUID-5 identifier)
    assert to_drmd(certs, m, analyte_names={"Cd": "Cadmium (Cd)", "Pb": "Lead (Pb)"}) == xml


def test_to_drmd_zh_and_informative_values_validate():
    m, certs = _doc(language="zh")
    xml = to_drmd(certs[:1], m, informative=certs[1:])
    assert validate_drmd(xml).valid
    root = etree.fromstring(xml)
    assert root.find(".//drmd:materialProperties[@isCertified='false']", NS) is not None
    assert root.find(".//dcc:content[@lang='zh']", NS) is not None
    assert "标准值" in xml.decode("utf-8")


def test_validate_drmd_broken_document_fails():
    """Removing the mandatory intendedUse statement, or writing a non-number as si:value, fails."""
    m, certs = _doc()
    root = etree.fromstring(to_drmd(certs, m))
    st = root.find("drmd:statements", NS)
    st.remove(st.find("drmd:intendedUse", NS))
    broken = etree.tostring(root)
    with pytest.raises(
        InputError, match=r"key 'drmd': DRMD document does not validate .*line \d+: .*intendedUse"
    ):
        validate_drmd(broken)
    res = validate_drmd(broken, raise_on_error=False)
    assert not res.valid and res.errors

    root = etree.fromstring(to_drmd(certs, m))
    root.find(".//si:value", NS).text = "n.d."
    with pytest.raises(InputError, match=r"n\.d\..*double"):
        validate_drmd(etree.tostring(root))


def test_validate_drmd_not_well_formed():
    with pytest.raises(InputError, match="not well-formed XML"):
        validate_drmd(b"<drmd:digitalReferenceMaterialDocument")


def test_validate_drmd_works_offline(monkeypatch):
    """The schema and its imports load from rmwork/data/drmd without touching the network."""

    def refuse(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    drmd._schema.cache_clear()
    with resources.as_file(EXAMPLE) as p:
        assert validate_drmd(p).valid


def test_to_drmd_requires_certificate_items():
    m, certs = _doc(approver="", intended_use=" ")
    with pytest.raises(
        InputError,
        match=r"key 'certificate': DRMD v0.3.0 needs the certificate item\(s\) intended_use, approver",
    ):
        to_drmd(certs, m)
    m, certs = _doc(validity=None)
    with pytest.raises(InputError, match=r"no period of validity"):
        to_drmd(certs, m)
    xml = to_drmd(certs, m, until_revoked=True)
    assert etree.fromstring(xml).findtext(".//drmd:untilRevoked", namespaces=NS) == "true"


def test_to_drmd_escapes_markup_in_user_text():
    evil = "<img src=x onerror=alert(1)> & co"
    m, certs = _doc(material=evil)
    xml = to_drmd(certs, m)
    assert b"<img" not in xml
    assert etree.fromstring(xml).findtext(".//drmd:material/drmd:name/dcc:content", namespaces=NS) == evil


@pytest.mark.parametrize(
    "unit, dsi",
    [
        ("mg/kg", r"\milli\gram\kilogram\tothe{-1}"),
        ("%", r"\percent"),
        ("mg/L", r"\milli\gram\litre\tothe{-1}"),
        ("µg/g", r"\micro\gram\gram\tothe{-1}"),
        ("mmol/L", r"\milli\mole\litre\tothe{-1}"),
        ("kg·m-3", r"\kilogram\metre\tothe{-3}"),
        ("m²", r"\metre\tothe{2}"),
        ("°C", r"\degreecelsius"),
        ("ppm", "ppm"),
        ("g/100 g", "g/100 g"),
        ("cfu/g", "cfu/g"),
    ],
)
def test_to_dsi_unit_cases(unit, dsi):
    """D-SI macros (PTB D-SI; BAM-M375a.xml writes mg/kg as \\milli\\gram\\kilogram\\tothe{-1}); units
    rmwork cannot translate are kept as given."""
    assert to_dsi_unit(unit) == dsi
