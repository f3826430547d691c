"""The parameter file of a production lot (``parameters/<lot>.yaml``): schema, loading, validation.

YAML is read with a safe loader that follows YAML 1.2 scalar rules (``0123`` stays the text
"0123", ``1e-3`` is a number, ``yes``/``no`` stay words) and refuses duplicate keys.  The
schema is a pydantic model that forbids unknown keys and suggests the close match.  Nothing in
a parameter file is ever executed.
"""

from __future__ import annotations

import difflib
import math
import re
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError

METHODS = ("mean", "weighted-mean", "dersimonian-laird", "paule-mandel", "bayes-gauss",
           "bayes-laplace", "linear-pool")
ROUNDING = ("gum", "din1333", "jjf", "none")
# a lot names folders (reports/<lot>, its lock, working and failure folders): letters, digits,
# '.', '_' and '-', starting with a letter or digit, so that '.', '..' and '.failed' cannot be lots
LOT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
LOT_MAX = 64              # leaves room for the runner's prefixes within a file name's 255 bytes
# names the runner or the report folder use for themselves, and Windows device names (a report
# folder is copied to other machines); compared case-insensitively
RESERVED_LOTS = frozenset({"history", "reports", "con", "prn", "aux", "nul",
                           *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))})
MATERIAL_MAX = 300        # a material name is a title: it heads the report and the certificate
TEXT_MAX = 10_000         # any other text in a parameter file (descriptions, instructions, ...)
DEPTH_MAX = 20            # the schema nests 4 levels; anything deeper is not a parameter file
NODES_MAX = 100_000       # YAML aliases can make a small file a huge structure
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
    ("tag:yaml.org,2002:float",
     # a dot or an exponent is required: '0123' stays text (a lot or unit id), not 123.0
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+.0123456789")),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise InputError(f"duplicate key '{key}' (first at line {seen[key] + 1}, again at line "
                             f"{key_node.start_mark.line + 1})", hint="keep one of them")
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
    data: str = Field(description="CSV or XLSX file, relative to the parameter file")
    sheet: str | None = None
    decimal: Literal[".", ","] | None = None
    encoding: str | None = None
    unit_of_measure: str | None = Field(None, description="unit of the table's values when it has no "
                                        "unit_of_measure column; a study in another unit than the "
                                        "certified value enters the budget through relative values")


class AnalyteSettings(_Model):
    """Per-analyte settings (eCerto's 'apm')."""
    unit: str | None = Field(None, description="unit of measure shown in the report")
    sigma_pt: float | None = Field(None, gt=0, description="standard deviation for proficiency "
                                   "assessment (ISO 13528 criterion), absolute")
    sigma_pt_rel: float | None = Field(None, gt=0, description="sigma_pt relative to the mean")
    precision: int | None = Field(None, ge=0, le=12, description="decimals shown in tables")


class SamplerSettings(_Model):
    draws: int = Field(2000, ge=100)
    tune: int = Field(500, ge=100)  # nutpie adapts in a few hundred draws; the gate checks R-hat, ESS, divergences
    chains: int = Field(4, ge=1, le=16)
    target_accept: float = Field(0.9, gt=0.5, lt=1)


class Homogeneity(DataSource):
    alpha: float = Field(0.05, gt=0, lt=0.5)
    bayes: bool = Field(True, description="run the Bayesian random-effects sensitivity model")


class LongTerm(DataSource):
    shelf_life: float = Field(gt=0, description="months")
    temperature: float | None = None


class Transport(DataSource):
    duration: float = Field(gt=0, description="months")
    temperature: float | None = None


class Accelerated(DataSource):
    storage_temperature: float = Field(description="degrees Celsius")
    limit: float | None = None


class Isochronous(DataSource):
    reference_temperature: float = Field(description="degrees Celsius; the reference storage")
    shelf_life: float | None = Field(None, gt=0, description="months")


class Stability(_Model):
    long_term: LongTerm | None = None
    isochronous: Isochronous | None = None
    transport: Transport | None = None
    accelerated: Accelerated | None = None
    use_means: bool = False
    alpha: float = Field(0.05, gt=0, lt=0.5)
    bayes: bool = False
    monitoring: DataSource | None = None


class Exclusion(_Model):
    lab: str
    analyte: str | None = None
    reason: str = Field(min_length=3)


class Characterization(DataSource):
    method: str = "dersimonian-laird"
    knapp_hartung: bool = False
    exclude: list[Exclusion] = []
    alpha: float = Field(0.05, gt=0, lt=0.5)

    @field_validator("method")
    @classmethod
    def _method(cls, v):
        if v not in METHODS:
            close = difflib.get_close_matches(v, METHODS, n=1)
            raise ValueError(f"'{v}' is not a method; " + (f"did you mean '{close[0]}'? " if close else "")
                             + f"use one of {', '.join(METHODS)}")
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
    validity_months: float | None = Field(None, gt=0, description="validity period printed; "
                                          "default: the long-term stability study's shelf_life")
    analyte_names: dict[str, str] = {}
    extra: list[ExtraComponent] = []


class LotParameters(_Model):
    lot: str
    material: str
    seed: int = Field(ge=0, lt=2 ** 32)
    language: Literal["en", "zh"] = "en"
    analytes: dict[str, AnalyteSettings] = {}
    homogeneity: Homogeneity | None = None
    stability: Stability | None = None
    characterization: Characterization | None = None
    certificate: Certificate = Certificate()
    sampler: SamplerSettings = SamplerSettings()

    @field_validator("lot")
    @classmethod
    def _lot(cls, v):
        return check_lot_name(v)

    @field_validator("material")
    @classmethod
    def _material(cls, v):
        if len(v) > MATERIAL_MAX:
            raise ValueError(f"the material name has {len(v):,} characters, more than the limit of "
                             f"{MATERIAL_MAX}; shorten it (put details in certificate.description)")
        return v

    @model_validator(mode="after")
    def _some_study(self):
        if not (self.homogeneity or self.stability or self.characterization):
            raise ValueError("the lot has no study; add homogeneity, stability or characterization")
        return self


def check_lot_name(v: str) -> str:
    """The lot-name rule (it names the report folder); raises ValueError with the reason."""
    shown = v if len(v) <= 80 else v[:40] + "…"
    if not LOT_RE.match(v):
        raise ValueError(f"'{shown}' is not a lot name: letters, digits, '.', '_' and '-' only, "
                         "starting with a letter or digit (it names the report folder)")
    if len(v) > LOT_MAX:
        raise ValueError(f"the lot name has {len(v)} characters, more than the limit of {LOT_MAX}")
    if v.lower() in RESERVED_LOTS:
        raise ValueError(f"'{v}' is a reserved name (used by rmwork or the file system); choose "
                         "another lot name")
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
        cls = next((a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type)
                    and issubclass(a, BaseModel)), None)
        if cls is None:
            args = getattr(ann, "__args__", ())
            cls = next((b for a in args for b in getattr(a, "__args__", ()) if isinstance(b, type)
                        and issubclass(b, BaseModel)), None)
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
    return InputError(msg, file=name, key=key or None,
                      hint=(hint[1] if isinstance(got, str) else hint[0]) if got is not None else None)


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
        raise InputError(f"the YAML nests brackets or mappings too deeply (more than {DEPTH_MAX} "
                         "levels)", file=name, hint="start from a shipped parameters/*.yaml") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"YAML syntax error at {where}{problem}", file=name,
                         hint="fix the indentation or quoting there") from None
    if not isinstance(data, dict):
        raise InputError("is not a mapping of keys to values", file=name,
                         hint="start from a shipped parameters/*.yaml")
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
            return found + [InputError(f"the YAML expands to more than {NODES_MAX:,} values (aliases?)",
                                       file=name, hint="write the parameters out without aliases")]
        if len(path) > DEPTH_MAX:
            found.append(InputError(f"nested more than {DEPTH_MAX} levels deep", file=name, key=key,
                                    hint="start from a shipped parameters/*.yaml"))
            continue
        if isinstance(v, float) and not math.isfinite(v):
            found.append(InputError(f"not a finite number (got {_yaml_number(v)})", file=name, key=key,
                                    hint="write a finite number or delete the key"))
        elif isinstance(v, str) and len(v) > TEXT_LIMITS.get(key, TEXT_MAX):
            limit = TEXT_LIMITS.get(key, TEXT_MAX)
            found.append(InputError(f"the text has {len(v):,} characters, more than the limit of "
                                    f"{limit:,}", file=name, key=key, hint="shorten it" + (
                                        " (put details in certificate.description)"
                                        if key == "material" else "")))
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
        return None, [InputError("is a symbolic link that leads nowhere (a loop or a missing target)",
                                 file=name, hint="name the parameter file itself")]
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

    for key, shown in lot.data_paths().items():
        try:
            f = lot.resolve(shown, key=key)
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
        return getattr(self.params, item)

    def resolve(self, rel: str, key: str | None = None) -> Path:
        p = Path(rel)
        try:
            return p if p.is_absolute() else (self.base / p).resolve()
        except (RuntimeError, OSError):
            # Python 3.12 raises RuntimeError('Symlink loop ...'), later versions OSError(ELOOP)
            raise InputError(f"data path '{rel}' is a loop of symbolic links", file=str(self.path),
                             key=key, hint="point the key at the data file itself") from None

    def data_paths(self) -> dict[str, str]:
        """Every data path the lot names, as written, keyed by its parameter key."""
        out = {}
        p = self.params
        if p.homogeneity:
            out["homogeneity.data"] = p.homogeneity.data
        if p.stability:
            for k in ("long_term", "isochronous", "transport", "accelerated", "monitoring"):
                s = getattr(p.stability, k)
                if s is not None:
                    out[f"stability.{k}.data"] = s.data
        if p.characterization:
            out["characterization.data"] = p.characterization.data
        return out

    def data_files(self) -> dict[str, Path]:
        """Every data file the lot names, keyed by its parameter key."""
        return {k: self.resolve(v, key=k) for k, v in self.data_paths().items()}

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


