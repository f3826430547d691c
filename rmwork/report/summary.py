"""The first screen of a report: certificate summary, checks overview per study, table of contents.

A reviewer opens a report to find the certified values and the evidence behind each (ISO 17034:2016
7.2 and 7.13; ISO Guide 31:2015 for what a certificate states).  The notebook computes the studies
in order, so the summary is displayed as a placeholder right after the lot header and filled when
``results.json`` is written (IPython ``display_id``: nbclient applies the update to the earlier
output, so the executed notebook, report.html and the DOCX hold the summary at the top).

Everything shown here is read from the results dictionary that becomes ``results.json``; nothing is
computed, so the summary cannot disagree with the sections it links to.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from .certificate import certified_numbers, respell_reason
from .display import HTML, Ref, numbered, table_html
from .numbering import INDEX
from .symbols import blocking_text

# section anchors: report/lot.section() gives each section heading the id "sec-<key>"
SECTION_KEYS = ("homogeneity", "stability", "characterization", "certificate", "provenance")
_STUDY_OF_CHECK = {
    # reviewer check id (rmwork.certificate.entry.CHECK_POLICY_DEFAULT) -> the study it weighs
    "u_bb_vs_u_char": "homogeneity",
    "homogeneity_estimable": "homogeneity",
    "stability_share": "stability",
    "validity_supported": "stability",
    "stability_fit": "stability",
    "stability_covered": "stability",
    "characterized": "characterization",
    "certified_unit": "characterization",
    "method_agreement": "characterization",
    "bayes_diagnostics": "characterization",
}
_T = {
    # key: (en, zh)
    "summary": ("Summary", "摘要"),
    "certified_values": ("Certified values", "标准值"),
    "checks": ("Checks per study", "各项研究的检查结果"),
    "contents": ("Contents", "目录"),
    "analyte": ("Analyte", "特性量"),
    "value": ("Certified value", "标准值"),
    "U": ("U", "U"),
    "k": ("k", "k"),
    "unit": ("Unit", "单位"),
    "status": ("Status", "状态"),
    "reason": ("Reason", "原因"),
    "validity": ("Valid until", "有效期至"),
    "study": ("Study", "研究"),
    "certified": ("certified", "已定值"),
    "withheld": ("withheld", "暂不给出"),
    "pass": ("pass", "通过"),
    "attention": ("attention", "需关注"),
    "blocking": ("blocking", "阻止定值"),
    "not evaluated": ("not evaluated", "未评价"),
    "none": ("no certified value", "无标准值"),
    "not_selected": (
        "Not selected (in the data but not listed under the lot's analytes:, so neither studied "
        "nor certified): ",
        "未选定（数据中有、但参数文件 analytes 未列出的特性量，不予研究和定值）：",
    ),
    "homogeneity": ("Homogeneity", "均匀性"),
    "stability": ("Stability", "稳定性"),
    "characterization": ("Characterization", "定值"),
    "certificate": ("Uncertainty budget and certificate", "不确定度评定与证书"),
    "provenance": ("Provenance", "溯源信息"),
}
_RANK = {"pass": 0, "not evaluated": 1, "attention": 2, "blocking": 3}


def _t(key: str, lang: str) -> str:
    en, zh = _T.get(key, (key, key))
    return zh if lang == "zh" else en


def _certified(entry: Mapping) -> Mapping:
    return entry.get("certified") or {}


def certificate_frame(results: Mapping, lang: str = "en") -> pd.DataFrame:
    """One row per analyte: the printed (rounded) value and U, k, unit, status and its reason."""
    validity = (results.get("validity") or {}).get("expiry", "")
    rows = []
    for name, entry in (results.get("analytes") or {}).items():
        c = _certified(entry)
        if not c:
            continue
        status = c.get("status", "certified")
        certified = status == "certified"
        # the same printed numbers as Table U2 and the certificate page (rmwork.report.numbers)
        x, U, k = certified_numbers(name, c.get("value_rounded", ""), c.get("U_rounded", ""), c.get("k"))
        rows.append(
            {
                _t("analyte", lang): name,
                _t("value", lang): x if certified else "—",
                _t("U", lang): U if certified else "—",
                _t("k", lang): k if certified else "—",
                _t("unit", lang): entry.get("unit", ""),
                _t("status", lang): _t(status, lang),
                _t("reason", lang): _reasons(c, lang),
                _t("validity", lang): (c.get("valid_until") or validity) if certified else "—",
            }
        )
    return pd.DataFrame(rows)


def _reasons(c: Mapping, lang: str) -> str:
    """The blocking reasons of one analyte: results.json keeps them in English (``blocking``) and in
    Chinese (``blocking_zh``, the same template of rmwork.certificate.reasons)."""
    # ν_eff printed as Table U1 prints it (respell_reason); a withheld value keeps it in its budget
    dof = c.get("dof_eff", (c.get("budget") or {}).get("dof_eff"))
    if lang != "zh" or not c.get("blocking_zh"):
        return "; ".join(respell_reason(blocking_text(str(b)), dof) for b in c.get("blocking", ()) or ())
    return "；".join(blocking_text(respell_reason(b, dof), "zh") for b in c["blocking_zh"])


def not_selected_html(results: Mapping, lang: str = "en") -> str:
    """One line naming the analytes in the data that the lot's ``analytes:`` does not list."""
    names = results.get("not_selected") or ()
    if not names:
        return ""
    shown = ("、" if lang == "zh" else ", ").join(map(str, names))
    return f'<p class="rmwork-note" id="summary-not-selected">{html.escape(_t("not_selected", lang) + shown)}</p>'


