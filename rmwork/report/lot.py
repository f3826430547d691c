"""Lot-level report parts: title, parameters, data as read, section headings, provenance."""

from __future__ import annotations

import html
import platform
from pathlib import Path

import pandas as pd

from . import provenance
from .display import HTML, Ref, long_word, table_html
from .display import note as _note
from .numbering import INDEX
from .phrases import note_text, text
from .symbols import label

SECTIONS = {
    # key: (English heading, Chinese heading, English intro, Chinese intro)
    "homogeneity": (
        "1 Homogeneity — ISO Guide 35:2017, clause 7 and Annex B; JJF 1343-2022",
        "1 均匀性评估 — ISO Guide 35:2017 第 7 章及附录 B；JJF 1343-2022",
        "One-way ANOVA of the results nested in units. s_bb is the between-unit standard "
        "deviation; u*_bb is the heterogeneity the method's repeatability could hide; "
        "u_bb = max(s_bb, u*_bb) enters the uncertainty budget.",
        "对单元内结果进行单因子方差分析。s_bb 为瓶间标准偏差；u*_bb 为测量重复性可能掩盖的不均匀性；"
        "u_bb = max(s_bb, u*_bb) 计入不确定度评定。",
    ),
    "stability": (
        "2 Stability — ISO Guide 35:2017, clause 8 and B.3",
        "2 稳定性评估 — ISO Guide 35:2017 第 8 章及 B.3",
        "Linear regression of the value on time; u_lts = s(b1)·t_shelf and u_sts = s(b1)·t_transport.",
        "以量值对时间作线性回归；u_lts = s(b1)·t_shelf，u_sts = s(b1)·t_transport。",
    ),
    "characterization": (
        "3 Characterization — ISO Guide 35:2017, clause 9",
        "3 定值 — ISO Guide 35:2017 第 9 章",
        "Value assignment from the laboratories' or methods' results; screening is advisory "
        "and every exclusion is recorded with its reason.",
        "由各实验室或方法的结果赋值；离群值筛查仅供参考，任何剔除均记录理由。",
    ),
    "certificate": (
        "4 Uncertainty budget and certificate — ISO Guide 35:2017, clause 9; GUM",
        "4 不确定度评定与证书 — ISO Guide 35:2017 第 9 章；GUM",
        "u_CRM = sqrt(u_char² + u_bb² + u_lts² + u_sts²); k from the Welch–Satterthwaite "
        "effective degrees of freedom; U = k·u_CRM.",
        "u_CRM = sqrt(u_char² + u_bb² + u_lts² + u_sts²)；由 Welch–Satterthwaite 有效自由度确定包含因子 k；"
        "U = k·u_CRM。",
    ),
    "provenance": (
        "5 Provenance",
        "5 溯源信息 (数据来源与版本)",
        "Hashes of every input, versions and settings. manifest.json in the report folder "
        "also lists the SHA-256 of every output; `rmwork verify` checks them.",
        "所有输入文件的哈希值、软件版本与设置。报告目录中的 manifest.json 还记录所有输出文件的 SHA-256，"
        "可用 `rmwork verify` 校验。",
    ),
}


def section(wb, key: str) -> HTML:
    en, zh, ien, izh = SECTIONS[key]
    zh_ = wb.language == "zh"
    INDEX.section = key  # the tables and figures that follow belong to this section (results.json)
    # the id is the anchor the summary's contents and checks overview link to (report/summary.py)
    return HTML(
        f'<h2 id="sec-{key}">{html.escape(zh if zh_ else en)}</h2><p>{html.escape(izh if zh_ else ien)}</p>'
    )


def header(wb) -> HTML:
    p = wb.p
    zh_ = wb.language == "zh"
    if zh_:
        from .certificate import setup_cjk_font

        setup_cjk_font()  # figures of a Chinese report carry Chinese analyte names and labels
    title = "标准物质研制报告" if zh_ else "Reference material certification report"
    rows = [("批号" if zh_ else "Lot", p.lot), ("标准物质名称" if zh_ else "Material", p.material)]
    c = p.certificate
    for k_en, k_zh, v in (
        ("Producer", "研制单位", c.producer),
        ("RM number", "标准物质编号", c.rm_number),
        ("Description", "标准物质描述", c.description),
    ):
        if v:
            rows.append((k_zh if zh_ else k_en, v))
    body = "".join(
        f"<tr><th class='text'>{html.escape(k)}</th>"
        f"<td class='text{' long' if long_word(str(v)) else ''}'>{html.escape(str(v))}</td></tr>"
        for k, v in rows
    )
    draft = ""
    if wb.approval_pending():  # certificate.approval: required (docs/signing.md)
        from .certificate import HEADINGS

        text = HEADINGS["approval_pending"][1 if zh_ else 0]
        draft = f"<p class='rmwork-draft' style='border:2px solid #c00;color:#c00;padding:.5em'>{html.escape(text)}</p>"
    return HTML(
        f"<h1>{html.escape(title)}: {html.escape(p.lot)}</h1>{draft}"
        f"<table class='rmwork'><tbody>{body}</tbody></table>"
    )


