"""One number for each table and figure of a report, its HTML anchor, and the list in results.json.

A reviewer cites "Table C3-Cd" or "Figure S1-Fe"; the number must name one table or figure of the
whole report, and results.json must say which one holds which number (issue 17).

The scheme
----------
* A table or figure belongs to a *family*: the fixed ids of STYLE.md §1 (``H1``, ``S2``, ``C3``,
  ``U1``, ``PT2``, ...), one family for one kind of table or figure.
* Shown once for the whole report (Table H1 lists every analyte), it keeps the plain family:
  "Table H1" / "表 H1".  Shown once per analyte (or homogeneity group, PT item, data table),
  the *key* follows a hyphen: "Table C3-Cd" / "表 C3-Cd", "Figure S1-Fe" / "图 S1-Fe".  The key is
  printed exactly as the data name it (any characters).
* Its anchor is ``tab-<family>[-<slug(key)>]`` or ``fig-<family>[-<slug(key)>]``:
  ``tab-C3-Cd``, ``fig-S1-Fe``, ``tab-H1``.

The id rule (:func:`slug`)
--------------------------
A key made only of ASCII letters, digits, ``.``, ``_`` and ``-`` is used as it is (``Cd``,
``stability.long_term``).  Any other key (spaces, brackets, Chinese, ``<``, ...) becomes its runs of
those characters joined by ``_`` (others dropped), then ``_`` and the first 8 hex digits of the
SHA-256 of the key's UTF-8 bytes: ``"Pb (total)"`` -> ``Pb_total_<8 hex>``, ``"铁"`` -> ``<8 hex>``.
So an id is ASCII, needs no escaping in HTML, URLs or CSS selectors, is the same for the same key
in every run, and two keys that print alike ("Pb (total)", "Pb total") keep apart.  Families never
contain ``-``, so the family is the text between the first and second hyphen.  Should two tables
of one report still get the same id (an analyte literally named like another's group), the later
one is numbered ``<key>-2`` (``-3`` ...): a number is never shared.

Where it is used
----------------
:func:`rmwork.report.display.table_html` and :func:`~rmwork.report.display.figure` take
``ref=Ref(...)``; they print the number, set the anchor and add the entry to :data:`INDEX`, the
running report's list (the kernel runs one report).  :meth:`rmwork.workbook.Workbook.record` puts
that list into results.json (:func:`attach`): ``report.items`` in report order and, in each study
entry of an analyte, ``shown_in``: the ids of the tables and figures that show it.
"""

from __future__ import annotations

import hashlib
import html
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace

_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")
_FAMILY = re.compile(r"^[A-Z]+[0-9]+[a-z]?$")
# the number a caption text or figure title may already start with ("Table H1 — ", "图 S1 — ",
# "Table S3 (continued) — "): display replaces it with the report-wide number
_PREFIX = re.compile(
    r"^\s*(?:Table|Figure|表|图)\s*([A-Z]+[0-9]+[a-z]?)\s*(?:\(continued\)|（续）)?\s*(?:—|–)\s*"
)
_WORDS = {"table": ("Table", "表"), "figure": ("Figure", "图")}
_PREFIX_ID = {"table": "tab", "figure": "fig"}


def slug(key: str) -> str:
    """The id part of a key (the rule in the module docstring): ASCII, deterministic, distinct."""
    key = str(key)
    if _SAFE.match(key):
        return key
    kept = _UNSAFE_RUN.sub("_", key).strip("_")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return f"{kept}_{digest}" if kept else digest


@dataclass(frozen=True, slots=True)
class Ref:
    """The number of one table or figure: its family and, when shown per analyte, its key.

    ``analyte`` names the analyte a per-analyte table or figure shows (default: the key; a
    homogeneity group's key "Fe (A)" shows analyte "Fe"); ``analytes`` the analytes a report-wide
    table holds a row of.  Both only feed results.json (which study entry names the id).
    """

    family: str
    key: str | None = None
    kind: str = "table"
    analyte: str | None = None
    analytes: tuple[str, ...] = ()

    def __post_init__(self):
        if not _FAMILY.match(self.family):
            raise ValueError(f"table/figure family {self.family!r} is not of the form H1, C2b, PT2")
        if self.kind not in _WORDS:
            raise ValueError(f"kind {self.kind!r} is not 'table' or 'figure'")

    @property
    def label(self) -> str:
        """ "H1" or "C3-Cd": the number without the word Table / Figure."""
        return self.family if self.key in (None, "") else f"{self.family}-{self.key}"

    def number(self, lang: str = "en") -> str:
        """ "Table C3-Cd", "图 S1-Fe"."""
        en, zh = _WORDS[self.kind]
        return f"{zh if lang == 'zh' else en} {self.label}"

    @property
    def id(self) -> str:
        """The HTML anchor: ``tab-C3-Cd``, ``fig-S1-Fe``, ``tab-H1``."""
        tail = "" if self.key in (None, "") else f"-{slug(self.key)}"
        return f"{_PREFIX_ID[self.kind]}-{self.family}{tail}"

    @property
    def subject(self) -> str | None:
        """The analyte a per-analyte table or figure shows (None when report-wide)."""
        if self.analyte is not None:
            return self.analyte
        return None if self.key in (None, "") else self.key


