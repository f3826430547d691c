"""Verification section (kind: verification): Table V1, Figure V1 and the verdicts; and the title,
headings and provenance shared by the verification report (format, plot, prose only)."""

from __future__ import annotations

import html
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from . import numbers as N
from .display import HTML, Ref, figure, figure_ref, note, paragraph, table
from .numbering import INDEX
from .phrases import note_text, text
from .symbols import relabel, table_units
from .usertext import literal

TITLES = {
    "verification": ("Verification of certified values", "标准物质量值核查报告"),
    "proficiency": ("Proficiency test report", "能力验证（盲样测试）报告"),
}
SECTIONS = {
    "verification": (
        "1 Verification of certified values — ISO Guide 35:2017, 8.10; ERM Application Note 1",
        "1 标准值核查 — ISO Guide 35:2017, 8.10；ERM Application Note 1",
        "Per analyte: Δ = x_m − x_c, u_Δ = sqrt(u_m² + u_c²); the measurement agrees with the "
        "certified value when |Δ| ≤ k·u_Δ. E_n = Δ / sqrt(U_m² + U_c²).",
        "逐个特性量：Δ = x_m − x_c，u_Δ = sqrt(u_m² + u_c²)；|Δ| ≤ k·u_Δ 时测量结果与标准值一致。"
        "E_n = Δ / sqrt(U_m² + U_c²)。",
    ),
    "proficiency": (
        "1 Proficiency assessment — ISO 13528:2022, clauses 7 to 9 and Annex B",
        "1 能力评定 — ISO 13528:2022 第 7 至 9 章及附录 B",
        "Assigned value x_pt with u(x_pt), standard deviation for proficiency assessment σ_pt, "
        "the check u(x_pt) ≤ 0.3σ_pt, and each participant's z, z′, ζ and E_n with its class.",
        "指定值 x_pt 及其不确定度 u(x_pt)、能力评定标准差 σ_pt、u(x_pt) ≤ 0.3σ_pt 检查，"
        "以及各参加者的 z、z′、ζ 和 E_n 值及其评定结果。",
    ),
    "provenance": (
        "2 Provenance",
        "2 溯源信息 (数据来源与版本)",
        "Hashes of every input (the certificate included), versions and the seed. manifest.json "
        "lists the SHA-256 of every output; `rmwork verify` checks them.",
        "所有输入文件（含证书）的哈希值、软件版本与随机种子。manifest.json 记录所有输出文件的 SHA-256，"
        "可用 `rmwork verify` 校验。",
    ),
}
CAPTIONS = {
    "V1": (
        "Table V1 — Measured against certified values (ERM Application Note 1)",
        "表 V1 — 测量值与标准值的比较 (ERM Application Note 1)",
    ),
    "V2": ("Table V2 — The laboratory's uncertainty u_m", "表 V2 — 核查实验室的测量不确定度 u_m"),
}


def _zh(wb) -> bool:
    return wb.language == "zh"


def _display(*objs):
    from IPython.display import display

    display(*objs)


def header(wb) -> HTML:
    """Title and lot table of a verification or proficiency report."""
    zh = _zh(wb)
    INDEX.start(wb, wb.language)  # this report's tables and figures, numbered (results.json "report")
    if zh:
        from .certificate import setup_cjk_font

        setup_cjk_font()
    en_t, zh_t = TITLES[wb.kind]
    rows = [("批号" if zh else "Lot", wb.p.lot), ("样品名称" if zh else "Material", wb.p.material)]
    if wb.kind == "proficiency":
        rows.append(("特性量" if zh else "Analyte", wb.p.proficiency.analyte))
    if wb.kind == "verification":
        cert = wb.certificate()
        rows.append(
            (
                "证书来源" if zh else "Certificate",
                cert.source or ("参数文件中录入" if zh else "typed in the parameter file"),
            )
        )
    body = "".join(
        f"<tr><th class='text'>{html.escape(k)}</th><td class='text'>{html.escape(str(v))}</td></tr>"
        for k, v in rows
    )
    return HTML(
        f"<h1>{html.escape(zh_t if zh else en_t)}: {html.escape(wb.p.lot)}</h1>"
        f"<table class='rmwork'><tbody>{body}</tbody></table>"
    )


def section(wb, key: str) -> HTML:
    en, zh, ien, izh = SECTIONS[key]
    INDEX.section = key  # the tables and figures that follow belong to this section (results.json)
    return HTML(
        f'<h2 id="sec-{key}">{html.escape(zh if _zh(wb) else en)}</h2><p>{html.escape(izh if _zh(wb) else ien)}</p>'
    )


def table_v1(results: dict, lang: str = "en") -> HTML:
    """Table V1: measured against certified values; headers from the symbol map, the unit in the
    headers when every analyte has the same one, else a unit column."""
    zh = lang == "zh"
    rows = [
        {
            "analyte": r.analyte,
            "unit_of_measure": r.unit_of_measure,
            "x_m": N.value(r.x_m, r.u_m, q=N.qname(r.analyte, "x_m", "verification")),
            "u_m": N.uncertainty(r.u_m, q=N.qname(r.analyte, "u_m", "verification")),
            # the certificate's x_c, U_c and k_c are inputs: printed as given, not re-rounded
            "x_c": N.measured(r.x_c, 10),
            "U_c_k_c": f"{N.measured(r.U_c, 10)} ({N.measured(r.k_c, 10)})",
            "delta": N.value(r.delta, r.u_delta, q=N.qname(r.analyte, "delta", "verification")),
            "u_delta": N.uncertainty(r.u_delta, q=N.qname(r.analyte, "u_delta", "verification")),
            "k_delta": N.coverage_factor(r.k),
            "U_delta": N.uncertainty(r.U_delta),
            "en": N.score(r.en, q=N.qname(r.analyte, "en", "verification")),
            "verdict": ("一致" if r.passed else "不一致") if zh else ("agrees" if r.passed else "differs"),
        }
        for r in results.values()
    ]
    df = pd.DataFrame(rows)
    one = table_units(df["unit_of_measure"]) if len(df) else None
    if one is not None:
        df = df.drop(columns="unit_of_measure")
    ref = Ref("V1", analytes=tuple(r.analyte for r in results.values()))
    return table(relabel(df, lang, one), CAPTIONS["V1"][1 if zh else 0], lang=lang, digits=5, ref=ref)


