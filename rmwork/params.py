"""The parameter file of a production lot (``parameters/<lot>.yaml``): schema, loading, validation.

YAML is read with a safe loader that follows YAML 1.2 scalar rules (``0123`` stays the text
"0123", ``1e-3`` is a number, ``yes``/``no`` stay words) and refuses duplicate keys.  The
schema is a pydantic model that forbids unknown keys and suggests the close match.  Nothing in
a parameter file is ever executed.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import glob
import math
import re
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError

ROUNDING = ("gum", "din1333", "jjf", "none")
# a lot names folders (reports/<lot>, its lock, working and failure folders): letters, digits,
# '.', '_' and '-', starting with a letter or digit, so that '.', '..' and '.failed' cannot be lots
LOT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
LOT_MAX = 64  # leaves room for the runner's prefixes within a file name's 255 bytes
# names the runner or the report folder use for themselves, and Windows device names (a report
# folder is copied to other machines); compared case-insensitively
RESERVED_LOTS = frozenset(
    {
        "history",
        "reports",
        "con",
        "prn",
        "aux",
        "nul",
        *(f"com{i}" for i in range(1, 10)),
        *(f"lpt{i}" for i in range(1, 10)),
    }
)
MATERIAL_MAX = 300  # a material name is a title: it heads the report and the certificate
TEXT_MAX = 10_000  # any other text in a parameter file (descriptions, instructions, ...)
DEPTH_MAX = 20  # the schema nests 4 levels; anything deeper is not a parameter file
NODES_MAX = 100_000  # YAML aliases can make a small file a huge structure
TEXT_LIMITS = {"material": MATERIAL_MAX, "lot": LOT_MAX}


# ---------------------------------------------------------------------------------------------
# YAML 1.2-style safe loader


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars and duplicate-key detection."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*))$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        # a dot or an exponent is required: '0123' stays text (a lot or unit id), not 123.0
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise InputError(
                f"duplicate key '{key}' (first at line {seen[key] + 1}, again at line "
                f"{key_node.start_mark.line + 1})",
                hint="keep one of them",
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _float12(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    # .nan/.inf become float nan/inf here, and _scan refuses them naming the key
    special = {".nan": "nan", ".inf": "inf", "+.inf": "inf", "-.inf": "-inf"}
    return float(special.get(text.lower(), text))


_Loader.add_constructor("tag:yaml.org,2002:float", _float12)


# ---------------------------------------------------------------------------------------------
# schema


class _Model(BaseModel):
    # strict: no bool for an int (``seed: true`` is not seed 1), no text for a number
    # (``alpha: "0.05"``); an integer is still a float.  Dates keep lax parsing (YAML text).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DataSource(_Model):
    """Where a study's data come from and how to read them (rmwork.io; issue 15)."""

    data: str | list[str] = Field(
        description="CSV or XLSX file, a glob pattern (``labs/*.xlsx``) or a "
        "list of them, relative to the parameter file; every row keeps its "
        "file, sheet and row"
    )
    sheet: str | None = Field(
        None,
        description="Excel sheet to read; required when a workbook has several "
        "visible sheets; hidden sheets are read only when named here",
    )
    decimal: Literal[".", ","] | None = Field(
        None, description="decimal mark of a CSV file (detected when absent)"
    )
    encoding: str | None = Field(
        None,
        description="text encoding of a CSV file; without it UTF-8 (with or "
        "without BOM), else the only plausible one of GB18030 and Latin-1",
    )
    unit_of_measure: str | None = Field(
        None,
        description="unit of the table's values when it has no "
        "unit_of_measure column; a study in another unit than the "
        "certified value enters the budget through relative values",
    )
    layout: Literal["auto", "long", "lab-sheet", "ecerto-stability", "ecerto-monitoring"] = Field(
        "auto",
        description="table layout: a long table, or one of eCerto's layouts (auto: long, or "
        "eCerto's stability / monitoring sheets when recognised)",
    )
    range: str | None = Field(
        None,
        description="lab-sheet: cell range of the results, e.g. A8:H29 (first "
        "column analytes, the others replicates); default: below 'Element' / "
        "'Einzelwerte'",
    )
    lab_cell: str | None = Field(
        None,
        description="lab-sheet: cell holding the lab id, e.g. B2; default: "
        "the file name (Ergebnisblatt_<study>_<lab>_m.xlsx gives <lab>)",
    )
    unit_column: str | None = Field(
        None,
        description="lab-sheet: column holding each analyte's unit, e.g. B; "
        "default: units from the lot's analytes",
    )
    analytes: list[str] | None = Field(
        None,
        description="read only these analytes (the others are "
        "listed in the report as not read); default: all",
    )
    censored: Literal["refuse", "exclude"] = Field(
        "refuse",
        description="censored results ('<LOD', "
        "'< 0.1', 'n.d.'): refused, or each excluded with its "
        "reason in the report",
    )
    lab_aliases: dict[str, str] = Field(
        {},
        description="characterization: lab ids to map to one id "
        "(ids differing only in case or spaces are refused otherwise)",
    )

    @field_validator("data")
    @classmethod
    def _data(cls, v):
        if isinstance(v, list) and not v:
            raise ValueError("names no file; give a file, a glob pattern or a list of them")
        return v

    def patterns(self) -> list[str]:
        return [self.data] if isinstance(self.data, str) else list(self.data)


