"""Workbook of verification and proficiency lots (``kind: verification`` / ``kind: proficiency``).

What ``notebooks/verification_report.ipynb`` talks to, as ``rmwork.workbook`` is for a
certification lot: it validates the lot's extra keys, reads its tables and the certificate
(an rmwork report folder after ``verify`` passes, a DRMD v0.3.0 XML, or values typed in), and
runs :mod:`rmwork.verification` and :mod:`rmwork.proficiency`.  It also says which notebook a
lot's kind needs and in which order a batch must run lots that read another lot's report.
Every check a user can fail runs in :func:`load_data`, before any kernel starts.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, params
from .errors import InputError
from .results import Result, plain
from .workbook import Workbook

NOTEBOOK = {
    "certification": "certification_report.ipynb",
    "verification": "verification_report.ipynb",
    "proficiency": "verification_report.ipynb",
}
_STUDIES = ("homogeneity", "stability", "characterization")


def notebooks(lot: params.Lot) -> tuple[str, ...]:
    """The notebook(s) the runner executes for a lot, chosen by its ``kind``."""
    return (NOTEBOOK[lot.params.kind],)


# ---------------------------------------------------------------------------------------------
# schema checks (called from params.LotParameters' validator: raise ValueError)

# ---------------------------------------------------------------------------------------------
# certificates


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate(Result):
    """The certified values a verification compares with, and where they come from."""

    source_kind: str  # report | drmd | typed
    source: str  # the folder or file as written in the lot file ("" when typed)
    entries: dict = field(default_factory=dict)  # analyte -> rmwork.verification.CertifiedEntry
    notes: tuple[str, ...] = ()


def _typed(spec: dict) -> Certificate:
    from .verification import CertifiedEntry

    entries = {
        str(a): CertifiedEntry(
            analyte=str(a),
            value=float(v.value),
            U=float(v.U),
            k=float(v.k),
            u=float(v.U) / float(v.k),
            unit_of_measure=v.unit or "",
            source="typed",
        )
        for a, v in spec.items()
    }
    return Certificate(
        source_kind="typed",
        source="",
        entries=entries,
        notes=("certified values typed into the parameter file",),
    )


def _from_report(folder: Path, shown: str, where: str) -> Certificate:
    """Certified values of an rmwork report folder, only after ``rmwork verify`` passes."""
    from .report import provenance
    from .verification import CertifiedEntry

    problems = provenance.verify(folder)
    if problems:
        raise InputError(
            f"the certificate report folder '{shown}' fails rmwork verify: {problems[0]}",
            file=where,
            key="verification.certificate",
            hint="regenerate the certified lot's report with rmwork run, or restore the folder",
        )
    res = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    entries = {}
    for a, d in (res.get("analytes") or {}).items():
        c = d.get("certified")
        if not c or c.get("status") == "withheld" or c.get("value_rounded") is None:
            continue
        value, U, k = float(c["value_rounded"]), float(c["U_rounded"]), float(c["k"])
        entries[a] = CertifiedEntry(
            analyte=a,
            value=value,
            U=U,
            k=k,
            u=U / k,
            unit_of_measure=c.get("unit") or d.get("unit") or "",
            source=f"{shown} (lot {res.get('lot')})",
        )
    return Certificate(
        source_kind="report",
        source=shown,
        entries=entries,
        notes=(
            f"certified values as printed on the certificate of lot {res.get('lot')} "
            "(rounded value and U, and k); the report folder passed rmwork verify",
        ),
    )


def _from_drmd(path: Path, shown: str, where: str) -> Certificate:
    """Certified values of a DRMD v0.3.0 document, after it validates against the schema."""
    from lxml import etree

    from .drmd import NS, validate_drmd
    from .verification import CertifiedEntry

    try:
        validate_drmd(path)
    except InputError as exc:
        raise InputError(
            f"'{shown}': {exc.problem}", file=where, key="verification.certificate", hint=exc.hint
        ) from None
    doc = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))
    entries = {}
    for real in doc.iterfind(".//drmd:materialProperties[@isCertified='true']//si:real", NS):
        label = real.findtext("si:label", namespaces=NS)
        ex = real.find("si:measurementUncertaintyUnivariate/si:expandedMU", NS)
        if not label or ex is None:
            continue
        U, k = (
            float(ex.findtext("si:valueExpandedMU", namespaces=NS)),
            float(ex.findtext("si:coverageFactor", namespaces=NS)),
        )
        entries[label.strip()] = CertifiedEntry(
            analyte=label.strip(),
            value=float(real.findtext("si:value", namespaces=NS)),
            U=U,
            k=k,
            u=U / k,
            unit_of_measure=(real.findtext("si:unit", namespaces=NS) or "").strip(),
            source=shown,
        )
    return Certificate(
        source_kind="drmd",
        source=shown,
        entries=entries,
        notes=("certified values read from the DRMD (validated against drmd.xsd v0.3.0)",),
    )


def read_certificate(lot: params.Lot) -> Certificate:
    """The lot's certificate: a report folder (after verify), a DRMD XML, or typed values."""
    spec, where = lot.params.verification.certificate, str(lot.path.name)
    if not isinstance(spec, str):
        return _typed(spec)
    path = lot.resolve(spec)
    if path.is_dir():
        return _from_report(path, spec, where)
    if path.is_file() and path.suffix.lower() == ".xml":
        return _from_drmd(path, spec, where)
    if not path.exists():
        raise InputError(
            f"certificate '{spec}' does not exist",
            file=where,
            key="verification.certificate",
            hint="run the certified lot first (its report folder), or name a DRMD .xml file",
        )
    raise InputError(
        f"certificate '{spec}' is neither a report folder nor a DRMD .xml file",
        file=where,
        key="verification.certificate",
        hint="name reports/<lot> or certificate.drmd.xml",
    )


