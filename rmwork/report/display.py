"""Displaying tables, figures and notices in a notebook (and so in the HTML report).

Every user-supplied string is HTML-escaped here: material, analyte, lab and unit names come
from data files and parameter files (a name like ``<img src=x onerror=alert(1)>`` must show
as text).  Column headers may carry markup from :mod:`rmwork.report.symbols` only.
"""

from __future__ import annotations

import html
import io
import math
import numbers
import re

import pandas as pd

from .numbering import INDEX, Ref, figure_ref, split_caption
from .numbers import Printed, column_texts, marked, measured, spans
from .symbols import label
from .usertext import mathtext_html, mathtext_plain

__all__ = ["HTML", "PNG", "Ref", "figure_ref", "table", "table_html", "figure"]


class HTML:
    """Minimal rich-display object (avoids importing IPython in library code paths)."""

    def __init__(self, text: str):
        self.data = text

    def _repr_html_(self):
        return self.data

    def __repr__(self):  # the text/plain fallback that nbval compares
        return f"<rmwork HTML, {len(self.data)} characters>"


class PNG:
    """A figure as PNG; ``meta`` (id, number, caption) goes into the output's metadata, where the
    report template (its ``<figure id>`` and ``<figcaption>``) and the DOCX writer read it."""

    def __init__(self, data: bytes, meta: dict | None = None):
        self.data = data
        self.meta = meta

    def _repr_png_(self):
        return (self.data, {"rmwork": self.meta}) if self.meta else self.data

    def __repr__(self):
        return "<rmwork figure>"


_PRINTED_NUMBER = re.compile(r"^[-+−]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?$")


LONG_WORD = 40  # characters: a "word" longer than this may break anywhere (it would widen the page)


def long_word(text: str) -> bool:
    """Whether ``text`` holds a word too long to keep whole in a table cell."""
    return any(len(w) > LONG_WORD for w in str(text).split())


def fmt(value, digits: int = 6) -> str:
    """Format a number for display (display precision only; results.json keeps full values)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "–"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        # significant digits as %g gave, in the report's one exponent style (rmwork.report.numbers)
        return measured(v, digits).text()
    return str(value)


SHORT = 16  # visible characters: a unit "% (m/m)", a date, a one-word header is never wrapped


def _cell_class(cls: str, markup: str) -> str:
    """``cls`` plus "short" for a cell whose visible text is at most :data:`SHORT` characters:
    it is kept on one line ("% (m/m)" and "2031-11-22" broke at their space and hyphen)."""
    visible = html.unescape(re.sub(r"<[^>]+>", "", markup))
    if visible and len(visible) <= SHORT and "long" not in cls:
        return f"{cls} short".strip()
    return cls


_PLACEHOLDER = {"", "—", "–", "-"}


def _text_column(col: pd.Series) -> bool:
    """A column of words (left-aligned header, like its cells); a column of printed numbers is not
    one, nor numbers printed as text (a rounded certified value "0.0048") beside dashes."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    words = [v for v in col if not (isinstance(v, Printed) or v is None)]
    return any(
        not isinstance(v, str) or (v.strip() not in _PLACEHOLDER and not _PRINTED_NUMBER.match(v))
        for v in words
    )


