"""``rmwork new LOT [--data DIR]`` and the parameter reference, both generated from the schema.

:func:`new` writes ``parameters/LOT.yaml`` with every key of :class:`rmwork.params.LotParameters`
as a comment (type, default, allowed values, what it does, the clause it implements), the lot
and a seed filled in, and the data files it recognises in DIR filled in under their study.  Keys
that only the producer can fill (the material, a shelf life) stay commented, so that
``rmwork validate`` names them until they are written.

:func:`reference_markdown` is ``docs/parameters.md`` (``python -m rmwork.scaffold`` prints it; a
test keeps the file current).
"""

from __future__ import annotations

import os
import secrets
import sys
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import params
from .characterization.methods import METHODS
from .errors import InputError

# the clause each key implements (most specific prefix wins)
CLAUSES = {
    "lot": "ISO 17034:2016, 7.2 (identification of the RM batch)",
    "seed": "rmwork: every random draw from it (reproducibility)",
    "analytes.sigma_pt": "ISO 13528:2022, B.2 (s_s ≤ 0.3 σ_pt)",
    "analytes.sigma_pt_rel": "ISO 13528:2022, B.2",
    "homogeneity": "ISO Guide 35:2017, clause 7 and Annex B; JJF 1343-2022",
    "homogeneity.alpha": "ISO Guide 35:2017, 7.7 (F-test of between-unit variation)",
    "stability": "ISO Guide 35:2017, clause 8 and B.3",
    "stability.long_term.shelf_life": "ISO Guide 35:2017, 8.7 and B.3 (u_lts = s(b1)·t)",
    "stability.transport.duration": "ISO Guide 35:2017, 8.6 (u_sts = s(b1)·t)",
    "stability.accelerated": "ISO Guide 35:2017, 8.5 (Arrhenius)",
    "stability.isochronous": "ISO Guide 35:2017, 8.3 (isochronous design)",
    "stability.monitoring": "ISO Guide 35:2017, 8.9 and 8.10; ERM Application Note 1",
    "stability.monitoring.check": "ISO Guide 35:2017, 8.9 and 8.10; ERM Application Note 1 (x_c ± U only: weaker)",
    "stability.monitoring.u": "ISO Guide 35:2017, 8.10; ERM Application Note 1 (u_m of the monitoring method)",
    "characterization": "ISO Guide 35:2017, clause 9",
    "characterization.method": "ISO Guide 35:2017, 9.5; NIST Consensus Builder",
    "characterization.knapp_hartung": "Knapp & Hartung (2003); NIST Consensus Builder",
    "characterization.exclude": "ISO Guide 35:2017, 9.4 (exclusions recorded with their reason)",
    "certificate": "ISO Guide 31:2015; JJF 1186-2018",
    "certificate.coverage": "JCGM 100:2008 (GUM), 6.2 and G.4",
    "certificate.k": "JCGM 100:2008 (GUM), 6.3",
    "certificate.rounding": "GUM 7.2.6; DIN 1333; JJF 1059.1-2012",
    "certificate.dof_rule": "JCGM 100:2008 (GUM), G.4.1 (Welch–Satterthwaite)",
    "certificate.extra": "ISO Guide 35:2017, 9.9 (further uncertainty components)",
    "sampler": "rmwork: MCMC settings of the Bayesian models (recorded in the provenance)",
}
DATA_CLAUSE = "ISO 17034:2016, 7.12 (records); rmwork.io (issue 15)"
METHOD_CHOICES = {"characterization.method": METHODS}


def clause(key: str) -> str:
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        k = ".".join(parts[:n])
        if k in CLAUSES:
            return CLAUSES[k]
        tail = ".".join(parts[n - 1 :])
        if n == len(parts) and tail in (
            "data",
            "sheet",
            "decimal",
            "encoding",
            "layout",
            "range",
            "lab_cell",
            "unit_column",
            "censored",
            "lab_aliases",
            "unit_of_measure",
            "analytes",
        ):
            if parts[0] in ("homogeneity", "stability", "characterization"):
                return DATA_CLAUSE
    return ""


# -- walking the schema ----------------------------------------------------------------------


