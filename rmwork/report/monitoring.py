"""Table S5, Table S7 and Figure S7: post-certification monitoring as the lot judged it (format and plot only).

Table S5 lists each result x_m with its limit; the sentence above it states the rule (ERM
Application Note 1: |x_m − x_c| ≤ k·√(u_c² + u_m²), u_m per result from the table or as the lot
states it; or the weaker check against x_c ± U only, ISO Guide 35:2017, 8.9).  Table S7 and
Figure S7 are eCerto's LTS evaluation (ISO Guide 35:2017, 8.9 and B.3): the line on time and the
time t_exit = U/|b1| at which it, started at the certified value, leaves x_c ± U.  Nothing is
computed here.

The report's three conventions (docs/numbering.md, docs/numbers.md, docs/symbols.md):
``Ref("S5", analyte)``, ``Ref("S7", analyte)`` and ``figure_ref("S7", analyte)`` number the tables
and the figure; every number goes through :mod:`rmwork.report.numbers` and the quantities shown
in both a table and a sentence carry one name (``<analyte>/<symbol>/monitoring``; the certified
value, U, k and u_CRM the names of the certificate section, so they print as Tables U1 and U2
print them); headers come from :mod:`rmwork.report.symbols`, sentences from
:mod:`rmwork.report.phrases`, in English and Chinese.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from . import numbers as N
from .display import HTML, Ref, figure, figure_ref, note, numbered, paragraph, table_html
from .phrases import note_text, text
from .symbols import header, yes_no
from .usertext import literal

BASE = "monitoring"  # the base of the quantity names of this section

# captions hold symbols as HTML (numbered as C5's is); the number carries the analyte
CAPTIONS = {
    "S5": (
        "Table S5 — Post-certification monitoring: |x<sub>m</sub> − x<sub>c</sub>| ≤ "
        "k·√(u<sub>c</sub>² + u<sub>m</sub>²), k = {k} (ERM Application Note 1; ISO Guide 35:2017, 8.10)",
        "表 S5 — 定值后监测：|x<sub>m</sub> − x<sub>c</sub>| ≤ k·√(u<sub>c</sub>² + u<sub>m</sub>²)，"
        "k = {k}（ERM Application Note 1；ISO Guide 35:2017, 8.10）",
    ),
    "S5i": (
        "Table S5 — Post-certification monitoring: |x<sub>m</sub> − x<sub>c</sub>| ≤ U (the certified "
        "interval only: the results carry no u<sub>m</sub>; ISO Guide 35:2017, 8.9)",
        "表 S5 — 定值后监测：|x<sub>m</sub> − x<sub>c</sub>| ≤ U（仅与标准值区间比较：监测结果无 "
        "u<sub>m</sub>；ISO Guide 35:2017, 8.9）",
    ),
    "S7": (
        "Table S7 — Monitoring trend: the line of the results on time (eCerto's LTS module; "
        "ISO Guide 35:2017, 8.9)",
        "表 S7 — 监测趋势：监测结果对时间的回归直线（eCerto 长期稳定性监测模块；ISO Guide 35:2017, 8.9）",
    ),
}

# Figure S7: rmwork's own symbols in mathtext; analyte and unit drawn literally
_FIG = {
    "title": (
        "Figure S7 — Monitoring results on time, eCerto's trend line and the certified value ± U",
        "图 S7 — 监测结果随时间的变化、eCerto 趋势线与标准值 ± U",
    ),
    "results": ("monitoring results $x_\\mathrm{m}$", "监测结果 $x_\\mathrm{m}$"),
    "fit": ("fitted line $b_0 + b_1 t$", "拟合直线 $b_0 + b_1 t$"),
    "moved": (
        "line moved to $x_\\mathrm{c}$: $x_\\mathrm{c} + b_1 t$",
        "平移至标准值的直线 $x_\\mathrm{c} + b_1 t$",
    ),
    "x_c": ("certified value $x_\\mathrm{c}$", "标准值 $x_\\mathrm{c}$"),
    "band": ("$x_\\mathrm{c} \\pm U$", "$x_\\mathrm{c} \\pm U$"),
    "xlabel": ("months since the first monitoring result", "自首个监测结果起的时间 / 月"),
    "u_m": (" ($\\pm 2u_\\mathrm{m}$)", "（$\\pm 2u_\\mathrm{m}$）"),
}


def _f(key: str, lang: str) -> str:
    en, zh = _FIG[key]
    return zh if lang == "zh" else en


def _cap(key: str, lang: str, **kw) -> str:
    en, zh = CAPTIONS[key]
    return (zh if lang == "zh" else en).format(**kw)


def _q(analyte: str, symbol: str, base: str = BASE) -> str:
    return N.qname(analyte, symbol, base) if analyte else ""


def _unit(unit: str | None) -> str:
    return f" {unit}" if unit else ""


# ---------------------------------------------------------------------------------------------
# printed numbers


def certified_numbers(m, analyte: str, certified=None) -> dict:
    """x_c, U, k and u_c as the report prints them: the certificate's rounded strings and names
    (``<analyte>/x_CRM|U|k/certified``, u_c as Table U1's ``u_CRM``) when the certified value is
    given; otherwise by the display policy, named in this section."""
    if certified is not None:
        from .certificate import certified_numbers as cn

        xc, U, k = cn(analyte, certified.value_rounded, certified.U_rounded, certified.k)
        uc = N.uncertainty(certified.u, q=_q(analyte, "u_CRM", "budget"))
        return {"xc": xc, "U": U, "k": k, "uc": uc}
    nan = math.nan  # a trend result carries x_c and U only
    return {
        "xc": N.value(m.certified_value, m.U, q=_q(analyte, "x_c")),
        "U": N.uncertainty(m.U, q=_q(analyte, "U_c")),
        "k": N.coverage_factor(getattr(m, "k", nan), q=_q(analyte, "k_c")),
        "uc": N.uncertainty(getattr(m, "u_c", nan), q=_q(analyte, "u_c")),
    }


def _one_u_m(m) -> float | None:
    """The one u_m of every result (stated by the lot), or None (a column u: one per result)."""
    ums = {u for u in m.u_m if math.isfinite(u)}
    return next(iter(ums)) if len(ums) == 1 else None


def trend_numbers(tr, analyte: str) -> dict:
    """The printed numbers of eCerto's trend, each named ``<analyte>/<symbol>/monitoring``: b1 to
    the place of s(b1), s(b1) to 2 significant digits, p 2 digits, times 4 significant digits."""
    return {
        "n": N.count(tr.n_points),
        "b1": N.value(tr.slope, tr.se_slope, q=_q(analyte, "b1")),
        "sb1": N.uncertainty(tr.se_slope, q=_q(analyte, "s_b1")),
        "p": N.p_value(tr.p_value, q=_q(analyte, "p_b1")),
        "span": N.measured(tr.time_max_observed, 4, q=_q(analyte, "t_span")),
        "t": N.measured(tr.t_exit, 4, q=_q(analyte, "t_exit")),
        "tc": N.count(tr.t_exit_months, q=_q(analyte, "t_exit_ceil")),
        "t95": N.measured(tr.t_exit_ci95, 4, q=_q(analyte, "t_exit_ci95")),
    }


# ---------------------------------------------------------------------------------------------
# sentences


def _source(m, lang: str) -> str:
    """Where u_m comes from, in the report's language (rmwork.monitoring writes it in English)."""
    src = str(m.u_m_source)
    if src == text("mon_source_column"):
        return text("mon_source_column", lang)
    head = "stated in the lot as "
    if src.startswith(head):
        return text("mon_source_stated", lang, param=src[len(head) :].split(":")[0])
    return src


def rule_statement(m, unit: str | None, lang: str = "en", *, analyte: str = "", certified=None) -> str:
    """One sentence: how each monitoring result was judged, and what u_m is."""
    a = analyte or m.analyte
    c = {k: N.tag(v) for k, v in certified_numbers(m, a, certified).items()}
    u = _unit(unit)
    if m.check == "certified-interval":
        return N.sentence(
            text("mon_rule_interval", lang, rule="check: certified-interval", xc=c["xc"], U=c["U"], unit=u)
        )
    one = _one_u_m(m)
    if one is not None:
        um = N.tag(N.uncertainty(one, q=_q(a, "u_m")))
    else:  # one u_m per result (the table's column): their range
        ums = sorted(m.u_m)
        um = f"{N.uncertainty(ums[0]).text()} – {N.uncertainty(ums[-1]).text()}"
    return N.sentence(
        text("mon_rule", lang, xc=c["xc"], uc=c["uc"], k=c["k"], um=um, unit=u, source=_source(m, lang))
    )


def trend_statement(tr, unit: str | None, lang: str = "en", *, analyte: str = "", certified=None) -> str:
    """eCerto's trend in words: b1, s(b1), p, t_exit, ⌈t_exit⌉ and the 95 % band's t_exit."""
    a = analyte or tr.analyte
    n = {k: N.tag(v) for k, v in trend_numbers(tr, a).items()}
    c = {k: N.tag(v) for k, v in certified_numbers(tr, a, certified).items()}
    start = text("mon_start", lang, date=tr.start_date) if tr.start_date else ""
    when = text("mon_when", lang, date=tr.exit_date) if tr.exit_date else ""
    return N.sentence(
        text("mon_trend", lang, **n, xc=c["xc"], U=c["U"], unit=_unit(unit), start=start, when=when)
    )


def note_of(text_: str, tr, lang: str, analyte: str = "") -> str:
    """A note of the monitoring result or its trend in the report's language; the extrapolation
    note (written with ``.4g``) respelled with Table S7's t_exit and span."""
    if tr is not None and str(text_).startswith("t_exit = ") and "an extrapolation" in str(text_):
        n = trend_numbers(tr, analyte or tr.analyte)
        return N.sentence(text("mon_extrapolated", lang, t=N.tag(n["t"]), span=N.tag(n["span"])))
    return note_text(text_, lang)


# ---------------------------------------------------------------------------------------------
# tables


def _numbered_table(df: pd.DataFrame, caption_html: str, ref: Ref, lang: str) -> HTML:
    """``df`` (headers from the symbol map) under a caption that is already HTML, numbered."""
    body = table_html(df, "", lang=lang, labels=True)
    open_tag, cap = numbered(ref, caption_html, lang)
    blank = '<table class="rmwork"><caption></caption>'
    return HTML(body.replace(blank, f"{open_tag}<caption>{cap}</caption>", 1))


def table_s5(m, analyte: str, lang: str = "en", unit: str | None = None, certified=None) -> HTML:
    """Table S5: each result x_m, its u_m, x_m − x_c, the limit and whether it is within.

    x_m to the decimal place of u_m (of the limit U when the results carry no u), x_m − x_c to
    the place of its limit, u_m and the limit to 2 significant digits (GUM 7.2.6); a u_m the lot
    states for every result is named as in the rule sentence above the table.
    """
    a = analyte or m.analyte
    interval = m.check == "certified-interval"
    one = _one_u_m(m)
    rows = []
    for x, um, d, Ud, ok in zip(m.measured, m.u_m, m.d, m.U_d, m.passed):
        # to the place of u_m; without one (certified-interval), of the limit U: one place per column
        row = {header("x_m", lang, unit): N.value(x, um if math.isfinite(um) else Ud)}
        if not interval:
            row[header("u_m", lang, unit)] = N.uncertainty(um, q=_q(a, "u_m") if one is not None else "")
        row[header("d_mc", lang, unit)] = N.value(d, Ud)
        limit = N.uncertainty(Ud, q=_q(a, "U_limit" if interval else "U_d") if len(set(m.U_d)) == 1 else "")
        row[header("U_limit" if interval else "U_d_mc", lang, unit)] = limit
        row[header("within_U" if interval else "within_U_d", lang, unit)] = yes_no(ok, lang)
        rows.append(row)
    k = certified_numbers(m, a, certified)["k"].text()
    cap = _cap("S5i", lang) if interval else _cap("S5", lang, k=html.escape(k))
    return _numbered_table(pd.DataFrame(rows), cap, Ref("S5", a or None), lang)


def table_s7(tr, analyte: str, lang: str = "en", unit: str | None = None) -> HTML:
    """Table S7: eCerto's trend (n, b1, s(b1), p, span, t_exit, ⌈t_exit⌉, t_exit of the 95 % band)."""
    a = analyte or tr.analyte
    n = trend_numbers(tr, a)
    fields = {
        "n_points": "n",
        "slope": "b1",
        "se_slope": "sb1",
        "p_value": "p",
        "t_span": "span",
        "t_exit": "t",
        "t_exit_ceil": "tc",
        "t_exit_ci95": "t95",
    }
    row = {header(f, lang, unit): n[key] for f, key in fields.items()}
    row[header("exit_date", lang)] = tr.exit_date or N.MISSING
    return _numbered_table(pd.DataFrame([row]), _cap("S7", lang), Ref("S7", a or None), lang)


# ---------------------------------------------------------------------------------------------
# figures


def _cjk(lang: str) -> None:
    if lang == "zh":
        from .certificate import setup_cjk_font

        setup_cjk_font()


def figure_s7(m, analyte: str, unit: str | None, lang: str = "en"):
    """Figure S7 (eCerto Fig. L1): results on months since the first, x_c ± U, the line and its shift to x_c."""
    from matplotlib.figure import Figure

    _cjk(lang)
    tr = m.trend
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.add_subplot()
    t = np.asarray(tr.time, float)
    ax.plot(t, m.measured, "^", color="0.5", ms=4, label=_f("results", lang))
    x = np.array([0.0, float(t.max())])
    ax.plot(x, tr.intercept + tr.slope * x, "--", color="tab:blue", label=_f("fit", lang))
    ax.plot(x, tr.certified_value + tr.slope * x, ":", color="0.4", label=_f("moved", lang))
    ax.axhline(tr.certified_value, color="tab:red", lw=1, label=_f("x_c", lang))
    for s in (-1, 1):
        ax.axhline(
            tr.certified_value + s * tr.U,
            color="tab:green",
            ls="--",
            lw=1,
            label=_f("band", lang) if s > 0 else None,
        )
    ax.set_xlabel(_f("xlabel", lang))
    ax.set_ylabel(f"{literal(analyte)} / {literal(unit)}" if unit else literal(analyte))
    ax.set_title(_f("title", lang), fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def points_label(with_u: bool, lang: str = "en") -> str:
    """The legend of the monitoring results drawn on Figure U2 (± 2u_m bars, or none without u)."""
    if with_u:
        return text("mon_points", lang) + _f("u_m", lang)
    return text("mon_points_no_u", lang)


def blocks(m, analyte: str, unit: str | None, lang: str = "en", certified=None) -> list:
    """Everything the report shows of one analyte's monitoring, in order."""
    a = analyte or m.analyte
    tr = m.trend
    out: list = [
        paragraph(rule_statement(m, unit, lang, analyte=a, certified=certified)),
        table_s5(m, a, lang, unit, certified),
    ]
    out += [note(note_of(n, tr, lang, a)) for n in m.notes]
    if tr is not None:
        out.append(table_s7(tr, a, lang, unit))
        out.append(paragraph(trend_statement(tr, unit, lang, analyte=a, certified=certified)))
        out += [note(note_of(n, tr, lang, a)) for n in tr.notes]
        if tr.time:
            fig = figure_s7(m, a, unit, lang)
            out.append(figure(fig, ref=figure_ref("S7", a or None), lang=lang))
    return out