# ---------------------------------------------------------------------------------------------
# data


def _optional_numbers(df: pd.DataFrame, cols, name: str) -> pd.DataFrame:
    """Optional numeric columns: empty cells become NaN (no u reported), text is refused with its row."""
    for col in cols:
        if col not in df.columns:
            continue
        out = []
        for v, r in zip(df[col].tolist(), df["source_row"].tolist()):
            s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
            if s == "":
                out.append(math.nan)
                continue
            try:
                x = float(s)
            except ValueError:
                raise InputError(
                    f"'{s}' is not a number",
                    file=name,
                    row=r,
                    column=col,
                    hint="enter a number or leave the cell empty",
                ) from None
            if not (math.isfinite(x) and x > 0):
                raise InputError(
                    f"{col} must be a positive number, got {s}",
                    file=name,
                    row=r,
                    column=col,
                    hint="enter a positive number or leave the cell empty",
                )
            out.append(x)
        df[col] = out
    return df


def _read(lot, src, key: str, layout: str, data):
    """One table of the lot (``key`` as in :meth:`rmwork.params.Lot.sources`, read with the
    ``layout`` study's columns), its bytes hashed into ``data.inputs``."""
    from .workbook import read

    return read(lot, src, key, data.inputs, layout=layout)


def _for_analyte(df: pd.DataFrame, analyte: str, name: str) -> pd.DataFrame:
    if "analyte" not in df.columns or df["analyte"].nunique() == 1 and df["analyte"].iloc[0] == "value":
        return df
    g = df[df["analyte"] == analyte]
    if g.empty:
        raise InputError(
            f"no results for analyte '{analyte}'",
            file=name,
            column="analyte",
            hint=f"the table has {', '.join(map(str, df['analyte'].unique()))}",
        )
    return g.reset_index(drop=True)


def load_data(lot: params.Lot) -> dict[str, pd.DataFrame]:
    """Read and check a verification or proficiency lot's tables; run the statistics once so that
    every problem (missing u, sigma_pt <= 0, too few participants, a certificate that fails
    verify, an analyte the certificate lacks) is one line before any kernel starts."""
    from .workbook import LotData

    p, data = lot.params, LotData(lot)
    if p.verification is not None:
        v = p.verification
        df = _optional_numbers(_read(lot, v, "verification", "verification", data), ("u",), v.data)
        data["verification"] = df
        wb = ComparisonWorkbook(lot=lot, data=data)
        wb.verification()
        # the certificate as read and checked now is what the kernel compares with (read once)
        data.certificate = wb.certificate()
        f = lot.certificate_file()
        if f is not None:
            raw = f.read_bytes()
            data.inputs["verification.certificate"] = {
                "path": str(f),
                "file": str(v.certificate),
                "sha256": hashlib.sha256(raw).hexdigest(),
                "size": len(raw),
                "study": "verification.certificate",
                "rows": 0,
                "sheets": [],
            }
    if p.proficiency is not None:
        pt = p.proficiency
        df = _optional_numbers(_read(lot, pt, "proficiency", "participants", data), ("u", "k"), pt.data)
        if "analyte" in df.columns:
            df = _for_analyte(df, pt.analyte, pt.data)
        data["participants"] = df
        if pt.homogeneity is not None:
            data["pt_homogeneity"] = _for_analyte(
                _read(lot, pt.homogeneity, "proficiency.homogeneity", "homogeneity", data),
                pt.analyte,
                pt.homogeneity.data,
            )
        if pt.stability is not None:
            data["pt_stability"] = _for_analyte(
                _read(lot, pt.stability, "proficiency.stability", "stability", data),
                pt.analyte,
                pt.stability.data,
            )
        ComparisonWorkbook(lot=lot, data=data).proficiency()
    return data