class AnalyteSettings(_Model):
    """Per-analyte settings (eCerto's 'apm')."""

    unit: str | None = Field(
        None,
        description="unit of the certified value; without it the unit of the characterization data "
        "(their unit_of_measure column, or characterization.unit_of_measure); an analyte with neither "
        "is refused",
    )
    sigma_pt: float | None = Field(
        None,
        gt=0,
        description="standard deviation for proficiency assessment (ISO 13528 criterion), absolute",
    )
    sigma_pt_rel: float | None = Field(None, gt=0, description="sigma_pt relative to the mean")
    precision: int | None = Field(None, ge=0, le=12, description="decimals shown in tables")
    dsi_unit: str | None = Field(
        None,
        description="the unit in D-SI syntax for the DRMD (e.g. "
        "\\milli\\gram\\per\\kilo\\gram) when rmwork's table cannot express it",
    )


class SamplerSettings(_Model):
    draws: int = Field(2000, ge=100)
    tune: int = Field(
        500, ge=100
    )  # nutpie adapts in a few hundred draws; the gate checks R-hat, ESS, divergences
    chains: int = Field(4, ge=1, le=16)
    target_accept: float = Field(0.9, gt=0.5, lt=1)


class Homogeneity(DataSource):
    alpha: float = Field(0.05, gt=0, lt=0.5)
    bayes: bool = Field(True, description="run the Bayesian random-effects sensitivity model")


class PointExclusion(_Model):
    """A stability result left out of the straight-line fit, with its reason (shown in the report)."""

    analyte: str
    time: float | None = Field(None, ge=0, description="months, as in the table (or give date)")
    date: _dt.date | None = Field(None, strict=False)  # YAML 1.2 gives text; pydantic parses ISO dates
    reason: str = Field(min_length=3)

    @model_validator(mode="after")
    def _one_of(self):
        if (self.time is None) == (self.date is None):
            raise ValueError("give either time (months) or date of the result to exclude")
        return self


class _FitWindow(_Model):
    time_max: float | dict[str, float] | None = Field(
        None, description="months: fit only results up to this time (one number, or per analyte)"
    )
    exclude: list[PointExclusion] = []

    @field_validator("time_max")
    @classmethod
    def _positive(cls, v):
        for x in v.values() if isinstance(v, dict) else [v]:
            if x is not None and not x > 0:
                raise ValueError(f"time_max must be a positive number of months, got {x}")
        return v


class LongTerm(DataSource, _FitWindow):
    shelf_life: float = Field(gt=0, description="months")
    temperature: float | None = None


class Transport(DataSource, _FitWindow):
    duration: float = Field(gt=0, description="months")
    temperature: float | None = None