def study_status(results: Mapping) -> dict[str, dict[str, str]]:
    """{study: {analyte: pass | attention | blocking | not evaluated}} from the reviewer checks and
    the blocking reasons that results.json records (the worst outcome of a study's checks wins)."""
    out: dict[str, dict[str, str]] = {}
    for name, entry in (results.get("analytes") or {}).items():
        c = _certified(entry)
        items = ((c.get("checks") or {}).get("items")) or ()
        # a check that withholds the analyte is named first in its blocking reasons ("check: why")
        blocked = {str(b).split(":", 1)[0].strip() for b in c.get("blocking", ()) or ()}
        for item in items:
            study = _STUDY_OF_CHECK.get(item.get("check", ""), "certificate")
            if study != "certificate" and study not in entry:
                continue  # a check about a study this analyte has not got says nothing here
            status = item.get("status", "not evaluated")
            if status != "pass" and item.get("check") in blocked:
                status = "blocking"
            cur = out.setdefault(study, {}).get(name, "pass")
            out[study][name] = status if _RANK.get(status, 1) > _RANK.get(cur, 1) else cur
        if c.get("status") == "withheld":
            out.setdefault("certificate", {})[name] = "blocking"
        for study in ("homogeneity", "stability", "characterization"):
            if study in entry:
                out.setdefault(study, {}).setdefault(name, "pass")
    return out


def _cell(status: str, lang: str, target: str | None = None) -> str:
    cls = {"pass": "rmwork-pass", "attention": "rmwork-attention", "blocking": "rmwork-blocking"}.get(
        status, ""
    )
    text = html.escape(_t(status, lang))
    if target:  # the analyte's own evidence in that study (its first numbered table or figure)
        text = f'<a href="#{html.escape(target)}">{text}</a>'
    return f'<td class="text {cls}">{text}</td>'


def evidence_targets(items) -> dict[tuple[str, str], str]:
    """(section, analyte) -> the id of the analyte's first own table or figure in that section
    (from the report's numbered items, rmwork.report.numbering): where a checks cell links to."""
    out: dict[tuple[str, str], str] = {}
    for it in items:
        if it.get("analyte") and it.get("section") in SECTION_KEYS:
            out.setdefault((it["section"], it["analyte"]), it["id"])
    for it in items:  # the certificate row weighs the reviewer checks: link to the analyte's Table R1
        if it.get("family") == "R1" and it.get("analyte"):
            out[("certificate", it["analyte"])] = it["id"]
    return out


def checks_overview_html(results: Mapping, lang: str = "en", targets: Mapping | None = None) -> str:
    status = study_status(results)
    analytes = list(results.get("analytes") or {})
    studies = [s for s in SECTION_KEYS if s in status]
    if not studies:
        return ""
    head = f'<th class="text">{html.escape(_t("study", lang))}</th>' + "".join(
        f'<th class="text">{html.escape(a)}</th>' for a in analytes
    )
    body = []
    for s in studies:
        cells = "".join(
            _cell(status[s][a], lang, (targets or {}).get((s, a))) if a in status[s] else "<td>–</td>"
            for a in analytes
        )
        body.append(
            f'<tr><td class="text"><a href="#sec-{s}">{html.escape(_t(s, lang))}</a></td>{cells}</tr>'
        )
    # Table A2 (A = the summary at the head of the report; rmwork.report.numbering)
    open_tag, cap = numbered(Ref("A2", analytes=tuple(analytes)), html.escape(_t("checks", lang)), lang)
    return f"{open_tag}<caption>{cap}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def contents_html(lang: str = "en", sections=SECTION_KEYS) -> str:
    items = "".join(f'<li><a href="#sec-{s}">{html.escape(_t(s, lang))}</a></li>' for s in sections)
    return f'<nav class="rmwork-toc"><h2>{html.escape(_t("contents", lang))}</h2><ol>{items}</ol></nav>'


def summary_html(
    results: Mapping, lang: str = "en", sections=SECTION_KEYS, targets: Mapping | None = None
) -> str:
    """The summary block: certificate summary, checks overview, contents."""
    frame = certificate_frame(results, lang)
    parts = [f'<section class="rmwork-summary" id="sec-summary"><h2>{html.escape(_t("summary", lang))}</h2>']
    if frame.empty:
        parts.append(f"<p>{html.escape(_t('none', lang))}</p>")
    else:
        ref = Ref("A1", analytes=tuple(frame.iloc[:, 0]))
        parts.append(table_html(frame, _t("certified_values", lang), lang=lang, labels=False, ref=ref))
    parts.append(not_selected_html(results, lang))
    parts.append(checks_overview_html(results, lang, targets))
    parts.append(contents_html(lang, sections))
    parts.append("</section>")
    return "".join(parts)


class Summary:
    """Placeholder shown after the lot header, filled once the results are known."""

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self._handle = None
        self._html: str | None = None

    def show(self) -> Summary:
        from IPython.display import display

        text = (
            "摘要：全部研究完成后填写。"
            if self.lang == "zh"
            else "Summary: filled in when every study has run."
        )
        self._handle = display(HTML(f'<p class="rmwork-note">{html.escape(text)}</p>'), display_id=True)
        # its tables are numbered where the summary stands, when results.json is written
        section, INDEX.section = INDEX.section, "summary"
        slot = INDEX.slot()
        INDEX.section = section

        def register(results):
            targets = evidence_targets(INDEX.items())
            with INDEX.at(slot):
                self._html = summary_html(results, self.lang, targets=targets)

        INDEX.on_record(register)
        return self

    def fill(self, results: Mapping, sections=SECTION_KEYS) -> None:
        # the block made when results.json was written (its numbers are in results.json)
        kept = self._html if sections == SECTION_KEYS else None
        block = HTML(kept if kept is not None else summary_html(results, self.lang, sections))
        if self._handle is None:
            from IPython.display import display

            display(block)
        else:
            self._handle.update(block)
