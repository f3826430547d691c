"""A lot's workbook: its validated parameters, its data, and each study run over every analyte.

This is what a notebook talks to (``wb = rmwork.workbook.open(lot_file)``), so that notebooks
need no loops and no logic.  It reads files and calls the compute modules; it does no statistics
itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
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
    # Bayesian sensitivity fits running in the background: (section, key) -> (future, attach)
    _jobs: dict = field(default_factory=dict, repr=False)
    _on_settle: list = field(default_factory=list, repr=False)
    _pool: object = field(default=None, repr=False)

    # -- Bayesian sensitivity models ----------------------------------------------------------
    def _sensitivity(self, section: str, key: str, fit, attach) -> None:
        """Run a Bayesian sensitivity model (it is not used on the certificate) and attach it.

        When a sampling service fits for this kernel (``rmwork run``/``batch``), the fit runs in a
        background thread: the service may still be compiling the structure, and the classical
        studies need not wait for it.  :meth:`settle` collects the fits (``record`` calls it), and
        the report's placeholders are updated in place.  Without a service (JupyterLab) it runs now.
        Either way the numbers are the same (same structure, same seed).
        """
        from .bayes import service

        if not service.configured():
            attach(fit())
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rmwork-bayes")
            # import the posterior summaries' code (arviz_stats, about 1 s) while the service
            # compiles, not after the first fit returns
            from .bayes import diagnostics

            self._pool.submit(diagnostics._array_stats)
        self._jobs[(section, key)] = (self._pool.submit(fit), attach)

    def pending(self, section: str, key: str | None = None) -> bool:
        """Whether Bayesian fits of ``section`` (and ``key``) are still to be collected."""
        return any(s == section and (key is None or k == key) for s, k in self._jobs)

    def pending_keys(self, section: str) -> list[str]:
        return [k for s, k in self._jobs if s == section]

    def on_settle(self, callback) -> None:
        """Call ``callback()`` once every background fit is attached (now, if none is pending)."""
        if self._jobs:
            self._on_settle.append(callback)
        else:
            callback()

    def settle(self) -> None:
        """Wait for the background Bayesian fits, attach them in order, run the callbacks."""
        jobs = list(self._jobs.items())
        try:
            for _, (future, attach) in jobs:
                attach(future.result())
        finally:
            self._jobs.clear()
        callbacks, self._on_settle = self._on_settle, []
        for cb in callbacks:
            cb()

    # -- parameters --------------------------------------------------------------------------
    @property
    def p(self) -> params.LotParameters:
        return self.lot.params

    @property
    def language(self) -> str:
        return self.p.language

    def unit_of_measure(self, analyte: str, df: pd.DataFrame | None = None) -> str:
        """The unit of a study's values: the data's own unit first, else the lot's analyte setting."""
        a = self.p.analytes.get(analyte)
        if df is not None and "unit_of_measure" in df.columns:
            vals = df["unit_of_measure"].dropna().astype(str).unique()
            if len(vals) > 1:
                raise InputError(f"analyte '{analyte}' mixes units {', '.join(vals)}",
                                 file=df.attrs.get("file"), column="unit_of_measure",
                                 hint="convert to one unit")
            if len(vals) == 1:
                return vals[0]
        return a.unit if a is not None and a.unit else ""

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
                sigma_pt=self.lot.sigma_pt(analyte, mean), bayes=False,
                where=f"{g.attrs.get('file') or self.data['homogeneity'].attrs.get('file')}, analyte '{key}'")
            if h.bayes:
                self._sensitivity(
                    "homogeneity", key,
                    lambda g=g: hmod.bayes_model(g, seed=self.p.seed, settings=self.p.sampler.model_dump()),
                    lambda fit, key=key: studies.__setitem__(key, replace(studies[key], bayes=fit)))
        self.results["homogeneity"] = studies
        return studies

    # -- stability ------------------------------------------------------------------------------
    def _stability_frame(self, source, study_key: str) -> pd.DataFrame:
        df = self.data[study_key].copy()
        if "time" not in df.columns:
            from .stability import months_from_dates

            # eCerto's basis: months from each analyte's first date at 30.4375 days per month
            df["time"] = 0.0
            for a, idx in df.groupby("analyte", sort=False).groups.items():
                df.loc[idx, "time"] = months_from_dates(df.loc[idx, "date"])
        temp = getattr(source, "temperature", None)
        if temp is not None and "temperature" in df.columns and study_key != "stability.transport":
            df = df[df["temperature"] == temp]
        return df

    def stability(self, *, sensitivity: bool = True) -> dict:
        """Every stability study per analyte (ISO Guide 35:2017, 8, B.3): {analyte: StabilityStudy}.

        ``sensitivity=False`` leaves out the Bayesian sensitivity fit (``rmwork validate`` runs the
        classical fits, which check every stability input ``run`` checks, in well under a second).
        """
        from . import stability as smod

        st = self.p.stability
        if st is None:
            return {}
        parts: dict[str, dict] = {}
        if st.long_term is not None:
            df = self._stability_frame(st.long_term, "stability.long_term")
            for a, g in df.groupby("analyte", sort=False):
                parts.setdefault(str(a), {}).update(
                    long_term=smod.regression(
                        g, shelf_life=st.long_term.shelf_life, use_means=st.use_means, alpha=st.alpha,
                        analyte=str(a), unit_of_measure=self.unit_of_measure(str(a), g),
                        adequacy_alpha=st.adequacy_alpha,
                        **_fit_window(st.long_term, str(a), g, "stability.long_term"),
                        where=f"{st.long_term.data}, analyte '{a}'"),
                    long_term_data=g)
        if st.isochronous is not None:
            iso = st.isochronous
            df = self._stability_frame(iso, "stability.isochronous")
            for a, g in df.groupby("analyte", sort=False):
                parts.setdefault(str(a), {})["isochronous"] = smod.isochronous(
                    g, iso.reference_temperature, shelf_life=iso.shelf_life, use_means=st.use_means,
                    alpha=st.alpha, analyte=str(a), unit_of_measure=self.unit_of_measure(str(a), g),
                    where=f"{iso.data}, analyte '{a}'")
        if st.transport is not None:
            df = self._stability_frame(st.transport, "stability.transport")
            for a, g in df.groupby("analyte", sort=False):
                parts.setdefault(str(a), {}).update(
                    transport=smod.transport(
                        g, st.transport.duration, st.transport.temperature, use_means=st.use_means,
                        alpha=st.alpha, analyte=str(a), unit_of_measure=self.unit_of_measure(str(a), g),
                        adequacy_alpha=st.adequacy_alpha,
                        **_fit_window(st.transport, str(a), g, "stability.transport"),
                        where=f"{st.transport.data}, analyte '{a}'"),
                    transport_data=g)
        if st.accelerated is not None:
            df = self._stability_frame(st.accelerated, "stability.accelerated")
            for a, g in df.groupby("analyte", sort=False):
                parts.setdefault(str(a), {}).update(
                    accelerated=smod.arrhenius(
                        g, storage_temperature=st.accelerated.storage_temperature,
                        limit=st.accelerated.limit, analyte=str(a),
                        unit_of_measure=self.unit_of_measure(str(a), g),
                        where=f"{st.accelerated.data}, analyte '{a}'"),
                    accelerated_data=g)
        out = {a: smod.StabilityStudy(analyte=a, unit_of_measure=_study_unit(kw), **kw)
               for a, kw in parts.items()}
        if st.bayes and sensitivity:
            for a, study in out.items():
                if study.long_term is not None:
                    g, r = study.long_term_data, study.long_term
                    self._sensitivity(
                        "stability", a,
                        lambda g=g, r=r, a=a: smod.bayesian_trend(
                            g, shelf_life=st.long_term.shelf_life, seed=self.p.seed,
                            settings=self.p.sampler.model_dump(), use_means=st.use_means, analyte=a,
                            unit_of_measure=r.unit_of_measure,
                            **_fit_window(st.long_term, a, g, "stability.long_term"),
                            where=f"{st.long_term.data}, analyte '{a}'"),
                        lambda fit, study=study: study.attach("bayes", fit))
        self.results["stability"] = out
        return out

    # -- characterization -----------------------------------------------------------------------
    def characterization(self) -> dict:
        """Value assignment per analyte (ISO Guide 35:2017, clause 9): screening, estimator, DoE."""
        from . import characterization as cmod

        c = self.p.characterization
        if c is None:
            return {}
        df = self.data["characterization"]
        out = {}
        for a, g in df.groupby("analyte", sort=False):
            a = str(a)
            exclude = {e.lab: e.reason for e in c.exclude if e.analyte in (None, a)}
            summ = cmod.lab_summary(g, exclude=exclude, analyte=a,
                                    unit_of_measure=self.unit_of_measure(a, g))
            x, u, dof = list(summ.value), list(summ.u), list(summ.dof)
            kw = dict(labs=list(summ.lab), include=list(summ.include))
            res = cmod.consensus(x, u, dof, method=c.method, seed=self.p.seed,
                                 knapp_hartung=c.knapp_hartung, bayes_settings=self.p.sampler.model_dump(),
                                 analyte=a, unit_of_measure=summ.unit_of_measure, **kw)
            doe = cmod.degrees_of_equivalence(x, u, res, dof=dof, method=c.method, seed=self.p.seed, **kw)
            scr = cmod.screen(g, alpha=c.alpha, seed=self.p.seed, analyte=a, exclude=exclude)
            rec = cmod.recommend(x, u, dof, seed=self.p.seed, bayes_settings=self.p.sampler.model_dump(), **kw)
            bil = cmod.bilateral_degrees_of_equivalence(x, u, labs=list(summ.lab), analyte=a)
            out[a] = {"summary": summ, "consensus": res, "doe": doe, "screening": scr,
                      "recommendation": rec, "bilateral": bil, "frame": g}
        self.results["characterization"] = out
        return out

    # -- certificate ----------------------------------------------------------------------------
    def certificate(self) -> dict:
        """Uncertainty budget, k, U, rounding, checks and validity per characterized analyte."""
        from . import certificate as cert
        from . import stability as smod

        c = self.p.certificate
        chars = self.results.get("characterization") or {}
        stabs = self.results.get("stability") or {}
        homs = self.results.get("homogeneity") or {}
        out = {}
        for a, ch in chars.items():
            res = ch["consensus"]
            notes: list[str] = []
            uom = res.unit_of_measure
            hom = [st for st in homs.values() if st.analyte == a]
            u_bb = max((_transfer(st.anova.u_bb, st.anova.u_bb_rel, st.unit_of_measure, uom, res.value,
                                  f"u_bb ({st.group or 'homogeneity'})", notes) for st in hom), default=None)
            stab = stabs.get(a, {})
            lt, tr = stab.get("long_term"), stab.get("transport")
            u_lts = None if lt is None else _transfer(lt.u_lts, lt.u_lts_rel, lt.unit_of_measure, uom,
                                                       res.value, "u_lts", notes)
            u_sts = None if tr is None else _transfer(tr.u_sts, tr.u_sts_rel, tr.unit_of_measure, uom,
                                                       res.value, "u_sts", notes)
            extra = [cert.Component(name=e.name, u=None if e.relative else e.u,
                                    u_rel=e.u if e.relative else None,
                                    dof=e.dof if e.dof is not None else float("inf"), reason=e.reason)
                     for e in c.extra if e.analyte in (None, a)]
            bud = cert.budget(u_char=res.u, u_bb=u_bb, u_lts=u_lts, u_sts=u_sts, value=res.value,
                              dof={"u_char": res.dof}, extra=extra)
            cv = cert.certify(res.value, bud, coverage=c.coverage, k=c.k, rounding=c.rounding,
                              dof_rule=c.dof_rule, analyte=a, unit_of_measure=res.unit_of_measure)
            chk = cert.checks(cv, u_char=res.u, u_bb=u_bb, u_lts=u_lts, u_sts=u_sts)
            entry = {"budget": bud, "certified": cv, "notes": tuple(notes)}
            if lt is not None:
                if lt.significant:
                    # ISO Guide 35:2017 B.3: a significant trend is not an uncertainty; the shelf life
                    # is where the prediction band of the line leaves the certified value +- U
                    sl = smod.shelf_life_prediction(lt, res.value, cv.U)
                    supported = sl.shelf_life
                else:
                    u_rest = (res.u ** 2 + (u_bb or 0.0) ** 2
                              + (tr.u_sts if tr is not None else 0.0) ** 2) ** 0.5
                    sl = smod.shelf_life_suggestion(lt, u_rest, k=cv.k)
                    supported = sl.t_max_exact
                entry["shelf_life"] = sl
                chk = _with_validity_check(chk, supported, self.validity_months(), lt.significant)
            mon = self.data.get("stability.monitoring")
            if mon is not None and (mon["analyte"] == a).any():
                g = mon[mon["analyte"] == a]
                entry["monitoring"] = smod.monitoring_check(cv.value, cv.u, g["value"].to_numpy(float),
                                                            g["u"].to_numpy(float), k=cv.k, analyte=a)
            entry["checks"] = chk
            out[a] = entry
        self.results["certificate"] = out
        return out

    def validity_months(self) -> float | None:
        c, st = self.p.certificate, self.p.stability
        if c.validity_months is not None:
            return c.validity_months
        if st is not None and st.long_term is not None:
            return st.long_term.shelf_life
        return None

    def validity(self):
        """Validity period printed on the certificate, with its justification."""
        from . import certificate as cert

        c = self.p.certificate
        months = c.validity_months
        st = self.p.stability
        if months is None and st is not None and st.long_term is not None:
            months = st.long_term.shelf_life
        if months is None or c.certification_date is None:
            return None
        return cert.validity_period(months, c.certification_date)

    def metadata(self):
        from . import certificate as cert

        c = self.p.certificate
        d = {k: getattr(c, k) for k in (
            "producer", "rm_number", "certificate_id", "description", "intended_use", "storage",
            "instructions", "traceability", "safety", "methods", "minimum_sample_intake",
            "minimum_sample_intake_unit", "producer_address", "producer_city",
            "producer_country_code", "producer_email", "approver", "approver_role")}
        d.update(material=self.p.material, lot=self.p.lot, language=self.p.language,
                 certification_date=c.certification_date.isoformat() if c.certification_date else "",
                 validity=self.validity())
        return cert.CertificateMetadata.from_mapping(d)

    def write_drmd(self, output_dir) -> str:
        """Write the Digital Reference Material Document (DRMD v0.3.0) next to results.json."""
        from . import drmd

        certs = self.results.get("certificate") or {}
        if not certs:
            return "No certified values: no DRMD written."
        meta = self.metadata()
        missing = meta.missing()
        if missing or not meta.approver or not (meta.producer_city and meta.producer_country_code):
            need = missing + [k for k in ("approver", "producer_city", "producer_country_code")
                              if not getattr(meta, k)]
            return f"DRMD not written: certificate items missing: {', '.join(need)}."
        xml = drmd.to_drmd([e["certified"] for e in certs.values()], meta,
                           analyte_names=self.p.certificate.analyte_names or None)
        if output_dir:
            out = Path(output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "certificate.drmd.xml").write_bytes(xml)
            return "certificate.drmd.xml written and validated against the DRMD v0.3.0 schema."
        return "DRMD validated against the DRMD v0.3.0 schema (not written: no output folder)."

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
        for a, entry in (self.results.get("stability") or {}).items():
            an = analytes.setdefault(a, {})
            stab = {}
            if "long_term" in entry:
                r = entry["long_term"]
                an.setdefault("unit", r.unit_of_measure)
                stab["long_term"] = _drop_private(r.to_dict())
                if "bayes" in entry:
                    stab["long_term"]["bayes"] = entry["bayes"].to_dict()
            if "isochronous" in entry:
                stab["isochronous"] = {k: _drop_private(v.to_dict()) for k, v in entry["isochronous"].fits.items()}
            if "transport" in entry:
                stab["transport"] = _drop_private(entry["transport"].to_dict())
            if "accelerated" in entry:
                stab["accelerated"] = entry["accelerated"].to_dict()
            an["stability"] = stab
        for a, entry in (self.results.get("characterization") or {}).items():
            an = analytes.setdefault(a, {})
            res = entry["consensus"]
            an.setdefault("unit", res.unit_of_measure)
            d = res.to_dict()
            d["labs_table"] = entry["summary"].to_frame().to_dict(orient="list")
            d["degrees_of_equivalence"] = entry["doe"].to_dict()
            d["bilateral_degrees_of_equivalence"] = entry["bilateral"].to_dict()
            d["screening"] = entry["screening"].to_dict()
            d["recommendation"] = entry["recommendation"].to_dict()
            an["characterization"] = d
        for a, entry in (self.results.get("certificate") or {}).items():
            an = analytes.setdefault(a, {})
            d = entry["certified"].to_dict()
            d["budget"] = entry["budget"].to_dict()
            d["checks"] = entry["checks"].to_dict()
            d["transfer_notes"] = list(entry.get("notes", ()))
            if "shelf_life" in entry:
                d["shelf_life"] = entry["shelf_life"].to_dict()
            if "monitoring" in entry:
                an.setdefault("stability", {})["monitoring"] = entry["monitoring"].to_dict()
            an["certified"] = d
        validity = self.validity() if self.results.get("certificate") else None
        return plain({"lot": self.p.lot, "material": self.p.material, "rmwork_version": __version__,
                      **({"validity": validity.to_dict()} if validity is not None else {}),
                      "seed": self.p.seed, "language": self.p.language, "analytes": analytes})

    def record(self, output_dir: str | Path | None) -> dict:
        """Write ``results.json`` (sorted keys, so identical inputs give identical bytes)."""
        self.settle()
        res = self.results_json()
        if output_dir:
            out = Path(output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "results.json").write_text(json.dumps(res, indent=2, sort_keys=True,
                                                         ensure_ascii=False) + "\n", encoding="utf-8")
        return res