def table_v2(labs: dict, lang: str = "en", units: dict | None = None) -> HTML:
    """Table V2: the laboratory's u_m per analyte (``units``: analyte -> unit of its values)."""
    zh = lang == "zh"
    rows = []
    for a, lab in labs.items():
        comps = "; ".join(f"{n} {N.uncertainty(u)}" for n, u in lab.components) or "–"
        rows.append(
            {
                "analyte": a,
                "unit_of_measure": (units or {}).get(a, ""),
                "n_results_v": lab.n_results,
                "n_units_v": lab.n_units,
                "u_m_basis": {"given": "stated by the laboratory", "repeatability": "s/√n and components"}[
                    lab.basis
                ]
                if not zh
                else {"given": "实验室给出", "repeatability": "重复性 s/√n 与其他分量"}[lab.basis],
                "s_rep": N.uncertainty(lab.s),
                "u_rep": N.uncertainty(lab.u_rep),
                "components": comps,
                "u_m": N.uncertainty(lab.u_m, q=N.qname(a, "u_m", "verification")),
            }
        )
    df = pd.DataFrame(rows)
    one = table_units(df["unit_of_measure"]) if len(df) else None
    if one is not None:
        df = df.drop(columns="unit_of_measure")
    ref = Ref("V2", analytes=tuple(labs))
    return table(relabel(df, lang, one), CAPTIONS["V2"][1 if zh else 0], lang=lang, digits=4, ref=ref)


def figure_v1(labs: dict, results: dict, lang: str = "en"):
    """Figure V1: each analyte's measurements and their mean ± k·u_m against the certified value ± U."""
    from matplotlib.figure import Figure

    zh = lang == "zh"
    n = len(results)
    ncol = min(n, 4)  # at most four panels a row: many analytes wrap
    nrow = -(-n // ncol)
    fig = Figure(figsize=(3.2 * ncol + 0.6, 3.4 * nrow))
    for i, (a, r) in enumerate(results.items(), start=1):
        ax = fig.add_subplot(nrow, ncol, i)
        lab = labs[a]
        ax.axhspan(r.x_c - r.U_c, r.x_c + r.U_c, color="#cfe0f1", label=r"$x_\mathrm{c} \pm U_\mathrm{c}$")
        ax.axhline(r.x_c, color="#1f4e79", lw=1.2)
        xs = np.arange(len(lab.values))
        ax.plot(xs, lab.values, "o", ms=4, color="#555555", label="测量结果" if zh else "results")
        mid = len(lab.values) + 0.8
        ax.errorbar(
            [mid],
            [r.x_m],
            yerr=[r.k * r.u_m],
            fmt="s",
            color="#cc6600",
            capsize=4,
            label=(r"平均值 $\pm k u_\mathrm{m}$" if zh else r"$x_\mathrm{m} \pm k u_\mathrm{m}$"),
        )
        ax.set_xticks([])
        ax.set_title(literal(f"{a}" + (f" [{r.unit_of_measure}]" if r.unit_of_measure else "")), fontsize=9)
        ax.tick_params(labelsize=7)
        if i == 1:
            ax.legend(fontsize=7, loc="best")
    fig.suptitle(
        (
            "图 V1 — 测量结果与标准值 ± U"
            if zh
            else "Figure V1 — measurements against the certified value ± U"
        ),
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def show(wb, results: dict) -> None:
    """The verification section, when the lot is a verification lot (nothing otherwise)."""
    if wb.kind != "verification":
        return
    from ..verification import verdict

    lang = wb.language
    _display(section(wb, "verification"))
    cert = wb.certificate()
    for n in cert.notes:
        _display(note(note_text(n, lang)))
    units = {a: r.unit_of_measure for a, r in results.items()}
    _display(table_v1(results, lang), table_v2(wb.results["verification_lab"], lang, units))
    for r in results.values():
        _display(paragraph(verdict(r, lang)))
        for n in r.notes:
            _display(note(note_text(n, lang)))
    fig = figure_v1(wb.results["verification_lab"], results, lang)
    _display(figure(fig, ref=figure_ref("V1", analytes=tuple(results)), lang=lang))


def provenance(wb) -> HTML:
    """Tables P2-P4 of a verification or proficiency report: inputs, settings, versions."""
    from . import provenance as prov

    lot = wb.lot
    rows = [("parameter file", lot.path.name, prov.sha256_file(lot.path))]
    rows += [(k, f.name, prov.sha256_file(f)) for k, f in lot.data_files().items()]
    settings = [
        ("kind", text(wb.kind, wb.language)),
        ("seed", str(wb.p.seed)),
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("git commit", str(prov.git_commit(Path(__file__).parent) or text("n/a", wb.language))),
        ("started (UTC)", prov.now_utc()),
    ]
    from .lot import provenance_tables

    return HTML(section(wb, "provenance").data + provenance_tables(rows, settings, wb.language, "p3_kind"))
