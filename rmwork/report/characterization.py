"""Characterization section: tables C1-C5, figure C1 and the statement (format, plot, prose only).

:func:`section` lays out one :class:`rmwork.characterization.CharacterizationStudy` per analyte.

Every number shown comes from a result of :mod:`rmwork.characterization` or
:mod:`rmwork.outliers`; nothing is recomputed here. Rounding is for display only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from . import numbers as N
from .display import HTML, Ref, figure, figure_ref, heading, note, numbered, paragraph, table_html, warning
from .symbols import header, relabel
from .usertext import literal, literals

CAPTIONS = {
    "C1": (
        "Table C1 — Characterization: laboratory results as read (ISO Guide 35:2017, 9.2)",
        "表 C1 — 定值：各实验室结果（ISO Guide 35:2017, 9.2）",
    ),
    "C2": (
        "Table C2 — Characterization: screening of laboratory results (advisory; nothing removed)",
        "表 C2 — 定值：实验室结果离群值筛查（仅供参考，未剔除数据）",
    ),
    "C2b": (
        "Table C2b — Characterization: distribution of laboratory means and consistency",
        "表 C2b — 定值：实验室平均值的分布与一致性检验",
    ),
    "C3": (
        "Table C3 — Characterization: comparison of consensus estimators (ISO Guide 35:2017, 9.5)",
        "表 C3 — 定值：各定值方法结果比较（ISO Guide 35:2017, 9.5）",
    ),
    "C4": (
        "Table C4 — Characterization: unilateral degrees of equivalence (CIPM MRA; NICOB)",
        "表 C4 — 定值：单边等效度（CIPM MRA；NICOB）",
    ),
    "C5": (
        "Table C5 — Characterization: bilateral degrees of equivalence D<sub>ij</sub> ± U(D<sub>ij</sub>), "
        "k = {k} (* not equivalent; CIPM MRA-D-05)",
        "表 C5 — 定值：双边等效度 D<sub>ij</sub> ± U(D<sub>ij</sub>)，k = {k}（* 表示不等效；CIPM MRA-D-05）",
    ),
}
# frame column -> field of the report's one symbol map (report/symbols.py), which holds the
# English and Chinese headers and which columns carry the analyte's unit
FIELDS = {
    "value": "x_lab",
    "x": "x_lab",
    "mean": "lab_mean",
    "sd": "sd_lab",
    "u": "u_x",
    "dof": "dof_lab",
    "status": "screened",
    "dof_c": "dof",
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


def _relabel(df: pd.DataFrame, lang: str, unit: str = "") -> pd.DataFrame:
    """Headers from the symbol map, with the unit ("u(x<sub>j</sub>) / mg/kg")."""
    return relabel(df, lang, unit, keys=FIELDS)


def _html(df: pd.DataFrame, tid: str, lang: str, digits: int = 5, unit: str = "", analyte: str = "") -> str:
    # one of each table per analyte: "Table C3-Cd" (rmwork.report.numbering)
    ref = Ref(tid, analyte or None)
    return table_html(_relabel(df, lang, unit), _cap(tid, lang), lang=lang, digits=digits, ref=ref)


_ZH_U_METHOD = {
    "closed form": "解析公式",
    "knapp-hartung": "Knapp–Hartung 方法",
    "bootstrap": "参数自助法",
    "mixture": "线性意见池抽样",
    "posterior": "后验分布",
}


def _u_method(text: str, lang: str) -> str:
    if lang == "zh":
        return _ZH_U_METHOD.get(text, text)
    return {"knapp-hartung": "Knapp–Hartung"}.get(text, text)


def _reason(why: str, lang: str) -> str:
    return _ZH_REASONS.get(why, why) if lang == "zh" else why


def _yes(flag: bool, lang: str) -> str:
    return ("是" if flag else "否") if lang == "zh" else ("yes" if flag else "no")


def _method_name(method: str, lang: str) -> str:
    en, zh = METHOD_NAMES.get(method, (method, method))
    return zh if lang == "zh" else en


def printed(r) -> dict:
    """The printed numbers of one consensus result, each rounded once by its kind
    (:mod:`rmwork.report.numbers`): the value and interval to the decimal place of u, u and τ
    to 2 significant digits, ν integer or one decimal; named ``<analyte>/<symbol>/<method>``."""
    a = getattr(r, "analyte", "") or ""

    def q(sym):
        return N.qname(a, sym, r.method) if a else ""

    return {
        "x_ref": N.value(r.value, r.u, q=q("x_char")),
        "u_c": N.uncertainty(r.u, q=q("u_char")),
        "tau": N.uncertainty(r.tau, q=q("tau")),
        "ci_low": N.value(r.ci95.low, r.u, q=q("ci95_low")),
        "ci_high": N.value(r.ci95.high, r.u, q=q("ci95_high")),
        "dof_c": N.dof(r.dof, q=q("dof")),
        "n_labs": N.count(r.n_labs),
    }


def _char_q(analyte: str, sym: str) -> str:
    """Cochran's Q, its p and I² of the laboratory means (shared by Table C2b and the text)."""
    return N.qname(analyte, sym, "characterization") if analyte else ""


