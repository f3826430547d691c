"""A lot's workbook: its validated parameters, its data, and each study run over every analyte.

This is what a notebook talks to (``wb = rmwork.workbook.open(lot_file)``), so that notebooks
need no loops and no logic.  It reads files and calls the compute modules; it does no statistics
itself.
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from . import __version__, io, params
from .errors import InputError
from .results import plain


class ImmediateFits:
    """The default fits plug-in of a :class:`Workbook`: every fit runs when it is asked for."""

    def submit(self, section: str, key: str, fit, attach) -> None:
        attach(fit())

    def pending(self, section: str, key: str | None = None) -> bool:
        return False

    def pending_keys(self, section: str) -> list[str]:
        return []

    def on_settle(self, callback) -> None:
        callback()

    def settle(self) -> None:
        pass


class NoSensitivityFits(ImmediateFits):
    """A fits plug-in that leaves out the Bayesian sensitivity models, which never enter the
    certificate (``rmwork validate`` computes the certificate without them)."""

    def submit(self, section: str, key: str, fit, attach) -> None:
        pass


# A plug-in the run layer names in the kernel's environment ("module:function"; the function
# returns a fits plug-in or None); the workbook imports nothing of the run layer itself.
PLUGIN_ENV = "RMWORK_KERNEL_PLUGIN"


def _plugin_fits():
    spec = os.environ.get(PLUGIN_ENV)
    if not spec:
        return None
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)()


@dataclass
class Workbook:
    lot: params.Lot
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    # where the Bayesian sensitivity fits run: now (default), or as the run layer's plug-in decides
    fits: object = field(default=None, repr=False)

    # -- Bayesian sensitivity models ----------------------------------------------------------
    def _sensitivity(self, section: str, key: str, fit, attach) -> None:
        """Run a Bayesian sensitivity model (it is not used on the certificate) and attach it.

        The workbook's fits plug-in decides when: :class:`ImmediateFits` (a notebook opened in
        JupyterLab, a script) fits now; the run layer's (:mod:`rmwork.run.kernel`) fits in the
        background while the classical studies go on, and :meth:`settle` collects them
        (``record`` calls it).  Either way the numbers are the same (same structure, same seed).
        """
        self.fits.submit(section, key, fit, attach)

    def pending(self, section: str, key: str | None = None) -> bool:
        """Whether Bayesian fits of ``section`` (and ``key``) are still to be collected."""
        return self.fits.pending(section, key)

    def pending_keys(self, section: str) -> list[str]:
        return self.fits.pending_keys(section)

    def on_settle(self, callback) -> None:
        """Call ``callback()`` once every background fit is attached (now, if none is pending)."""
        self.fits.on_settle(callback)

    def settle(self) -> None:
        """Wait for the background Bayesian fits, attach them in order, run the callbacks."""
        self.fits.settle()

    def __post_init__(self):
        if self.fits is None:
            self.fits = ImmediateFits()

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
                raise InputError(
                    f"analyte '{analyte}' mixes units {', '.join(vals)}",
                    file=df.attrs.get("file"),
                    column="unit_of_measure",
                    hint="convert to one unit",
                )
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
                g,
                analyte=analyte,
                group=group,
                unit_of_measure=uom,
                alpha=h.alpha,
                sigma_pt=self.lot.sigma_pt(analyte, mean),
                bayes=False,
                where=f"{g.attrs.get('file') or self.data['homogeneity'].attrs.get('file')}, analyte '{key}'",
            )
            if h.bayes:
                self._sensitivity(
                    "homogeneity",
                    key,
                    lambda g=g: hmod.bayes_model(g, seed=self.p.seed, settings=self.p.sampler.model_dump()),
                    lambda fit, key=key: studies.__setitem__(key, replace(studies[key], bayes=fit)),
                )
        self.results["homogeneity"] = studies
        return studies

    # -- stability ------------------------------------------------------------------------------
    def _stability_frame(self, source, study_key: str) -> pd.DataFrame:
        df = self.data[study_key].copy()
        if "time" not in df.columns:
            from .stability import months_from_dates

            # eCerto's basis: months from each analyte's first date at 30.4375 days per month
            df["time"] = 0.0
            for _a, idx in df.groupby("analyte", sort=False).groups.items():
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
                        g,
                        shelf_life=st.long_term.shelf_life,
                        use_means=st.use_means,
                        alpha=st.alpha,
                        analyte=str(a),
                        unit_of_measure=self.unit_of_measure(str(a), g),
                        adequacy_alpha=st.adequacy_alpha,
                        **_fit_window(st.long_term, str(a), g, "stability.long_term"),
                        where=f"{st.long_term.data}, analyte '{a}'",
                    ),
                    long_term_data=g,
                )
        if st.isochronous is not None:
            iso = st.isochronous
            df = self._stability_frame(iso, "stability.isochronous")
            for a, g in df.groupby("analyte", sort=False):
                parts.setdefault(str(a), {})["isochronous"] = smod.isochronous(
                    g,
                    iso.reference_temperature,
                    shelf_life=iso.shelf_life,
                    use_means=st.use_means,
                    alpha=st.alpha,
                    analyte=str(a),
                    unit_of_measure=self.unit_of_measure(str(a), g),
                    where=f"{iso.data}, analyte '{a}'",
                )
        if st.transport is not None:
            df = self._stability_frame(st.transport, "stability.transport")
            for a, g in df.groupby("analyte", sort=False):
                parts.setdefault(str(a), {}).update(
                    transport=smod.transport(
                        g,
                        st.transport.duration,
                        st.transport.temperature,
                        use_means=st.use_means,
                        alpha=st.alpha,
                        analyte=str(a),
                        unit_of_measure=self.unit_of_measure(str(a), g),
                        adequacy_alpha=st.adequacy_alpha,
                        **_fit_window(st.transport, str(a), g, "stability.transport"),
                        where=f"{st.transport.data}, analyte '{a}'",
                    ),
                    transport_data=g,
                )
        if st.accelerated is not None:
            df = self._stability_frame(st.accelerated, "stability.accelerated")
            for a, g in df.groupby("analyte", sort=False):
                parts.setdefault(str(a), {}).update(
                    accelerated=smod.arrhenius(
                        g,
                        storage_temperature=st.accelerated.storage_temperature,
                        limit=st.accelerated.limit,
                        analyte=str(a),
                        unit_of_measure=self.unit_of_measure(str(a), g),
                        where=f"{st.accelerated.data}, analyte '{a}'",
                    ),
                    accelerated_data=g,
                )
        out = {
            a: smod.StabilityStudy(analyte=a, unit_of_measure=_study_unit(kw), **kw)
            for a, kw in parts.items()
        }
        if st.bayes and sensitivity:
            for a, study in out.items():
                if study.long_term is not None:
                    g, r = study.long_term_data, study.long_term
                    self._sensitivity(
                        "stability",
                        a,
                        lambda g=g, r=r, a=a: smod.bayesian_trend(
                            g,
                            shelf_life=st.long_term.shelf_life,
                            seed=self.p.seed,
                            settings=self.p.sampler.model_dump(),
                            use_means=st.use_means,
                            analyte=a,
                            unit_of_measure=r.unit_of_measure,
                            **_fit_window(st.long_term, a, g, "stability.long_term"),
                            where=f"{st.long_term.data}, analyte '{a}'",
                        ),
                        lambda fit, study=study: study.attach("bayes", fit),
                    )
        self.results["stability"] = out
        return out

    # -- characterization -----------------------------------------------------------------------
    def characterization(self) -> dict:
        """Value assignment per analyte (ISO Guide 35:2017, clause 9): {analyte: CharacterizationStudy}."""
        from . import characterization as cmod

        c = self.p.characterization
        if c is None:
            return {}
        df = self.data["characterization"]
        out = {}
        for a, g in df.groupby("analyte", sort=False):
            a = str(a)
            out[a] = cmod.study(
                g,
                analyte=a,
                method=c.method,
                seed=self.p.seed,
                exclude={e.lab: e.reason for e in c.exclude if e.analyte in (None, a)},
                unit_of_measure=self.unit_of_measure(a, g),
                knapp_hartung=c.knapp_hartung,
                interval=c.interval,
                interval_reason=c.interval_reason,
                alpha=c.alpha,
                bayes_settings=self.p.sampler.model_dump(),
            )
        self.results["characterization"] = out
        return out

    # -- certificate ----------------------------------------------------------------------------
    def _named_studies(self) -> dict[str, bool]:
        """Studies the lot names, and whether each has run in this workbook."""
        st = self.p.stability
        named = {
            "homogeneity": self.p.homogeneity is not None,
            "characterization": self.p.characterization is not None,
            "stability": st is not None
            and any(getattr(st, k) is not None for k in ("long_term", "transport")),
        }
        return {k: k in self.results for k, v in named.items() if v}

    def certificate(self) -> dict:
        """Uncertainty budget, k, U, rounding, checks, validity and status per analyte.

        Every study the lot names enters: one that has not run in this workbook (a restarted kernel,
        two cells re-run) is run here first, so the budget never silently lacks a component.
        """
        from .certificate import entry as ce

        for name, ran in self._named_studies().items():
            if not ran:
                getattr(self, name)()
        ran = self._named_studies()
        c = self.p.certificate
        out = {}
        chars = dict(self.results.get("characterization") or {})
        if "characterization" in ran:
            # a listed analyte the characterization data do not hold is withheld, never left out
            chars.update({a: None for a in self.p.analytes if a not in chars})
        for a, ch in chars.items():
            out[a] = ce.certificate_entry(
                self._studies(a, ch, ran), c, requested_months=self.validity_months()
            )
        out = ce.review_lot(out, c)
        self.results["certificate"] = out
        return out

    def _studies(self, a: str, ch: dict, ran: dict[str, bool]):
        """What the lot's studies hold for analyte ``a`` (collected, not computed)."""
        from .certificate import Component
        from .certificate.entry import Studies
        from .certificate.reasons import reason

        c = self.p.certificate
        # a study that could not characterize the analyte carries the reason itself (characterized
        # False, reason): hand it over whole so the certificate withholds with that reason
        res = ch["consensus"] if ch is not None and getattr(ch, "characterized", True) else ch
        stab = (self.results.get("stability") or {}).get(a, {})
        mon = self.data.get("stability.monitoring")
        extra = [
            Component(
                name=e.name,
                u=None if e.relative else e.u,
                u_rel=e.u if e.relative else None,
                dof=e.dof if e.dof is not None else float("inf"),
                reason=e.reason,
            )
            for e in c.extra
            if e.analyte in (None, a)
        ]
        diag = getattr(res, "diagnostics", None)
        failed = getattr(res, "diagnostics_passed", None) is False or getattr(diag, "passed", None) is False
        bayes_failed = [reason("bayes.characterization", method=res.method)] if failed else []
        unit = self.p.analytes[a].unit if a in self.p.analytes and self.p.analytes[a].unit else ""
        return Studies(
            analyte=a,
            characterization=res,
            unit=unit,
            unit_required=a in self.p.analytes,
            extra=extra,
            bayes_failed=bayes_failed,
            homogeneity=[st for st in (self.results.get("homogeneity") or {}).values() if st.analyte == a],
            long_term=_part(stab, "long_term"),
            transport=_part(stab, "transport"),
            monitoring=None if mon is None else mon[mon["analyte"] == a],
            missing=[k for k, v in ran.items() if not v],
            long_term_named=self.p.stability is not None and self.p.stability.long_term is not None,
        )

    def validity_months(self) -> float | None:
        c, st = self.p.certificate, self.p.stability
        if c.validity_months is not None:
            return c.validity_months
        if st is not None and st.long_term is not None:
            return st.long_term.shelf_life
        return None

    def validity(self):
        """Validity period printed on the certificate, with its justification: the requested period,
        or (``certificate.validity: supported``) the shortest one every certified analyte supports."""
        from . import certificate as cert
        from .certificate.entry import lot_validity_months

        c = self.p.certificate
        requested = self.validity_months()
        months = lot_validity_months(self.results.get("certificate") or {}, requested)
        if months is None or c.certification_date is None:
            return None
        unsupported = {
            a: e.validity.supported_months
            for a, e in (self.results.get("certificate") or {}).items()
            if e.is_certified and e.validity is not None and e.validity.supported_months < months
        }
        return cert.validity_period(
            months, c.certification_date, requested_months=requested, unsupported=unsupported
        )

    def metadata(self):
        from . import certificate as cert

        c = self.p.certificate
        d = {
            k: getattr(c, k)
            for k in (
                "producer",
                "rm_number",
                "certificate_id",
                "description",
                "intended_use",
                "storage",
                "instructions",
                "traceability",
                "safety",
                "methods",
                "minimum_sample_intake",
                "minimum_sample_intake_unit",
                "producer_address",
                "producer_city",
                "producer_country_code",
                "producer_email",
                "approver",
                "approver_role",
            )
        }
        d.update(
            material=self.p.material,
            lot=self.p.lot,
            language=self.p.language,
            certification_date=c.certification_date.isoformat() if c.certification_date else "",
            validity=self.validity(),
        )
        return cert.CertificateMetadata.from_mapping(d)

    def approval_pending(self) -> bool:
        """``certificate.approval: required``: the report is a DRAFT until an approved signature
        (21 CFR Part 11 §11.50; docs/signing.md)."""
        return self.p.certificate.approval == "required"

    def write_drmd(self, output_dir) -> str:
        """Write the Digital Reference Material Document (DRMD v0.3.0) of the certified analytes
        next to results.json; when none is written the reason goes to results.json (``drmd``)."""
        written, message = self._drmd(output_dir)
        self.results["drmd"] = {"written": written, "message": message}
        return message

    def _drmd(self, output_dir) -> tuple[bool, str]:
        from . import drmd

        certs = {a: e for a, e in (self.results.get("certificate") or {}).items() if e.is_certified}
        if not certs:
            return False, "DRMD not written: no analyte is certified."
        meta = self.metadata()
        missing = meta.missing()
        pending = self.approval_pending()  # the approver comes from the signature (docs/signing.md)
        needed = (
            ("producer_city", "producer_country_code")
            if pending
            else ("approver", "producer_city", "producer_country_code")
        )
        if missing or any(not getattr(meta, k) for k in needed):
            need = missing + [k for k in needed if not getattr(meta, k)]
            return False, (
                "DRMD not written: set "
                + ", ".join(f"certificate.{k}" for k in need)
                + " in the parameter file."
            )
        try:
            xml = drmd.to_drmd(
                [e.certified for e in certs.values()],
                meta,
                analyte_names=self.p.certificate.analyte_names or None,
                dsi_units={a: s.dsi_unit for a, s in self.p.analytes.items() if s.dsi_unit},
                strict_units=True,
                approval_pending=pending,
            )
        except InputError as exc:
            return False, f"DRMD not written: {exc}"
        if output_dir:
            out = Path(output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "certificate.drmd.xml").write_bytes(xml)
            _wrote(out, "certificate.drmd.xml")
            return True, (
                "certificate.drmd.xml written and validated against the DRMD v0.3.0 schema"
                + (" (DRAFT: approval pending)." if pending else ".")
            )
        return False, "DRMD validated against the DRMD v0.3.0 schema (not written: no output folder)."

    # -- results.json --------------------------------------------------------------------------
    def results_json(self) -> dict:
        """Every number of the report under the contract's keys (CONTRACT.md, results.json)."""
        analytes: dict[str, dict] = {}
        for _key, st in self.results.get("homogeneity", {}).items():
            a = analytes.setdefault(st.analyte, {"unit": st.anova.unit_of_measure})
            entry = st.anova.to_dict()
            entry.update(
                {
                    "criterion": st.criterion.to_dict() if st.criterion else None,
                    "trends": [t.to_dict() for t in st.trends],
                    "cochran": st.cochran.to_dict() if st.cochran is not None else None,
                    "grubbs": st.grubbs.to_dict() if st.grubbs is not None else None,
                    "bayes": st.bayes.to_dict() if st.bayes is not None else None,
                    "conclusion": st.conclusion,
                }
            )
            entry = {k: v for k, v in entry.items() if v is not None}
            if st.group:
                # several sub-groups: the largest u_bb is the one a certificate uses
                groups = a.setdefault("homogeneity", {"method": "anova", "groups": {}})
                groups["groups"][st.group] = entry
                worst = max(groups["groups"].values(), key=lambda e: e["u_bb"])
                for k in (
                    "ms_between",
                    "ms_within",
                    "f_statistic",
                    "p_value",
                    "n0",
                    "s_bb",
                    "u_bb_star",
                    "u_bb",
                    "u_bb_rel",
                    "mean",
                ):
                    groups[k] = worst.get(k)
                groups["governing_group"] = [g for g, e in groups["groups"].items() if e is worst][0]
            else:
                a["homogeneity"] = entry
        for a, entry in (self.results.get("stability") or {}).items():
            an = analytes.setdefault(a, {})
            if not isinstance(entry, dict):  # a typed StabilityStudy: its own to_dict()
                an["stability"] = entry.to_dict()
                continue
            stab = {}
            if "long_term" in entry:
                r = entry["long_term"]
                an.setdefault("unit", r.unit_of_measure)
                stab["long_term"] = _drop_private(r.to_dict())
                if "bayes" in entry:
                    stab["long_term"]["bayes"] = entry["bayes"].to_dict()
            if "isochronous" in entry:
                stab["isochronous"] = {
                    k: _drop_private(v.to_dict()) for k, v in entry["isochronous"].fits.items()
                }
            if "transport" in entry:
                stab["transport"] = _drop_private(entry["transport"].to_dict())
            if "accelerated" in entry:
                stab["accelerated"] = entry["accelerated"].to_dict()
            an["stability"] = stab
        for a, study in (self.results.get("characterization") or {}).items():
            an = analytes.setdefault(a, {})
            an.setdefault("unit", study.unit_of_measure)
            an["characterization"] = study.to_dict()
        for a, entry in (self.results.get("certificate") or {}).items():
            an = analytes.setdefault(a, {})
            an["certified"] = entry.to_dict()
            # the certified value's unit; each study keeps its own (unit_of_measure)
            an["unit"] = entry.unit
            if entry.monitoring is not None:
                an.setdefault("stability", {})["monitoring"] = entry.monitoring.to_dict()
        validity = self.validity() if self.results.get("certificate") else None
        return plain(
            {
                "lot": self.p.lot,
                "material": self.p.material,
                "rmwork_version": __version__,
                **({"validity": validity.to_dict()} if validity is not None else {}),
                **({"drmd": self.results["drmd"]} if "drmd" in self.results else {}),
                "seed": self.p.seed,
                "language": self.p.language,
                "analytes": analytes,
                # in the data, not listed under the lot's analytes: (neither studied nor certified)
                **({"not_selected": ns} if (ns := not_selected(self.data)) else {}),
            }
        )

    # -- researchers: variants, comparison, a readable repr -----------------------------------
    def variant(self, **changes) -> Workbook:
        """A new, validated workbook of the same lot with some parameters changed.

        Keys are the parameter file's, nested with a double underscore:
        ``wb.variant(characterization__method="paule-mandel", certificate__k=2)``. The changed
        parameters are validated as a parameter file is (unknown key or bad value: InputError
        naming the key), and the data tables are read again.
        """
        d = self.p.model_dump(mode="python", exclude_unset=True)
        for key, value in changes.items():
            *parents, last = key.split("__")
            node = d
            for part in parents:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise InputError(
                        "is not a section of the parameter file",
                        key=".".join(parents),
                        hint="nest only into sections such as certificate or characterization",
                    )
            node[last] = value
        try:
            new = params.LotParameters.model_validate(d)
        except params.ValidationError as exc:
            raise params._pydantic_to_input_error(exc, f"{self.lot.path} (variant)") from None
        lot = params.Lot(new, self.lot.path, self.lot.text)
        return Workbook(lot=lot, data=load_data(lot))

    def __repr__(self) -> str:
        studies = [
            k for k in ("homogeneity", "stability", "characterization") if getattr(self.p, k) is not None
        ]
        ran = [k for k in studies if k in self.results]
        lines = [
            f"Workbook {self.p.lot} ({self.p.material}): studies {', '.join(studies) or 'none'}; "
            f"run: {', '.join(ran) or 'none'}"
        ]
        for e in (self.results.get("certificate") or {}).values():
            lines.append("  " + str(e).replace("\n", "\n  "))
        return "\n".join(lines)

    def record(self, output_dir: str | Path | None) -> dict:
        """Write ``results.json`` (sorted keys, so identical inputs give identical bytes)."""
        self.settle()
        from .report import numbering  # the report's numbered tables and figures ("report", "shown_in")

        res = numbering.attach(self.results_json(), self)
        if output_dir:
            out = Path(output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "results.json").write_text(
                json.dumps(res, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            _wrote(out, "results.json")
        return res


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
            raise InputError(
                f"analyte '{analyte}' has no result at {what} to exclude",
                file=source.data,
                key=f"{key}.exclude",
                hint="give the time or date of a result in the table",
            )
        for t in hit.unique():
            exclude[float(t)] = e.reason
    return {"time_max": time_max, "exclude": exclude}


OUTPUTS_LEDGER = ".outputs-written"


def _wrote(out: Path, name: str) -> None:
    """Note a file written into the report folder: the runner swaps the report in only when every
    file noted here exists (and hashes each into the manifest)."""
    with (out / OUTPUTS_LEDGER).open("a", encoding="utf-8") as fh:
        fh.write(name + "\n")


def _study_unit(parts: dict) -> str:
    """The unit of an analyte's stability values (the first study that has one)."""
    for k in ("long_term", "transport", "isochronous", "accelerated"):
        r = parts.get(k)
        if r is not None and getattr(r, "unit_of_measure", ""):
            return r.unit_of_measure
    return ""


def _part(study, name: str):
    """A part of a study's result: a key of today's dict or an attribute of a typed study object."""
    if isinstance(study, dict):
        return study.get(name)
    return getattr(study, name, None)


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


SNAPSHOT = ".lot-snapshot.pkl"  # the runner's snapshot of the lot as read, in the working folder


class LotData(dict):
    """Every data table of a lot as read (study key -> frame), with the hashes of the exact bytes
    parsed (``inputs``: parameter key -> path, file as written, SHA-256, size, rows read).

    The runner reads each input once, saves this snapshot into the working folder, and the
    kernel's :func:`open` loads it: what is certified is exactly what was hashed (issue 13)."""

    def __init__(self, lot: params.Lot, frames=None, inputs=None):
        super().__init__(frames or {})
        self.lot = lot
        self.inputs: dict[str, dict] = dict(inputs or {})
        self.parameter_sha256 = hashlib.sha256(lot.text).hexdigest()

    def notes(self, study: str) -> list[str]:
        return list(self[study].attrs.get("notes", [])) if study in self else []

    def excluded(self, study: str) -> list[dict]:
        return list(self[study].attrs.get("excluded", [])) if study in self else []

    def manifest_inputs(self) -> dict[str, dict]:
        return {
            k: {kk: v[kk] for kk in ("path", "sha256", "file", "study", "rows", "sheets")}
            for k, v in self.inputs.items()
        }

    def save(self, folder) -> Path:
        """Write the snapshot (pickle: written and read only by rmwork itself, in its own working folder)."""
        path = Path(folder) / SNAPSHOT
        with builtins.open(path, "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    @staticmethod
    def load(path) -> LotData:
        with builtins.open(path, "rb") as fh:
            data = pickle.load(fh)  # noqa: S301 - the runner's own snapshot, never user input
        if not isinstance(data, LotData):
            raise InputError(
                "is not an rmwork lot snapshot", file=str(path), hint="run the lot with rmwork run"
            )
        return data


def _read_one(
    lot: params.Lot, source: params.DataSource, study: str, shown: str, path: Path, inputs: dict, key: str
) -> pd.DataFrame:
    raw = io.require_file(path, key=key, file=str(lot.path), shown=shown).read_bytes()
    df = io.read_bytes(
        raw,
        suffix=path.suffix,
        stem=path.stem,
        study=study.split(".")[0],
        name=shown,
        sheet=source.sheet,
        decimal=source.decimal,
        encoding=source.encoding,
        layout=source.layout,
        censored=source.censored,
        range=source.range,
        lab_cell=source.lab_cell,
        unit_column=source.unit_column,
    )
    df.insert(0, "source_file", shown)
    sheets = sorted(set(df["source_sheet"])) if "source_sheet" in df.columns else []
    inputs[key] = {
        "path": str(path),
        "file": shown,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
        "study": study,
        "rows": int(len(df)),
        "sheets": sheets,
    }
    return df


def read(
    lot: params.Lot,
    source: params.DataSource,
    study: str,
    inputs: dict | None = None,
    *,
    layout: str | None = None,
) -> pd.DataFrame:
    """Read one study's data (every file it names, globs expanded) as one frame; each row keeps
    ``source_file``, ``source_sheet`` (Excel) and ``source_row``; ``inputs`` collects the SHA-256
    of the exact bytes parsed.  Messages show paths as written in the lot file.  ``layout``: the
    study whose columns the table has, when it is not ``study``'s own (a PT item's homogeneity)."""
    inputs = {} if inputs is None else inputs
    files = lot.source_files(study)
    frames = [
        _read_one(
            lot,
            source,
            layout or study,
            shown,
            path,
            inputs,
            f"{study}.data" if len(files) == 1 else f"{study}.data[{i}]",
        )
        for i, (shown, path) in enumerate(files)
    ]
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, sort=False)
    layouts = sorted({f.attrs.get("layout", "long") for f in frames})
    notes = [
        f"{f.attrs['file']}: {n}" if len(frames) > 1 else n for f in frames for n in f.attrs.get("notes", [])
    ]
    excluded = [e for f in frames for e in f.attrs.get("excluded", [])]
    meta = {k: v for f in frames for k, v in f.attrs.get("meta", {}).items()}
    df = df.reset_index(drop=True)
    df = _select(df, source, study, lot, notes)
    df, unselected = _select_lot(df, lot, study)
    df = io.check_labs(df, source.lab_aliases, key=f"{study}.lab_aliases")
    df = _units(df, lot, source, study, layouts)
    df.attrs.update(
        file=", ".join(f.attrs["file"] for f in frames),
        layout=", ".join(layouts),
        notes=notes,
        excluded=excluded,
        meta=meta,
    )
    if unselected:
        df.attrs["not_selected"] = unselected
    return df


def _select_lot(df, lot, study) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the analytes the lot's ``analytes:`` lists (all when it lists none), and the
    analytes of the table it does not list ("not selected": named in the report, never studied).

    Only a certification lot selects: ``analytes:`` of a verification or proficiency lot gives
    settings (sigma_pt) only.  Units are checked after this, so an analyte not selected needs none.
    """
    chosen = lot.params.analytes
    if not chosen or lot.params.kind != "certification" or "analyte" not in df.columns:
        return df, []
    have = list(dict.fromkeys(df["analyte"].astype(str)))
    left = [a for a in have if a not in chosen]
    if not left:
        return df, []
    if len(left) == len(have):
        raise InputError(
            f"none of the analytes listed under 'analytes:' ({', '.join(chosen)}) is in the {study} "
            f"data (they hold {', '.join(have)})",
            file=str(lot.path),
            key="analytes",
            hint=f"list the analytes to certify under 'analytes:', or remove the {study} study",
        )
    return df[df["analyte"].astype(str).isin(list(chosen))].reset_index(drop=True), left


def not_selected(data) -> list[str]:
    """Analytes in the lot's tables that its ``analytes:`` does not list (in table order)."""
    return list(dict.fromkeys(a for df in data.values() for a in df.attrs.get("not_selected", ())))


def _check_selection(lot: params.Lot, data: dict[str, pd.DataFrame]) -> None:
    """Every analyte the lot lists is in its data, and the unit it gives agrees with the data's.

    A listed analyte without ``unit`` takes the characterization data's unit (their
    ``unit_of_measure`` column or ``characterization.unit_of_measure``); with neither, the
    certificate withholds it (check ``certified_unit``, rmwork.certificate.entry).  A listed
    analyte the characterization data do not hold is studied and withheld ("no characterization
    result"); one that no table holds is refused here, naming ``analytes.<a>``.
    """
    chosen = lot.params.analytes
    if not chosen or lot.params.kind != "certification":
        return
    have = list(dict.fromkeys(str(a) for df in data.values() if "analyte" in df for a in df["analyte"]))
    missing = [a for a in chosen if a not in have]
    where = "data"
    if missing:
        close = difflib.get_close_matches(missing[0], have, n=1)
        raise InputError(
            f"analyte{'s' if len(missing) > 1 else ''} {', '.join(missing)} listed under "
            f"'analytes:' but not in the {where}, so {'they' if len(missing) > 1 else 'it'} "
            "cannot be certified",
            file=str(lot.path),
            key=f"analytes.{missing[0]}",
            hint=(f"did you mean '{close[0]}'? " if close else "")
            + f"the {where} hold {', '.join(have)}; correct the name or remove the entry",
        )
    char = data.get("characterization")
    if char is None:
        return
    for a, s in chosen.items():
        g = char[char["analyte"].astype(str) == a]
        units = g["unit_of_measure"].dropna().astype(str) if "unit_of_measure" in g.columns else []
        other = sorted({u for u in units if u.strip()} - {s.unit})
        if s.unit and other:
            # the data's unit would win silently (Workbook.unit_of_measure): the value would be
            # certified in a unit the lot did not write
            raise InputError(
                f"analyte '{a}': its entry under 'analytes:' gives the unit '{s.unit}', the "
                f"characterization data give '{other[0]}'",
                file=str(lot.path),
                key=f"analytes.{a}.unit",
                hint="convert the data or correct the unit; the two must agree",
            )


def _select(df, source, study, lot, notes):
    if source.analytes is None:
        return df
    have = list(dict.fromkeys(df["analyte"]))
    missing = [a for a in source.analytes if a not in have]
    if missing:
        raise InputError(
            f"analyte{'s' if len(missing) > 1 else ''} {', '.join(missing)} not in the data",
            file=str(lot.path),
            key=f"{study}.analytes",
            hint=f"the data have {', '.join(have)}",
        )
    left = [a for a in have if a not in source.analytes]
    if left:
        notes.append(f"analytes not read (not in {study}.analytes): {', '.join(left)}")
    return df[df["analyte"].isin(source.analytes)].reset_index(drop=True)


def _units(df, lot, source, study, layouts):
    if "unit_of_measure" in df.columns:
        return df
    if "lab-sheet" not in layouts:
        if source.unit_of_measure:
            df["unit_of_measure"] = source.unit_of_measure
        return df
    units = {}
    for a in dict.fromkeys(df["analyte"]):
        s = lot.params.analytes.get(a)
        units[a] = (s.unit if s is not None and s.unit else None) or source.unit_of_measure
    missing = [a for a, u in units.items() if not u]
    if missing:
        raise InputError(
            f"the lab sheets give no unit for {', '.join(missing)}",
            file=str(lot.path),
            key="analytes",
            hint="give each analyte its unit under 'analytes:' (e.g. "
            f"'{missing[0]}: {{unit: \"% (m/m)\"}}'), set '{study}.unit_column', or list the "
            f"analytes to read under '{study}.analytes'",
        )
    df["unit_of_measure"] = df["analyte"].map(units)
    return df


def load_data(lot: params.Lot) -> LotData:
    """Read and check every data table the lot names, each file once (raises InputError naming
    file/row/column); the result holds the frames and the SHA-256 of the bytes parsed."""
    p = lot.params
    if p.kind != "certification":
        raise InputError(
            f"is a {p.kind} lot",
            file=str(lot.path),
            key="kind",
            hint="read it with rmwork.comparison.load_data (rmwork run chooses it)",
        )
    data = LotData(lot)
    if p.homogeneity:
        h = p.homogeneity
        data["homogeneity"] = read(lot, h, "homogeneity", data.inputs)
        df = data["homogeneity"]
        key = ["analyte", "group"] if "group" in df.columns else ["analyte"]
        for k, g in df.groupby(key, sort=False):
            n_units = g["unit"].nunique()
            if n_units < 2:
                raise InputError(
                    f"analyte '{k[0]}' has {n_units} unit; one-way ANOVA (ISO Guide "
                    "35:2017, 7.7) needs at least 2",
                    file=df.attrs["file"],
                    hint="add results from more units",
                )
            if g.groupby("unit").size().max() < 2:
                raise InputError(
                    f"analyte '{k[0]}': one-way ANOVA (ISO Guide 35:2017, 7.7) needs at "
                    "least one unit with 2 results; every unit has 1",
                    file=df.attrs["file"],
                    hint="add replicate results per unit",
                )
    if p.stability:
        for k in ("long_term", "isochronous", "transport", "accelerated", "monitoring"):
            src = getattr(p.stability, k)
            if src is not None:
                data[f"stability.{k}"] = read(lot, src, f"stability.{k}", data.inputs)
        if "stability.monitoring" in data:
            from . import monitoring

            # how the results are judged: u per result, or the declared weaker check (ISO Guide 35, 8.9)
            data["stability.monitoring"] = monitoring.judged(lot, data["stability.monitoring"])
    if p.characterization:
        c = p.characterization
        df = read(lot, c, "characterization", data.inputs)
        data["characterization"] = df
    _check_selection(lot, data)
    if p.characterization:
        c, df = p.characterization, data["characterization"]
        from . import characterization as cmod

        # An analyte with one lab is withheld by its study with the reason and the others go on
        # (issue 14, analytes stand alone); a table where no analyte has two labs is refused here
        n_labs = df.groupby("analyte", sort=False)["lab"].nunique()
        if (n_labs < 2).all():
            a = n_labs.index[0]
            raise InputError(
                f"analyte '{a}' has results from {n_labs.iloc[0]} lab; a consensus "
                "value (ISO Guide 35:2017, 9.5) needs at least 2",
                file=df.attrs.get("file"),
                hint="add laboratories or methods",
            )
        for a, g in df.groupby("analyte", sort=False):
            try:
                cmod.lab_summary(g, analyte=str(a))  # u > 0, dof > 0, layout: fail before any kernel
            except InputError as exc:
                if exc.file is not None:
                    raise
                raise InputError(
                    f"analyte '{a}': {exc.problem}",
                    file=df.attrs.get("file"),
                    column=exc.column,
                    hint=exc.hint,
                ) from None
        known = set(df["lab"])
        for e in c.exclude:
            if e.lab not in known:
                raise InputError(
                    f"excluded lab '{e.lab}' is not in the data",
                    file=str(lot.path),
                    key="characterization.exclude",
                    hint=f"labs are {', '.join(sorted(known))}",
                )
        if "stability.monitoring" in data:
            from . import monitoring

            monitoring.analytes_known(data["stability.monitoring"], {str(a) for a in df["analyte"]})
    return data


def uses_bayes(lot: params.Lot) -> bool:
    """Whether the lot's parameters ask for any Bayesian model."""
    p = lot.params
    return bool(
        (p.homogeneity is not None and p.homogeneity.bayes)
        or (p.stability is not None and p.stability.bayes and p.stability.long_term is not None)
        or (p.characterization is not None and p.characterization.method in ("bayes-gauss", "bayes-laplace"))
    )


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


def open(lot_file, *, fits=None) -> Workbook:  # noqa: A001 - the notebook's one call
    """Load and validate a lot's parameter file and every data table it names.

    ``fits``: where Bayesian sensitivity fits run (default: the plug-in the environment names,
    else :class:`ImmediateFits`)."""
    fits = fits if fits is not None else _plugin_fits()
    if Path(lot_file).name == SNAPSHOT:
        # the runner's snapshot (:data:`SNAPSHOT`): the lot exactly as the runner read and hashed it
        data = LotData.load(lot_file)
        return Workbook(lot=data.lot, data=data, fits=fits)
    lot = params.load(lot_file)
    return Workbook(lot=lot, data=load_data(lot), fits=fits)


def compare(*workbooks, names: list[str] | None = None):
    """Certified values, U, k and status of several workbooks (or results.json mappings) side by side.

    Each workbook's certificate is computed when it has not been (:meth:`Workbook.certificate`).
    Returns a DataFrame indexed by analyte with columns ``(name, value | U | k | status)``.
    """
    names = names or [f"{i + 1}" for i in range(len(workbooks))]
    if len(names) != len(workbooks):
        raise InputError(
            f"{len(workbooks)} workbooks but {len(names)} names",
            key="names",
            hint="give one name per workbook",
        )
    cols = {}
    for name, wb in zip(names, workbooks):
        res = wb if isinstance(wb, dict) else _certified(wb)
        for a, e in (res.get("analytes") or {}).items():
            c = e.get("certified") or {}
            for k in ("value_rounded", "U_rounded", "k", "status"):
                cols.setdefault((name, {"value_rounded": "value", "U_rounded": "U"}.get(k, k)), {})[a] = (
                    c.get(k)
                )
    df = pd.DataFrame(cols)
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    df.index.name = "analyte"
    return df


def _certified(wb: Workbook) -> dict:
    if "certificate" not in wb.results:
        wb.certificate()
    return {"analytes": {a: {"certified": e.to_dict()} for a, e in wb.results["certificate"].items()}}