def table_html(
    df: pd.DataFrame,
    caption: str,
    *,
    lang: str = "en",
    digits: int = 6,
    labels: bool = True,
    index: bool = False,
    ref: Ref | None = None,
) -> str:
    """An escaped HTML table; headers from the symbol map, cells escaped.

    With ``ref`` the caption starts with the table's report-wide number ("Table C3-Cd — ...",
    replacing a number the caption text may start with) and the table gets its anchor id
    (:mod:`rmwork.report.numbering`)."""
    cols = list(df.columns)
    heads = [label(str(c), lang) if labels else html.escape(str(c)) for c in cols]
    head = "".join(
        f'<th class="{_cell_class("text" if _text_column(df[c]) else "", h)}">{h}</th>'
        for c, h in zip(cols, heads)
    )
    if index:
        head = f'<th class="text">{html.escape(str(df.index.name or ""))}</th>' + head
    # one notation per column, each quantity at its own precision (rmwork.report.numbers)
    texts = {c: column_texts(list(df[c]), digits) for c in cols}
    body = []
    for r_i, (idx, row) in enumerate(df.iterrows()):
        cells = []
        if index:
            cells.append(f'<td class="text">{html.escape(str(idx))}</td>')
        for c in cols:
            v = row[c]
            text = html.escape(texts[c][r_i])
            q = f' data-q="{html.escape(v.q, quote=True)}"' if isinstance(v, Printed) and v.q else ""
            # a number printed as text (a rounded certified value "0.0048") is a number: right-aligned, never wrapped
            cls = "text" if isinstance(v, str) and not _PRINTED_NUMBER.match(v) else ""
            if cls and long_word(v):
                cls += " long"  # a name without spaces (a 300-character material) may break anywhere
            cells.append(f'<td class="{_cell_class(cls, text)}"{q}>{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    open_tag, caption_html = numbered(ref, html.escape(caption), lang)
    return (
        f"{open_tag}<caption>{caption_html}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def numbered(ref: Ref | None, caption_html: str, lang: str = "en") -> tuple[str, str]:
    """(the ``<table>`` tag with the anchor id, the caption with the number) of a table whose
    caption is already HTML; without ``ref`` the tag has no id and the caption is unchanged."""
    if ref is None:
        return '<table class="rmwork">', caption_html
    ref = INDEX.add(ref, caption_html, lang)
    # the number holds the key as the data spell it (any characters): escaped like every data string
    number = html.escape(ref.number(lang))
    rest = split_caption(caption_html).strip()
    return f'<table class="rmwork" id="{ref.id}">', f"{number} — {rest}" if rest else number


def table(df: pd.DataFrame, caption: str, **kw) -> HTML:
    return HTML(table_html(df, caption, **kw))


def figure(fig, *, dpi: int = 96, ref: Ref | None = None, lang: str | None = None) -> PNG:
    """Embed a matplotlib Figure as PNG; PNG output of matplotlib is byte-stable (PITFALLS.md).

    With ``ref`` the figure gets its report-wide number and anchor: the title that names the
    figure ("Figure S1 — Fe: ...") leaves the picture and becomes its caption, numbered
    ("Figure S1-Fe — Fe: ..."), so the number is printed once, as text a reader can search and
    copy; the PNG stays deterministic (the title is put back on ``fig`` after saving).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    title = _title_text(fig) if ref is not None else None
    saved = title.get_text() if title is not None else None
    if title is not None:
        title.set_text("")
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    finally:
        if title is not None:
            title.set_text(saved)
    if ref is None:
        return PNG(buf.getvalue())
    lang = lang or INDEX.lang
    # the title is mathtext (rmwork's symbols) around literal user text: the caption under the
    # figure shows it as HTML with subscripts, results.json and the DOCX as plain text
    title_text = split_caption(saved or "").strip()
    caption = mathtext_plain(title_text)
    ref = INDEX.add(ref, caption, lang)
    meta = {"id": ref.id, "number": ref.number(lang), "caption": caption}
    if mathtext_html(title_text) != html.escape(caption):
        meta["caption_html"] = mathtext_html(title_text)
    return PNG(buf.getvalue(), meta)


def _title_text(fig):
    """The matplotlib Text holding the figure's numbered title (suptitle or an axes title)."""
    from .numbering import has_number

    candidates = [getattr(fig, "_suptitle", None)] + [ax.title for ax in fig.axes]
    for t in candidates:
        if t is not None and has_number(t.get_text()):
            return t
    return None


def warning(text: str) -> HTML:
    return HTML(f'<div class="rmwork-warning">{spans(html.escape(marked(text)))}</div>')


def note(text: str) -> HTML:
    return HTML(f'<p class="rmwork-note">{spans(html.escape(marked(text)))}</p>')


def paragraph(text: str) -> HTML:
    return HTML(f"<p>{spans(html.escape(marked(text)))}</p>")


def heading(text: str, level: int = 3) -> HTML:
    return HTML(f"<h{level}>{html.escape(text)}</h{level}>")


def later(wb, render, *, pending: bool) -> None:
    """Display ``render()`` now, or, while ``wb``'s background Bayesian fits run, a placeholder
    that is replaced in place (IPython ``display_id``) when :meth:`Workbook.settle` attaches them.

    nbclient (papermill) applies the update to the earlier cell's stored output, so the executed
    notebook and the HTML report hold the final table where the placeholder was.
    """
    from IPython.display import display

    if not pending:
        out = render()
        if out is not None:
            display(out)
        return
    text = "贝叶斯模型：采样中……" if getattr(wb, "language", "en") == "zh" else "Bayesian model: sampling …"
    handle = display(note(text), display_id=True)
    slot = INDEX.slot()  # the tables drawn later are numbered and listed where they appear

    def fill():
        with INDEX.at(slot):
            handle.update(render() or HTML(""))

    wb.on_settle(fill)


def join(*parts) -> HTML | None:
    """One HTML block from several (``None`` parts skipped); ``None`` if all are ``None``."""
    parts = [x for x in parts if x is not None]
    return HTML("".join(x.data for x in parts)) if parts else None
