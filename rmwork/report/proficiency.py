"""Proficiency section (kind: proficiency): Tables PT1-PT3, Figures PT1 (sorted scores) and PT2
(Youden plot of two items), statements in en and zh (format, plot, prose only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import numbers as N
from .display import Ref, figure, figure_ref, heading, note, paragraph, table, warning
from .phrases import note_text
from .symbols import relabel, table_units, yes_no
from .usertext import literal, literals

BASIS_ZH = {"first time point": "第一个时间点", "homogeneity study": "均匀性研究"}
CLASS_ZH = {"satisfactory": "满意", "questionable": "可疑", "unsatisfactory": "不满意", "": ""}
METHOD = {
    "certified": (
        "certified value of the RM (ISO 13528:2022, 7.4)",
        "标准物质的标准值 (ISO 13528:2022, 7.4)",
    ),
    "algorithm-a": (
        "robust mean x*, Algorithm A (ISO 13528:2022, C.3.1)",
        "稳健平均值 x*，算法 A (ISO 13528:2022, C.3.1)",
    ),
    "experts": (
        "mean of expert laboratories (ISO 13528:2022, 7.6)",
        "专家实验室平均值 (ISO 13528:2022, 7.6)",
    ),
    "given": ("fitness for purpose (ISO 13528:2022, 8.2)", "按预期用途规定 (ISO 13528:2022, 8.2)"),
    "horwitz": ("Horwitz–Thompson (ISO 13528:2022, 8.4)", "Horwitz–Thompson 公式 (ISO 13528:2022, 8.4)"),
    "robust": ("robust s*, Algorithm A (ISO 13528:2022, 8.6)", "稳健标准差 s*，算法 A (ISO 13528:2022, 8.6)"),
}


def _frame(rows, lang, unit: str | None = None):
    """Rows as a frame with headers from the symbol map (unit in the headers); yes/no in the
    report's language."""
    df = pd.DataFrame(rows)
    df = df.map(lambda v: yes_no(v, lang) if isinstance(v, bool) else v)
    return relabel(df, lang, unit)


def _display(*objs):
    from IPython.display import display

    display(*objs)


def _m(key, lang):
    return METHOD[key][1 if lang == "zh" else 0]


def _item(it) -> str:
    return f" — item {it.item}" if it.item else ""


def table_pt1(rnd, lang: str = "en"):
    """Table PT1: x_pt, u(x_pt), sigma_pt and the u(x_pt) <= 0.3 sigma_pt check per item."""
    zh = lang == "zh"
    rows = [
        {
            "item": it.item or "–",
            "x_pt": N.value(it.assigned.x_pt, it.assigned.u_x_pt, q=N.qname(it.item or "-", "x_pt", "pt")),
            "u_x_pt": N.uncertainty(it.assigned.u_x_pt, q=N.qname(it.item or "-", "u_x_pt", "pt")),
            "x_pt_from": _m(it.assigned.method, lang),
            "sigma_pt": N.uncertainty(it.sigma.sigma_pt, q=N.qname(it.item or "-", "sigma_pt", "pt")),
            "sigma_pt_from": _m(it.sigma.method, lang),
            "limit_03_sigma_pt": N.uncertainty(it.check.limit),
            "u_x_pt_check": it.check.negligible,
            "score_used": it.check.score.replace("_prime", "′"),
            "n_participants": it.n_participants,
        }
        for it in rnd.items.values()
    ]
    unit = table_units(it.unit_of_measure for it in rnd.items.values())
    cap = (
        "表 PT1 — 指定值、能力评定标准差及 u(x_pt) 检查 (ISO 13528:2022, 7–9.2)"
        if zh
        else "Table PT1 — Assigned value, σ_pt and the u(x_pt) check (ISO 13528:2022, 7, 8, 9.2.1)"
    )
    return table(_frame(rows, lang, unit), cap, lang=lang, digits=5, ref=Ref("PT1"))


