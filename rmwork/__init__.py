"""rmwork: a reproducible characterization workbook for reference-material producers.

ISO 17034, ISO Guide 35:2017 and JJF 1343-2022: homogeneity, stability, characterization,
uncertainty budget and certificate, computed in this package and reported from
parameterised notebooks.
"""

__version__ = "0.1.0"


def compare(*workbooks, names=None):
    """Certified values, U, k and status of workbooks side by side (:func:`rmwork.workbook.compare`)."""
    from .workbook import compare as _compare

    return _compare(*workbooks, names=names)
