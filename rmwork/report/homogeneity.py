"""Homogeneity section: tables H1-H4, figures H1-H3 and the statement (format, plot, prose only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import homogeneity as hmod
from . import numbers as N
from .display import (
    HTML,
    Ref,
    figure,
    figure_ref,
    heading,
    join,
    later,
    note,
    paragraph,
    table_html,
    warning,
)
from .phrases import note_text
from .symbols import relabel, table_units, yes_no
from .usertext import category_ticks, literal

CAPTIONS = {
    "H1": (
        "Table H1 — Homogeneity: one-way ANOVA (ISO Guide 35:2017, 7.7/B.3; JJF 1343-2022)",
        "表 H1 — 均匀性：单因子方差分析 (ISO Guide 35:2017, 7.7/B.3；JJF 1343-2022)",
    ),
    "H2": (
        "Table H2 — Homogeneity: ISO 13528:2022 Annex B criteria",
        "表 H2 — 均匀性：ISO 13528:2022 附录 B 判据",
    ),
    "H3": (
        "Table H3 — Homogeneity: trends and screening (advisory; nothing removed)",
        "表 H3 — 均匀性：趋势检验与离群值筛查（仅供参考，未剔除数据）",
    ),
    "H4": (
        "Table H4 — Homogeneity: Bayesian random-effects model (sensitivity analysis)",
        "表 H4 — 均匀性：贝叶斯随机效应模型（敏感性分析）",
    ),
}


def _cap(tid, lang):
    en, zh = CAPTIONS[tid]
    return zh if lang == "zh" else en


def _key(st) -> str:
    return f"{st.analyte} ({st.group})" if st.group else st.analyte


def printed(st) -> dict:
    """The printed numbers of one homogeneity study, each rounded once by its kind
    (:mod:`rmwork.report.numbers`) and named ``<analyte>/<symbol>/homogeneity``; relative values
    are relative to the mean of the homogeneity study (``homogeneity-mean``)."""
    r, a = st.anova, _key(st)

    def q(sym, base="homogeneity"):
        return N.qname(a, sym, base)

    return {
        "n_units": N.count(r.n_units),
        "n_results": N.count(r.n_results),
        "mean": N.value(r.mean, q=q("mean")),
        "ms_between": N.statistic(r.ms_between, q=q("ms_between")),
        "ms_within": N.statistic(r.ms_within, q=q("ms_within")),
        "f_statistic": N.statistic(r.f_statistic, q=q("F")),
        "f_critical": N.statistic(r.f_critical, q=q("F_crit")),
        "p_value": N.p_value(r.p_value, q=q("p_F")),
        "n0": N.measured(r.n0, 4, q=q("n0")),
        "s_bb": N.uncertainty(r.s_bb, q=q("s_bb")),
        "u_bb_star": N.uncertainty(r.u_bb_star, q=q("u_bb_star")),
        "u_bb": N.uncertainty(r.u_bb, q=q("u_bb")),
        "u_bb_rel_hom": N.relative(r.u_bb_rel, q=q("u_bb_rel", "homogeneity-mean")),
    }


def _table(
    rows: list[dict], units: list[str], tid: str, lang: str, digits: int, ref: Ref | None = None
) -> HTML:
    """Rows with their units: one unit for the table goes into the headers ("s_bb / mg/kg");
    several units add a unit column after the analyte (report/symbols.py conventions)."""
    df = pd.DataFrame(rows)
    one = table_units(units)
    if one is None and units:
        df.insert(1, "unit_of_measure", units)
    return HTML(table_html(relabel(df, lang, one), _cap(tid, lang), lang=lang, digits=digits, ref=ref))


# Table H3's test names: (en, zh), terms from shared/zh/GLOSSARY.md
_TESTS = {
    "cochran": ("Cochran C (within-unit variances)", "科克伦检验 C（单元内方差）"),
    "grubbs": ("Grubbs (unit means)", "格拉布斯检验（单元平均值）"),
    "trend": ("trend vs {order} ({on})", "趋势检验：{on}对{order}"),
    "significant": ("significant", "显著"),
    "fill_order": ("fill order", "灌装顺序"),
    "run_order": ("run order", "测量顺序"),
    "unit means": ("unit means", "单元平均值"),
    "results": ("results", "单个结果"),
    "passed": ("passed", "通过"),
    "failed": ("FAILED", "未通过"),
}


def _tt(key: str, lang: str, **kw) -> str:
    en, zh = _TESTS[key]
    kw = {k: _TESTS[v][1 if lang == "zh" else 0] if v in _TESTS else v for k, v in kw.items()}
    return (zh if lang == "zh" else en).format(**kw)


def _ref(tid: str, studies: dict) -> Ref:
    """The number of a homogeneity table: one for the report, holding every analyte's rows."""
    return Ref(tid, analytes=tuple(dict.fromkeys(st.analyte for st in studies.values())))


