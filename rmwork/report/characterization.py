"""Characterization section: tables C1-C4, figure C1 and the statement (format, plot, prose only).

Every number shown comes from a result of :mod:`rmwork.characterization` or
:mod:`rmwork.outliers`; nothing is recomputed here. Rounding is for display only.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from .display import HTML, fmt, table_html
from .usertext import literal, literals

CAPTIONS = {
    "C1": ("Table C1 — Characterization: laboratory results as read (ISO Guide 35:2017, 9.2)",
           "表 C1 — 定值：各实验室结果（ISO Guide 35:2017, 9.2）"),
    "C2": ("Table C2 — Characterization: screening of laboratory results (advisory; nothing removed)",
           "表 C2 — 定值：实验室结果离群值筛查（仅供参考，未剔除数据）"),
    "C2b": ("Table C2b — Characterization: distribution of laboratory means and consistency",
            "表 C2b — 定值：实验室平均值的分布与一致性检验"),
    "C3": ("Table C3 — Characterization: comparison of consensus estimators (ISO Guide 35:2017, 9.5)",
           "表 C3 — 定值：各定值方法结果比较（ISO Guide 35:2017, 9.5）"),
    "C4": ("Table C4 — Characterization: unilateral degrees of equivalence (CIPM MRA; NICOB)",
           "表 C4 — 定值：单边等效度（CIPM MRA；NICOB）"),
}

# column -> (English, Chinese) header; HTML markup allowed (headers are not user data)
LABELS = {
    "lab": ("Laboratory", "实验室"),
    "n": ("n", "n"),
    "value": ("x<sub>j</sub>", "x<sub>j</sub>"),
    "mean": ("Mean", "平均值"),
    "sd": ("s<sub>j</sub>", "s<sub>j</sub>"),
    "u": ("u(x<sub>j</sub>)", "u(x<sub>j</sub>)"),
    "dof": ("&nu;<sub>j</sub>", "&nu;<sub>j</sub>"),
    "include": ("In value", "参与定值"),
    "reason": ("Reason", "理由"),
    "scheffe_05": ("Scheffé 5 %", "Scheffé 5 %"),
    "scheffe_01": ("Scheffé 1 %", "Scheffé 1 %"),
    "dixon_p": ("Dixon p", "狄克逊检验 p"),
    "grubbs_p": ("Grubbs p", "格拉布斯检验 p"),
    "grubbs2_p": ("Grubbs (double) p", "双格拉布斯检验 p"),
    "cochran_p": ("Cochran C p", "科克伦检验 p"),
    "mandel_h": ("Mandel h", "曼德尔 h"),
    "mandel_k": ("Mandel k", "曼德尔 k"),
    "test": ("Test", "检验"),
    "statistic": ("Statistic", "统计量"),
    "p_value": ("p", "p"),
    "method": ("Method", "方法"),
    "x_ref": ("Value", "定值结果"),
    "u_c": ("u", "标准不确定度 u"),
    "tau": ("&tau;", "实验室间标准偏差 &tau;"),
    "ci_low": ("95 % low", "95 % 下限"),
    "ci_high": ("95 % high", "95 % 上限"),
    "dof_c": ("&nu;", "自由度 &nu;"),
    "n_labs": ("p (labs)", "实验室数 p"),
    "u_method": ("u from", "u 的评定方式"),
    "chosen": ("Chosen", "采用"),
    "x": ("x<sub>j</sub>", "x<sub>j</sub>"),
    "u_x": ("u(x<sub>j</sub>)", "u(x<sub>j</sub>)"),
    "d": ("d<sub>j</sub>", "d<sub>j</sub>"),
    "U_d": ("U(d<sub>j</sub>)", "U(d<sub>j</sub>)"),
    "d_loo": ("d<sub>j</sub> (leave one out)", "d<sub>j</sub>（留一法）"),
    "U_d_loo": ("U(d<sub>j</sub>) (leave one out)", "U(d<sub>j</sub>)（留一法）"),
}

METHOD_NAMES = {
    "mean": ("Mean of laboratory means", "实验室平均值的算术平均值"),
    "weighted-mean": ("Weighted mean", "加权平均值"),
    "dersimonian-laird": ("DerSimonian–Laird", "DerSimonian–Laird 随机效应模型"),
    "paule-mandel": ("Paule–Mandel", "Paule–Mandel 随机效应模型"),
    "bayes-gauss": ("Hierarchical Bayes (Gauss)", "分层贝叶斯模型（高斯）"),
    "bayes-laplace": ("Hierarchical Bayes (Laplace)", "分层贝叶斯模型（拉普拉斯）"),
    "linear-pool": ("Linear pool", "线性意见池"),
}


def _cap(tid: str, lang: str) -> str:
    en, zh = CAPTIONS[tid]
    return zh if lang == "zh" else en


def _relabel(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    i = 1 if lang == "zh" else 0
    return df.rename(columns={c: LABELS[c][i] for c in df.columns if c in LABELS})


def _html(df: pd.DataFrame, tid: str, lang: str, digits: int = 5) -> str:
    return table_html(_relabel(df, lang), _cap(tid, lang), lang=lang, digits=digits)


def _yes(flag: bool, lang: str) -> str:
    return ("是" if flag else "否") if lang == "zh" else ("yes" if flag else "no")


def _method_name(method: str, lang: str) -> str:
    en, zh = METHOD_NAMES.get(method, (method, method))
    return zh if lang == "zh" else en


def _decimals(u: float) -> int:
    """Decimals that show u with two significant digits (display only)."""
    if not (isinstance(u, (int, float)) and math.isfinite(u) and u > 0):
        return 4
    return max(0, 1 - int(math.floor(math.log10(u))))


def _num(v: float, dec: int) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:.{dec}f}"


# ---------------------------------------------------------------------------------------------
# tables

def table_c1(summary, lang: str = "en") -> HTML:
    """Table C1: laboratory results as read (one row per lab; ``LabSummary``)."""
    df = summary.to_frame()
    reasons = dict(summary.excluded)
    df["include"] = [_yes(f, lang) for f in df["include"]]
    if reasons:
        df["reason"] = [reasons.get(lab, "") for lab in df["lab"]]
    if summary.layout == "per-lab":
        df = df.drop(columns=["n", "sd"])
    return HTML(_html(df, "C1", lang, digits=6))


def table_c2(screening, lang: str = "en") -> HTML:
    """Table C2: per-lab screening (letters, p-values, Mandel h/k) and C2b: normality and Q."""
    df = screening.to_frame()
    keep = [c for c in ("lab", "n", "mean", "sd", "scheffe_05", "scheffe_01", "dixon_p", "grubbs_p",
                        "grubbs2_p", "cochran_p", "mandel_h", "mandel_k") if c in df.columns]
    parts = [_html(df[keep], "C2", lang, digits=4)]
    rows = []
    zh = lang == "zh"
    nm, cq = screening.normality, screening.cochran_q
    if nm is not None:
        rows += [{"test": "Shapiro–Wilk", "statistic": nm.shapiro_w, "p_value": nm.shapiro_p},
                 {"test": "Kolmogorov–Smirnov", "statistic": nm.ks_statistic, "p_value": nm.ks_p},
                 {"test": "偏度 g1 (D'Agostino)" if zh else "Skewness g1 (D'Agostino)",
                  "statistic": nm.skewness, "p_value": nm.agostino_p},
                 {"test": "峰度 b2 (Anscombe–Glynn)" if zh else "Kurtosis b2 (Anscombe–Glynn)",
                  "statistic": nm.kurtosis, "p_value": nm.anscombe_p}]
    if cq is not None:
        rows += [{"test": "科克伦 Q 检验" if zh else "Cochran's Q", "statistic": cq.statistic,
                  "p_value": cq.p_value},
                 {"test": "I²", "statistic": cq.i2, "p_value": None}]
    if rows:
        parts.append(_html(pd.DataFrame(rows), "C2b", lang, digits=4))
    return HTML("".join(parts))


def _as_results(results) -> list:
    if hasattr(results, "comparison"):
        return list(results.comparison)
    if isinstance(results, Mapping):
        return list(results.values())
    if hasattr(results, "method") and hasattr(results, "value"):
        return [results]
    return list(results)


def table_c3(results, lang: str = "en", *, chosen: str | None = None) -> HTML:
    """Table C3: consensus estimators side by side (results, a mapping, or a ``Recommendation``)."""
    items = _as_results(results)
    if chosen is None and hasattr(results, "method") and hasattr(results, "comparison"):
        chosen = results.method
    rows = [{"method": _method_name(r.method, lang), "x_ref": r.value, "u_c": r.u, "tau": r.tau,
             "ci_low": r.ci95.low, "ci_high": r.ci95.high, "dof_c": r.dof, "n_labs": r.n_labs,
             "u_method": r.u_method, **({"chosen": _yes(r.method == chosen, lang)} if chosen else {})}
            for r in items]
    return HTML(_html(pd.DataFrame(rows), "C3", lang, digits=6))


def table_c4(doe, lang: str = "en") -> HTML:
    """Table C4: degrees of equivalence with U at the DoE's coverage, and leave-one-out values."""
    df = doe.to_frame()[["lab", "included", "x", "u_x", "d", "U_d", "d_loo", "U_d_loo"]]
    df = df.assign(included=[_yes(f, lang) for f in df["included"]]).rename(columns={"included": "include"})
    return HTML(_html(df, "C4", lang, digits=5))