class Accelerated(DataSource):
    storage_temperature: float = Field(description="degrees Celsius")
    limit: float | None = None


class Isochronous(DataSource):
    reference_temperature: float = Field(description="degrees Celsius; the reference storage")
    shelf_life: float | None = Field(None, gt=0, description="months")


class Monitoring(DataSource):
    """Post-certification monitoring results and how they are judged (ISO Guide 35:2017, 8.9 and 8.10)."""

    check: Literal["uncertainty", "certified-interval"] = Field(
        "uncertainty",
        description="how each result is judged: uncertainty = |x_m − x_c| ≤ k·√(u_c² + u_m²) (ERM "
        "Application Note 1; needs u per result: a column u or the key u); certified-interval = "
        "x_m within x_c ± U only, a weaker check that ignores the measurement's own uncertainty. "
        "Both add eCerto's LTS trend (line on time, the time it leaves x_c ± U)",
    )
    u: float | dict[str, float] | None = Field(
        None,
        description="standard uncertainty u_m of the monitoring method, in the results' unit, "
        "applied to every result (one number, or one per analyte); for tables without a column u, "
        "such as eCerto's monitoring input",
    )

    @field_validator("u")
    @classmethod
    def _u_positive(cls, v):
        for x in v.values() if isinstance(v, dict) else [v]:
            if x is not None and not (isinstance(x, (int, float)) and math.isfinite(x) and x > 0):
                raise ValueError(f"u must be a positive number (a standard uncertainty), got {x}")
        return v


class Stability(_Model):
    long_term: LongTerm | None = None
    isochronous: Isochronous | None = None
    transport: Transport | None = None
    accelerated: Accelerated | None = None
    use_means: bool = False
    alpha: float = Field(0.05, gt=0, lt=0.5)
    adequacy_alpha: float = Field(
        0.01,
        gt=0,
        lt=0.5,
        description="level of each check that the straight line fits (lack of fit; curvature and runs)",
    )
    bayes: bool = False
    monitoring: Monitoring | None = None


class Exclusion(_Model):
    lab: str
    analyte: str | None = None
    reason: str = Field(min_length=3)


class Characterization(DataSource):
    method: str = "dersimonian-laird"
    knapp_hartung: bool = False
    interval: str | None = None  # rmwork.characterization.INTERVALS; None: Knapp-Hartung (truncated)
    interval_reason: str = ""
    exclude: list[Exclusion] = []
    alpha: float = Field(0.05, gt=0, lt=0.5)

    @field_validator("method")
    @classmethod
    def _method(cls, v):
        from .characterization.methods import METHODS  # the one list; imported late: no statistics here

        if v not in METHODS:
            close = difflib.get_close_matches(v, METHODS, n=1)
            raise ValueError(
                f"'{v}' is not a method; "
                + (f"did you mean '{close[0]}'? " if close else "")
                + f"use one of {', '.join(METHODS)}"
            )
        return v

    @field_validator("interval")
    @classmethod
    def _interval(cls, v):
        from .characterization.methods import INTERVAL_CHOICES

        if v is not None and v not in INTERVAL_CHOICES:
            raise ValueError(f"'{v}' is not an interval; use one of {', '.join(INTERVAL_CHOICES)}")
        return v


class ExtraComponent(_Model):
    name: str
    u: float = Field(ge=0)
    relative: bool = False
    dof: float | None = Field(None, gt=0)
    analyte: str | None = None
    reason: str = Field(min_length=3)