def _lab_q(analyte: str, lab, sym: str) -> str:
    return N.qname(analyte, f"{sym}[{lab}]", "lab") if analyte else ""


def _lab_numbers(analyte, labs, x, u, sd=None, dof=None) -> dict:
    """A lab's mean to the decimal place of its u, u and s to 2 significant digits (GUM 7.2.6)."""
    out = {
        "value": [N.value(v, w, q=_lab_q(analyte, lab, "x_j")) for lab, v, w in zip(labs, x, u)],
        "u": [N.uncertainty(w, q=_lab_q(analyte, lab, "u_x_j")) for lab, w in zip(labs, u)],
    }
    if sd is not None:
        out["sd"] = [N.uncertainty(v) for v in sd]
    if dof is not None:
        out["dof"] = [N.dof(v) for v in dof]
    return out


# ---------------------------------------------------------------------------------------------
# tables


def table_c1(summary, lang: str = "en") -> HTML:
    """Table C1: laboratory results as read (one row per lab; ``LabSummary``), unit in the headers."""
    df = summary.to_frame()
    reasons = dict(summary.excluded)
    df["include"] = [_yes(f, lang) for f in df["include"]]
    if reasons:
        df["reason"] = [_reason(reasons.get(lab, ""), lang) for lab in df["lab"]]
    for c, v in _lab_numbers(
        summary.analyte,
        df["lab"],
        df["value"],
        df["u"],
        df["sd"] if "sd" in df else None,
        df["dof"] if "dof" in df else None,
    ).items():
        df[c] = pd.Series(v, index=df.index, dtype=object)
    if summary.layout == "per-lab":
        df = df.drop(columns=["n", "sd"])
    return HTML(_html(df, "C1", lang, digits=6, unit=summary.unit_of_measure, analyte=summary.analyte))