# ---------------------------------------------------------------------------------------------
# figure

def figure_c1(doe, result=None, *, lang: str = "en"):
    """Figure C1: lab values x_j ± 2u(x_j) with the consensus value and its 95 % interval (top),
    and degrees of equivalence d_j ± U(d_j) (bottom); labs kept out of the value are hollow grey.

    Returns a :class:`matplotlib.figure.Figure` (object-oriented API; no pyplot, no show).
    With ``lang="zh"`` the text is Chinese, drawn with a CJK font
    (:func:`rmwork.report.certificate.setup_cjk_font`).
    """
    from matplotlib.figure import Figure

    zh = lang == "zh"
    if zh:
        from .certificate import setup_cjk_font

        setup_cjk_font()
    labs = list(doe.lab)
    pos = np.arange(len(labs))
    inc = np.asarray(doe.included, bool)
    x, ux = np.asarray(doe.x), np.asarray(doe.u_x)
    d, Ud = np.asarray(doe.d), np.asarray(doe.U_d)
    fig = Figure(figsize=(7.5, 5.2))
    ax1 = fig.add_subplot(2, 1, 1)
    ax2 = fig.add_subplot(2, 1, 2, sharex=ax1)
    colour, grey = "#1f4e79", "#9a9a9a"
    value = doe.value if result is None else result.value
    if result is not None:
        ax1.axhspan(result.ci95.low, result.ci95.high, color="#cc6600", alpha=0.18, lw=0,
                    label="95 % 包含区间" if zh else "95 % interval of the value")
    ax1.axhline(value, color="#cc6600", lw=1.2, label="定值结果" if zh else "consensus value")
    if math.isfinite(doe.tau) and doe.tau > 0:
        for sgn in (-1, 1):
            ax1.axhline(value + sgn * 2 * doe.tau, color="#cc6600", lw=0.8, ls=":")
    for mask, filled in ((inc, True), (~inc, False)):
        if not mask.any():
            continue
        c = colour if filled else grey
        kw = dict(fmt="o", ms=5, capsize=3, color=c, mfc=c if filled else "white", mec=c)
        ax1.errorbar(pos[mask], x[mask], yerr=2 * ux[mask], **kw,
                     label=(("参与定值" if zh else "in the value") if filled else
                            ("未参与定值" if zh else "kept out of the value")))
        ax2.errorbar(pos[mask], d[mask], yerr=Ud[mask], **kw)
    ax2.axhline(0.0, color="grey", lw=1)
    ax1.set_ylabel(r"$x_j \pm 2u(x_j)$" + (f" [{literal(doe.unit_of_measure)}]" if doe.unit_of_measure else ""),
                   fontsize=8)
    ax2.set_ylabel(r"$d_j \pm U(d_j)$", fontsize=8)
    ax2.set_xticks(pos)
    ax2.set_xticklabels(literals(labs), rotation=90, fontsize=7)
    ax1.tick_params(labelbottom=False, labelsize=7)
    ax2.tick_params(labelsize=7)
    ax1.legend(fontsize=7, loc="best", frameon=False)
    title = (f"图 C1 — {doe.analyte}：{_method_name(doe.method, lang)}；点线：定值结果 ± 2τ" if zh else
             f"Figure C1 — {doe.analyte}: {_method_name(doe.method, 'en')}; dotted: value ± 2τ")
    ax1.set_title(literal(title), fontsize=9)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# prose

