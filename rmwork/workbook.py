"""A lot's workbook: its validated parameters, its data, and each study run over every analyte.

This is what a notebook talks to (``wb = rmwork.workbook.open(lot_file)``), so that notebooks
need no loops and no logic.  It reads files and calls the compute modules; it does no statistics
itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__, io, params
from .errors import InputError
from .results import plain


@dataclass
class Workbook:
    lot: params.Lot
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    results: dict = field(default_factory=dict)

    # -- parameters --------------------------------------------------------------------------
    @property
    def p(self) -> params.LotParameters:
        return self.lot.params

    @property
    def language(self) -> str:
        return self.p.language

    def unit_of_measure(self, analyte: str, df: pd.DataFrame | None = None) -> str:
        a = self.p.analytes.get(analyte)
        if a is not None and a.unit:
            return a.unit
        if df is not None and "unit_of_measure" in df.columns:
            vals = df["unit_of_measure"].dropna().astype(str).unique()
            if len(vals) > 1:
                raise InputError(f"analyte '{analyte}' mixes units {', '.join(vals)}",
                                 file=df.attrs.get("file"), column="unit_of_measure",
                                 hint="convert to one unit")
            if len(vals) == 1:
                return vals[0]
        return ""

    def parameters_frame(self) -> pd.DataFrame:
        flat = _flatten(self.p.model_dump(mode="json", exclude_defaults=False))
        return pd.DataFrame({"key": list(flat), "value": [str(v) for v in flat.values()]})

    # -- homogeneity ---------------------------------------------------------------------------
    def homogeneity_data(self) -> dict[str, pd.DataFrame]:
        """One frame per analyte (and sub-group), keyed 'analyte' or 'analyte (group)'."""
        if "homogeneity" not in self.data:
            return {}
        df = self.data["homogeneity"]
        out = {}
        keys = ["analyte", "group"] if "group" in df.columns else ["analyte"]
        for k, g in df.groupby(keys, sort=False):
            k = k if isinstance(k, tuple) else (k,)
            name = k[0] if len(k) == 1 else f"{k[0]} ({k[1]})"
            out[str(name)] = g.reset_index(drop=True)
        return out

    def homogeneity(self) -> dict:
        from . import homogeneity as hmod

        h = self.p.homogeneity
        if h is None:
            return {}
        studies = {}
        for key, g in self.homogeneity_data().items():
            analyte = str(g["analyte"].iloc[0])
            group = str(g["group"].iloc[0]) if "group" in g.columns else ""
            uom = self.unit_of_measure(analyte, g)
            mean = float(g.groupby("unit")["value"].mean().mean())
            studies[key] = hmod.study(
                g, analyte=analyte, group=group, unit_of_measure=uom, alpha=h.alpha,
                sigma_pt=self.lot.sigma_pt(analyte, mean), bayes=h.bayes,
                seed=self.p.seed, sampler_settings=self.p.sampler.model_dump(),
                where=f"{g.attrs.get('file') or self.data['homogeneity'].attrs.get('file')}, analyte '{key}'")
        self.results["homogeneity"] = studies
        return studies

    # -- results.json --------------------------------------------------------------------------
    def results_json(self) -> dict:
        """Every number of the report under the contract's keys (CONTRACT.md, results.json)."""
        analytes: dict[str, dict] = {}
        for key, st in self.results.get("homogeneity", {}).items():
            a = analytes.setdefault(st.analyte, {"unit": st.anova.unit_of_measure})
            entry = st.anova.to_dict()
            entry.update({
                "criterion": st.criterion.to_dict() if st.criterion else None,
                "trends": [t.to_dict() for t in st.trends],
                "cochran": st.cochran.to_dict() if st.cochran is not None else None,
                "grubbs": st.grubbs.to_dict() if st.grubbs is not None else None,
                "bayes": st.bayes.to_dict() if st.bayes is not None else None,
                "conclusion": st.conclusion,
            })
            entry = {k: v for k, v in entry.items() if v is not None}
            if st.group:
                # several sub-groups: the largest u_bb is the one a certificate uses
                groups = a.setdefault("homogeneity", {"method": "anova", "groups": {}})
                groups["groups"][st.group] = entry
                worst = max(groups["groups"].values(), key=lambda e: e["u_bb"])
                for k in ("ms_between", "ms_within", "f_statistic", "p_value", "n0", "s_bb",
                          "u_bb_star", "u_bb", "u_bb_rel", "mean"):
                    groups[k] = worst.get(k)
                groups["governing_group"] = [g for g, e in groups["groups"].items() if e is worst][0]
            else:
                a["homogeneity"] = entry
        return plain({"lot": self.p.lot, "material": self.p.material, "rmwork_version": __version__,
                      "seed": self.p.seed, "language": self.p.language, "analytes": analytes})

    def record(self, output_dir: str | Path | None) -> dict:
        """Write ``results.json`` (sorted keys, so identical inputs give identical bytes)."""
        res = self.results_json()
        if output_dir:
            out = Path(output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "results.json").write_text(json.dumps(res, indent=2, sort_keys=True,
                                                         ensure_ascii=False) + "\n", encoding="utf-8")
        return res


def _flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def read(lot: params.Lot, source: params.DataSource, study: str) -> pd.DataFrame:
    """Read one data table the lot names; messages show the path as written in the lot file."""
    return io.read_table(lot.resolve(source.data), study=study, sheet=source.sheet,
                         decimal=source.decimal, encoding=source.encoding, display_name=source.data)


def load_data(lot: params.Lot) -> dict[str, pd.DataFrame]:
    """Read and check every data table the lot names (raises InputError naming file/row/column)."""
    p = lot.params
    data = {}
    if p.homogeneity:
        h = p.homogeneity
        data["homogeneity"] = read(lot, h, "homogeneity")
        df = data["homogeneity"]
        key = ["analyte", "group"] if "group" in df.columns else ["analyte"]
        for k, g in df.groupby(key, sort=False):
            n_units = g["unit"].nunique()
            if n_units < 2:
                raise InputError(f"analyte '{k[0]}' has {n_units} unit; one-way ANOVA (ISO Guide "
                                 "35:2017, 7.7) needs at least 2", file=df.attrs["file"],
                                 hint="add results from more units")
            if g.groupby("unit").size().max() < 2:
                raise InputError(f"analyte '{k[0]}': one-way ANOVA (ISO Guide 35:2017, 7.7) needs at "
                                 "least one unit with 2 results; every unit has 1",
                                 file=df.attrs["file"], hint="add replicate results per unit")
    return data


def open(lot_file) -> Workbook:  # noqa: A001 - the notebook's one call
    """Load and validate a lot's parameter file and every data table it names."""
    lot = params.load(lot_file)
    return Workbook(lot=lot, data=load_data(lot))