def _model_of(ann):
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in typing.get_args(ann):
        m = _model_of(a)
        if m is not None and typing.get_origin(ann) is not list and typing.get_origin(ann) is not dict:
            return m
    return None


def type_name(ann) -> str:
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if ann is type(None):
        return "null"
    if origin is typing.Literal:
        return "text"
    if origin in (list,):
        return f"list of {type_name(args[0])}"
    if origin in (dict,):
        return f"mapping of {type_name(args[0])} to {type_name(args[1])}"
    if args and origin is not None:
        names = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(names))
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "mapping"
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(
        ann, getattr(ann, "__name__", str(ann))
    )


def allowed(key: str, ann) -> tuple:
    if key in METHOD_CHOICES:
        return METHOD_CHOICES[key]
    for a in (ann, *typing.get_args(ann)):
        if typing.get_origin(a) is typing.Literal:
            return typing.get_args(a)
    return ()


def fields(model=params.LotParameters, prefix=""):
    """(key, annotation, default or PydanticUndefined, description, sub-model or None) in schema order."""
    for name, f in model.model_fields.items():
        key = f"{prefix}{name}"
        sub = _model_of(f.annotation)
        default = f.default if f.default_factory is None else f.default_factory()
        yield (
            key,
            f.annotation,
            default,
            f.description or (model.__doc__ or "").strip().split("\n")[0]
            if sub is not None and not f.description
            else (f.description or ""),
            sub,
        )
        if sub is not None and typing.get_origin(f.annotation) not in (list, dict):
            yield from fields(sub, key + ".")


def _default_text(default) -> str:
    if default is PydanticUndefined:
        return "required"
    if isinstance(default, BaseModel):
        return "(mapping)"
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    return repr(default) if isinstance(default, str) else str(default)


# -- docs/parameters.md ----------------------------------------------------------------------


def reference_markdown() -> str:
    lines = [
        "# Parameter file reference (`parameters/<lot>.yaml`)",
        "",
        "Generated from the schema (`rmwork/params.py`) by `python -m rmwork.scaffold`; "
        "`tests/test_io_scaffold.py` keeps it current. Relative paths start at the parameter "
        "file's folder. `rmwork new LOT` writes a file with every key below as a comment.",
        "",
        "| key | type | default | allowed values | what it does | clause |",
        "|---|---|---|---|---|---|",
    ]
    for key, ann, default, desc, _ in fields():
        al = ", ".join(f"`{a}`" for a in allowed(key, ann))
        cells = [
            f"`{key}`",
            type_name(ann),
            _default_text(default),
            al,
            desc.replace("|", "\\|"),
            clause(key),
        ]
        lines.append("| " + " | ".join(c.replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


# -- rmwork new ------------------------------------------------------------------------------


def _comment(key, ann, default, desc) -> str:
    bits = [type_name(ann)]
    if default is not PydanticUndefined and not isinstance(default, BaseModel):
        bits.append(f"default {_default_text(default)}")
    elif default is PydanticUndefined:
        bits.append("required")
    al = allowed(key, ann)
    if al:
        bits.append("one of " + ", ".join(map(str, al)))
    text = "; ".join(bits) + (f". {desc}" if desc else "")
    c = clause(key)
    return text + (f" [{c}]" if c else "")


def _yaml_value(v) -> str:
    import yaml

    return yaml.safe_dump(v, default_flow_style=True, allow_unicode=True).strip().removesuffix("...").strip()


def scaffold_text(lot: str, filled: dict[str, object]) -> str:
    """Every schema key as a comment; the keys in ``filled`` (dotted) written with their value."""
    out = [
        f"# Parameter file of lot {lot}, written by 'rmwork new' from the schema (docs/parameters.md).",
        "# Uncomment and fill what the lot needs; 'rmwork validate' names what is missing.",
        "",
    ]
    for key, ann, default, desc, sub in fields():
        depth = key.count(".")
        pad = "  " * depth
        name = key.rsplit(".", 1)[-1]
        active = key in filled or any(k.startswith(key + ".") for k in filled)
        note = _comment(key, ann, default, desc)
        if sub is not None and typing.get_origin(ann) not in (list, dict) and active:
            out.append(f"{pad}{name}:{' ' * max(1, 40 - len(pad) - len(name))}# {note}")
        elif key in filled:
            line = f"{pad}{name}: {_yaml_value(filled[key])}"
            out.append(f"{line}{' ' * max(1, 41 - len(line))}# {note}")
        else:
            ex = (
                ""
                if sub is not None or default is PydanticUndefined or isinstance(default, BaseModel)
                else f" {_yaml_value(default)}"
            )
            line = f"{pad}# {name}:{ex}"
            out.append(f"{line}{' ' * max(1, 41 - len(line))}# {note}")
    return "\n".join(out) + "\n"


def recognise(folder: Path, base: Path) -> tuple[dict[str, object], list[str]]:
    """Data files of ``folder`` assigned to their study (read with rmwork.io to be sure), and notes."""
    from . import io
    from .io import excel, layouts

    filled: dict[str, object] = {}
    notes: list[str] = []
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".xlsx", ".tsv", ".txt")
    )
    labs = [p for p in files if layouts.ERGEBNISBLATT.match(p.stem)]
    if labs:
        prefix = os.path.commonprefix([p.name for p in labs])
        pattern = prefix + "*" + labs[0].suffix if len(labs) > 1 else labs[0].name
        filled["characterization.data"] = os.path.relpath(folder / pattern, base)
        filled["characterization.layout"] = "lab-sheet"
        notes.append(f"{len(labs)} laboratory result sheets → characterization ({pattern})")
    for p in files:
        if p in labs:
            continue
        study = _study_of(p, io, excel, layouts)
        rel = os.path.relpath(p, base)
        if study == "stability.monitoring":
            # its results carry no u: only the producer can say how they are judged
            notes.append(
                f"{p.name}: eCerto monitoring input (stability.monitoring: its results carry no u; "
                "state stability.monitoring.u or check: certified-interval; not filled in)"
            )
            continue
        if study is None or f"{study}.data" in filled:
            notes.append(
                f"not recognised: {p.name}" if study is None else f"also {study}: {p.name} (not filled in)"
            )
            continue
        filled[f"{study}.data"] = rel
        notes.append(f"{p.name} → {study}")
    return filled, notes