def _require(obj, *names):
    for n in names:
        if not hasattr(obj, n):
            raise AttributeError(f"characterization_statement needs the field '{n}' of the result")


def characterization_statement(result, lang: str = "en", *, doe=None, screening=None) -> str:
    """Sentences on the characterization, built from result fields (English or Chinese).

    ``result`` is a ``ConsensusResult``; ``doe`` (``DoEResult``) and ``screening``
    (``ScreeningResult``) add sentences on degrees of equivalence and on the advisory screening.
    A missing field raises; it never becomes 0.
    """
    _require(result, "value", "u", "tau", "ci95", "method", "n_labs", "q_p_value", "i2", "excluded",
             "u_method", "n_boot")
    dec = _decimals(result.u)
    unit = f" {result.unit_of_measure}" if result.unit_of_measure else ""
    val, u = _num(result.value, dec), _num(result.u, dec + 1 if dec < 6 else dec)
    lo, hi = _num(result.ci95.low, dec), _num(result.ci95.high, dec)
    name = _method_name(result.method, lang)
    who = result.analyte or ("该特性量" if lang == "zh" else "The analyte")
    zh = lang == "zh"
    s = []
    if zh:
        how = {"bootstrap": f"参数自助法，{result.n_boot} 次", "mixture": f"线性意见池抽样，{result.n_boot} 次",
               "posterior": "后验分布", "knapp-hartung": "Knapp–Hartung 方法"}.get(result.u_method, "解析公式")
        s.append(f"{who}的标准值由 {result.n_labs} 个实验室的结果按{name}定值：{val}{unit}，"
                 f"定值标准不确定度 u_char = {u}{unit}（{how}），95 % 包含区间为 [{lo}, {hi}]{unit}。")
        if math.isfinite(result.tau):
            s.append(f"实验室间标准偏差 τ = {_num(result.tau, dec + 1)}{unit}。")
        if math.isfinite(result.q_p_value):
            verdict = "各实验室结果与其不确定度不一致（存在暗不确定度）" if result.q_p_value < 0.05 \
                else "各实验室结果与其不确定度一致"
            s.append(f"科克伦 Q 检验 p = {result.q_p_value:.3g}，I² = {100 * result.i2:.3g} %，{verdict}。")
        if result.excluded:
            s.append("未参与定值的实验室：" + "；".join(f"{lab}（{_ZH_REASONS.get(why, why)}）"
                                                   for lab, why in result.excluded) + "。")
        if result.diagnostics_passed is False:
            s.append("MCMC 收敛诊断未通过，该结果不得用于证书。")
    else:
        how = {"bootstrap": f"NICOB's parametric bootstrap, {result.n_boot} replicates",
               "mixture": f"{result.n_boot} draws from the linear pool", "posterior": "posterior SD",
               "knapp-hartung": "Knapp–Hartung"}.get(result.u_method, "closed form")
        s.append(f"{who}: the value assigned from {result.n_labs} laboratories by the {name} estimator "
                 f"is {val}{unit} with standard uncertainty u_char = {u}{unit} ({how}); the 95 % "
                 f"interval is [{lo}, {hi}]{unit}.")
        if math.isfinite(result.tau):
            s.append(f"The between-laboratory standard deviation (dark uncertainty) is "
                     f"tau = {_num(result.tau, dec + 1)}{unit}.")
        if math.isfinite(result.q_p_value):
            verdict = ("the laboratories disagree beyond their stated uncertainties"
                       if result.q_p_value < 0.05 else
                       "the results are consistent with their stated uncertainties")
            s.append(f"Cochran's Q p = {result.q_p_value:.3g}, I² = {100 * result.i2:.3g} %: {verdict}.")
        if result.excluded:
            s.append("Kept out of the value: " + "; ".join(f"{lab} ({why})" for lab, why in result.excluded)
                     + ".")
        if result.diagnostics_passed is False:
            s.append("The MCMC diagnostics failed: this result is not for the certificate.")
    if doe is not None:
        _require(doe, "d", "U_d", "lab")
        out = [lab for lab, dj, U in zip(doe.lab, doe.d, doe.U_d) if math.isfinite(U) and abs(dj) > U]
        if zh:
            s.append("等效度 |d_j| > U(d_j) 的实验室：" + ("、".join(out) if out else "无") + "。")
        else:
            s.append("Laboratories with |d_j| > U(d_j): " + (", ".join(out) if out else "none") + ".")
    if screening is not None:
        _require(screening, "flags")
        if zh:
            s.append("离群值筛查（格拉布斯检验、狄克逊检验、科克伦检验、曼德尔 h/k）仅供参考，未剔除数据"
                     + ("：" + "；".join(_zh_flag(f) for f in screening.flags) if screening.flags else "，无标记")
                     + "。")
        else:
            s.append("Screening (Grubbs, Dixon, Cochran, Mandel h/k) is advisory and removed nothing"
                     + (": " + "; ".join(screening.flags) if screening.flags else "; no flags") + ".")
    return " ".join(s) if not zh else "".join(s)


