"""Checks of a written report against the display policy of :mod:`rmwork.report.numbers`.

Every number the report prints as a named quantity carries ``data-q="<analyte>/<symbol>/<base>"``
(a table cell or a ``<span>`` in a sentence).  :func:`spellings` collects each quantity's printed
occurrences; a quantity is *spelled once* when all of them have the same decimal digits — the
same value at the same last printed place, whatever the notation of the column (``1.3e-04`` in
a scientific column and ``0.00013`` in a sentence are one spelling; ``0.000129`` is another).
:func:`mixed_columns` lists the table columns that mix fixed and scientific notation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from lxml import html as lhtml

_FIXED = re.compile(r"^[-+−]?\d+(\.\d+)?$")
_SCI = re.compile(r"^[-+−]?\d+(\.\d+)?[eE][-+]?\d+$")


def digits(text: str) -> tuple | str:
    """The decimal digits of a printed number (sign, digits, exponent), or the text itself when it
    is not a number ("–", "∞").  A trailing " %" is part of the spelling and is dropped."""
    t = text.strip().removesuffix("%").strip().replace("−", "-")
    try:
        return tuple(Decimal(t).as_tuple())
    except InvalidOperation:
        return t


def spellings(report_html: str) -> dict[str, dict[tuple | str, list[str]]]:
    """{quantity: {digits: [printed texts]}} of every element carrying ``data-q``."""
    doc = lhtml.fromstring(report_html)
    out: dict[str, dict[tuple | str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for el in doc.xpath("//*[@data-q]"):
        text = el.text_content()
        out[el.get("data-q")][digits(text)].append(text)
    return {q: dict(v) for q, v in out.items()}


def misspelled(report_html: str) -> dict[str, list[str]]:
    """The quantities printed with more than one spelling, each with its printed texts."""
    return {
        q: sorted({t for texts in by.values() for t in texts})
        for q, by in spellings(report_html).items()
        if len(by) > 1
    }


def _notation(text: str) -> str:
    t = text.strip()
    if _SCI.match(t):
        return "scientific"
    if _FIXED.match(t) and Decimal(t.replace("−", "-")) != 0:  # a zero reads the same in both
        return "fixed"
    return ""


def mixed_columns(report_html: str) -> list[str]:
    """The columns of the report's tables (``table.rmwork``) with both fixed and scientific
    numbers, as "caption — column header: examples"."""
    doc = lhtml.fromstring(report_html)
    bad = []
    for table in doc.xpath("//table[contains(concat(' ', @class, ' '), ' rmwork ')]"):
        cap = table.find("caption")
        caption = cap.text_content() if cap is not None else ""
        heads = [th.text_content() for th in table.xpath("./thead/tr/th")]
        columns: dict[int, dict[str, str]] = defaultdict(dict)
        for tr in table.xpath("./tbody/tr"):
            for i, td in enumerate(tr.xpath("./td|./th")):
                kind = _notation(td.text_content())
                if kind:
                    columns[i].setdefault(kind, td.text_content())
        for i, kinds in columns.items():
            if len(kinds) > 1:
                head = heads[i] if i < len(heads) else str(i)
                bad.append(f"{caption} — {head}: {kinds['fixed']} beside {kinds['scientific']}")
    return bad
