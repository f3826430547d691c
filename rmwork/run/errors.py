"""Errors of the run layer that the CLI tells apart (kept apart so the CLI imports no papermill)."""

from ..errors import RmworkError


class NotebookError(RmworkError):
    """A notebook cell failed on something other than bad input (ours to fix); one line with the
    cause: the exception and the cell."""


class RunError(RmworkError):
    """The run cannot go on for a reason outside the lot's inputs: a read-only or full reports
    folder, a missing or stale kernel.  One line with the cause and the remedy."""


class Interrupted(RmworkError):
    """A signal arrived while the new report was being swapped in: the swap was finished first."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where SIGINT would be, so that a terminated run is unwound (its notebook
    process stopped, its failure record kept) the same way as an interrupted one."""