def table_h1(studies: dict, lang: str = "en") -> HTML:
    rows = [{"analyte": _key(st), **printed(st)} for st in studies.values()]
    return _table(
        rows, [st.unit_of_measure for st in studies.values()], "H1", lang, 4, ref=_ref("H1", studies)
    )


def table_h2(studies: dict, lang: str = "en") -> HTML | None:
    rows, units = [], []
    for st in studies.values():
        c = st.criterion
        if c is None:
            continue
        a = _key(st)
        u = {
            k: N.uncertainty(getattr(c, k), q=N.qname(a, k, "homogeneity"))
            for k in ("sigma_pt", "s_x", "s_w", "s_s")
        }
        units.append(st.unit_of_measure)
        rows.append(
            {
                "analyte": a,
                **u,
                "limit_03_sigma_pt": N.uncertainty(c.limit, q=N.qname(a, "0.3sigma_pt", "homogeneity")),
                "passed_03": yes_no(c.passed, lang),
                "F1": N.statistic(c.f1),
                "F2": N.statistic(c.f2),
                "sqrt_c": N.uncertainty(c.sqrt_c, q=N.qname(a, "sqrt_c", "homogeneity")),
                "passed_expanded": yes_no(c.passed_expanded, lang),
            }
        )
    if not rows:
        return None
    return _table(
        rows,
        units,
        "H2",
        lang,
        5,
        ref=_ref("H2", {k: st for k, st in studies.items() if st.criterion is not None}),
    )


def table_h3(studies: dict, lang: str = "en") -> HTML | None:
    rows = []
    for st in studies.values():
        for t in st.trends:
            rows.append(
                {
                    "analyte": _key(st),
                    "test": _tt("trend", lang, order=t.order, on=t.on),
                    "statistic": N.statistic(t.t_statistic),
                    "p_value": N.p_value(t.p_value, q=N.qname(_key(st), f"p_trend_{t.order}", "homogeneity")),
                    "flag": _tt("significant", lang) if t.significant else "—",
                }
            )
        for name, res in (
            (_tt("cochran", lang), st.cochran),
            (_tt("grubbs", lang), st.grubbs),
        ):
            if res is None:
                continue
            d = res.to_dict()
            stat = d.get("statistic", d.get("c", d.get("g")))
            p = d.get("p_value")
            flagged = d.get("flagged") or d.get("outliers") or d.get("suspect")
            rows.append(
                {
                    "analyte": _key(st),
                    "test": name,
                    "statistic": N.statistic(stat),
                    "p_value": N.p_value(p),
                    "flag": ", ".join(map(str, flagged)) if isinstance(flagged, list) and flagged else "—",
                }
            )
    if not rows:
        return None
    held = {
        k: st for k, st in studies.items() if st.trends or st.cochran is not None or st.grubbs is not None
    }
    return HTML(
        table_html(
            relabel(pd.DataFrame(rows), lang), _cap("H3", lang), lang=lang, digits=4, ref=_ref("H3", held)
        )
    )