def parameters(wb) -> HTML:
    lang = wb.language
    cap = "表 P1 — 参数文件" if lang == "zh" else "Table P1 — Parameters of the lot (as validated)"
    df = wb.parameters_frame()
    if lang == "zh":  # keys and values stay as the parameter file spells them; Python's words do not
        df = df.assign(value=df["value"].map({"None": "—", "True": "是", "False": "否"}).fillna(df["value"]))
    df = df.rename(columns={c: label(c, lang) for c in df.columns})
    return HTML(
        f"<details><summary>{html.escape(cap)}</summary>"
        + table_html(df, cap, labels=False, lang=lang, ref=Ref("P1"))
        + "</details>"
    )


PREVIEW_ROWS = 20  # rows of a large table shown on the page (its first ones)
FULL_ROWS = 200  # a table up to this size is shown whole
DATA_FOLDER = "data"  # the full tables, as read, in the report folder (hashed in manifest.json)


def data_as_read(wb, output_dir: str | Path | None = None) -> HTML:
    """Every data table as read, each row with its source (file, sheet, row), the reading notes
    (encoding, sheets skipped, formula cells) and every excluded result with its reason; its row
    count, a summary of each column and the table itself --
    whole when it is small, else its first rows; the full table is written to the report folder
    as ``data/<study>.csv`` (so the manifest hashes it as an output).  A table of a million rows
    rendered as HTML stalled the kernel (nbclient's IOPub timeout) and made a page no browser
    opens; the page stays bounded whatever the size.  Collapsible; opens offline without scripts."""
    parts = []
    zh_ = wb.language == "zh"
    for study, df in wb.data.items():
        shown = _as_read(df)
        csv_name = write_table_csv(shown, output_dir, study) if output_dir else None
        parts.append(_table_block(study, df, shown, csv_name, zh_))
    return HTML("".join(parts))


def _as_read(df: pd.DataFrame) -> pd.DataFrame:
    shown = df
    if "date" in shown.columns:
        shown = shown.assign(date=shown["date"].dt.strftime("%Y-%m-%d"))
    return shown