class Certificate(_Model):
    """Certificate items (ISO Guide 31:2015; JJF 1186-2018) and the coverage / rounding rules."""

    coverage: float = Field(0.95, gt=0.5, lt=1)
    k: float | None = Field(None, gt=0, description="fixed coverage factor instead of Welch-Satterthwaite")
    rounding: Literal["gum", "din1333", "jjf", "none"] = "gum"
    dof_rule: Literal["truncate", "exact"] = "truncate"
    producer: str = ""
    producer_address: str = ""
    producer_city: str = ""
    producer_country_code: str = ""
    producer_email: str = ""
    approver: str = ""
    approver_role: str = ""
    approval: Literal["required", "none"] = Field(
        "none", description="required: the certificate is a DRAFT until an approved signature (rmwork sign)"
    )
    rm_number: str = ""
    certificate_id: str = ""
    description: str = ""
    intended_use: str = ""
    storage: str = ""
    instructions: str = ""
    traceability: str = ""
    safety: str = ""
    methods: str = ""
    minimum_sample_intake: float | None = Field(None, gt=0)
    minimum_sample_intake_unit: str = "g"
    certification_date: date | None = Field(None, strict=False)
    validity_months: float | None = Field(
        None, gt=0, description="validity period printed; default: the long-term stability study's shelf_life"
    )
    analyte_names: dict[str, str] = {}
    extra: list[ExtraComponent] = []
    validity: Literal["requested", "supported"] = Field(
        "requested",
        description="requested: an analyte whose stability data do not support the period "
        "is withheld; supported: the period is shortened to what the data support",
    )
    transfer: Literal["relative", "absolute"] = Field(
        "relative",
        description="how u_bb, u_lts, u_sts enter the budget: relative x certified value "
        "(ISO Guide 35 practice), or absolute (same unit only)",
    )
    transfer_max_ratio: float = Field(
        1.5,
        gt=1,
        description="an absolute transfer is refused when the "
        "study mean and the certified value differ by more than this factor",
    )
    checks: dict[str, Literal["block", "advise"]] = Field(
        {}, description="per reviewer check: block (withhold the analyte) or advise"
    )

    @field_validator("checks")
    @classmethod
    def _checks(cls, v):
        from .certificate.policy import CHECK_POLICY_DEFAULT

        for name in v:
            if name not in CHECK_POLICY_DEFAULT:
                close = difflib.get_close_matches(name, list(CHECK_POLICY_DEFAULT), n=1)
                raise ValueError(
                    f"'{name}' is not a check; "
                    + (f"did you mean '{close[0]}'? " if close else "")
                    + f"use one of {', '.join(CHECK_POLICY_DEFAULT)}"
                )
        return v


class UncertaintyComponent(_Model):
    """A component of the verifying laboratory's uncertainty (GUM), beside its repeatability."""

    name: str
    u: float = Field(gt=0, description="standard uncertainty, absolute (or relative with relative: true)")
    relative: bool = False
    analyte: str | None = None


class TypedCertifiedValue(_Model):
    value: float
    U: float = Field(gt=0, description="expanded uncertainty as on the certificate")
    k: float = Field(2.0, gt=0)
    unit: str | None = None


class Verification(DataSource):
    """kind: verification — the laboratory's results against a certificate (ISO Guide 35:2017, 8.10)."""

    certificate: str | dict[str, TypedCertifiedValue] = Field(
        description="report folder of the certified lot, a DRMD XML file, or {analyte: {value, U, k}}"
    )
    k: float = Field(2.0, gt=0, description="coverage factor of U_Delta = k u_Delta")
    components: list[UncertaintyComponent] = []


class CertifiedAssigned(_Model):
    value: float
    u: float = Field(gt=0, description="standard uncertainty of the certified value")
    k: float = Field(2.0, gt=0, description="coverage factor of U(x_pt) for E_n")


class PtHomogeneity(DataSource):
    alpha: float = Field(0.05, gt=0, lt=0.5)


PT_SCORES = ("z", "z_prime", "zeta", "en")