def table_c2(screening, lang: str = "en", *, summary=None, unit: str = "") -> HTML:
    """Table C2: per-lab screening (letters, p-values, Mandel h/k) and C2b: normality and Q.

    With ``summary`` (the ``LabSummary``) the labs kept out of the value are listed too, marked
    "excluded" with their reason and no test result: they take part in no check.
    """
    df = screening.to_frame()
    keep = [
        c
        for c in (
            "lab",
            "n",
            "mean",
            "sd",
            "scheffe_05",
            "scheffe_01",
            "dixon_p",
            "grubbs_p",
            "grubbs2_p",
            "cochran_p",
            "mandel_h",
            "mandel_k",
        )
        if c in df.columns
    ]
    df = df[keep].astype(object)
    a = getattr(screening, "analyte", "") or (summary.analyte if summary is not None else "")
    u_of = dict(zip(summary.lab, summary.u)) if summary is not None else {}
    if "mean" in df:
        df["mean"] = [
            N.value(m, u_of.get(lab), q=_lab_q(a, lab, "x_j") if lab in u_of else "")
            for lab, m in zip(df["lab"], df["mean"])
        ]
    if "sd" in df:
        df["sd"] = [N.uncertainty(v, q=_lab_q(a, lab, "s_j")) for lab, v in zip(df["lab"], df["sd"])]
    for c in ("dixon_p", "grubbs_p", "grubbs2_p", "cochran_p"):
        if c in df:
            df[c] = [N.p_value(v) for v in df[c]]
    for c in ("mandel_h", "mandel_k"):
        if c in df:
            df[c] = [N.statistic(v) for v in df[c]]
    unit = unit or (summary.unit_of_measure if summary is not None else "")
    if summary is not None and summary.excluded:
        zh = lang == "zh"
        df = df.assign(status="是" if zh else "yes", reason="")
        extra = []
        for lab, why in summary.excluded:
            i = summary.lab.index(lab)
            extra.append(
                {
                    "lab": lab,
                    "n": summary.n[i],
                    "mean": N.value(summary.value[i], summary.u[i], q=_lab_q(a, lab, "x_j")),
                    "sd": N.uncertainty(summary.sd[i], q=_lab_q(a, lab, "s_j")),
                    "status": "否，已剔除" if zh else "no, excluded",
                    "reason": _reason(why, lang),
                }
            )
        df = pd.concat([df, pd.DataFrame(extra)], ignore_index=True)
        df = df[[c for c in df.columns if c not in ("status", "reason")] + ["status", "reason"]]
        df = df.astype(object).where(df.notna(), None)
    analyte = screening.analyte or (summary.analyte if summary is not None else "")
    parts = [_html(df, "C2", lang, digits=4, unit=unit, analyte=analyte)]
    rows = []
    zh = lang == "zh"
    nm, cq = screening.normality, screening.cochran_q
    if nm is not None:
        rows += [
            {"test": "Shapiro–Wilk", "statistic": nm.shapiro_w, "p_value": nm.shapiro_p},
            {"test": "Kolmogorov–Smirnov", "statistic": nm.ks_statistic, "p_value": nm.ks_p},
            {
                "test": "偏度 g1 (D'Agostino)" if zh else "Skewness g1 (D'Agostino)",
                "statistic": nm.skewness,
                "p_value": nm.agostino_p,
            },
            {
                "test": "峰度 b2 (Anscombe–Glynn)" if zh else "Kurtosis b2 (Anscombe–Glynn)",
                "statistic": nm.kurtosis,
                "p_value": nm.anscombe_p,
            },
        ]
    if cq is not None:
        rows += [
            {
                "test": "科克伦 Q 检验" if zh else "Cochran's Q",
                "statistic": N.statistic(cq.statistic, q=_char_q(a, "Q")),
                "p_value": N.p_value(cq.p_value, q=_char_q(a, "p_Q")),
            },
            {"test": "I² / %", "statistic": N.relative(cq.i2, q=_char_q(a, "I2")), "p_value": None},
        ]
    if nm is not None:
        for row in rows[:4]:
            row["statistic"], row["p_value"] = N.statistic(row["statistic"]), N.p_value(row["p_value"])
    if rows:
        parts.append(_html(pd.DataFrame(rows), "C2b", lang, digits=4, analyte=analyte))
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
    rows = [
        {
            "method": _method_name(r.method, lang),
            **printed(r),
            "u_method": _u_method(r.u_method, lang),
            **({"chosen": _yes(r.method == chosen, lang)} if chosen else {}),
        }
        for r in items
    ]
    unit = next((r.unit_of_measure for r in items if getattr(r, "unit_of_measure", "")), "")
    analyte = next((r.analyte for r in items if getattr(r, "analyte", "")), "")
    return HTML(_html(pd.DataFrame(rows), "C3", lang, digits=6, unit=unit, analyte=analyte))


def table_c4(doe, lang: str = "en") -> HTML:
    """Table C4: degrees of equivalence with U at the DoE's coverage, and leave-one-out values."""
    df = doe.to_frame()[["lab", "included", "x", "u_x", "d", "U_d", "d_loo", "U_d_loo"]].astype(object)
    a = doe.analyte
    df["x"] = [N.value(x, u, q=_lab_q(a, lab, "x_j")) for lab, x, u in zip(df["lab"], df["x"], df["u_x"])]
    df["u_x"] = [N.uncertainty(u, q=_lab_q(a, lab, "u_x_j")) for lab, u in zip(df["lab"], df["u_x"])]
    for v, u in (("d", "U_d"), ("d_loo", "U_d_loo")):
        df[v] = [N.value(x, w) for x, w in zip(df[v], df[u])]
        df[u] = [N.uncertainty(w) for w in df[u]]
    df = df.assign(included=[_yes(f, lang) for f in df["included"]]).rename(columns={"included": "include"})
    return HTML(_html(df, "C4", lang, digits=5, unit=doe.unit_of_measure, analyte=doe.analyte))