def _transfer(u_abs, u_rel, from_unit: str, to_unit: str, value: float, what: str, notes: list):
    """A study's uncertainty in the certified value's unit: absolute when the units agree, else
    through its relative value (u_rel x |value|), with a note.  Studies are often run in another
    unit or on another scale (instrument counts, mM/L) than the characterization."""
    if u_abs is None:
        return None
    if from_unit and to_unit and from_unit != to_unit:
        notes.append(f"{what}: study in {from_unit}, certified value in {to_unit}; transferred as "
                     f"u_rel x value = {u_rel:.4g} x {abs(value):.6g}")
        return float(u_rel) * abs(value)
    return float(u_abs)


def _with_validity_check(chk, supported: float, months: float | None, significant: bool):
    """Add 'the validity period is supported by the stability study' to the reviewer checks."""
    from dataclasses import replace

    from .certificate import CheckItem

    if months is None:
        item = CheckItem(check="validity_supported", status="not evaluated", quantity=float("nan"),
                         limit=supported, reason="no validity period or shelf life in the parameter file")
    else:
        ok = months <= supported
        basis = ("prediction band of the significant trend stays within certified value ± U"
                 if significant else "u_lts(t) stays below U/3 (eCerto's rule)")
        item = CheckItem(check="validity_supported", status="pass" if ok else "attention",
                         quantity=float(months), limit=float(supported),
                         subject="validity period (months)",
                         reason="" if ok else f"the stability data support {supported:.3g} months only ({basis})",
                         clause="ISO Guide 35:2017, 8 and B.3")
    items = chk.items + (item,)
    n_att = sum(i.status == "attention" for i in items)
    return replace(chk, items=items, n_attention=n_att, passed=n_att == 0)


