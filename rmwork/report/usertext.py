"""User text in figures: analyte, lab, unit and material names drawn literally, never as math.

matplotlib treats any text with an even number of unescaped ``$`` as mathtext: an analyte called
``Z $\\undefinedmacro{x}$`` stops the figure with ``ParseFatalException`` (at draw time, after the
tables were shown), and ``Fe $x^2$`` is typeset as math in a figure while the tables print it as
written.  Every string that comes from data or parameters goes through :func:`literal` before it
reaches a matplotlib ``Text`` (titles, axis labels, tick labels, legend entries, annotations);
text rmwork writes itself may keep its mathtext (``r"$x_j \\pm 2u(x_j)$"``).

Only ``$`` starts mathtext outside math mode; matplotlib reads ``\\$`` as a literal dollar sign,
both in plain text and in the plain parts of a mixed string.  Backslashes and braces need no
escape outside math mode.
"""

from __future__ import annotations

import html
import re


def literal(text) -> str:
    """``text`` (any object, as ``str``) escaped so that matplotlib draws it exactly as written."""
    return str(text).replace("$", r"\$")


def literals(texts) -> list[str]:
    """:func:`literal` of each item (tick labels)."""
    return [literal(t) for t in texts]


MAX_TICK_LABELS = 60  # more unit labels than this overlap, and drawing thousands takes minutes


def category_ticks(ax, labels, *, rotation=90, fontsize=7, axis="x") -> None:
    """Label positions 0..n-1 of ``axis`` with ``labels`` (data: drawn literally); with more than
    :data:`MAX_TICK_LABELS` labels only every k-th is drawn (the first included), so that a study
    of thousands of units gives a readable figure in a second instead of minutes."""
    labels = [str(x) for x in labels]
    step = max(1, -(-len(labels) // MAX_TICK_LABELS))
    pos = list(range(0, len(labels), step))
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter(pos, [literal(labels[i]) for i in pos], rotation=rotation, fontsize=fontsize)


# rmwork's own mathtext in figure titles (the symbols of report/symbols.py: $u_\mathrm{bb}$,
# $\sigma_\mathrm{pt}$, $E_\mathrm{a}$) as it reads in a caption under the figure
_MATH_WORDS = {
    r"\mu": "μ",
    r"\sigma": "σ",
    r"\nu": "ν",
    r"\tau": "τ",
    r"\Delta": "Δ",
    r"\zeta": "ζ",
    r"\pm": "±",
    r"\cdot": "·",
    r"\times": "×",
    r"\sqrt": "√",
    r"\leq": "≤",
    r"\geq": "≥",
    r"\,": " ",
}
_MATH_GROUP = re.compile(r"\\mathrm\{([^{}]*)\}|\\mathit\{([^{}]*)\}")
_MATH_SCRIPT = re.compile(r"([_^])(\{[^{}]*\}|\\?[A-Za-z0-9]|.)")


def _math(segment: str, sub: str, sup: str) -> str:
    s = _MATH_GROUP.sub(lambda m: "{" + (m[1] if m[1] is not None else m[2]) + "}", segment)
    for word, ch in sorted(_MATH_WORDS.items(), key=lambda kv: -len(kv[0])):
        s = s.replace(word, ch)

    def script(m):
        body = m[2][1:-1] if m[2].startswith("{") else m[2]
        return (sub if m[1] == "_" else sup).format(body)

    s = _MATH_SCRIPT.sub(script, s)
    return s.replace("{", "").replace("}", "")


def _split_math(text: str) -> list[tuple[bool, str]]:
    """``text`` cut at its unescaped ``$``: (is_math, piece), user text unescaped (``\\$`` -> ``$``)."""
    parts, buf, math = [], "", False
    i = 0
    while i < len(text):
        if text.startswith(r"\$", i):
            buf += "$"
            i += 2
            continue
        if text[i] == "$":
            parts.append((math, buf))
            buf, math = "", not math
        else:
            buf += text[i]
        i += 1
    parts.append((math, buf))
    return [p for p in parts if p[1]]


def mathtext_html(text: str) -> str:
    """A figure title (mathtext for rmwork's symbols, user text drawn literally) as escaped HTML with
    subscripts: ``2$u_\\mathrm{bb}$`` -> ``2u<sub>bb</sub>``; a user's ``\\$`` is a dollar sign."""
    return "".join(
        _math(html.escape(p), "<sub>{}</sub>", "<sup>{}</sup>") if m else html.escape(p)
        for m, p in _split_math(str(text))
    )


def mathtext_plain(text: str) -> str:
    """The same title as plain text (results.json, the DOCX caption): subscripts joined with ``_``."""
    return "".join(_math(p, "_{}", "^{}") if m else p for m, p in _split_math(str(text)))
