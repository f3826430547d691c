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