def table_h4(studies: dict, lang: str = "en") -> HTML | None:
    rows, units = [], []
    for st in studies.values():
        fit = st.bayes
        if fit is None:
            continue
        s = fit.summary["sigma_bb"]
        units.append(st.unit_of_measure)
        rows.append(
            {
                "analyte": _key(st),
                "s_bb_anova": printed(st)["s_bb"],
                "sigma_bb_median": N.uncertainty(s["median"]),
                "sigma_bb_q95": N.uncertainty(s.get("q95")),
                "rhat_max": N.statistic(fit.diagnostics.rhat_max),
                "ess_bulk_min": fit.diagnostics.ess_bulk_min,
                "ess_tail_min": fit.diagnostics.ess_tail_min,
                "divergences": fit.diagnostics.n_divergent,
                "diagnostics": _tt("passed" if fit.diagnostics.passed else "failed", lang),
            }
        )
    if not rows:
        return None
    return _table(
        rows,
        units,
        "H4",
        lang,
        4,
        ref=_ref("H4", {k: st for k, st in studies.items() if st.bayes is not None}),
    )


def bayes_block(studies: dict, lang: str = "en") -> HTML | None:
    """Table H4 and, below it, the diagnostic warnings of any fit that failed its gate."""
    warnings_ = [
        warning(f"{_key(st)}: {m}")
        for st in studies.values()
        if st.bayes is not None and not st.bayes.diagnostics.passed
        for m in st.bayes.diagnostics.messages
    ]
    return join(table_h4(studies, lang), *warnings_)