def table_c5(bilateral, lang: str = "en", *, unit: str = "") -> HTML:
    """Table C5: bilateral degrees of equivalence D_ij ± U(D_ij) (``BilateralDoEResult``)."""
    b = bilateral
    labs = [html.escape(str(lab)) for lab in b.lab]
    head = f'<th class="text">{header("d_ij", lang, unit)}</th>' + "".join(
        f'<th class="text">{lab}</th>' for lab in labs
    )
    body = []
    # D_ij to the decimal place of U(D_ij), U to 2 significant digits, one notation for the table
    pairs = {
        (i, j): (N.value(b.d[i][j], b.U_d[i][j]), N.uncertainty(b.U_d[i][j]))
        for i in range(len(labs))
        for j in range(len(labs))
        if i != j
    }
    sci = any(not p.fits_fixed() for pair in pairs.values() for p in pair if p.digits is not None)

    def _t(p):
        return p.scientific() if sci else p.fixed()

    for i, lab in enumerate(labs):
        cells = [f'<td class="text">{lab}</td>']
        for j in range(len(labs)):
            text = (
                "—"
                if i == j
                else (
                    f"{_t(pairs[i, j][0])} ± {_t(pairs[i, j][1])}"
                    + (" *" if abs(b.d[i][j]) > b.U_d[i][j] else "")
                )
            )
            cells.append(f'<td class="text">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    open_tag, caption = numbered(Ref("C5", b.analyte or None), _cap("C5", lang).format(k=f"{b.k:.2f}"), lang)
    return HTML(
        f"{open_tag}<caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


# ---------------------------------------------------------------------------------------------
# the section


def section(studies: Mapping, lang: str = "en") -> list:
    """Display objects of the characterization section, in order: per analyte (a
    ``CharacterizationStudy``) the tables C1-C5, the statement, the notes and figure C1."""
    if not studies:
        return [note("This lot has no characterization study." if lang == "en" else "本批次无定值研究。")]
    out: list = []
    for _a, st in studies.items():
        out += analyte_section(st, lang)
    return out


def analyte_section(study, lang: str = "en") -> list:
    """Display objects for one ``CharacterizationStudy``."""
    if not study.characterized:
        return [
            heading(study.analyte, 3),
            warning(not_characterized_text(study, lang)),
            table_c1(study.summary, lang),
        ]
    res, rec = study.consensus, study.recommendation
    out = [
        heading(study.analyte, 3),
        table_c1(study.summary, lang),
        table_c2(study.screening, lang, summary=study.summary),
        table_c3(rec, lang, chosen=res.method),
        paragraph(characterization_statement(res, lang, doe=study.doe, screening=study.screening)),
    ]
    if getattr(rec, "reason", None):
        out.append(paragraph(method_choice_text(rec, lang)))
    out += [note(n) for n in (res.notes if lang != "zh" else zh_notes(res))]
    if res.diagnostics_passed is False:
        out.append(
            warning(
                "MCMC diagnostics failed: this value must not be used for the certificate"
                if lang == "en"
                else "MCMC 诊断未通过：该值不得用于证书"
            )
        )
    out += [
        table_c4(study.doe, lang),
        table_c5(study.bilateral, lang, unit=study.unit_of_measure),
        figure(figure_c1(study.doe, res, lang=lang), ref=figure_ref("C1", study.analyte), lang=lang),
    ]
    return out


def _reason_numbers(rec) -> str:
    """The recommendation's reason with its Q, p and Shapiro-Wilk p in the report's spelling.

    :func:`rmwork.characterization.recommend` writes them with ``:.4g`` / ``:.3g``; the same
    texts are replaced by the policy's (one spelling of the p of Q in Table C2b and the text).
    """
    text = rec.reason.replace(
        f"Cochran's Q = {rec.q_statistic:.4g}", f"Cochran's Q = {N.statistic(rec.q_statistic)}"
    )
    text = text.replace(
        f"p = {rec.q_p_value:.3g}", f"p = {N.tag(N.p_value(rec.q_p_value, q=_char_q(rec.analyte, 'p_Q')))}", 1
    )
    if math.isfinite(rec.shapiro_p):
        text = text.replace(
            f"(x - median)/u p = {rec.shapiro_p:.3g}", f"(x - median)/u p = {N.p_value(rec.shapiro_p)}"
        )
    return text


def method_choice_text(rec, lang: str = "en") -> str:
    """The method-choice aid in words, from the ``Recommendation``'s fields (English or Chinese)."""
    if lang != "zh":
        return N.sentence(
            f"Method-choice aid (NIST Decision Tree style): {_method_name(rec.method, 'en')} — {_reason_numbers(rec)}"
        )
    q = (
        f"科克伦 Q 检验 Q = {N.statistic(rec.q_statistic)}，p = {N.tag(N.p_value(rec.q_p_value, q=_char_q(rec.analyte, 'p_Q')))}"
        + (
            "，各实验室结果与其不确定度一致"
            if rec.consistent
            else "，各实验室结果与其不确定度不一致（存在暗不确定度）"
        )
    )
    if rec.normal is None:
        sw = "未做正态性检验（至少需要 3 个结果不同的实验室）"
    else:
        sw = f"(x − 中位数)/u 的 Shapiro–Wilk 检验 p = {N.p_value(rec.shapiro_p)}，" + (
            "可按正态分布处理" if rec.normal else "不服从正态分布"
        )
    why = {
        "weighted-mean": "无暗不确定度，采用加权平均值",
        "dersimonian-laird": "存在暗不确定度且实验室效应近似正态，采用 DerSimonian–Laird 随机效应模型"
        "（NIST 决策树本身推荐分层贝叶斯模型（高斯））",
        "bayes-laplace": "实验室效应不服从正态分布，采用拉普拉斯实验室效应的分层贝叶斯模型",
    }.get(rec.method, "")
    return N.sentence(
        f"方法选择建议（参照 NIST 决策树）：{_method_name(rec.method, 'zh')}。{q}；{sw}；{why}。"
        "该建议仅供参考，定值方法由分析人员在参数文件中确定。"
    )


def zh_notes(res) -> list[str]:
    """The notes of a ``ConsensusResult`` in Chinese, built from its fields (not translated text)."""
    out = []
    if res.method == "mean":
        out.append("实验室平均值的算术平均值：u = s/√p，自由度 ν = p − 1；未使用各实验室自身的不确定度。")
    if res.method in ("dersimonian-laird", "paule-mandel") and res.tau == 0:
        out.append(f"τ = 0：{_method_name(res.method, 'zh')}与加权平均值相同。")
    if res.u_method == "bootstrap":
        out.append(
            f"u 与包含区间由 NICOB 参数自助法求得（{res.n_boot} 次，随机种子 {res.seed}）；"
            f"解析公式 (Σw)^−1/2 = {res.u_closed_form:.6g}。"
        )
    if res.u_method == "mixture":
        out.append(
            f"线性意见池，各实验室等权，抽样 {res.n_boot} 次（随机种子 {res.seed}）；"
            "包含区间取 2.5 % 与 97.5 % 分位数。"
        )
    if res.u_method == "posterior":
        out.append("u 为 μ 的后验标准偏差，τ 为后验平均值；k 与 U 由后验 95 % 区间求得（与 NICOB 相同）。")
    if res.interval_reason:
        out.append("u 与包含区间：" + _zh_interval_reason(res))
    out.append("自由度来源：" + zh_dof_source(res))
    if math.isfinite(res.q_p_value) and res.q_p_value < 0.05 and res.method not in ("mean", "weighted-mean"):
        out.append(
            f"科克伦 Q = {res.q_statistic:.4g}（自由度 {res.q_dof}，p = {res.q_p_value:.3g}），"
            f"I² = {100 * res.i2:.3g} %：存在暗不确定度。"
        )
    if res.method == "weighted-mean" and math.isfinite(res.q_p_value) and res.q_p_value < 0.05:
        out.append(
            f"科克伦 Q 检验 p = {res.q_p_value:.3g} < 0.05：各实验室结果相互不一致，加权平均值低估 u；"
            "可考虑 DerSimonian–Laird 或贝叶斯模型。"
        )
    if res.diagnostics_passed is False:
        out.append("MCMC 收敛诊断未通过：该结果不得用于证书。")
    return out


def _zh_interval_reason(res) -> str:
    if res.interval == "knapp-hartung" and "chosen by the lot" not in res.interval_reason:
        return (
            "默认采用 Knapp–Hartung 方法，t 分布自由度 p − 1，方差因子截断于 1，"
            "包含区间不窄于常规区间（Röver, Knapp & Friede 2015）。"
        )
    user = res.interval_reason.split(": ", 1)[1] if ": " in res.interval_reason else ""
    names = {
        "knapp-hartung": "Knapp–Hartung 方法（截断）",
        "knapp-hartung-untruncated": "Knapp–Hartung 方法（不截断）",
        "normal": "正态区间",
        "bootstrap": "NICOB 参数自助法",
    }
    text = f"由参数文件选择{names.get(res.interval, res.interval)}"
    if res.interval_reason.startswith("bootstrap=") or not res.interval_reason.startswith("interval"):
        text = f"调用时选择{names.get(res.interval, res.interval)}"
    return text + (f"，理由：{user}" if user and "no reason given" not in user else "，未给出理由") + "。"


def zh_dof_source(res) -> str:
    """Where ν (or k) of u_char comes from, in Chinese (mirrors ``ConsensusResult.dof_source``)."""
    p = res.n_labs
    if res.method == "mean":
        return f"ν = p − 1 = {p - 1}（{p} 个实验室平均值的算术平均值，ISO Guide 35:2017, 9.5.2）"
    if res.method == "weighted-mean":
        if math.isfinite(res.dof):
            return f"有效自由度 ν_eff = {res.dof:.4g}，由各实验室自由度按 Welch–Satterthwaite 公式求得（GUM G.4.1）"
        return "ν = ∞：u = (Σ 1/u_j²)^−1/2 仅依据各实验室给出的不确定度，均无自由度"
    if res.u_method == "knapp-hartung":
        q = res.kh_factor
        trunc = "truncated" in res.dof_source and "not truncated" not in res.dof_source
        return f"ν = p − 1 = {p - 1}（Knapp–Hartung 方法，t 分布）；方差因子 q = {q:.4g}" + (
            "，截断于 1，u 取常规 (Σw)^−1/2"
            if trunc and q < 1
            else "，未截断"
            if not trunc
            else "，u = √q·(Σw)^−1/2"
        )
    if res.u_method == "bootstrap":
        return f"无自由度：u 与对称 95 % 区间由 NICOB 参数自助法（{res.n_boot} 次）求得；k = 半宽/u"
    if res.u_method == "mixture":
        return f"无自由度：u 与 95 % 区间由线性意见池的 2.5 % 与 97.5 % 分位数求得（{res.n_boot} 次抽样）；k = 半宽/u"
    if res.u_method == "posterior":
        return "无自由度：k 与 U 由 μ 的后验 95 % 区间（等尾）求得，与 NICOB 报告方式相同；k = 半宽/u"
    return "ν = ∞：正态区间，u = (Σw)^−1/2（未计入 τ 的不确定度）"


def not_characterized_text(study, lang: str = "en") -> str:
    """The sentence that withholds an analyte, from ``study.reason`` (English or Chinese)."""
    if lang != "zh":
        return f"{study.analyte} is not characterized and is withheld from the certificate: {study.reason}."
    s, n_in = study.summary, sum(study.summary.include)
    if len(s.lab) == 1:
        why = f"仅实验室 {s.lab[0]} 报告结果，定值至少需要 2 个实验室（ISO Guide 35:2017, 9.5）"
    elif n_in == 0:
        why = "所有实验室均被剔除：" + "；".join(f"{lab}（{_ZH_REASONS.get(r, r)}）" for lab, r in s.excluded)
    elif n_in == 1:
        why = "剔除后仅剩 1 个实验室，定值至少需要 2 个实验室（ISO Guide 35:2017, 9.5）"
    else:
        lab = next(lab for lab, u, f in zip(s.lab, s.u, s.include) if f and u == 0)
        why = (
            f"实验室 {lab} 的标准不确定度 u = 0，无法加权；请在 characterization.exclude 中剔除该实验室"
            "并说明理由，或给出其标准不确定度"
        )
    return f"{study.analyte} 未能定值，不列入证书：{why}。"


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
        ax1.axhspan(
            result.ci95.low,
            result.ci95.high,
            color="#cc6600",
            alpha=0.18,
            lw=0,
            label="95 % 包含区间" if zh else "95 % interval of the value",
        )
    ax1.axhline(value, color="#cc6600", lw=1.2, label="定值结果" if zh else "consensus value")
    if math.isfinite(doe.tau) and doe.tau > 0:
        for sgn in (-1, 1):
            ax1.axhline(value + sgn * 2 * doe.tau, color="#cc6600", lw=0.8, ls=":")
    for mask, filled in ((inc, True), (~inc, False)):
        if not mask.any():
            continue
        c = colour if filled else grey
        kw = dict(fmt="o", ms=5, capsize=3, color=c, mfc=c if filled else "white", mec=c)
        ax1.errorbar(
            pos[mask],
            x[mask],
            yerr=2 * ux[mask],
            **kw,
            label=(
                ("参与定值" if zh else "in the value")
                if filled
                else ("未参与定值" if zh else "kept out of the value")
            ),
        )
        ax2.errorbar(pos[mask], d[mask], yerr=Ud[mask], **kw)
    ax2.axhline(0.0, color="grey", lw=1)
    ax1.set_ylabel(
        r"$x_j \pm 2u(x_j)$" + (f" [{literal(doe.unit_of_measure)}]" if doe.unit_of_measure else ""),
        fontsize=8,
    )
    ax2.set_ylabel(
        r"$d_j \pm U(d_j)$" + (f" [{literal(doe.unit_of_measure)}]" if doe.unit_of_measure else ""),
        fontsize=8,
    )
    ax2.set_xticks(pos)
    ax2.set_xticklabels(literals(labs), rotation=90, fontsize=7)
    ax1.tick_params(labelbottom=False, labelsize=7)
    ax2.tick_params(labelsize=7)
    ax1.legend(fontsize=7, loc="best", frameon=False)
    excluded = list(getattr(result, "excluded", ()) or ()) if result is not None else []
    if not excluded and (~inc).any():
        excluded = [(lab, "") for lab, f in zip(labs, inc) if not f]
    if excluded:
        why = (
            "；".join(f"{lab}（{_reason(r, lang)}）" if r else lab for lab, r in excluded)
            if zh
            else "; ".join(f"{lab} ({r})" if r else lab for lab, r in excluded)
        )
        ax2.annotate(
            ("未参与定值（空心灰色）：" if zh else "Kept out of the value (hollow grey): ") + why,
            xy=(0, -0.42),
            xycoords="axes fraction",
            fontsize=7,
            ha="left",
            va="top",
            wrap=True,
        )
    title = (
        f"图 C1 — {doe.analyte}：{_method_name(doe.method, lang)}；点线：定值结果 ± 2τ"
        if zh
        else f"Figure C1 — {doe.analyte}: {_method_name(doe.method, 'en')}; dotted: value ± 2τ"
    )
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
    _require(
        result,
        "value",
        "u",
        "tau",
        "ci95",
        "method",
        "n_labs",
        "q_p_value",
        "i2",
        "excluded",
        "u_method",
        "n_boot",
    )
    unit = f" {result.unit_of_measure}" if result.unit_of_measure else ""
    n = {k: N.tag(v) for k, v in printed(result).items()}
    val, u, lo, hi, tau = n["x_ref"], n["u_c"], n["ci_low"], n["ci_high"], n["tau"]
    q_p = N.tag(N.p_value(result.q_p_value, q=_char_q(result.analyte, "p_Q")))
    i2 = N.tag(N.relative(result.i2, q=_char_q(result.analyte, "I2")), " %")
    name = _method_name(result.method, lang)
    who = result.analyte or ("该特性量" if lang == "zh" else "The analyte")
    zh = lang == "zh"
    s = []
    if zh:
        how = {
            "bootstrap": f"参数自助法，{result.n_boot} 次",
            "mixture": f"线性意见池抽样，{result.n_boot} 次",
            "posterior": "后验分布",
            "knapp-hartung": "Knapp–Hartung 方法",
        }.get(result.u_method, "解析公式")
        s.append(
            f"{who}的标准值由 {result.n_labs} 个实验室的结果按{name}定值：{val}{unit}，"
            f"定值标准不确定度 u_char = {u}{unit}（{how}），95 % 包含区间为 [{lo}, {hi}]{unit}。"
        )
        if math.isfinite(result.tau):
            s.append(f"实验室间标准偏差 τ = {tau}{unit}。")
        if getattr(result, "dof_source", ""):
            s.append(f"自由度来源：{zh_dof_source(result)}。")
        if math.isfinite(result.q_p_value):
            verdict = (
                "各实验室结果与其不确定度不一致（存在暗不确定度）"
                if result.q_p_value < 0.05
                else "各实验室结果与其不确定度一致"
            )
            s.append(f"科克伦 Q 检验 p = {q_p}，I² = {i2}，{verdict}。")
        if result.excluded:
            s.append(
                "未参与定值的实验室："
                + "；".join(f"{lab}（{_ZH_REASONS.get(why, why)}）" for lab, why in result.excluded)
                + "。"
            )
        if result.diagnostics_passed is False:
            s.append("MCMC 收敛诊断未通过，该结果不得用于证书。")
    else:
        how = {
            "bootstrap": f"NICOB's parametric bootstrap, {result.n_boot} replicates",
            "mixture": f"{result.n_boot} draws from the linear pool",
            "posterior": "posterior SD",
            "knapp-hartung": "Knapp–Hartung",
        }.get(result.u_method, "closed form")
        s.append(
            f"{who}: the value assigned from {result.n_labs} laboratories by the {name} estimator "
            f"is {val}{unit} with standard uncertainty u_char = {u}{unit} ({how}); the 95 % "
            f"interval is [{lo}, {hi}]{unit}."
        )
        if math.isfinite(result.tau):
            s.append(f"The between-laboratory standard deviation (dark uncertainty) is τ = {tau}{unit}.")
        if math.isfinite(result.q_p_value):
            verdict = (
                "the laboratories disagree beyond their stated uncertainties"
                if result.q_p_value < 0.05
                else "the results are consistent with their stated uncertainties"
            )
            s.append(f"Cochran's Q p = {q_p}, I² = {i2}: {verdict}.")
        if getattr(result, "dof_source", ""):
            s.append(f"Degrees of freedom: {result.dof_source}.")
        if result.excluded:
            s.append(
                "Kept out of the value: " + "; ".join(f"{lab} ({why})" for lab, why in result.excluded) + "."
            )
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
            s.append(
                "离群值筛查（格拉布斯检验、狄克逊检验、科克伦检验、曼德尔 h/k）仅供参考，未剔除数据"
                + ("：" + "；".join(_zh_flag(f) for f in screening.flags) if screening.flags else "，无标记")
                + "。"
            )
        else:
            s.append(
                "Screening (Grubbs, Dixon, Cochran, Mandel h/k) is advisory and removed nothing"
                + (": " + "; ".join(screening.flags) if screening.flags else "; no flags")
                + "."
            )
    return N.sentence(" ".join(s) if not zh else "".join(s))


_ZH_REASONS = {
    "include = no in the data table": "数据表中标记为不参与定值",
    "include = no": "标记为不参与定值",
}
_ZH_TERMS = (
    ("Grubbs", "格拉布斯检验"),
    ("double Grubbs flag", "双格拉布斯检验标记"),
    ("Dixon", "狄克逊检验"),
    ("Cochran C", "科克伦检验"),
    ("outlier", "离群值"),
    ("straggler", "歧离值"),
    ("Mandel h beyond the 1 % limit", "曼德尔 h 超出 1 % 临界值"),
    ("Mandel k beyond the 1 % limit", "曼德尔 k 超出 1 % 临界值"),
    ("lab(s)", "实验室"),
    ("labs", "实验室"),
    ("lab", "实验室"),
    ("lab means not normal by Shapiro-Wilk", "实验室平均值经 Shapiro-Wilk 检验不服从正态分布"),
    ("results inconsistent with their uncertainties", "结果与其不确定度不一致"),
    ("Cochran's Q", "科克伦 Q 检验"),
    ("flag", "标记"),
)


def _zh_flag(text: str) -> str:
    for en, zh in sorted(_ZH_TERMS, key=lambda t: -len(t[0])):
        text = text.replace(en, zh)
    return text


def statement_lines(results: Iterable, lang: str = "en") -> list[str]:
    """One statement per result (helper for reports with several analytes)."""
    return [characterization_statement(r, lang) for r in results]