# ---------------------------------------------------------------------------------------------
# the workbook


@dataclass
class ComparisonWorkbook(Workbook):
    """A verification or proficiency lot: parameters, data and results (no statistics here)."""

    @property
    def kind(self) -> str:
        return self.p.kind

    def parameters_frame(self) -> pd.DataFrame:
        """Table P1: the keys a verification or proficiency lot uses (certification sections left out)."""
        from .workbook import _flatten

        skip = ("homogeneity", "stability", "characterization", "certificate", "sampler")
        d = {
            k: v
            for k, v in self.p.model_dump(mode="json").items()
            if k not in skip and v not in (None, {}, [])
        }
        flat = _flatten(d)
        return pd.DataFrame({"key": list(flat), "value": [str(v) for v in flat.values()]})

    def certificate(self) -> Certificate:
        if "certificate_source" not in self.results:
            # the runner's snapshot carries the certificate it read and checked (issue 13: read once)
            self.results["certificate_source"] = getattr(self.data, "certificate", None) or read_certificate(
                self.lot
            )
        return self.results["certificate_source"]

    def verification(self) -> dict:
        """Per analyte: the laboratory's result against the certified value (ERM Application Note 1)."""
        from . import verification as vmod
        from .drmd import to_dsi_unit

        v = self.p.verification
        if v is None:
            return {}
        cert = self.certificate()
        df = self.data["verification"]
        comps = [c.model_dump() for c in v.components]
        labs, out = {}, {}
        for a, g in df.groupby("analyte", sort=False):
            a = str(a)
            entry = cert.entries.get(a)
            if entry is None:
                shown = cert.source or "the typed certificate"
                raise InputError(
                    f"analyte '{a}' is not certified in {shown}",
                    file=v.data,
                    column="analyte",
                    hint=f"the certificate has {', '.join(cert.entries) or 'no certified value'}",
                )
            uom = self.unit_of_measure(a, g) or entry.unit_of_measure
            if cert.source_kind == "drmd" and uom and to_dsi_unit(uom) == entry.unit_of_measure:
                from dataclasses import replace

                entry = replace(entry, unit_of_measure=uom)  # the DRMD writes the unit in D-SI
            lab = vmod.lab_result(
                g, analyte=a, unit_of_measure=uom, components=comps, where=f"{v.data}, analyte '{a}'"
            )
            labs[a] = lab
            out[a] = vmod.compare(lab, entry, k=v.k)
        self.results["verification_lab"] = labs
        self.results["verification"] = out
        return out

    def _stability_pairs(self, hom: dict) -> dict:
        st = self.data.get("pt_stability")
        if st is None:
            return {}
        if "group" in st.columns:
            return {
                k: self._stability_pair(g.reset_index(drop=True), hom.get(k, hom.get("")))
                for k, g in st.groupby(st["group"].astype(str), sort=False)
            }
        return {"": self._stability_pair(st, hom.get(""))}

    def _stability_pair(self, st: pd.DataFrame, hom: pd.DataFrame | None) -> tuple:
        """(first, second, basis) of ISO 13528:2022 B.5: two times, or one time and the homogeneity study."""
        if "time" not in st.columns:
            from .stability import months_from_dates

            st = st.assign(time=months_from_dates(st["date"]))
        times = sorted(st["time"].unique())
        if len(times) == 2:
            return (
                st.loc[st["time"] == times[0], "value"].to_numpy(float),
                st.loc[st["time"] == times[1], "value"].to_numpy(float),
                "first time point",
            )
        if len(times) == 1 and hom is not None:
            return (hom["value"].to_numpy(float), st["value"].to_numpy(float), "homogeneity study")
        raise InputError(
            f"the stability check (ISO 13528:2022, B.5) needs results at 2 times (or at 1 time "
            f"and a homogeneity study), found {len(times)} times",
            file=self.p.proficiency.stability.data,
            column="time",
            hint="give the results before and after the round",
        )

    def proficiency(self):
        """The round's assessment, item by item (ISO 13528:2022)."""
        from .proficiency import assess_round

        pt = self.p.proficiency
        if pt is None:
            return None
        df = self.data["participants"]
        uom = pt.unit_of_measure or self.unit_of_measure(pt.analyte, df)
        hom = {}
        if "pt_homogeneity" in self.data:
            h = self.data["pt_homogeneity"]
            hom = (
                {"": h}
                if "group" not in h.columns
                else {str(k): g.reset_index(drop=True) for k, g in h.groupby("group", sort=False)}
            )
        res = assess_round(
            df,
            analyte=pt.analyte,
            assigned=pt.assigned,
            sigma_pt=pt.sigma_pt,
            certified=pt.certified.model_dump() if pt.certified else None,
            experts=pt.experts,
            k=pt.k,
            scores=pt.scores,
            unit_of_measure=uom,
            mass_fraction_factor=pt.mass_fraction_factor,
            homogeneity=hom or None,
            stability=self._stability_pairs(hom) or None,
            alpha=pt.homogeneity.alpha if pt.homogeneity else 0.05,
            where=pt.data,
        )
        self.results["proficiency"] = res
        return res

    def results_json(self) -> dict:
        """results.json: ``verification.<analyte>.{delta, u_delta, k, en, passed}`` or
        ``proficiency.{assigned_value, u_assigned, sigma_pt, participants.<code>.{z, z_prime, zeta, en, class}}``."""
        out = {
            "lot": self.p.lot,
            "material": self.p.material,
            "rmwork_version": __version__,
            "kind": self.kind,
            "seed": self.p.seed,
            "language": self.p.language,
        }
        if "verification" in self.results:
            labs = self.results["verification_lab"]
            out["verification"] = {
                a: {**r.to_dict(), "lab": labs[a].to_dict()} for a, r in self.results["verification"].items()
            }
            out["certificate_source"] = self.certificate().to_dict()
        if self.results.get("proficiency") is not None:
            out["proficiency"] = self.results["proficiency"].to_dict()
        return plain(out)