def figure_h1(df: pd.DataFrame, st, lang: str = "en"):
    """Unit means with 95 % intervals (t on each unit's SD) in fill order, and the grand mean."""
    from matplotlib.figure import Figure
    from scipy import stats

    order = "fill_order" if "fill_order" in df.columns else None
    um = hmod.unit_means(df, order=order)
    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(um))
    half = np.where(um["n"] > 1, stats.t.ppf(0.975, np.maximum(um["n"] - 1, 1)) * um["se"], np.nan)
    ax.errorbar(x, um["mean"], yerr=half, fmt="o", color="#1f4e79", capsize=3, ms=4)
    r = st.anova
    ax.axhline(r.mean, color="grey", lw=1)
    for sgn in (-1, 1):
        ax.axhline(r.mean + sgn * 2 * r.u_bb, color="#cc6600", lw=0.8, ls="--")
    category_ticks(ax, um["unit"].astype(str))
    zh = lang == "zh"
    ax.set_xlabel(
        ("单元（灌装顺序）" if zh else "unit (fill order)") if order else ("单元" if zh else "unit"),
        fontsize=8,
    )
    ax.set_ylabel(
        literal(f"{st.analyte} [{st.unit_of_measure}]" if st.unit_of_measure else st.analyte), fontsize=8
    )
    ax.set_title(
        f"图 H1 — {literal(_key(st))}：单元平均值 ± 95 % 置信区间；总平均值 ± 2$u_\\mathrm{{bb}}$"
        if zh
        else f"Figure H1 — {literal(_key(st))}: unit means ± 95 % CI; mean ± 2$u_\\mathrm{{bb}}$",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_h2(df: pd.DataFrame, st, lang: str = "en"):
    """Replicate scatter per unit and a normal Q-Q plot of within-unit residuals."""
    from matplotlib.figure import Figure
    from scipy import stats

    fig = Figure(figsize=(7, 3))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    units = df["unit"].astype(str)
    codes, uniq = pd.factorize(units)
    ax1.scatter(codes, df["value"], s=10, color="#1f4e79")
    category_ticks(ax1, uniq)
    zh = lang == "zh"
    ax1.set_title("各单元重复测量值" if zh else "replicates per unit", fontsize=9)
    resid = df["value"] - df.groupby(units)["value"].transform("mean")
    (osm, osr), (slope, icpt, _) = stats.probplot(resid.to_numpy(float), dist="norm")
    ax2.scatter(osm, osr, s=10, color="#1f4e79")
    ax2.plot(osm, slope * np.asarray(osm) + icpt, color="grey", lw=1)
    ax2.set_title("单元内残差 Q–Q 图" if zh else "Q–Q plot of within-unit residuals", fontsize=9)
    ax2.set_xlabel("正态分位数" if zh else "normal quantile", fontsize=8)
    fig.suptitle(f"{'图' if zh else 'Figure'} H2 — {literal(_key(st))}", fontsize=9)
    fig.tight_layout()
    return fig


def homogeneity_statement(st, lang: str = "en") -> str:
    """Sentences built from the result fields (a missing field raises, never becomes 0)."""
    r = st.anova
    if not r.ms_within > 0:
        return (
            f"{_key(st)}：所有单元的结果完全相同（MS_within = 0），无法估计瓶内标准偏差，F 检验和 u*_bb 无定义，"
            "u_bb 不用于证书。"
            if lang == "zh"
            else f"{_key(st)}: {st.conclusion}"
        )
    n = {k: N.tag(v) for k, v in printed(st).items()}
    rel = N.tag(printed(st)["u_bb_rel_hom"], " %")
    if lang == "zh":
        verdict = "组间差异显著" if r.significant else "组间差异不显著"
        basis = "s<sub>bb</sub>" if r.s_bb >= r.u_bb_star else "u*<sub>bb</sub>"
        return N.sentence(
            f"{_key(st)}：F = {n['f_statistic']}，临界值 F = {n['f_critical']}"
            f"（α = {r.alpha:g}），{verdict}；u_bb = {n['u_bb']} {st.unit_of_measure}"
            f"（相对均匀性研究平均值 {rel}），取 {basis.replace('<sub>', '_').replace('</sub>', '')}。"
        )
    return N.sentence(
        f"{_key(st)}: {_conclusion_en(st, n)} u_bb = {n['u_bb']} {st.unit_of_measure} "
        f"({rel} relative to the mean of the homogeneity study)."
    )


def _conclusion_en(st, n: dict) -> str:
    """:func:`rmwork.homogeneity.conclusion` with its numbers printed by the report's policy."""
    r, crit = st.anova, st.criterion
    if r.significant:
        parts = [
            f"The between-unit variation is significant (F = {n['f_statistic']} > "
            f"F_crit = {n['f_critical']}, p = {n['p_value']}); s_bb enters the budget as u_bb"
        ]
    else:
        parts = [
            f"No significant between-unit variation at alpha = {r.alpha:g} "
            f"(F = {n['f_statistic']} <= F_crit = {n['f_critical']}, p = {n['p_value']})"
        ]
    parts.append(
        "u_bb = "
        + (
            "s_bb"
            if r.s_bb >= r.u_bb_star
            else "u*_bb (the method's repeatability limits what the study can detect)"
        )
    )
    if crit is not None:
        met = (
            "met"
            if crit.passed
            else ("not met, expanded criterion met" if crit.passed_expanded else "not met")
        )
        parts.append(f"ISO 13528 criterion s_s <= 0.3 sigma_pt {met}")
    for t in st.trends:
        if t.significant:
            p = N.tag(N.p_value(t.p_value, q=N.qname(_key(st), f"p_trend_{t.order}", "homogeneity")))
            parts.append(
                f"significant trend against {t.order.replace('_', ' ')} (p = {p}): investigate before certifying"
            )
    return "; ".join(parts) + "."


def show(studies: dict, data: dict, lang: str = "en", wb=None):
    """Display the whole homogeneity section (tables, figures, statements, notes).

    With ``wb`` whose Bayesian fits run in the background, Table H4 and the fits' diagnostic
    warnings appear as a placeholder that is filled in place when the fits are collected.
    """
    from IPython.display import display

    if not studies:
        display(note("This lot has no homogeneity study." if lang == "en" else "本批次无均匀性研究。"))
        return
    display(table_h1(studies, lang))
    for t in (table_h2(studies, lang), table_h3(studies, lang)):
        if t is not None:
            display(t)
    later(wb, lambda: bayes_block(studies, lang), pending=wb is not None and wb.pending("homogeneity"))
    for key, st in studies.items():
        display(heading(_key(st), 4))
        display(paragraph(homogeneity_statement(st, lang)))
        for n in st.anova.notes + st.notes:
            display(note(note_text(n, lang)))
        display(figure(figure_h1(data[key], st, lang), ref=figure_ref("H1", _key(st), analyte=st.analyte)))
        display(figure(figure_h2(data[key], st, lang), ref=figure_ref("H2", _key(st), analyte=st.analyte)))
