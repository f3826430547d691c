"""Report layer: format (tables), plot (figures), prose (statements), provenance and rendering.

Nothing here computes a statistic: every number shown comes from a result object.
"""

from .display import figure, note, table, warning  # noqa: F401