def survey(path) -> tuple[Lot | None, dict, list[InputError]]:
    """Everything ``rmwork validate`` reports: the lot, its data tables and every problem found.

    Every schema error of the parameter file is listed (each naming its key); when the schema is
    valid, each data table is read on its own, so that a problem in one table does not hide a
    problem in another, and the checks across tables (units per analyte, labs, exclusions) run
    when every table was read.  ``lot`` is None and ``data`` empty when anything was found.
    """
    lot, found = _schema(path)
    if found:
        return None, {}, found
    from . import workbook

    try:
        return lot, workbook.load_data(lot), []
    except InputError as first:
        # read each table on its own (only now: a large table is read once when all is well)
        found = []
        for _, source, kind in _sources(lot.params):
            try:
                workbook.read(lot, source, kind)
            except InputError as exc:
                found.append(exc)
        return None, {}, found or [first]


def problems(path) -> list[InputError]:
    """Every problem of a parameter file and its data (empty: valid).  See :func:`survey`."""
    return survey(path)[2]


def _sources(p: LotParameters):
    """(data key, source, study kind) of every data table the lot names."""
    if p.homogeneity:
        yield "homogeneity", p.homogeneity, "homogeneity"
    if p.stability:
        for k in ("long_term", "isochronous", "transport", "accelerated", "monitoring"):
            s = getattr(p.stability, k)
            if s is not None:
                yield f"stability.{k}", s, "stability"
    if p.characterization:
        yield "characterization", p.characterization, "characterization"