class Proficiency(DataSource):
    """kind: proficiency — a proficiency round or blind-sample test (ISO 13528:2022)."""

    analyte: str
    assigned: Literal["certified", "algorithm-a", "experts"] = "algorithm-a"
    sigma_pt: float | str = Field(description="a positive number, 'horwitz' or 'robust'")
    certified: CertifiedAssigned | None = None
    experts: list[str] = []
    k: float = Field(2.0, gt=0, description="coverage factor of U(x_pt) for E_n when not certified")
    scores: list[str] | None = None
    unit_of_measure: str | None = None
    mass_fraction_factor: float | None = Field(None, gt=0, description="mass fraction per unit, for Horwitz")
    homogeneity: PtHomogeneity | None = None
    stability: DataSource | None = None

    @field_validator("sigma_pt")
    @classmethod
    def _sigma_pt(cls, v):
        if isinstance(v, str):
            if v not in ("horwitz", "robust"):
                raise ValueError(f"'{v}' is not a sigma_pt; give a positive number, 'horwitz' or 'robust'")
        elif not (v > 0 and v != float("inf")):
            raise ValueError(
                f"sigma_pt must be positive, got {v!r}; give the standard deviation for "
                "proficiency assessment in the analyte's unit"
            )
        return v

    @field_validator("scores")
    @classmethod
    def _scores(cls, v):
        for s in v or ():
            if s not in PT_SCORES:
                raise ValueError(f"'{s}' is not a score; use {', '.join(PT_SCORES)}")
        return v

    @model_validator(mode="after")
    def _certified_given(self):
        if self.assigned == "certified" and self.certified is None:
            raise ValueError("assigned 'certified' needs certified: {value, u, k}")
        if self.assigned == "experts" and len(self.experts) < 2:
            raise ValueError("assigned 'experts' needs experts: [at least 2 participant codes]")
        return self


def check_kind(p) -> None:
    """``kind`` and the lot's sections agree: one line naming what to change."""
    if p.kind == "certification":
        extra = "verification" if p.verification else "proficiency"
        raise ValueError(f"the lot has a '{extra}' section but kind is 'certification'; add 'kind: {extra}'")
    section = getattr(p, p.kind)
    if section is None:
        raise ValueError(
            f"kind '{p.kind}' needs a '{p.kind}' section (data and the keys of README "
            "'Verification and proficiency lots')"
        )
    other = [
        s
        for s in ("homogeneity", "stability", "characterization", "verification", "proficiency")
        if s != p.kind and getattr(p, s)
    ]
    if other:
        raise ValueError(f"a '{p.kind}' lot has no '{other[0]}' section; move it to a certification lot")


class LotParameters(_Model):
    lot: str
    material: str
    seed: int = Field(ge=0, lt=2**32)
    language: Literal["en", "zh"] = "en"
    kind: Literal["certification", "verification", "proficiency"] = "certification"
    analytes: dict[str, AnalyteSettings] = Field(
        {},
        description="the analytes a certification lot studies and certifies, each with its settings (a list [Si, Mn] "
        "selects them without settings); an analyte in the data but not listed is not "
        "studied and is named 'not selected' in the report and results.json; a listed analyte no "
        "table holds is refused, one the characterization data lack or without a unit is withheld; "
        "default (none listed): every analyte in the data",
    )
    homogeneity: Homogeneity | None = None
    stability: Stability | None = None
    characterization: Characterization | None = None
    certificate: Certificate = Certificate()
    sampler: SamplerSettings = SamplerSettings()
    verification: Verification | None = None
    proficiency: Proficiency | None = None

    @field_validator("lot")
    @classmethod
    def _lot(cls, v):
        return check_lot_name(v)

    @field_validator("analytes", mode="before")
    @classmethod
    def _analytes(cls, v):
        # a list selects analytes without settings; "Si:" with nothing after it is "Si: {}"
        if isinstance(v, list):
            if not all(isinstance(a, str) for a in v):
                raise ValueError("list the analytes by name, e.g. [Si, Mn]")
            if len(set(v)) != len(v):
                raise ValueError("an analyte is listed twice")
            return {a: {} for a in v}
        if isinstance(v, dict):
            return {a: ({} if s is None else s) for a, s in v.items()}
        return v

    @field_validator("material")
    @classmethod
    def _material(cls, v):
        if len(v) > MATERIAL_MAX:
            raise ValueError(
                f"the material name has {len(v):,} characters, more than the limit of "
                f"{MATERIAL_MAX}; shorten it (put details in certificate.description)"
            )
        return v

    @model_validator(mode="after")
    def _some_study(self):
        if self.kind != "certification" or self.verification or self.proficiency:
            check_kind(self)
            return self
        if not (self.homogeneity or self.stability or self.characterization):
            raise ValueError("the lot has no study; add homogeneity, stability or characterization")
        return self


