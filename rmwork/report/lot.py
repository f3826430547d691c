"""Lot-level report parts: title, parameters, data as read, section headings, provenance."""

from __future__ import annotations

import html
import platform
from pathlib import Path

import pandas as pd

from . import provenance
from .display import HTML, table_html

SECTIONS = {
    # key: (English heading, Chinese heading, English intro, Chinese intro)
    "homogeneity": ("1 Homogeneity — ISO Guide 35:2017, clause 7 and Annex B; JJF 1343-2022",
                    "1 均匀性评估 — ISO Guide 35:2017 第 7 章及附录 B；JJF 1343-2022",
                    "One-way ANOVA of the results nested in units. s_bb is the between-unit standard "
                    "deviation; u*_bb is the heterogeneity the method's repeatability could hide; "
                    "u_bb = max(s_bb, u*_bb) enters the uncertainty budget.",
                    "对单元内结果进行单因子方差分析。s_bb 为瓶间标准偏差；u*_bb 为测量重复性可能掩盖的不均匀性；"
                    "u_bb = max(s_bb, u*_bb) 计入不确定度评定。"),
    "stability": ("2 Stability — ISO Guide 35:2017, clause 8 and B.3",
                  "2 稳定性评估 — ISO Guide 35:2017 第 8 章及 B.3",
                  "Linear regression of the value on time; u_lts = s(b1)·t_shelf and u_sts = s(b1)·t_transport.",
                  "以量值对时间作线性回归；u_lts = s(b1)·t_shelf，u_sts = s(b1)·t_transport。"),
    "characterization": ("3 Characterization — ISO Guide 35:2017, clause 9",
                         "3 定值 — ISO Guide 35:2017 第 9 章",
                         "Value assignment from the laboratories' or methods' results; screening is advisory "
                         "and every exclusion is recorded with its reason.",
                         "由各实验室或方法的结果赋值；离群值筛查仅供参考，任何剔除均记录理由。"),
    "certificate": ("4 Uncertainty budget and certificate — ISO Guide 35:2017, clause 9; GUM",
                    "4 不确定度评定与证书 — ISO Guide 35:2017 第 9 章；GUM",
                    "u_CRM = sqrt(u_char² + u_bb² + u_lts² + u_sts²); k from the Welch–Satterthwaite "
                    "effective degrees of freedom; U = k·u_CRM.",
                    "u_CRM = sqrt(u_char² + u_bb² + u_lts² + u_sts²)；由 Welch–Satterthwaite 有效自由度确定包含因子 k；"
                    "U = k·u_CRM。"),
    "provenance": ("5 Provenance", "5 溯源信息 (数据来源与版本)",
                   "Hashes of every input, versions and settings. manifest.json in the report folder "
                   "also lists the SHA-256 of every output; `rmwork verify` checks them.",
                   "所有输入文件的哈希值、软件版本与设置。报告目录中的 manifest.json 还记录所有输出文件的 SHA-256，"
                   "可用 `rmwork verify` 校验。"),
}


def section(wb, key: str) -> HTML:
    en, zh, ien, izh = SECTIONS[key]
    zh_ = wb.language == "zh"
    # the id is the anchor the summary's contents and checks overview link to (report/summary.py)
    return HTML(f'<h2 id="sec-{key}">{html.escape(zh if zh_ else en)}</h2>'
                f"<p>{html.escape(izh if zh_ else ien)}</p>")


def header(wb) -> HTML:
    p = wb.p
    zh_ = wb.language == "zh"
    if zh_:
        from .certificate import setup_cjk_font

        setup_cjk_font()  # figures of a Chinese report carry Chinese analyte names and labels
    title = "标准物质研制报告" if zh_ else "Reference material certification report"
    rows = [("批号" if zh_ else "Lot", p.lot), ("标准物质名称" if zh_ else "Material", p.material)]
    c = p.certificate
    for k_en, k_zh, v in (("Producer", "研制单位", c.producer), ("RM number", "标准物质编号", c.rm_number),
                          ("Description", "标准物质描述", c.description)):
        if v:
            rows.append((k_zh if zh_ else k_en, v))
    body = "".join(f"<tr><th class='text'>{html.escape(k)}</th><td class='text'>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return HTML(f"<h1>{html.escape(title)}: {html.escape(p.lot)}</h1>"
                f"<table class='rmwork'><tbody>{body}</tbody></table>")


def parameters(wb) -> HTML:
    cap = "表 P1 — 参数文件" if wb.language == "zh" else "Table P1 — Parameters of the lot (as validated)"
    return HTML(f"<details><summary>{html.escape(cap)}</summary>"
                + table_html(wb.parameters_frame(), cap, labels=False) + "</details>")


def data_as_read(wb) -> HTML:
    """Every data table as read, with its row count (collapsible; opens offline without scripts)."""
    parts = []
    zh_ = wb.language == "zh"
    for study, df in wb.data.items():
        shown = df.drop(columns=[c for c in ("source_sheet",) if c in df.columns])
        if "date" in shown.columns:
            shown = shown.assign(date=shown["date"].dt.strftime("%Y-%m-%d"))
        cap = (f"{study}: {df.attrs.get('file', '')} — {len(df)} 行" if zh_ else
               f"Data as read — {study}: {df.attrs.get('file', '')} ({len(df)} rows; layout "
               f"{df.attrs.get('layout', 'long')}; source_row = spreadsheet row)")
        parts.append(f"<details><summary>{html.escape(cap)}</summary>"
                     + table_html(shown.astype(object), cap, labels=False, digits=10) + "</details>")
    return HTML("".join(parts))


def provenance_table(wb) -> HTML:
    lot = wb.lot
    rows = [("parameter file", str(lot.path.name), provenance.sha256_file(lot.path))]
    for k, f in lot.data_files().items():
        rows.append((k, f.name, provenance.sha256_file(f)))
    t1 = pd.DataFrame(rows, columns=["input", "file", "SHA-256"])
    v = provenance.versions()
    t2 = pd.DataFrame({"package": list(v), "version": [str(x) for x in v.values()]})
    s = wb.p.sampler
    t3 = pd.DataFrame({"setting": ["seed", "python", "platform", "git commit", "sampler", "draws", "tune",
                                   "chains", "target_accept", "started (UTC)"],
                       "value": [str(wb.p.seed), platform.python_version(), platform.platform(),
                                 str(provenance.git_commit(Path(__file__).parent) or "n/a"), "nutpie (NUTS)",
                                 str(s.draws), str(s.tune), str(s.chains), str(s.target_accept),
                                 provenance.now_utc()]})
    return HTML(table_html(t1, "Table P2 — Input files", labels=False)
                + table_html(t3, "Table P3 — Seed, environment and sampler settings", labels=False)
                + table_html(t2, "Table P4 — Package versions", labels=False))