def _study_of(p: Path, io, excel, layouts) -> str | None:
    if p.suffix.lower() == ".xlsx":
        try:
            book = excel.open_book(p.read_bytes(), p.name)
        except InputError:
            return None
        vis = book.visible()
        if vis and all(layouts.is_monitoring(book.sheet(t)) for t in vis):
            return "stability.monitoring"
    for study, key in (
        ("characterization", "characterization"),
        ("homogeneity", "homogeneity"),
        ("stability", "stability.long_term"),
    ):
        try:
            df = io.read_table(p, study=study)
        except InputError:
            continue
        if study == "homogeneity" and "lab" in df.columns:
            continue
        if study == "stability" and df.attrs.get("layout") == "ecerto-monitoring":
            return "stability.monitoring"
        return key
    return None


def new(lot: str, *, data: str | None = None, out: str = "parameters") -> Path:
    """Write ``out/LOT.yaml``; refuse an existing file or a lot name the schema refuses."""
    if not params.LOT_RE.match(lot):
        raise InputError(
            f"'{lot}' may only contain letters, digits, '.', '_' and '-'",
            key="LOT",
            hint="it names the report folder",
        )
    target = Path(out) / f"{lot}.yaml"
    if target.exists():
        raise InputError("exists already", file=str(target), hint="choose another lot name or edit that file")
    filled: dict[str, object] = {"lot": lot, "seed": secrets.randbelow(2**32)}
    notes: list[str] = []
    if data is not None:
        folder = Path(data)
        if not folder.is_dir():
            raise InputError(
                "is not a folder", file=data, key="--data", hint="name the folder of the lot's data files"
            )
        found, notes = recognise(
            folder, target.parent.resolve() if target.parent.exists() else Path(out).resolve()
        )
        filled.update(found)
    text = scaffold_text(lot, filled)
    if notes:
        text = text.replace("\n\n", "\n# Data files found: " + "; ".join(notes) + ".\n\n", 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


if __name__ == "__main__":
    sys.stdout.write(reference_markdown())