def check_lot_name(v: str) -> str:
    """The lot-name rule (it names the report folder); raises ValueError with the reason."""
    shown = v if len(v) <= 80 else v[:40] + "…"
    if not LOT_RE.match(v):
        raise ValueError(
            f"'{shown}' is not a lot name: letters, digits, '.', '_' and '-' only, "
            "starting with a letter or digit (it names the report folder)"
        )
    if len(v) > LOT_MAX:
        raise ValueError(f"the lot name has {len(v)} characters, more than the limit of {LOT_MAX}")
    if v.lower() in RESERVED_LOTS:
        raise ValueError(
            f"'{v}' is a reserved name (used by rmwork or the file system); choose another lot name"
        )
    return v


# ---------------------------------------------------------------------------------------------
# loading


def _schema_keys(model, path):
    """Keys allowed at a dotted location of the schema (for close-match suggestions)."""
    cls = model
    for part in path:
        if isinstance(part, int) or cls is None:
            continue
        f = getattr(cls, "model_fields", {}).get(part)
        if f is None:
            return []
        ann = f.annotation
        cls = next(
            (a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)),
            None,
        )
        if cls is None:
            args = getattr(ann, "__args__", ())
            cls = next(
                (
                    b
                    for a in args
                    for b in getattr(a, "__args__", ())
                    if isinstance(b, type) and issubclass(b, BaseModel)
                ),
                None,
            )
    return list(getattr(cls, "model_fields", {}))


def _pydantic_errors(exc: ValidationError, name: str) -> list[InputError]:
    """Every schema error of a validation, each as one :class:`InputError` naming its key."""
    return [_one_error(err, name) for err in exc.errors()]


def _pydantic_to_input_error(exc: ValidationError, name: str) -> InputError:
    return _pydantic_errors(exc, name)[0]


