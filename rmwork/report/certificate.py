"""Certificate section: table U1 (uncertainty budget), figure U1, table U2 (certified values), the
reviewer-checks table and the certificate page in English or Chinese (format, plot and prose only;
ISO Guide 31:2015 items, JJF 1186-2018 terms from ``shared/zh/GLOSSARY.md``).

Nothing here computes: every number comes from :mod:`rmwork.certificate` results, and the
certified value and U are shown as the rounded strings made there. Every user string (material,
analyte, unit, producer, free text) is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from ..certificate import BudgetResult, CertificateMetadata, CertifiedValue, ChecksResult
from ..certificate.reasons import text as reason_in
from ..errors import InputError, RmworkError
from . import numbers as N
from .display import HTML, Ref, fmt, table_html
from .phrases import note_text
from .symbols import CHECK_LABELS, blocking_text, header, label
from .usertext import literal

__all__ = [
    "CAPTIONS",
    "setup_cjk_font",
    "table_u1",
    "figure_u1",
    "table_u2",
    "checks_table",
    "certificate_page",
    "CJK_FONT_PACKAGE",
]

CJK_FONT_PACKAGE = (
    "fonts-noto-cjk"  # Debian package that provides Noto Sans CJK (alternative: fonts-wqy-zenhei)
)

CAPTIONS = {
    # table/figure id: (English, Chinese)
    "U1": (
        "Table U1 — Uncertainty budget of the certified value (ISO Guide 35:2017; GUM G.4.1)",
        "表 U1 — 标准值的不确定度分量 (ISO Guide 35:2017；GUM G.4.1)",
    ),
    "U2": ("Table U2 — Certified values and expanded uncertainties", "表 U2 — 标准值及其扩展不确定度"),
    "R1": (
        "Table R1 — Reviewer checks (advisory; not part of the certificate)",
        "表 R1 — 审核检查（仅供审核，不属于证书内容）",
    ),
    "FU1": (
        r"Figure U1 — Contributions to $u_\mathrm{CRM}^2$ (share, %)",
        r"图 U1 — 各不确定度分量对 $u_\mathrm{CRM}^2$ 的贡献（%）",
    ),
}

# certificate headings (ISO Guide 31:2015 items; Chinese per GLOSSARY.md)
HEADINGS = {
    "title": ("Reference Material Certificate", "标准物质证书"),
    "material": ("Name of the reference material", "标准物质名称"),
    "rm_number": ("Reference material number", "标准物质编号"),
    "lot": ("Batch (lot) number", "批号"),
    "certificate_id": ("Certificate number", "证书编号"),
    "producer": ("Producer", "研制单位"),
    "producer_address": ("Address", "地址"),
    "description": ("Description of the material", "标准物质描述"),
    "intended_use": ("Intended use", "预期用途"),
    "certified_values": ("Certified values", "标准值"),
    "methods": ("Methods of characterization", "定值方法"),
    "traceability": ("Statement of metrological traceability", "计量溯源性声明"),
    "homogeneity_stability": ("Homogeneity and stability", "均匀性及稳定性说明"),
    "minimum_sample_intake": ("Minimum sample intake", "最小取样量"),
    "storage": ("Storage conditions", "储存条件"),
    "instructions": ("Instructions for handling and use", "使用说明"),
    "certification_date": ("Date of certification", "定值日期"),
    "validity": ("Period of validity", "有效期"),
    "valid_until": ("Valid until", "有效期至"),
    "safety": ("Health and safety information", "安全信息"),
    "approver": ("Approved by", "批准人"),
    "checks": ("Reviewer checks", "审核检查"),
    "draft": ("DRAFT — required certificate items missing: ", "草稿 — 缺少必需的证书项目："),
    "approval_pending": (
        "DRAFT — not an issued certificate: approval pending. The certificate is issued "
        "by the approver's electronic signature as certificate.signed.drmd.xml "
        "(rmwork sign --meaning approved); check it with rmwork verify --trust.",
        "草稿 — 非正式证书：待批准。证书由批准人电子签名后以 certificate.signed.drmd.xml 发布"
        "（rmwork sign --meaning approved）；可用 rmwork verify --trust 核验。",
    ),
    "approver_pending": ("pending (taken from the approver's signature)", "待定（取自批准人的电子签名）"),
}

_SOURCES_ZH = {
    "characterization": "定值",
    "homogeneity (between-unit)": "均匀性（瓶间）",
    "long-term stability": "长期稳定性",
    "transport (short-term) stability": "运输（短期）稳定性",
    "user component": "其他分量",
    "combined": "合成",
}

_STATUS = {
    "pass": ("pass", "通过"),
    "attention": ("attention", "需关注"),
    "not evaluated": ("not evaluated", "未评估"),
}

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans CN",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Droid Sans Fallback",
)
_CJK_PROBE = "标准值扩展不确定度包含因子有效期"


def _t(key: str, lang: str) -> str:
    en, zh = HEADINGS[key]
    return zh if lang == "zh" else en


def _cap(tid: str, lang: str) -> str:
    en, zh = CAPTIONS[tid]
    return zh if lang == "zh" else en


def _lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        raise InputError(f"'{lang}' is not a report language", key="language", hint="use one of en, zh")
    return lang


# ---------------------------------------------------------------------------------------------
# CJK font
# ---------------------------------------------------------------------------------------------


def _covers(entry, text: str) -> bool:
    from matplotlib import ft2font

    try:
        font = ft2font.FT2Font(entry.fname, face_index=int(getattr(entry, "index", 0) or 0))
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(c)) != 0 for c in text)


def _find_cjk_entry():
    from matplotlib import font_manager as fm

    by_name = {}
    for e in fm.fontManager.ttflist:
        by_name.setdefault(e.name, e)
    for name in CJK_FAMILIES:
        if name in by_name and _covers(by_name[name], _CJK_PROBE):
            return name
    return None


def setup_cjk_font() -> str:
    """Make matplotlib draw Chinese text for zh reports (JJF 1186-2018 terms; GLOSSARY.md).

    Finds a CJK font and puts it first in ``font.sans-serif``.

    Looks for the families in ``CJK_FAMILIES`` (Noto Sans CJK SC first) among matplotlib's fonts,
    registering system fonts that matplotlib's font cache does not know yet (a cache built before
    the font was installed), and checks that the font has the glyphs of the certificate terms.
    Sets ``rcParams["font.family"] = [family, "DejaVu Sans"]``: matplotlib falls back font by
    font along that list, so a glyph the CJK font lacks (the superscript minus of "K⁻¹") comes from
    DejaVu Sans instead of drawing as an empty box; the family also goes first in
    ``rcParams["font.sans-serif"]``.  Process-wide, affects only fonts, idempotent.

    Returns
    -------
    str
        The font family used.

    Raises
    ------
    RmworkError
        No installed font covers Chinese; the message names the Debian package to install
        (``fonts-noto-cjk``, or ``fonts-wqy-zenhei``).
    """
    import matplotlib as mpl
    from matplotlib import font_manager as fm

    name = _find_cjk_entry()
    if name is None:
        known = {e.fname for e in fm.fontManager.ttflist}
        for path in fm.findSystemFonts():
            if path not in known:
                try:
                    fm.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        name = _find_cjk_entry()
    if name is None:
        raise RmworkError(
            f"no font with Chinese glyphs is installed, so Chinese figures cannot be drawn; "
            f"install the Debian package {CJK_FONT_PACKAGE} (or fonts-wqy-zenhei)"
        )
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f != name]
    if "DejaVu Sans" not in rest:
        rest.insert(0, "DejaVu Sans")
    mpl.rcParams["font.sans-serif"] = [name] + rest
    mpl.rcParams["font.family"] = [name, "DejaVu Sans"]  # a list: per-glyph fallback (not "sans-serif")
    return name


# ---------------------------------------------------------------------------------------------
# Tables and figure
# ---------------------------------------------------------------------------------------------


def _source(src: str, lang: str) -> str:
    return _SOURCES_ZH.get(src, src) if lang == "zh" else src


def table_u1(
    budget: BudgetResult, *, lang: str = "en", digits: int = 4, analyte: str = "", unit: str | None = None
) -> HTML:
    """Table U1: uncertainty budget (ISO Guide 35:2017; GUM JCGM 100:2008, G.4.1).

    Columns: component, source study, u (in ``unit``, the certified value's), u_rel (in percent of
    the certified value), ν, the source of ν, share of u_CRM² in %; a last row u_CRM with ν_eff.
    Display precision only (:mod:`rmwork.report.numbers`: u to 2 significant digits, ν integer or
    one decimal); no recomputation.  With ``analyte`` it is numbered per analyte ("Table U1-Cd")
    and the cells are named ``<analyte>/<component>/budget`` (u transferred to the certified
    value) and ``<analyte>/<component>_rel/certified``.
    """
    lang = _lang(lang)
    fields = ["component", "source", "u", "u_rel", "dof", "dof_source", "share"]
    cols = [header(f, lang, unit) for f in fields]

    def q(sym, base):
        return N.qname(analyte, sym, base) if analyte else ""

    rows = [
        [
            c.name,
            _source(c.source, lang),
            N.uncertainty(c.u, q=q(c.name, "budget")),
            N.relative(c.u_rel, q=q(f"{c.name}_rel", "certified")),
            N.dof(c.dof, q=q(f"dof_{c.name}", "budget")),
            note_text(c.dof_source, lang),
            N.relative(c.share, q=q(f"share_{c.name}", "budget")),
        ]
        for c in budget.components
    ]
    rows.append(
        [
            "u_CRM",
            _source("combined", lang),
            N.uncertainty(budget.u, q=q("u_CRM", "budget")),
            N.relative(budget.u_rel, q=q("u_CRM_rel", "certified")),
            N.dof(budget.dof_eff, q=q("dof_eff", "budget")),
            "Welch–Satterthwaite (GUM G.4.1)",
            N.count(100),
        ]
    )
    df = pd.DataFrame(rows, columns=cols)
    ref = Ref("U1", analyte or None)
    return HTML(table_html(df, _cap("U1", lang), lang=lang, digits=digits, ref=ref))


_SYMBOL = re.compile(r"^([uU])_([A-Za-z]+)(.*)$")


def _math_name(name: str) -> str:
    """A budget component's symbol as mathtext (``u_bb (radial)`` -> ``$u_\\mathrm{bb}$ (radial)``);
    the rest of the name is user text (a group), drawn literally."""
    m = _SYMBOL.match(name)
    if m is None:
        return literal(name)
    return rf"${m.group(1)}_\mathrm{{{m.group(2)}}}$" + literal(m.group(3))


def withheld_block(entries: Mapping, *, lang: str = "en") -> HTML | None:
    """The analytes withheld from the certificate, each with its blocking reasons (ISO 17034:2016, 7.13).

    Shown at the top of the certificate section; None when every analyte is certified.
    """
    lang = _lang(lang)
    held = [e for e in entries.values() if getattr(e, "status", "certified") == "withheld"]
    if not held:
        return None
    zh = lang == "zh"
    head = (
        "以下特性量不予认定（未出现在证书页和 DRMD 中）："
        if zh
        else "Withheld from the certificate (not on the certificate page or in the DRMD):"
    )

    def dof_eff(e):
        return getattr(getattr(e, "budget", None), "dof_eff", None)

    sep = "；" if zh else "; "
    items = "".join(
        f"<li><strong>{_e(e.analyte)}</strong>: "
        f"{N.spans(_e(sep.join(respell_reason(blocking_text(reason_in(b, lang), lang), dof_eff(e), e.analyte, tagged=True) for b in e.blocking)))}</li>"
        for e in held
    )
    return HTML(
        f'<div class="rmwork-withheld" style="border:2px solid #c00;padding:.5em">'
        f"<p><strong>{_e(head)}</strong></p><ul>{items}</ul></div>"
    )


def figure_u1(budget: BudgetResult, *, ax=None, lang: str = "en"):
    """Figure U1: each component's share of u_CRM² in % (ISO Guide 35:2017; GUM JCGM 100:2008, 5.1.2).

    Drawn from the same numbers as table U1. Returns a matplotlib Figure (no pyplot state, no
    file written). With ``lang="zh"`` it calls :func:`setup_cjk_font` first.
    """
    lang = _lang(lang)
    if lang == "zh":
        setup_cjk_font()
    from matplotlib.figure import Figure

    comps = list(budget.components)
    if ax is None:
        fig = Figure(figsize=(6.4, 1.2 + 0.45 * len(comps)))
        ax = fig.subplots()
    else:
        fig = ax.figure
    labels = [
        f"{literal(_source(c.source, lang))} {_math_name(c.name)}"
        if lang == "zh"
        else f"{_math_name(c.name)} ({literal(c.source)})"
        for c in comps
    ][::-1]
    shares = [100.0 * c.share for c in comps][::-1]
    bars = ax.barh(range(len(comps)), shares, color="#4C72B0")
    ax.set_yticks(range(len(comps)), labels)
    for b, s in zip(bars, shares):
        ax.annotate(
            f"{s:.1f} %",
            (b.get_width(), b.get_y() + b.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_xlim(0, max(105.0, max(shares) * 1.15))
    ax.set_xlabel("贡献率 (%)" if lang == "zh" else r"share of $u_\mathrm{CRM}^2$ (%)")
    ax.set_title(_cap("FU1", lang), fontsize=10)
    fig.tight_layout()
    return fig


def respell_reason(text: str, dof_eff, analyte: str = "", *, tagged: bool = False) -> str:
    """A blocking reason of rmwork.certificate with ν_eff in the report's spelling.

    The compute layer writes ``ν_eff = {dof_eff:.3g}``; the report prints ν with one decimal,
    rounded down (:func:`rmwork.report.numbers.dof`), as Table U1 does.  results.json keeps the
    original text.
    """
    try:
        old = f"ν_eff = {float(dof_eff):.3g}"
    except (TypeError, ValueError):
        return str(text)
    p = N.dof(dof_eff, q=N.qname(analyte, "dof_eff", "budget") if analyte else "")
    return str(text).replace(old, f"ν_eff = {N.tag(p) if tagged else p.text()}")


def _k_text(k: float) -> str:
    return N.coverage_factor(k).text()


def certified_numbers(analyte: str, value_rounded, U_rounded, k) -> tuple:
    """The certified value, U (the strings of rmwork.certificate.rounding, kept as they are) and
    k, named ``<analyte>/x_CRM|U|k/certified`` wherever the report prints them."""
    return (
        N.certified(value_rounded, q=N.qname(analyte, "x_CRM", "certified")),
        N.certified(U_rounded, q=N.qname(analyte, "U", "certified")),
        N.coverage_factor(k, q=N.qname(analyte, "k", "certified")),
    )


def _as_values(certified) -> list[CertifiedValue]:
    if isinstance(certified, CertifiedValue):
        return [certified]
    vals = list(certified.values()) if isinstance(certified, Mapping) else list(certified)
    for v in vals:
        if not isinstance(v, CertifiedValue):
            raise TypeError(f"`certified` must hold CertifiedValue objects, got {type(v).__name__}")
    return vals


def _u2_frame(vals: Sequence[CertifiedValue], lang: str, names: Mapping[str, str]) -> pd.DataFrame:
    cols = [
        "analyte",
        *(label(f, lang) for f in ("certified_value", "U", "coverage_factor", "unit_of_measure")),
    ]
    rows = [
        [
            names.get(v.analyte, v.analyte),
            *certified_numbers(v.analyte, v.value_rounded, v.U_rounded, v.k),
            v.unit_of_measure,
        ]
        for v in vals
    ]
    return pd.DataFrame(rows, columns=cols)


def table_u2(certified, *, lang: str = "en", analyte_names: Mapping[str, str] | None = None) -> HTML:
    """Table U2: the certificate table of certified values (ISO Guide 31:2015; GUM JCGM 100:2008, 7.2.6).

    Columns: analyte, certified value, U, k, unit — the rounded strings from
    :func:`rmwork.certificate.certify` (trailing zeros kept).
    """
    lang = _lang(lang)
    vals = _as_values(certified)
    ref = Ref("U2", analytes=tuple(v.analyte for v in vals))
    return HTML(table_html(_u2_frame(vals, lang, analyte_names or {}), _cap("U2", lang), lang=lang, ref=ref))


def _check_label(item, lang: str) -> str:
    en, zh = CHECK_LABELS.get(item.check, (item.check, item.check))
    return zh if lang == "zh" else en


def _check_numbers(item) -> list:
    """Quantity and limit of a reviewer check, by what they are: a U (stated: 4 significant
    digits, so that the comparison with the printed U shows), months, or a ratio (2 digits)."""
    if item.check == "U_rounded_not_smaller":
        return [N.statistic(item.quantity), N.measured(item.limit, 6)]
    if item.check == "validity_supported":
        return [N.measured(item.quantity, 4), N.measured(item.limit, 4)]
    return [N.statistic(item.quantity, digits=2), N.statistic(item.limit, digits=2)]


def checks_table(checks: ChecksResult, *, lang: str = "en", digits: int = 4, family: str = "R1") -> HTML:
    """Table R1: reviewer checks (ISO Guide 35:2017; rmwork conventions in rmwork.certificate.checks).

    Columns: check, subject, status (pass / attention / not evaluated), quantity, limit, remark.
    One per analyte ("Table R1-Cd"); the copy the certificate page appends is ``family="CP2"``.
    """
    lang = _lang(lang)
    zh = lang == "zh"
    cols = [
        "analyte",
        *(label(f, lang) for f in ("check", "subject", "status", "quantity", "limit", "remark")),
    ]
    rows = []
    for i in checks.items:
        st = _STATUS.get(i.status, (i.status, i.status))
        rows.append(
            [
                checks.analyte,
                _check_label(i, lang),
                note_text(reason_in(i.subject, lang), lang),
                st[1] if zh else st[0],
                *_check_numbers(i),
                note_text(reason_in(i.reason, lang), lang) if i.reason else note_text(i.clause, lang),
            ]
        )
    df = pd.DataFrame(rows, columns=cols)
    ref = Ref(family, checks.analyte or None)
    return HTML(table_html(df, _cap("R1", lang), lang=lang, digits=digits, ref=ref))


# ---------------------------------------------------------------------------------------------
# Certificate page
# ---------------------------------------------------------------------------------------------

_CSS = """
.rmwork-certificate{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei",sans-serif;max-width:48em}
.rmwork-certificate h1{text-align:center}
.rmwork-certificate table.rmwork-meta th{text-align:left;padding-right:1em;vertical-align:top}
.rmwork-certificate .rmwork-draft{border:2px solid #c00;color:#c00;padding:.5em}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _para(text: str) -> str:
    # keep the user's paragraph breaks, escape everything
    parts = [p.strip() for p in re.split(r"\n\s*\n", str(text)) if p.strip()]
    return "".join(f"<p>{_e(p)}</p>" for p in parts)


def _u_sentence(vals: Sequence[CertifiedValue], lang: str) -> str:
    ks = sorted({_k_text(v.k) for v in vals})
    ps = ", ".join(sorted({f"{100 * v.coverage:g}" for v in vals}))
    any_t = any(v.distribution == "t" for v in vals)
    zh = lang == "zh"
    if len(ks) == 1:
        k_txt = f"包含因子 k = {_e(ks[0])}" if zh else f"coverage factor k = {_e(ks[0])}"
    else:
        k_txt = "包含因子 k 见上表" if zh else "coverage factor k as given in the table"
    if zh:
        how = "包含因子由有效自由度按 t 分布确定（GUM G.4.1）；" if any_t else ""
        return (
            f"标准值的扩展不确定度 U = k·u<sub>CRM</sub>，u<sub>CRM</sub> 由定值、瓶间不均匀性、长期稳定性及运输稳定性的"
            f"标准不确定度合成；{how}{k_txt}，包含概率约为 {_e(ps)} %。"
        )
    how = (
        " Unless fixed, k is the t-quantile for the effective degrees of freedom (GUM G.4.1)."
        if any_t
        else ""
    )
    return (
        f"The expanded uncertainty U = k·u<sub>CRM</sub> combines the standard uncertainties of "
        f"characterization, between-unit inhomogeneity, long-term and transport stability "
        f"(ISO Guide 35:2017); {k_txt}, coverage probability about {_e(ps)} %.{how}"
    )


def certificate_page(
    certified,
    metadata: CertificateMetadata,
    *,
    lang: str = "en",
    checks: ChecksResult | Iterable[ChecksResult] | None = None,
    analyte_names: Mapping[str, str] | None = None,
    draft: bool = False,
    standalone: bool = False,
    approval_pending: bool = False,
) -> str:
    """Certificate page in English or Chinese (ISO Guide 31:2015 items; JJF 1186-2018 terms).

    Parameters
    ----------
    certified : CertifiedValue, sequence or mapping of them
    metadata : CertificateMetadata
        Producer, material, RM number, lot, intended use, storage, minimum sample intake,
        traceability, certification date, validity (with its justification), instructions ...
    lang : {"en", "zh"}
        Headings and fixed sentences; free text is shown as given.
    checks : ChecksResult or several, optional
        Reviewer checks, appended as table R1 (marked as not part of the certificate).
    analyte_names : mapping, optional
        Display names of the analytes.
    draft : bool
        With missing required items, show a DRAFT banner listing them instead of raising.
    approval_pending : bool
        ``certificate.approval: required``: a DRAFT banner saying the certificate is issued only by
        the approver's signature, and the approver line says "pending" instead of the free text
        (21 CFR Part 11 §11.50; docs/signing.md).
    standalone : bool
        Return a complete HTML document (``<!DOCTYPE html>`` with charset and style) instead of a
        ``<div>`` fragment.

    Returns
    -------
    str
        HTML; every user string is escaped with :func:`html.escape`.

    Raises
    ------
    InputError
        A required item (material, producer, intended use, storage, instructions, minimum sample
        intake) is empty and ``draft`` is False.
    """
    lang = _lang(lang)
    zh = lang == "zh"
    m = metadata
    vals = _as_values(certified)
    missing = m.missing()
    if missing and not draft:
        raise InputError(
            f"the certificate needs the item(s) {', '.join(missing)}",
            key="certificate",
            hint="add them to the certificate section of the parameter file, or make a draft",
        )
    out = [f'<div class="rmwork-certificate" lang="{"zh-CN" if zh else "en"}">']
    if missing:
        out.append(f'<div class="rmwork-draft">{_e(_t("draft", lang))}{_e(", ".join(missing))}</div>')
    if approval_pending:
        out.append(
            f'<div class="rmwork-draft rmwork-approval-pending">{_e(_t("approval_pending", lang))}</div>'
        )
    out.append(f"<h1>{_e(_t('title', lang))}</h1>")

    meta_rows = []
    for key in (
        "material",
        "rm_number",
        "lot",
        "certificate_id",
        "producer",
        "producer_address",
        "certification_date",
    ):
        v = getattr(m, key)
        if v and str(v).strip():
            meta_rows.append((_t(key, lang), str(v)))
    if m.validity is not None:
        meta_rows.append((_t("valid_until", lang), m.validity.expiry))
    out.append(
        '<table class="rmwork-meta"><tbody>'
        + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta_rows)
        + "</tbody></table>"
    )

    def section(key: str, body_html: str):
        out.append(f"<h2>{_e(_t(key, lang))}</h2>{body_html}")

    if m.description.strip():
        section("description", _para(m.description))
    if m.intended_use.strip():
        section("intended_use", _para(m.intended_use))
    names = analyte_names or {}
    section(
        "certified_values",
        # the certificate's own table of certified values: Table CP1 (CP = certificate page)
        table_html(
            _u2_frame(vals, lang, names),
            _cap("U2", lang),
            lang=lang,
            ref=Ref("CP1", analytes=tuple(v.analyte for v in vals)),
        )
        + f"<p>{_u_sentence(vals, lang)}</p>",
    )
    if m.methods.strip():
        section("methods", _para(m.methods))
    if m.traceability.strip():
        section("traceability", _para(m.traceability))
    if m.homogeneity_stability.strip():
        section("homogeneity_stability", _para(m.homogeneity_stability))
    if m.minimum_sample_intake is not None:
        section(
            "minimum_sample_intake",
            f"<p>{_e(fmt(m.minimum_sample_intake))} {_e(m.minimum_sample_intake_unit)}</p>",
        )
    if m.storage.strip():
        section("storage", _para(m.storage))
    if m.instructions.strip():
        section("instructions", _para(m.instructions))
    if m.validity is not None:
        v = m.validity
        head = f"{_t('valid_until', lang)} {v.expiry}" + (
            f"（{v.shelf_life_months} 个月）" if zh else f" ({v.shelf_life_months} months)"
        )
        section(
            "validity",
            f"<p><strong>{_e(head)}</strong></p>" + _para(v.justification_zh if zh else v.justification),
        )
    if m.safety.strip():
        section("safety", _para(m.safety))
    if approval_pending:
        sep = "：" if zh else ": "
        out.append(f"<p>{_e(_t('approver', lang))}{sep}{_e(_t('approver_pending', lang))}</p>")
    elif m.approver.strip():
        role = f" ({m.approver_role})" if m.approver_role.strip() else ""
        sep = "：" if zh else ": "
        out.append(f"<p>{_e(_t('approver', lang))}{sep}{_e(m.approver + role)}</p>")
    if checks is not None:
        items = [checks] if isinstance(checks, ChecksResult) else list(checks)
        body = "".join(checks_table(c, lang=lang, family="CP2").data for c in items)
        out.append(f'<h2 class="rmwork-checks">{_e(_t("checks", lang))}</h2>{body}')
    out.append("</div>")
    frag = "\n".join(out)
    if not standalone:
        return frag
    title = f"{_t('title', lang)} — {m.material}"
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n{frag}\n</body></html>"
    )