_ZH_REASONS = {"include = no in the data table": "数据表中标记为不参与定值", "include = no": "标记为不参与定值"}
_ZH_TERMS = (("Grubbs", "格拉布斯检验"), ("double Grubbs flag", "双格拉布斯检验标记"),
             ("Dixon", "狄克逊检验"), ("Cochran C", "科克伦检验"), ("outlier", "离群值"),
             ("straggler", "歧离值"), ("Mandel h beyond the 1 % limit", "曼德尔 h 超出 1 % 临界值"),
             ("Mandel k beyond the 1 % limit", "曼德尔 k 超出 1 % 临界值"), ("lab(s)", "实验室"),
             ("labs", "实验室"), ("lab", "实验室"),
             ("lab means not normal by Shapiro-Wilk", "实验室平均值经 Shapiro-Wilk 检验不服从正态分布"),
             ("results inconsistent with their uncertainties", "结果与其不确定度不一致"),
             ("Cochran's Q", "科克伦 Q 检验"))


def _zh_flag(text: str) -> str:
    for en, zh in sorted(_ZH_TERMS, key=lambda t: -len(t[0])):
        text = text.replace(en, zh)
    return text


def statement_lines(results: Iterable, lang: str = "en") -> list[str]:
    """One statement per result (helper for reports with several analytes)."""
    return [characterization_statement(r, lang) for r in results]