def _one_error(err: dict, name: str) -> InputError:
    loc = [p for p in err["loc"]]
    key = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        allowed = _schema_keys(LotParameters, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
        return InputError("unknown key", file=name, key=key, hint=hint)
    if err["type"] == "missing":
        return InputError("required key is missing", file=name, key=key, hint="add it")
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    hint = _TYPE_HINTS.get(err["type"], (None, None))
    if isinstance(got, bool) and hint[0]:
        msg = f"{msg}, not true/false"
    elif isinstance(got, str) and hint[1]:
        msg = f"{msg}, not text"
    if err["type"] not in ("value_error",) and not isinstance(got, (dict, list)):
        shown = got if not isinstance(got, str) or len(got) <= 80 else got[:40] + "…"
        msg = f"{msg} (got {shown!r})"
    return InputError(
        msg,
        file=name,
        key=key or None,
        hint=(hint[1] if isinstance(got, str) else hint[0]) if got is not None else None,
    )


# strict types: what to write instead of a bool / of quoted text
_TYPE_HINTS = {
    "int_type": ("write a whole number", "write the number without quotes"),
    "float_type": ("write a number", "write the number without quotes"),
}


# ---------------------------------------------------------------------------------------------
# the YAML text -> plain data, with every problem the schema cannot see


def _read_yaml(p: Path, name: str):
    """The parameter file's data; InputError for what is not a readable YAML mapping."""
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", file=name, hint="save the parameter file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - safe loader subclass
    except InputError as exc:
        raise InputError(exc.problem, file=name, hint=exc.hint) from None
    except RecursionError:
        # 50,000 '[' exhaust the composer's recursion: a parameter file nests 4 levels
        raise InputError(
            f"the YAML nests brackets or mappings too deeply (more than {DEPTH_MAX} levels)",
            file=name,
            hint="start from a shipped parameters/*.yaml",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            f"YAML syntax error at {where}{problem}", file=name, hint="fix the indentation or quoting there"
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            "is not a mapping of keys to values", file=name, hint="start from a shipped parameters/*.yaml"
        )
    return raw, data


def _scan(data, name: str) -> list[InputError]:
    """Problems in the values themselves (iterative, so no depth can overflow Python's stack):
    non-finite numbers (YAML's .nan/.inf, or 1e999), nesting deeper than any key of the schema,
    text longer than any field needs, and alias bombs.  Each names its key."""
    found: list[InputError] = []
    stack = [((), data)]
    nodes = 0
    while stack:
        path, v = stack.pop()
        nodes += 1
        key = ".".join(map(str, path)) or None
        if nodes > NODES_MAX:
            return found + [
                InputError(
                    f"the YAML expands to more than {NODES_MAX:,} values (aliases?)",
                    file=name,
                    hint="write the parameters out without aliases",
                )
            ]
        if len(path) > DEPTH_MAX:
            found.append(
                InputError(
                    f"nested more than {DEPTH_MAX} levels deep",
                    file=name,
                    key=key,
                    hint="start from a shipped parameters/*.yaml",
                )
            )
            continue
        if isinstance(v, float) and not math.isfinite(v):
            found.append(
                InputError(
                    f"not a finite number (got {_yaml_number(v)})",
                    file=name,
                    key=key,
                    hint="write a finite number or delete the key",
                )
            )
        elif isinstance(v, str) and len(v) > TEXT_LIMITS.get(key, TEXT_MAX):
            limit = TEXT_LIMITS.get(key, TEXT_MAX)
            found.append(
                InputError(
                    f"the text has {len(v):,} characters, more than the limit of {limit:,}",
                    file=name,
                    key=key,
                    hint="shorten it"
                    + (" (put details in certificate.description)" if key == "material" else ""),
                )
            )
        elif isinstance(v, dict):
            stack += [((*path, k), x) for k, x in reversed(list(v.items()))]
        elif isinstance(v, list):
            stack += [((*path, i), x) for i, x in reversed(list(enumerate(v)))]
    return found


def _yaml_number(v: float) -> str:
    return ".nan" if math.isnan(v) else (".inf" if v > 0 else "-.inf")


def _known_keys(errors: list[InputError]) -> set:
    return {e.key for e in errors if e.key}


def _schema(path) -> tuple[Lot | None, list[InputError]]:
    """The validated lot (None if it is not valid) and every problem of the parameter file."""
    p = Path(path)
    name = str(path)
    if p.is_symlink() and not p.exists():
        return None, [
            InputError(
                "is a symbolic link that leads nowhere (a loop or a missing target)",
                file=name,
                hint="name the parameter file itself",
            )
        ]
    if not p.exists():
        return None, [InputError("parameter file does not exist", file=name, hint="check the path")]
    if not p.is_file():
        return None, [InputError("is not a file", file=name, hint="name a parameters/<lot>.yaml file")]
    try:
        raw, data = _read_yaml(p, name)
    except InputError as exc:
        return None, [exc]
    found = _scan(data, name)
    try:
        params = LotParameters.model_validate(data)
    except ValidationError as exc:
        # a key _scan already named (e.g. shelf_life: .nan) is not reported twice
        seen = _known_keys(found)
        found += [e for e in _pydantic_errors(exc, name) if e.key not in seen]
        return None, found
    except RecursionError:
        return None, found or [InputError(f"nested more than {DEPTH_MAX} levels deep", file=name)]
    if found:
        return None, found
    lot = Lot(params, p.resolve(), raw)
    from .io import require_file

    for study in lot.sources():
        key = f"{study}.data"
        try:
            for shown, f in lot.source_files(study):
                if not f.is_file():
                    require_file(f, key=key, file=name, shown=shown)
        except InputError as exc:
            found.append(InputError(exc.problem, file=name, key=key, hint=exc.hint))
    return (None if found else lot), found


class Lot:
    """A validated lot: its parameters, the folder data paths are resolved against, its file."""

    def __init__(self, params: LotParameters, path: Path, text: bytes):
        self.params = params
        self.path = path
        self.base = path.parent
        self.text = text

    def __getattr__(self, item):
        if item.startswith("__") or item == "params":  # unpickling: before __dict__ is set
            raise AttributeError(item)
        return getattr(self.params, item)

    def resolve(self, rel: str, key: str | None = None) -> Path:
        p = Path(rel)
        try:
            return p if p.is_absolute() else (self.base / p).resolve()
        except (RuntimeError, OSError):
            # Python 3.12 raises RuntimeError('Symlink loop ...'), later versions OSError(ELOOP)
            raise InputError(
                f"data path '{rel}' is a loop of symbolic links",
                file=str(self.path),
                key=key,
                hint="point the key at the data file itself",
            ) from None

    def sources(self) -> dict[str, DataSource]:
        """Every data source the lot names, keyed by its study ('homogeneity', 'stability.long_term')."""
        p, out = self.params, {}
        if p.homogeneity:
            out["homogeneity"] = p.homogeneity
        if p.stability:
            for k in ("long_term", "isochronous", "transport", "accelerated", "monitoring"):
                s = getattr(p.stability, k)
                if s is not None:
                    out[f"stability.{k}"] = s
        if p.characterization:
            out["characterization"] = p.characterization
        if p.verification is not None:  # kind: verification (rmwork.comparison)
            out["verification"] = p.verification
        if p.proficiency is not None:  # kind: proficiency
            out["proficiency"] = p.proficiency
            for k in ("homogeneity", "stability"):
                if getattr(p.proficiency, k) is not None:
                    out[f"proficiency.{k}"] = getattr(p.proficiency, k)
        return out

    def source_files(self, study: str) -> list[tuple[str, Path]]:
        """(as written or matched, resolved path) of each file of one study, globs expanded in
        sorted order; a pattern that matches nothing is refused."""
        src, out = self.sources()[study], []
        for pat in src.patterns():
            if any(ch in pat for ch in "*?["):
                hits = [
                    h
                    for h in sorted(glob.glob(pat, root_dir=str(self.base), recursive=True))
                    if self.resolve(h, key=f"{study}.data").is_file()
                ]
                if not hits:
                    raise InputError(
                        f"the pattern '{pat}' matches no file",
                        file=str(self.path),
                        key=f"{study}.data",
                        hint="check the pattern and the folder",
                    )
                out += [(h, self.resolve(h, key=f"{study}.data")) for h in hits]
            else:
                out.append((pat, self.resolve(pat, key=f"{study}.data")))
        seen, unique = set(), []
        for shown, f in out:
            if f not in seen:
                seen.add(f)
                unique.append((shown, f))
        return unique

    def data_files(self) -> dict[str, Path]:
        """Every data file the lot names, keyed by its parameter key ('homogeneity.data'; a study
        with several files: 'characterization.data[0]', 'characterization.data[1]', ...)."""
        out = {}
        for study in self.sources():
            files = self.source_files(study)
            for i, (_, f) in enumerate(files):
                out[f"{study}.data" if len(files) == 1 else f"{study}.data[{i}]"] = f
        cert = self.certificate_file()
        if cert is not None:  # the certificate a verification lot compares with
            out["verification.certificate"] = cert
        return out

    def certificate_file(self) -> Path | None:
        """The certificate file a verification lot reads (results.json of a report folder, or a DRMD)."""
        v = self.params.verification
        if v is None or not isinstance(v.certificate, str):
            return None
        path = self.resolve(v.certificate)
        if path.is_dir():
            return path / "results.json" if (path / "results.json").is_file() else None
        return path if path.is_file() else None

    def sigma_pt(self, analyte: str, mean: float) -> float | None:
        a = self.params.analytes.get(analyte)
        if a is None:
            return None
        if a.sigma_pt is not None:
            return a.sigma_pt
        if a.sigma_pt_rel is not None:
            return a.sigma_pt_rel * abs(mean)
        return None


def load(path) -> Lot:
    """Read and validate a lot's parameter file; raise :class:`InputError` with file and key
    (the first problem; :func:`problems` lists them all)."""
    lot, found = _schema(path)
    if found:
        raise found[0]
    return lot
