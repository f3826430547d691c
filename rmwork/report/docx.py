"""Word (DOCX) copies of the report and of the certificate page, made from the executed notebook.

Producers finish certificates in Word, and eCerto (the tool these users know) gives DOCX reports.
The DOCX is built from the same executed notebook as report.html — its markdown narrative, its HTML
tables and its PNG figures, in order — so both carry the same tables, figures and numbers: nothing
is recomputed or re-rounded here.  The certificate page (the ``rmwork-certificate`` block the
notebook displays) is also written alone as ``certificate.docx``.

HTML is read with lxml; Word is written with python-docx.  Sub- and superscripts (u<sub>bb</sub>)
become sub- and superscript runs; the reviewer-check tables that the page marks as not part of the
certificate stay in the report copy only.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt
from lxml import html as lhtml

# A4 portrait with 2 cm margins leaves 17 cm for figures and tables (ISO 216)
PAGE_WIDTH_CM = 21.0
PAGE_HEIGHT_CM = 29.7
MARGIN_CM = 2.0
FIGURE_WIDTH_CM = 16.0
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5}
_INLINE_STYLE = {
    "sub": "subscript",
    "sup": "superscript",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "code": "code",
}


def _new_document(lang: str) -> Document:
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(MARGIN_CM))
    style = doc.styles["Normal"]
    style.font.size = Pt(10)
    if lang == "zh":
        # East-Asian text needs an East-Asian font slot, or Word falls back to a Latin font
        from docx.oxml.ns import qn

        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Sans CJK SC")
    return doc


def _set_title(doc, title: str) -> None:
    """The document property (Office limits core properties to 255 characters; the full title is
    the document's first heading)."""
    doc.core_properties.title = title if len(title) <= 255 else title[:254] + "…"


def _runs(par, node, fmt: frozenset = frozenset()) -> None:
    """Add the text of ``node`` (an lxml element) to paragraph ``par`` with inline formatting."""
    if node.text:
        _run(par, node.text, fmt)
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            par.add_run().add_break()
        else:
            _runs(par, child, fmt | {_INLINE_STYLE[tag]} if tag in _INLINE_STYLE else fmt)
        if child.tail:
            _run(par, child.tail, fmt)


def _run(par, text: str, fmt: frozenset) -> None:
    text = re.sub(r"\s+", " ", text)
    if not text:
        return
    r = par.add_run(text)
    r.font.subscript = "subscript" in fmt or None
    r.font.superscript = "superscript" in fmt or None
    r.bold = "bold" in fmt or None
    r.italic = "italic" in fmt or None


def _table(doc, el) -> None:
    cap = el.find("caption")
    if cap is not None:
        p = doc.add_paragraph(style="Caption")
        _runs(p, cap)
    rows = el.xpath("./thead/tr | ./tbody/tr | ./tr")
    if not rows:
        return
    ncol = max(len(r.xpath("./th | ./td")) for r in rows)
    t = doc.add_table(rows=len(rows), cols=ncol)
    t.style = "Table Grid"
    # row by row: Table.cell(i, j) walks the whole table on every call (quadratic: 14 s of CPU
    # for the demo lot's report, measured), a row's cells only that row
    for row, r in zip(t.rows, rows):
        for cell, cell_el in zip(row.cells, r.xpath("./th | ./td")):
            par = cell.paragraphs[0]
            _runs(par, cell_el, frozenset({"bold"}) if cell_el.tag == "th" else frozenset())
    doc.add_paragraph()


def _block(doc, el) -> None:
    """Write one HTML block element (and its children) into ``doc``."""
    tag = el.tag if isinstance(el.tag, str) else ""
    cls = el.get("class", "")
    if tag in _HEADINGS:
        h = doc.add_heading(level=_HEADINGS[tag])
        _runs(h, el)
    elif tag == "table":
        _table(doc, el)
    elif tag in ("p", "li", "caption", "span", "a") or "rmwork-warning" in cls or "rmwork-draft" in cls:
        text = el.text_content().strip()
        if text:
            p = doc.add_paragraph()
            _runs(
                p,
                el,
                frozenset({"bold"}) if ("rmwork-warning" in cls or "rmwork-draft" in cls) else frozenset(),
            )
    elif tag == "img" and (el.get("src") or "").startswith("data:image/png;base64,"):
        _picture(doc, base64.b64decode(el.get("src").split(",", 1)[1]))
    else:  # a container (div, ul, section, …): its children in order, loose text as a paragraph
        if el.text and el.text.strip():
            doc.add_paragraph(el.text.strip())
        for child in el:
            _block(doc, child)
            if child.tail and child.tail.strip():
                doc.add_paragraph(child.tail.strip())


def _html(doc, text: str) -> None:
    for el in lhtml.fragments_fromstring(text):
        if isinstance(el, str):
            if el.strip():
                doc.add_paragraph(el.strip())
        else:
            _block(doc, el)


def _picture(doc, png: bytes) -> None:
    doc.add_picture(io.BytesIO(png), width=Cm(FIGURE_WIDTH_CM))


def _figure_caption(ref: dict) -> str:
    """ "Figure S1-Fe — Fe: ...", as report.html prints it under the figure."""
    return f"{ref['number']} — {ref['caption']}" if ref.get("caption") else str(ref["number"])


def _markdown(doc, source: str) -> None:
    """The notebook's narrative cells: headings and paragraphs (light markdown only)."""
    para: list[str] = []

    def flush():
        if para:
            text = " ".join(para)
            text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
            text = re.sub(r"`([^`]*)`", r"\1", text)
            doc.add_paragraph(text)
            para.clear()

    for line in source.splitlines():
        m = re.match(r"^(#{1,5})\s+(.*)$", line)
        if m:
            flush()
            doc.add_heading(m.group(2).strip(), level=len(m.group(1)))
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
    flush()


def _skipped(cell) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    return bool(tags & {"remove-cell", "parameters", "injected-parameters"})


def _outputs(nb):
    """(kind, payload) for every displayed output, in report order."""
    for cell in nb.cells:
        if _skipped(cell):
            continue
        if cell.cell_type == "markdown":
            yield "markdown", cell.source
            continue
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                yield "html", data["text/html"]
            elif "image/png" in data:
                # a numbered figure's number and caption (rmwork.report.display.figure)
                ref = (out.get("metadata", {}).get("image/png") or {}).get("rmwork")
                yield "png", (base64.b64decode(data["image/png"]), ref)


def report_docx(notebook_path: Path, docx_path: Path, *, title: str, lang: str = "en") -> Path:
    """The whole report as DOCX: the executed notebook's narrative, tables and figures in order."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    doc = _new_document(lang)
    _set_title(doc, title)
    doc.add_heading(title, level=0)
    for kind, payload in _outputs(nb):
        if kind == "markdown":
            _markdown(doc, payload)
        elif kind == "html":
            _html(doc, payload)
        else:
            png, ref = payload
            _picture(doc, png)
            if ref:
                doc.add_paragraph(_figure_caption(ref), style="Caption")
    doc.save(str(docx_path))
    return docx_path


def certificate_docx(notebook_path: Path, docx_path: Path, *, title: str, lang: str = "en") -> Path | None:
    """The certificate page alone as DOCX (without the reviewer checks, which are not part of the
    certificate); ``None`` when the report shows no certificate page (nothing certified)."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    for kind, payload in _outputs(nb):
        if kind != "html" or "rmwork-certificate" not in payload:
            continue
        for el in lhtml.fragments_fromstring(payload):
            if isinstance(el, str) or "rmwork-certificate" not in el.get("class", ""):
                continue
            for checks in el.xpath('.//*[contains(@class, "rmwork-checks")]'):
                # the checks heading and every table after it belong to the reviewer, not the buyer
                for sib in list(checks.itersiblings()):
                    el.remove(sib)
                el.remove(checks)
            doc = _new_document(lang)
            _set_title(doc, title)
            _block(doc, el)
            doc.save(str(docx_path))
            return docx_path
    return None
