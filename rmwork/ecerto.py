"""Importing an eCerto backup (.rda / .RData) as an rmwork lot: ``rmwork import-ecerto FILE OUT_DIR``.

eCerto (BAM; Lisec et al. 2023, doi:10.1007/s00216-023-05099-3) saves a study as an R list
(``R/m_RData_export.R``): ``General`` (``apm``: per analyte the lab and sample filters,
pooling, precision; ``materialtabelle``: the certified values), ``Certification`` (``data``:
ID, Lab, analyte, replicate, value, unit, File, S_flt, L_flt), ``Homogeneity`` (``data``:
analyte, H_type, Flasche, value, unit; ``h_vals``) and ``Stability`` (``data``: analyte, Value,
Date; ``s_vals``).  Older backups (``res``) hold the same under ``data_input``, ``h_dat``,
``s_dat`` and ``opt``; an LTS backup is a list of sheets ``{def, val}``.  The ``rdata`` package
reads R's format without R.

What is carried over: the data tables; lab filters (``characterization.exclude`` with the reason
"excluded in the eCerto backup"); sample filters (the results left out, listed in
``excluded_results.csv``); precision (``analytes.<a>.precision``); units.  What cannot be is
listed in the import summary and at the top of the parameter file (e.g. pooling: rmwork
characterizes from lab means).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import InputError

REASON = "excluded in the eCerto backup"
EPOCH = pd.Timestamp("1970-01-01")  # R's Date: days since 1970-01-01


@dataclass
class Imported:
    """What an import wrote and what it could not carry over."""

    parameter_file: Path
    tables: dict[str, Path]
    carried: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"wrote {self.parameter_file}"] + [f"  {k}: {v}" for k, v in self.tables.items()]
        lines += ["carried over:"] + [f"  - {c}" for c in self.carried]
        lines += ["not carried over:"] + [f"  - {c}" for c in (self.not_carried or ["nothing"])]
        return "\n".join(lines)


def _scalar(v):
    if v is None:
        return None
    a = np.asarray(v).ravel()
    return None if a.size == 0 else a[0].item() if hasattr(a[0], "item") else a[0]


def _strings(v) -> list[str]:
    return [] if v is None else [str(x) for x in np.asarray(v).ravel()]


def read_backup(path) -> dict:
    """The R object of an eCerto backup as nested dicts / DataFrames (refused if not one)."""
    import rdata

    p = Path(path)
    if not p.is_file():
        raise InputError("does not exist", file=str(path), hint="name an eCerto backup (.rda or .RData)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # R's Date / POSIXct come back as numbers
            obj = rdata.read_rda(p)
    except Exception as exc:  # noqa: BLE001 - rdata raises many types on foreign files
        raise InputError(
            f"is not a readable R data file ({exc.__class__.__name__})",
            file=str(path),
            hint="save the study in eCerto with 'Save' (an .RData backup)",
        ) from None
    if len(obj) != 1:
        raise InputError(
            f"holds {len(obj)} R objects ({', '.join(obj)}), not one eCerto study",
            file=str(path),
            hint="export the study from eCerto",
        )
    return next(iter(obj.values()))


def _parts(obj, name: str) -> dict:
    """Normalise the three backup formats to certification/homogeneity/stability frames."""
    if isinstance(obj, list):  # LTS: [{def, val}, ...]
        rows = []
        for sheet in obj:
            d, v = sheet["def"], sheet["val"]
            kw = str(d["KW"].iloc[0])
            rows.append(
                pd.DataFrame(
                    {
                        "analyte": kw,
                        "date": EPOCH + pd.to_timedelta(v["Date"].astype(float), "D"),
                        "value": v["Value"].astype(float),
                        "unit_of_measure": str(d["KW_Unit"].iloc[0]),
                    }
                )
            )
        return {
            "kind": "lts",
            "stability": pd.concat(rows, ignore_index=True),
            "lts_def": [s["def"] for s in obj],
        }
    if not isinstance(obj, dict) or not ({"Certification", "Homogeneity", "Stability"} & set(obj)):
        raise InputError(
            "is not an eCerto backup (no Certification, Homogeneity or Stability)",
            file=name,
            hint="export the study from eCerto",
        )
    C, H, S = obj.get("Certification") or {}, obj.get("Homogeneity") or {}, obj.get("Stability") or {}
    new = "General" in obj
    out = {
        "kind": "study",
        "new": new,
        "certification": C.get("data") if new else C.get("data_input"),
        "homogeneity": H.get("data") if new else H.get("h_dat"),
        "stability": S.get("data") if new else S.get("s_dat"),
        "h_vals": H.get("h_vals"),
        "s_vals": S.get("s_vals"),
    }
    if new:
        g = obj["General"]
        out["apm"] = g.get("apm") or {}
        out["materialtabelle"] = g.get("materialtabelle")
        out["study_id"] = _scalar(g.get("study_id"))
    else:
        opt = C.get("opt") or {}
        sel = _strings(opt.get("sel_analyt"))
        out["apm"] = {
            a: {
                "lab_filter": opt.get("flt_labs"),
                "sample_filter": opt.get("flt_samples"),
                "pooling": opt.get("pooling"),
                "precision": C.get("precision"),
            }
            for a in sel
        }
        out["materialtabelle"] = C.get("cert_vals")
        out["study_id"] = _scalar(C.get("study_id"))
    return out


def _certified(mt) -> list[str]:
    """Analytes with a certified mean in eCerto's material table (in its order)."""
    if mt is None or "analyte" not in mt.columns or "mean" not in mt.columns:
        return []
    return [
        str(a) for a, m in zip(mt["analyte"], pd.to_numeric(mt["mean"], errors="coerce")) if np.isfinite(m)
    ]


