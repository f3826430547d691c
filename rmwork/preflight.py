"""Every input check that ``rmwork run`` applies, collected without running anything (``rmwork validate``).

``run`` stops at the first bad input, 25-30 s in; :func:`preflight` reads the lot's tables and
reports every problem at once, each naming the analyte, lab, file, row and the YAML key to set:
u > 0 per lab and analyte (ISO Guide 35:2017, 9.5 needs a standard uncertainty per lab), labs
per analyte, one unit per study and analyte, the certificate items with the DRMD schema's patterns
(DCC v3.3.0: ISO 3166-1 country code), and the inputs of the period of validity.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import params
from .errors import InputError

_COUNTRY = re.compile(r"^[A-Z]{2}$")  # dcc:stringISO3166Type
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DRMD_ITEMS = ("approver", "producer_city", "producer_country_code")


def preflight(lot: params.Lot, data: dict[str, pd.DataFrame] | None = None) -> list[InputError]:
    """Every input problem ``run`` would stop on, as a list; empty when valid (ISO Guide 35:2017, 9.5; DRMD v0.3.0)."""
    problems: list[InputError] = []
    tables = data if data is not None else _read_all(lot, problems)
    for study, df in tables.items():
        problems += _unit_mix(df, study, lot)
    if "characterization" in tables and lot.params.characterization is not None:
        problems += _characterization(tables["characterization"], lot.params.characterization)
    problems += _certificate_items(lot)
    if data is None and not problems:
        # whatever else the run's loading applies (first problem only: it stops there)
        from .comparison import load_lot_data

        try:
            load_lot_data(lot)
        except InputError as exc:
            problems.append(exc)
    if not problems and lot.params.kind == "certification":
        # the monitoring file's certified value and U against the lot's certificate (ISO Guide 35, 8.9)
        problems += monitoring_problems(lot, data)
    return problems


def _read_all(lot: params.Lot, problems: list) -> dict[str, pd.DataFrame]:
    from .workbook import read

    p, out = lot.params, {}
    sources = {"homogeneity": p.homogeneity, "characterization": p.characterization}
    if p.stability is not None:
        sources.update(
            {
                f"stability.{k}": getattr(p.stability, k)
                for k in ("long_term", "isochronous", "transport", "accelerated", "monitoring")
            }
        )
    for key, src in sources.items():
        if src is None:
            continue
        try:
            out[key] = read(lot, src, key.split(".")[0])
        except InputError as exc:
            problems.append(exc)
    return out


def _unit_mix(df: pd.DataFrame, study: str, lot: params.Lot) -> list[InputError]:
    if "unit_of_measure" not in df.columns or "analyte" not in df.columns:
        return []
    out = []
    for a, g in df.groupby("analyte", sort=False):
        units = g["unit_of_measure"].dropna().astype(str).unique()
        if len(units) > 1:
            first = g[g["unit_of_measure"].astype(str) != units[0]]
            row = int(first["source_row"].iloc[0]) if "source_row" in first.columns else None
            out.append(
                InputError(
                    f"analyte '{a}' mixes units {', '.join(units)} in the {study} table",
                    file=df.attrs.get("file"),
                    row=row,
                    column="unit_of_measure",
                    hint="convert the results to one unit",
                )
            )
    return out


def _characterization(df: pd.DataFrame, c) -> list[InputError]:
    out = []
    f = df.attrs.get("file") or c.data
    for a, g in df.groupby("analyte", sort=False):
        excluded = {e.lab for e in c.exclude if e.analyte in (None, str(a))}
        g = g[~g["lab"].astype(str).isin(excluded)]
        n_labs = g["lab"].nunique()
        if n_labs < 2:
            out.append(
                InputError(
                    f"analyte '{a}' has results from {n_labs} lab (after exclusions); a "
                    "consensus value (ISO Guide 35:2017, 9.5) needs at least 2",
                    file=f,
                    key="characterization.exclude" if excluded else None,
                    hint="add laboratories or methods, or leave the analyte out",
                )
            )
        out += _lab_u(g, str(a), f)
    return out


def _lab_u(g: pd.DataFrame, analyte: str, file) -> list[InputError]:
    out = []
    for lab, r in g.groupby("lab", sort=False):
        row = int(r["source_row"].iloc[0]) if "source_row" in r.columns else None
        if "u" in r.columns and r["u"].notna().any():
            bad = r[~(pd.to_numeric(r["u"], errors="coerce") > 0)]
            if len(bad):
                out.append(
                    InputError(
                        f"analyte '{analyte}', lab '{lab}': u = {bad['u'].iloc[0]} is not > 0",
                        file=file,
                        row=int(bad["source_row"].iloc[0]) if "source_row" in bad else row,
                        column="u",
                        hint="enter the lab's standard uncertainty, or exclude the lab "
                        f"for this analyte (characterization.exclude: lab {lab}, analyte {analyte})",
                    )
                )
        else:
            v = pd.to_numeric(r["value"], errors="coerce").to_numpy(float)
            if len(v) >= 2 and np.all(v == v[0]):
                out.append(
                    InputError(
                        f"analyte '{analyte}', lab '{lab}': its {len(v)} results are identical, so "
                        "u = s/sqrt(n) = 0",
                        file=file,
                        row=row,
                        column="value",
                        hint="give the lab's u in a column u, or exclude the lab for this analyte "
                        f"(characterization.exclude: lab {lab}, analyte {analyte})",
                    )
                )
    return out


def _certificate_items(lot: params.Lot) -> list[InputError]:
    c, f, out = lot.params.certificate, str(lot.path), []
    cc = c.producer_country_code.strip().upper()
    if cc and not _COUNTRY.match(cc):
        out.append(
            InputError(
                f"'{c.producer_country_code}' is not an ISO 3166-1 two-letter country code "
                "(the DRMD schema requires one)",
                file=f,
                key="certificate.producer_country_code",
                hint="write e.g. DE, CN, FR",
            )
        )
    if c.producer_email.strip() and not _EMAIL.match(c.producer_email.strip()):
        out.append(
            InputError(
                f"'{c.producer_email}' is not an e-mail address",
                file=f,
                key="certificate.producer_email",
                hint="write name@example.org",
            )
        )
    wants_drmd = any(getattr(c, k) for k in _DRMD_ITEMS)
    has_period = c.validity_months is not None or (
        lot.params.stability is not None and lot.params.stability.long_term is not None
    )
    if wants_drmd and c.certification_date is None:
        out.append(
            InputError(
                "the certificate has no date of certification, so no period of validity",
                file=f,
                key="certificate.certification_date",
                hint="set it as YYYY-MM-DD",
            )
        )
    if wants_drmd and c.certification_date is not None and not has_period:
        out.append(
            InputError(
                "the certificate has no period of validity",
                file=f,
                key="certificate.validity_months",
                hint="set it, or stability.long_term.shelf_life (months)",
            )
        )
    months = c.validity_months
    if months is None and lot.params.stability is not None and lot.params.stability.long_term is not None:
        months = lot.params.stability.long_term.shelf_life
    if months is not None and months < 1:
        out.append(
            InputError(
                f"a period of validity of {months:g} months is shorter than one month",
                file=f,
                key="certificate.validity_months",
                hint="give at least 1 month",
            )
        )
    return out


def survey(path) -> tuple[params.Lot | None, dict, list[InputError]]:
    """Everything ``rmwork validate`` reports: the lot, its data tables and every problem found.

    Every schema error of the parameter file is listed (each naming its key); when the schema is
    valid, each data table is read on its own, so that a problem in one table does not hide a
    problem in another, and the checks across tables (units per analyte, labs, exclusions) run
    when every table was read.  ``lot`` is None and ``data`` empty when anything was found.
    """
    lot, found = params._schema(path)
    if found:
        return None, {}, found
    from . import comparison, workbook

    try:
        return lot, comparison.load_lot_data(lot), []
    except InputError as first:
        # read each table on its own (only now: a large table is read once when all is well)
        found = []
        for study, source in lot.sources().items():
            try:
                workbook.read(lot, source, study, layout=_LAYOUT_OF.get(study))
            except InputError as exc:
                found.append(exc)
        return None, {}, found or [first]


def problems(path) -> list[InputError]:
    """Every problem of a parameter file and its data (empty: valid).  See :func:`survey`."""
    return survey(path)[2]


# the columns a source's table has, where its key does not say it (rmwork.comparison's tables)
_LAYOUT_OF = {
    "verification": "verification",
    "proficiency": "participants",
    "proficiency.homogeneity": "homogeneity",
    "proficiency.stability": "stability",
}


# ---------------------------------------------------------------------------------------------
# validate: the comparison with the certificate needs the certificate


def monitoring_problems(lot: params.Lot, data=None) -> list[InputError]:
    """What ``run`` would refuse when the certificate meets the monitoring file (``rmwork validate``).

    The certificate is computed here (from ``data`` when the caller has read the tables), without
    the Bayesian sensitivity models, because the file's certified value and U can only be
    compared with the lot's once it exists.
    """
    from . import workbook  # the validate layer computes the certificate (as run does)

    if lot.params.stability is None or lot.params.stability.monitoring is None:
        return []
    try:
        if isinstance(data, workbook.LotData) and "stability.monitoring" in data:
            wb = workbook.Workbook(lot=lot, data=data, fits=workbook.NoSensitivityFits())
        else:
            wb = workbook.open(lot.path, fits=workbook.NoSensitivityFits())
        wb.certificate()
    except InputError as exc:
        return [exc]
    return []
