"""Errors of the runner that the CLI tells apart (kept apart so the CLI imports no papermill)."""

from .errors import RmworkError


class NotebookError(RmworkError):
    """A notebook cell failed on something other than bad input; carries a one-line message."""