def _unit(values) -> str | None:
    u = sorted({str(x) for x in values if x is not None and str(x) not in ("", "nan", "<NA>")})
    if len(u) != 1:
        return None
    return None if re.fullmatch(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?", u[0]) else u[0]


def import_backup(file, out_dir) -> Imported:
    """Write ``OUT_DIR/<lot>.yaml`` and its data tables from an eCerto backup."""
    file, out = Path(file), Path(out_dir)
    obj = read_backup(file)
    parts = _parts(obj, str(file))
    raw = file.read_bytes()
    lot = "ECERTO-" + re.sub(r"[^A-Za-z0-9._-]+", "-", file.stem).strip("-.")
    out.mkdir(parents=True, exist_ok=True)
    res = Imported(parameter_file=out / f"{lot}.yaml", tables={})
    # the seed: reproducible from the backup itself (its SHA-256), never a fixed placeholder
    seed = int(hashlib.sha256(raw).hexdigest()[:8], 16)
    params: dict = {
        "lot": lot,
        "material": f"eCerto study {parts.get('study_id') or file.stem}",
        "seed": seed,
    }
    analytes: dict = {}
    if parts["kind"] == "lts":
        _lts(parts, out, params, analytes, res)
    else:
        _homogeneity(parts, out, params, analytes, res)
        _stability(parts, out, params, analytes, res)
        _certification(parts, out, params, analytes, res)
    if analytes:
        # analytes: selects what a lot studies (issue 14): the settings carried over must not
        # leave out an analyte of the tables written, so every one is listed
        read = (params.get("characterization") or {}).get("analytes")  # characterization.analytes
        for key, path in res.tables.items():
            if key != "excluded results":
                for a in pd.read_csv(path, usecols=["analyte"], dtype=str)["analyte"].unique():
                    if key != "characterization" or read is None or a in read:
                        analytes.setdefault(str(a), {})
        params = {
            **{k: params[k] for k in ("lot", "material", "seed")},
            "analytes": analytes,
            **{k: v for k, v in params.items() if k not in ("lot", "material", "seed")},
        }
    head = [
        f"# Imported from the eCerto backup {file.name} (SHA-256 {hashlib.sha256(raw).hexdigest()[:16]}…)",
        "# by rmwork import-ecerto; seed: from that hash.  Not carried over:",
    ]
    head += [f"#   - {n}" for n in (res.not_carried or ["nothing"])]
    text = "\n".join(head) + "\n" + yaml.safe_dump(params, sort_keys=False, allow_unicode=True)
    res.parameter_file.write_text(text, encoding="utf-8")
    return res


def _homogeneity(parts, out, params, analytes, res):
    h = parts.get("homogeneity")
    if h is None or len(h) == 0:
        return
    df = pd.DataFrame(
        {
            "analyte": h["analyte"].astype(str),
            "unit": h["Flasche"].astype(str).str.replace(r"\.0$", "", regex=True),
            "value": h["value"].astype(float),
        }
    )
    if "H_type" in h.columns and h.groupby("analyte", observed=True)["H_type"].nunique().max() > 1:
        df["group"] = h["H_type"].astype(str).to_numpy()
    if "unit" in h.columns:
        df["unit_of_measure"] = h["unit"].astype(str).to_numpy()
    path = out / "homogeneity.csv"
    df.to_csv(path, index=False)
    res.tables["homogeneity"] = path
    params["homogeneity"] = {"data": path.name, "bayes": False}
    res.carried.append(f"homogeneity: {len(df)} results of {df['analyte'].nunique()} analytes")


def _stability(parts, out, params, analytes, res):
    s = parts.get("stability")
    if s is None or len(s) == 0:
        return
    df = pd.DataFrame(
        {
            "analyte": s["analyte"].astype(str),
            "date": (EPOCH + pd.to_timedelta(s["Date"].astype(float), "D")).dt.strftime("%Y-%m-%d"),
            "value": s["Value"].astype(float),
        }
    )
    path = out / "stability.csv"
    df.to_csv(path, index=False)
    res.tables["stability.long_term"] = path
    span = _span_months(df)
    params["stability"] = {"long_term": {"data": path.name, "shelf_life": span}}
    res.carried.append(f"stability: {len(df)} results of {df['analyte'].nunique()} analytes")
    res.not_carried.append(
        f"the shelf life (an eCerto backup holds none): set to the span of the "
        f"stability data, {span} months; change it to the one you certify"
    )


def _span_months(df) -> int:
    d = pd.to_datetime(df["date"])
    return max(1, int((d.max() - d.min()).days / 30.4375))


def _lts(parts, out, params, analytes, res):
    df = parts["stability"].assign(date=lambda x: x["date"].dt.strftime("%Y-%m-%d"))
    path = out / "stability.csv"
    df.to_csv(path, index=False)
    res.tables["stability.long_term"] = path
    span = _span_months(df)
    params["stability"] = {"long_term": {"data": path.name, "shelf_life": span}}
    res.carried.append(
        f"monitoring results: {len(df)} of {df['analyte'].nunique()} properties, read as a "
        "long-term stability study (regression on time)"
    )
    for d in parts["lts_def"]:
        kw = str(d["KW"].iloc[0])
        res.not_carried.append(
            f"{kw}: the certified value {d['CertVal'].iloc[0]} ± {d['U'].iloc[0]} "
            f"({d['U_Def'].iloc[0]}) of {d['RM'].iloc[0]} (an LTS lot has no "
            "characterization in rmwork)"
        )
    res.not_carried.append(f"the shelf life: set to the span of the monitoring data, {span} months")


def _certification(parts, out, params, analytes, res):
    c = parts.get("certification")
    if c is None or len(c) == 0:
        return
    apm = parts.get("apm") or {}
    df = pd.DataFrame(
        {
            "ID": c["ID"].astype(int),
            "analyte": c["analyte"].astype(str),
            "lab": c["Lab"].astype(str),
            "replicate": c["replicate"].astype(str),
            "value": c["value"].astype(float),
            "file": c["File"].astype(str),
        }
    )
    flt = c["S_flt"].astype(bool).to_numpy().copy() if "S_flt" in c.columns else np.zeros(len(df), bool)
    for a, s in apm.items():
        ids = {int(float(x)) for x in _strings(s.get("sample_filter"))}
        flt |= ((df["analyte"] == str(a)) & df["ID"].isin(ids)).to_numpy()
    units = {a: _unit(g) for a, g in c.groupby(c["analyte"].astype(str), observed=True)["unit"]}
    kept, dropped = df[~flt], df[flt]
    path = out / "characterization.csv"
    kept.drop(columns=["ID"]).to_csv(path, index=False)
    res.tables["characterization"] = path
    if len(dropped):
        xp = out / "excluded_results.csv"
        dropped.assign(reason=f"sample filter: {REASON}").to_csv(xp, index=False)
        res.tables["excluded results"] = xp
        res.carried.append(f"sample filters: {len(dropped)} results left out (listed in {xp.name})")
    exclude = []
    for a, s in apm.items():
        for lab in _strings(s.get("lab_filter")):
            exclude.append({"lab": lab, "analyte": str(a), "reason": REASON})
        prec = _scalar(s.get("precision"))
        if prec is not None and not (isinstance(prec, float) and np.isnan(prec)):
            analytes.setdefault(str(a), {})["precision"] = int(prec)
        if bool(_scalar(s.get("pooling"))):
            res.not_carried.append(
                f"{a}: pooling (eCerto pools all results; rmwork characterizes from lab "
                "means, so the value and u_char of this analyte differ from eCerto's)"
            )
    for a, u in units.items():
        if u:
            analytes.setdefault(a, {})["unit"] = u
        else:
            res.not_carried.append(
                f"{a}: the unit (the backup's unit column holds "
                f"{', '.join(sorted(set(map(str, c.loc[c['analyte'].astype(str) == a, 'unit']))))[:40]})"
            )
    ch = {"data": path.name, "method": "mean"}
    certified = _certified(parts.get("materialtabelle"))
    others = sorted(set(kept["analyte"]) - set(certified))
    if certified and others:
        # eCerto certified only these; the others' data are kept in the table, not characterized
        ch["analytes"] = certified
        res.not_carried.append(
            f"{', '.join(others)}: no certified value in the backup; their results are "
            "in the table but not characterized (add them to characterization.analytes)"
        )
    if exclude:
        ch["exclude"] = exclude
        res.carried.append(f"lab filters: {', '.join(e['lab'] + ' (' + e['analyte'] + ')' for e in exclude)}")
    params["characterization"] = ch
    res.carried.append(
        f"characterization: {len(kept)} results of {kept['lab'].nunique()} labs; method "
        "'mean' (eCerto's certified value is the mean of the lab means)"
    )
    if any("precision" in v for v in analytes.values()):
        res.carried.append("precision per analyte")