def table_pt2(it, lang: str = "en"):
    """Table PT2: every participant's result, u, scores and classes (ISO 13528:2022, 9.4-9.7)."""
    zh = lang == "zh"
    cls = (lambda c: CLASS_ZH[c]) if zh else (lambda c: c)
    rows = []
    for p in it.participants:

        def q(sym, p=p):
            return N.qname(it.item or "-", f"{sym}[{p.participant}]", "pt")

        r = {
            "participant": p.participant,
            "x_participant": N.value(p.x, p.u),
            "u_participant": N.uncertainty(p.u),
            "z": N.score(p.z, q=q("z")),
            "z_prime": N.score(p.z_prime, q=q("z_prime")),
        }
        if "zeta" in it.scores:
            r.update({"zeta": N.score(p.zeta, q=q("zeta")), "class_zeta": cls(p.class_zeta)})
        if "en" in it.scores:
            r.update({"en": N.score(p.en, q=q("en")), "class_en": cls(p.class_en)})
        r["class"] = cls(p.class_)
        rows.append(r)
    cap = (
        f"表 PT2 — 参加者结果与能力评定{('，样品 ' + it.item) if it.item else ''}（|z| ≤ 2 满意，2 < |z| < 3 可疑，|z| ≥ 3 不满意；|E_n| ≤ 1 满意）"
        if zh
        else f"Table PT2 — Participants' scores{_item(it)} (ISO 13528:2022, 9.4–9.7: |z| ≤ 2 "
        "satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory; |E_n| ≤ 1 satisfactory)"
    )
    # one per PT item: "Table PT2-A" (a round of one item: "Table PT2")
    return table(
        _frame(rows, lang, it.unit_of_measure), cap, lang=lang, digits=4, ref=Ref("PT2", it.item or None)
    )


def table_pt3(rnd, lang: str = "en"):
    """Table PT3: PT items' homogeneity (B.2) and stability (B.5) against sigma_pt."""
    zh = lang == "zh"
    rows = []
    for it in rnd.items.values():
        h, s = it.homogeneity, it.stability
        if h is not None:
            rows.append(
                {
                    "item": it.item or "–",
                    "check": "均匀性 s_s ≤ 0.3σ_pt (B.2)" if zh else "Homogeneity s_s ≤ 0.3σ_pt (B.2)",
                    "pt_quantity": N.uncertainty(h.s_s),
                    "limit_03_sigma_pt": N.uncertainty(h.limit),
                    "passed": h.passed,
                    "expanded_limit": N.uncertainty(h.sqrt_c),
                    "passed_expanded": h.passed_expanded,
                }
            )
        if s is not None:
            rows.append(
                {
                    "item": it.item or "–",
                    "check": (
                        "稳定性 |ȳ1 − ȳ2| ≤ 0.3σ_pt (B.5)，ȳ1：" + BASIS_ZH[s.basis]
                        if zh
                        else f"Stability |ȳ1 − ȳ2| ≤ 0.3σ_pt (B.5), ȳ1: {s.basis}"
                    ),
                    "pt_quantity": N.uncertainty(s.difference),
                    "limit_03_sigma_pt": N.uncertainty(s.limit),
                    "passed": s.passed,
                    "expanded_limit": np.nan,
                    "passed_expanded": None,
                }
            )
    if not rows:
        return None
    cap = (
        "表 PT3 — 样品均匀性与稳定性 (ISO 13528:2022 附录 B)"
        if zh
        else "Table PT3 — PT items' homogeneity and stability (ISO 13528:2022, Annex B)"
    )
    unit = table_units(it.unit_of_measure for it in rnd.items.values())
    return table(_frame(rows, lang, unit), cap, lang=lang, digits=5, ref=Ref("PT3"))