def _fit_window(source, analyte: str, g: pd.DataFrame, key: str) -> dict:
    """The lot's fitting window and point exclusions of one analyte, as regression() takes them.

    A date is matched to the result's time in months (the study's own time basis); an exclusion
    that matches no result of the analyte is refused, naming the key.
    """
    tm = source.time_max
    time_max = tm.get(analyte) if isinstance(tm, dict) else tm
    exclude: dict[float, str] = {}
    for e in source.exclude:
        if e.analyte != analyte:
            continue
        if e.time is not None:
            hit = g.loc[(g["time"] - e.time).abs() <= 1e-6, "time"]
            what = f"time {e.time:g} months"
        else:
            dates = pd.to_datetime(g["date"], errors="coerce").dt.normalize() if "date" in g.columns else None
            hit = g.loc[dates == pd.Timestamp(e.date), "time"] if dates is not None else g["time"].iloc[:0]
            what = f"date {e.date.isoformat()}"
        if hit.empty:
            raise InputError(f"analyte '{analyte}' has no result at {what} to exclude",
                             file=source.data, key=f"{key}.exclude",
                             hint="give the time or date of a result in the table")
        for t in hit.unique():
            exclude[float(t)] = e.reason
    return {"time_max": time_max, "exclude": exclude}


def _study_unit(parts: dict) -> str:
    """The unit of an analyte's stability values (the first study that has one)."""
    for k in ("long_term", "transport", "isochronous", "accelerated"):
        r = parts.get(k)
        if r is not None and getattr(r, "unit_of_measure", ""):
            return r.unit_of_measure
    return ""