def figure_ref(family: str, key: str | None = None, **kw) -> Ref:
    return Ref(family, key, kind="figure", **kw)


def split_caption(text: str) -> str:
    """A caption or figure title without the number it may start with ("Table H1 — ...")."""
    return _PREFIX.sub("", str(text), count=1)


def has_number(text: str) -> bool:
    return bool(_PREFIX.match(str(text)))


def plain_text(markup: str) -> str:
    """Caption markup (``D<sub>ij</sub>``) as text for results.json."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(markup))).strip()


class Index:
    """The tables and figures of the report being made, in report order.

    ``start(owner)`` begins a report (``owner`` is its workbook); ``section`` is the report section
    being displayed (set by the section headings).  :meth:`slot` keeps a place for output that is
    filled later (the Bayesian tables drawn when the background fits settle; the summary filled
    when the results are known), so the list stays in the order a reader meets them.
    """

    def __init__(self):
        self.start(None)

    def start(self, owner, lang: str = "en", section: str = "lot") -> None:
        self.owner = owner
        self.lang = lang
        self.section = section
        self._items: list = []
        self._target: list = self._items
        self._ids: dict[str, int | None] = {}  # id -> the notebook cell run that showed it
        self._on_record: list = []

    def add(self, ref: Ref, caption: str = "", lang: str | None = None) -> Ref:
        """Record one table or figure as printed (``caption`` without its number, in ``lang``).

        Returns its ref.  Outside a report (no ``start(owner)``) nothing is recorded.  An id met
        again in the same notebook cell is a second table: renumbered ``-2`` (``-3`` ...).  Met
        again in a later cell, it is the same table shown again (a cell run twice in JupyterLab):
        the new showing replaces the old one in the list.
        """
        if self.owner is None:
            return ref
        run = _cell_run()
        n = 2
        base = ref
        while ref.id in self._ids:
            if self._ids[ref.id] != run:
                self._drop(ref.id)
                break
            key = f"{base.key}-{n}" if base.key not in (None, "") else str(n)
            ref = replace(base, key=key, analyte=base.subject)
            n += 1
        self._ids[ref.id] = run
        number = ref.number(lang or self.lang)
        self._target.append((ref, number, plain_text(split_caption(caption)), self.section))
        return ref

    def _drop(self, id_: str) -> None:
        def walk(seq):
            for x in list(seq):
                if isinstance(x, list):
                    walk(x)
                elif x[0].id == id_:
                    seq.remove(x)

        walk(self._items)

    def slot(self) -> tuple[list, str]:
        place: list = []
        self._target.append(place)
        return place, self.section

    @contextmanager
    def at(self, slot):
        place, section = slot
        saved = self._target, self.section
        self._target, self.section = place, section
        try:
            yield
        finally:
            self._target, self.section = saved

    def on_record(self, callback) -> None:
        """``callback(results)`` registers output made after results.json (the summary)."""
        self._on_record.append(callback)

    def items(self) -> list[dict]:
        out: list[dict] = []

        def walk(seq):
            for x in seq:
                if isinstance(x, list):
                    walk(x)
                else:
                    ref, number, caption, section = x
                    out.append(
                        {
                            "id": ref.id,
                            "number": number,
                            "label": ref.label,
                            "kind": ref.kind,
                            "family": ref.family,
                            "key": ref.key,
                            "caption": caption,
                            "section": section,
                            "analyte": ref.subject,
                            **({"analytes": list(ref.analytes)} if ref.analytes else {}),
                        }
                    )

        walk(self._items)
        return out


def _cell_run() -> int | None:
    """The kernel's execution count (which cell run is displaying), None outside IPython."""
    import sys

    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return getattr(shell, "execution_count", None) if shell is not None else None


INDEX = Index()

# report section -> the key of an analyte's study entry in results.json
STUDY_OF_SECTION = {
    "homogeneity": "homogeneity",
    "stability": "stability",
    "characterization": "characterization",
    "certificate": "certified",
}


def attach(results: dict, owner) -> dict:
    """results.json with the report's tables and figures: ``report.items`` and ``shown_in``.

    Only for the report ``owner`` started (a workbook used outside a report adds nothing).
    ``number`` is printed as the report prints it ("Table C3-Cd", "表 C3-Cd"); ``label`` is the
    same without the word ("C3-Cd").
    """
    if INDEX.owner is None or INDEX.owner is not owner:
        return results
    for callback in INDEX._on_record:
        callback(results)
    items = INDEX.items()
    for name, entry in (results.get("analytes") or {}).items():
        for section, study in STUDY_OF_SECTION.items():
            if isinstance(entry.get(study), dict):
                entry[study]["shown_in"] = _ids(items, section, name)
    for name, entry in (results.get("verification") or {}).items():
        if isinstance(entry, dict):
            entry["shown_in"] = _ids(items, "verification", name)
    if isinstance(results.get("proficiency"), dict):
        results["proficiency"]["shown_in"] = [it["id"] for it in items if it["section"] == "proficiency"]
    results["report"] = {"items": items}
    return results


def _ids(items: list[dict], section: str, analyte: str) -> list[str]:
    return [
        it["id"]
        for it in items
        if it["section"] == section and (it["analyte"] == analyte or analyte in it.get("analytes", ()))
    ]