def write_table_csv(shown: pd.DataFrame, output_dir, study: str) -> str:
    """Write one table as read to ``<output_dir>/data/<study>.csv`` (UTF-8, '\\n' line ends, the
    shortest repr of each number: the same table gives the same bytes); returns the relative path."""
    rel = f"{DATA_FOLDER}/{study}.csv"
    path = Path(output_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    shown.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return rel


def _table_block(study: str, df: pd.DataFrame, shown: pd.DataFrame, csv_name: str | None, zh_: bool) -> str:
    """One data table as read: Table D1-<study> (the rows), D2-<study> (a summary of each column),
    D3-<study> (the excluded results), numbered per study (rmwork.report.numbering)."""
    n = len(df)
    lang = "zh" if zh_ else "en"
    file = df.attrs.get("file", "")
    if zh_:
        cap = f"{study}: {file} — {n:,} 行"
    else:
        cap = (
            f"Data as read — {study}: {file} ({n:,} rows; layout {df.attrs.get('layout', 'long')}; "
            "source_file, source_sheet, source_row = where each row was read)"
        )
    whole = n <= FULL_ROWS
    preview = shown if whole else shown.head(PREVIEW_ROWS)
    lang = "zh" if zh_ else "en"
    notes = "".join(f"<li>{html.escape(note_text(x, lang))}</li>" for x in df.attrs.get("notes", []))
    body = f"<ul>{notes}</ul>" if notes else ""
    excluded = df.attrs.get("excluded", [])
    if excluded:
        ecap = (
            f"{study}: 剔除的结果 ({len(excluded)})"
            if zh_
            else f"Excluded results — {study} ({len(excluded)}; not used in any statistic)"
        )
        body += table_html(
            pd.DataFrame(excluded).astype(object), ecap, labels=False, lang=lang, ref=Ref("D3", study)
        )
    body += table_html(
        column_summary(shown, zh_),
        ("列摘要" if zh_ else "Column summary") + f" — {study}",
        labels=False,
        digits=10,
        lang=lang,
        ref=Ref("D2", study),
    )
    if not whole:
        body += _note(_preview_note(n, csv_name, zh_)).data
    body += table_html(preview.astype(object), cap, labels=False, digits=10, lang=lang, ref=Ref("D1", study))
    return f"<details><summary>{html.escape(cap)}</summary>{body}</details>"


def _preview_note(n: int, csv_name: str | None, zh_: bool) -> str:
    if zh_:
        where = (
            f"完整数据表见报告目录中的 {csv_name}（其 SHA-256 记录于 manifest.json）"
            if csv_name
            else "完整数据表见数据文件"
        )
        return f"显示前 {PREVIEW_ROWS} 行，共 {n:,} 行；{where}。"
    where = (
        f"the full table is {csv_name} in the report folder (its SHA-256 is in manifest.json)"
        if csv_name
        else "the full table is the data file itself"
    )
    return f"Showing the first {PREVIEW_ROWS} of {n:,} rows; {where}."


def column_summary(shown: pd.DataFrame, zh_: bool = False) -> pd.DataFrame:
    """One row per column: count, distinct values, and min / mean / max (numbers) or the first
    and last value in sort order (text).  Vectorised: a million rows take well under a second."""
    rows = []
    for c in shown.columns:
        s = shown[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            v = s.to_numpy(dtype=float)
            kind = text("number", "zh" if zh_ else "en")
            rows.append((c, kind, len(s), s.nunique(), float(v.min()), float(v.mean()), float(v.max())))
        else:
            t = s.astype(str)
            rows.append((c, text("text", "zh" if zh_ else "en"), len(s), t.nunique(), t.min(), "–", t.max()))
    cols = (
        ["列", "类型", "个数", "不同值", "最小", "平均", "最大"]
        if zh_
        else ["column", "type", "count", "distinct", "min", "mean", "max"]
    )
    return pd.DataFrame(rows, columns=cols).astype(object)


def provenance_table(wb) -> HTML:
    lot = wb.lot
    inputs = getattr(wb.data, "inputs", None)
    if inputs is not None:
        # the bytes the runner parsed (rmwork.workbook.LotData), not the files as they are now
        rows = [("parameter file", str(lot.path.name), wb.data.parameter_sha256)]
        rows += [(k, v["file"], v["sha256"]) for k, v in inputs.items()]
    else:
        rows = [("parameter file", str(lot.path.name), provenance.sha256_file(lot.path))]
        rows += [(k, f.name, provenance.sha256_file(f)) for k, f in lot.data_files().items()]
    lang = wb.language
    s = wb.p.sampler
    settings = [
        ("seed", str(wb.p.seed)),
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("git commit", str(provenance.git_commit(Path(__file__).parent) or text("n/a", lang))),
        ("sampler", "nutpie (NUTS)"),
        ("draws", str(s.draws)),
        ("tune", str(s.tune)),
        ("chains", str(s.chains)),
        ("target_accept", str(s.target_accept)),
        ("started (UTC)", provenance.now_utc()),
    ]
    return HTML(provenance_tables(rows, settings, lang, "p3"))


def provenance_tables(
    inputs: list[tuple[str, str, str]], settings: list[tuple[str, str]], lang: str, p3: str
) -> str:
    """Tables P2 (input files and their SHA-256), P3 (settings; caption ``p3`` of
    :data:`rmwork.report.phrases.TEXT`) and P4 (package versions), in the report's language.
    Input keys, file names, hashes and package names are shown as written."""
    t1 = pd.DataFrame(
        [(text(k, lang) if k == "parameter file" else k, f, h) for k, f, h in inputs],
        columns=[label(c, lang) for c in ("input", "file", "sha256")],
    )
    t3 = pd.DataFrame(
        [(text(k, lang), v) for k, v in settings], columns=[label(c, lang) for c in ("setting", "value")]
    )
    v = provenance.versions()
    t2 = pd.DataFrame({label("package", lang): list(v), label("version", lang): [str(x) for x in v.values()]})
    return (
        table_html(t1, text("p2", lang), labels=False, lang=lang, ref=Ref("P2"))
        + table_html(t3, text(p3, lang), labels=False, lang=lang, ref=Ref("P3"))
        + table_html(t2, text("p4", lang), labels=False, lang=lang, ref=Ref("P4"))
    )


def opening(wb, output_dir=""):
    """The report's first outputs: the lot header, the summary (a placeholder filled when the
    results are written, so that it stands first), the parameters and the data as read."""
    from IPython.display import display

    from .summary import Summary

    INDEX.start(wb, wb.language)  # this report's tables and figures, numbered (results.json "report")
    display(header(wb))
    summary = Summary(wb.language).show()
    display(parameters(wb), data_as_read(wb, output_dir))
    return summary