def _drop_private(d: dict) -> dict:
    return {k: v for k, v in d.items() if not k.startswith("_")}


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
    df = io.read_table(lot.resolve(source.data), study=study, sheet=source.sheet,
                       decimal=source.decimal, encoding=source.encoding, display_name=source.data)
    if source.unit_of_measure and "unit_of_measure" not in df.columns:
        df["unit_of_measure"] = source.unit_of_measure
    return df


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
    if p.stability:
        for k in ("long_term", "isochronous", "transport", "accelerated", "monitoring"):
            src = getattr(p.stability, k)
            if src is not None:
                data[f"stability.{k}"] = read(lot, src, "stability")
        mon = data.get("stability.monitoring")
        if mon is not None and "u" not in mon.columns:
            raise InputError("monitoring results need a column 'u' (standard uncertainty of each "
                             "result)", file=p.stability.monitoring.data, hint="add the column")
    if p.characterization:
        c = p.characterization
        df = read(lot, c, "characterization")
        data["characterization"] = df
        for a, g in df.groupby("analyte", sort=False):
            if g["lab"].nunique() < 2:
                raise InputError(f"analyte '{a}' has results from {g['lab'].nunique()} lab; a consensus "
                                 "value (ISO Guide 35:2017, 9.5) needs at least 2", file=c.data,
                                 hint="add laboratories or methods")
        from . import characterization as cmod

        for a, g in df.groupby("analyte", sort=False):
            cmod.lab_summary(g, analyte=str(a))       # u > 0, dof > 0, layout: fail before any kernel
        known = set(df["lab"])
        for e in c.exclude:
            if e.lab not in known:
                raise InputError(f"excluded lab '{e.lab}' is not in the data", file=str(lot.path),
                                 key="characterization.exclude", hint=f"labs are {', '.join(sorted(known))}")
    return data