def figure_pt1(it, lang: str = "en"):
    """Figure PT1: the scores the classes rest on (z or z'), sorted, with the +-2 and +-3 lines."""
    from matplotlib.figure import Figure

    zh = lang == "zh"
    key = it.check.score
    vals = np.array([getattr(p, key) for p in it.participants])
    codes = np.array([p.participant for p in it.participants])
    order = np.argsort(vals, kind="stable")
    v, c = vals[order], codes[order]
    colors = np.where(np.abs(v) >= 3, "#b2182b", np.where(np.abs(v) > 2, "#ef8a62", "#4d7ea8"))
    fig = Figure(figsize=(max(5.0, 0.32 * len(v) + 1.5), 3.4))
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(np.arange(len(v)), v, color=colors)
    for y, ls in ((2, "--"), (-2, "--"), (3, "-"), (-3, "-")):
        ax.axhline(y, color="#b2182b" if abs(y) == 3 else "#ef8a62", lw=1, ls=ls)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(np.arange(len(v)))
    ax.set_xticklabels(literals(c), rotation=90, fontsize=7)
    name = "z′" if key == "z_prime" else "z"
    ax.set_ylabel(name, fontsize=8)
    lim = max(3.5, float(np.nanmax(np.abs(v))) * 1.1 if v.size else 3.5)
    ax.set_ylim(-lim, lim)
    ax.set_title(
        (
            f"图 PT1 — {name} 值（由小到大）{('，样品 ' + it.item) if it.item else ''}；±2 与 ±3 线"
            if zh
            else f"Figure PT1 — {name} scores, sorted{_item(it)}; lines at ±2 and ±3"
        ),
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_pt2(rnd, lang: str = "en"):
    """Figure PT2: Youden plot of two PT items (ISO 13528:2022, clause 10): results for item A
    against item B per participant, with x_pt lines and the x_pt ± 2σ_pt and ± 3σ_pt squares."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    a, b = list(rnd.items.values())[:2]
    xa = {p.participant: p.x for p in a.participants}
    xb = {p.participant: p.x for p in b.participants}
    both = [c for c in xa if c in xb]
    fig = Figure(figsize=(4.8, 4.6))
    ax = fig.add_subplot(1, 1, 1)
    for m, col in ((3, "#b2182b"), (2, "#ef8a62")):
        ax.add_patch(
            Rectangle(
                (a.assigned.x_pt - m * a.sigma.sigma_pt, b.assigned.x_pt - m * b.sigma.sigma_pt),
                2 * m * a.sigma.sigma_pt,
                2 * m * b.sigma.sigma_pt,
                fill=False,
                ec=col,
                lw=1,
                ls="-" if m == 3 else "--",
            )
        )
    ax.axvline(a.assigned.x_pt, color="grey", lw=0.8)
    ax.axhline(b.assigned.x_pt, color="grey", lw=0.8)
    ax.plot([xa[c] for c in both], [xb[c] for c in both], "o", ms=4, color="#1f4e79")
    for c in both:
        ax.annotate(literal(c), (xa[c], xb[c]), fontsize=6, xytext=(2, 2), textcoords="offset points")
    zh = lang == "zh"
    ax.set_xlabel(
        literal(
            f"{'样品' if zh else 'item'} {a.item}" + (f" [{a.unit_of_measure}]" if a.unit_of_measure else "")
        ),
        fontsize=8,
    )
    ax.set_ylabel(
        literal(
            f"{'样品' if zh else 'item'} {b.item}" + (f" [{b.unit_of_measure}]" if b.unit_of_measure else "")
        ),
        fontsize=8,
    )
    ax.set_title(
        r"图 PT2 — Youden 图：$x_\mathrm{pt} \pm 2\sigma_\mathrm{pt}$ 与 $\pm 3\sigma_\mathrm{pt}$"
        if zh
        else r"Figure PT2 — Youden plot; $x_\mathrm{pt} \pm 2\sigma_\mathrm{pt}$ and $\pm 3\sigma_\mathrm{pt}$",
        fontsize=9,
    )
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def statement(it, lang: str = "en") -> str:
    """Counts of satisfactory / questionable / unsatisfactory results, from the result fields."""
    n = it.counts()
    name = "z′" if it.check.score == "z_prime" else "z"
    if lang == "zh":
        return (
            f"{it.analyte}{('（样品 ' + it.item + '）') if it.item else ''}：按 {name} 值评定，满意 "
            f"{n['satisfactory']} 个，可疑 {n['questionable']} 个，不满意 {n['unsatisfactory']} 个（共 "
            f"{it.n_participants} 个参加者）。"
        )
    return (
        f"{it.analyte}{_item(it)}: judged on {name}, {n['satisfactory']} satisfactory, "
        f"{n['questionable']} questionable and {n['unsatisfactory']} unsatisfactory of "
        f"{it.n_participants} participants."
    )


def show(wb, rnd) -> None:
    """The proficiency section, when the lot is a proficiency lot (nothing otherwise)."""
    if wb.kind != "proficiency" or rnd is None:
        return
    from .verification import section

    lang = wb.language
    _display(section(wb, "proficiency"), table_pt1(rnd, lang))
    t3 = table_pt3(rnd, lang)
    if t3 is not None:
        _display(t3)
    for it in rnd.items.values():
        if it.item:
            _display(heading(("样品 " if lang == "zh" else "Item ") + it.item, 3))
        for n in it.notes:
            _display(warning(note_text(n, lang)))
        for n in it.assigned.notes + it.sigma.notes:
            _display(note(note_text(n, lang)))
        t2 = table_pt2(it, lang)  # made in the order shown, so numbered and listed in that order
        fig = figure(figure_pt1(it, lang), ref=figure_ref("PT1", it.item or None), lang=lang)
        _display(t2, paragraph(statement(it, lang)), fig)
    if len(rnd.items) >= 2:
        _display(
            figure(figure_pt2(rnd, lang), ref=figure_ref("PT2"), lang=lang),
            paragraph(
                "图 PT2（Youden 图）：沿对角线远离中心的点（两个样品偏差同号）提示该实验室存在系统误差；"
                "偏离对角线的点提示随机误差较大。"
                if lang == "zh"
                else "Figure PT2 (Youden plot): points far from the centre along the diagonal (both items biased the "
                "same way) point to a systematic error of that laboratory; points off the diagonal to a large "
                "random error."
            ),
        )