def open(lot_file) -> ComparisonWorkbook:  # noqa: A001 - the notebook's one call
    """Load and validate a verification or proficiency lot and every table it names."""
    from .workbook import SNAPSHOT, LotData, _plugin_fits

    fits = _plugin_fits()  # the run layer's kernel plug-in, as workbook.open
    if Path(lot_file).name == SNAPSHOT:  # the runner's snapshot: the lot as read and hashed
        data = LotData.load(lot_file)
        return ComparisonWorkbook(lot=data.lot, data=data, fits=fits)
    lot = params.load(lot_file)
    if lot.params.kind == "certification":
        raise InputError(
            "is a certification lot",
            file=str(lot_file),
            key="kind",
            hint="run it with notebooks/certification_report.ipynb (rmwork run chooses it)",
        )
    return ComparisonWorkbook(lot=lot, data=load_data(lot), fits=fits)


# ---------------------------------------------------------------------------------------------
# batch order


def batch_phases(files: list[str]) -> list[list[str]]:
    """Split a batch so that a verification lot reading another lot's report folder runs after it.

    A lot whose ``verification.certificate`` names the report folder of a lot in the same batch
    goes into the second phase; every other lot (and any file that does not load) into the first.
    """
    lots, certs = {}, {}
    for f in files:
        try:
            lot = params.load(f)
        except Exception:  # noqa: BLE001 - the run reports it as the lot's failure
            continue
        lots[f] = lot.params.lot
        v = lot.params.verification
        if (
            lot.params.kind == "verification"
            and v is not None
            and isinstance(v.certificate, str)
            and not v.certificate.lower().endswith(".xml")
        ):
            certs[f] = Path(v.certificate).name
    names = set(lots.values())
    second = [f for f in files if certs.get(f) in names and certs.get(f) != lots.get(f)]
    first = [f for f in files if f not in second]
    return [ph for ph in (first, second) if ph]


def load_lot_data(lot: params.Lot):
    """Every data table of a lot of any kind, read once and hashed (:class:`rmwork.workbook.LotData`):
    a certification lot's studies, or a verification or proficiency lot's tables."""
    from .workbook import load_data as load_certification

    return load_certification(lot) if lot.params.kind == "certification" else load_data(lot)