def uses_bayes(lot: params.Lot) -> bool:
    """Whether the lot's parameters ask for any Bayesian model."""
    p = lot.params
    return bool((p.homogeneity is not None and p.homogeneity.bayes)
                or (p.stability is not None and p.stability.bayes and p.stability.long_term is not None)
                or (p.characterization is not None
                    and p.characterization.method in ("bayes-gauss", "bayes-laplace")))


def bayes_structures(lot: params.Lot, data: dict[str, pd.DataFrame]) -> list[tuple]:
    """Structure keys of the Bayesian models the lot will fit (what a sampling service compiles ahead)."""
    from .bayes.models import LINEAR_TREND_KEY, RANDOM_EFFECTS_KEY, hierarchical_key

    p, keys = lot.params, []
    if p.homogeneity is not None and p.homogeneity.bayes:
        keys.append(RANDOM_EFFECTS_KEY)
    if p.stability is not None and p.stability.bayes and p.stability.long_term is not None:
        keys.append(LINEAR_TREND_KEY)
    c = p.characterization
    if c is not None and c.method in ("bayes-gauss", "bayes-laplace") and "characterization" in data:
        effects = "gauss" if c.method == "bayes-gauss" else "laplace"
        for _, g in data["characterization"].groupby("analyte", sort=False):
            key = hierarchical_key(g["lab"].nunique(), effects)
            if key not in keys:
                keys.append(key)
    return keys


def open(lot_file) -> Workbook:  # noqa: A001 - the notebook's one call
    """Load and validate a lot's parameter file and every data table it names."""
    lot = params.load(lot_file)
    return Workbook(lot=lot, data=load_data(lot))
