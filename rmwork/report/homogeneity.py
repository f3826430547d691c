"""Homogeneity section: tables H1-H4, figures H1-H3 and the statement (format, plot, prose only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import homogeneity as hmod
from .display import HTML, Ref, figure, figure_ref, fmt, heading, join, later, note, paragraph, table, warning
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


def _ref(tid: str, studies: dict) -> Ref:
    """The number of a homogeneity table: one for the report, holding every analyte's rows."""
    return Ref(tid, analytes=tuple(dict.fromkeys(st.analyte for st in studies.values())))


def table_h1(studies: dict, lang: str = "en") -> HTML:
    rows = []
    for st in studies.values():
        r = st.anova
        rows.append(
            {
                "analyte": _key(st),
                "n_units": r.n_units,
                "n_results": r.n_results,
                "mean": r.mean,
                "ms_between": r.ms_between,
                "ms_within": r.ms_within,
                "f_statistic": r.f_statistic,
                "f_critical": r.f_critical,
                "p_value": r.p_value,
                "n0": r.n0,
                "s_bb": r.s_bb,
                "u_bb_star": r.u_bb_star,
                "u_bb": r.u_bb,
                "u_bb_rel": r.u_bb_rel,
            }
        )
    return table(pd.DataFrame(rows), _cap("H1", lang), lang=lang, digits=4, ref=_ref("H1", studies))


def table_h2(studies: dict, lang: str = "en") -> HTML | None:
    rows = []
    for st in studies.values():
        c = st.criterion
        if c is None:
            continue
        rows.append(
            {
                "analyte": _key(st),
                "sigma_pt": c.sigma_pt,
                "s_x": c.s_x,
                "s_w": c.s_w,
                "s_s": c.s_s,
                "0.3 sigma_pt": c.limit,
                "passed": c.passed,
                "F1": c.f1,
                "F2": c.f2,
                "sqrt(c)": c.sqrt_c,
                "passed (expanded)": c.passed_expanded,
            }
        )
    if not rows:
        return None
    return table(pd.DataFrame(rows), _cap("H2", lang), lang=lang, digits=5, ref=_ref("H2", {k: st for k, st in studies.items() if st.criterion is not None}))


def table_h3(studies: dict, lang: str = "en") -> HTML | None:
    rows = []
    for st in studies.values():
        for t in st.trends:
            rows.append(
                {
                    "analyte": _key(st),
                    "test": f"trend vs {t.order} ({t.on})",
                    "statistic": t.t_statistic,
                    "p_value": t.p_value,
                    "flag": "significant" if t.significant else "—",
                }
            )
        for name, res in (
            ("Cochran C (within-unit variances)", st.cochran),
            ("Grubbs (unit means)", st.grubbs),
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
                    "statistic": stat,
                    "p_value": p,
                    "flag": ", ".join(map(str, flagged)) if isinstance(flagged, list) and flagged else "—",
                }
            )
    if not rows:
        return None
    return table(pd.DataFrame(rows), _cap("H3", lang), lang=lang, digits=4, ref=_ref("H3", {k: st for k, st in studies.items() if st.trends or st.cochran is not None or st.grubbs is not None}))


def table_h4(studies: dict, lang: str = "en") -> HTML | None:
    rows = []
    for st in studies.values():
        fit = st.bayes
        if fit is None:
            continue
        s = fit.summary["sigma_bb"]
        rows.append(
            {
                "analyte": _key(st),
                "s_bb (ANOVA)": st.anova.s_bb,
                "sigma_bb median": s["median"],
                "sigma_bb 95 % upper": s.get("q95"),
                "R-hat max": fit.diagnostics.rhat_max,
                "ESS bulk min": fit.diagnostics.ess_bulk_min,
                "ESS tail min": fit.diagnostics.ess_tail_min,
                "divergences": fit.diagnostics.n_divergent,
                "diagnostics": "passed" if fit.diagnostics.passed else "FAILED",
            }
        )
    if not rows:
        return None
    return table(pd.DataFrame(rows), _cap("H4", lang), lang=lang, digits=4, ref=_ref("H4", {k: st for k, st in studies.items() if st.bayes is not None}))


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
        f"图 H1 — {literal(_key(st))}：单元平均值 ± 95 % 置信区间；总平均值 ± 2 u_bb"
        if zh
        else f"Figure H1 — {literal(_key(st))}: unit means ± 95 % CI; mean ± 2 u_bb",
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
    if lang == "zh":
        verdict = "组间差异显著" if r.significant else "组间差异不显著"
        basis = "s<sub>bb</sub>" if r.s_bb >= r.u_bb_star else "u*<sub>bb</sub>"
        return (
            f"{_key(st)}：F = {fmt(r.f_statistic, 4)}，临界值 F = {fmt(r.f_critical, 4)}"
            f"（α = {r.alpha:g}），{verdict}；u_bb = {fmt(r.u_bb, 4)} {st.unit_of_measure}"
            f"（相对 {fmt(100 * r.u_bb_rel, 3)} %），取 {basis.replace('<sub>', '_').replace('</sub>', '')}。"
        )
    return (
        f"{_key(st)}: {st.conclusion} u_bb = {fmt(r.u_bb, 4)} {st.unit_of_measure} "
        f"({fmt(100 * r.u_bb_rel, 3)} % relative)."
    )


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
            display(note(n))
        display(figure(figure_h1(data[key], st, lang), ref=figure_ref("H1", _key(st), analyte=st.analyte)))
        display(figure(figure_h2(data[key], st, lang), ref=figure_ref("H2", _key(st), analyte=st.analyte)))
