"""Error and warning types of rmwork.

One error type reaches users: :class:`InputError`.  Its message is one line of the form
``<where>: <problem>; <remedy>`` (STYLE.md section 5); the CLI prints it without a traceback.
"""

from __future__ import annotations


class RmworkError(Exception):
    """Base of every error rmwork raises on purpose."""


class InputError(RmworkError):
    """Bad data or parameters: reported to the user as exactly one line, never a traceback."""

    def __init__(self, problem, *, file=None, sheet=None, row=None, column=None, key=None, hint=None):
        self.problem, self.file, self.sheet, self.row = problem, file, sheet, row
        self.column, self.key, self.hint = column, key, hint
        super().__init__(str(self))

    def __str__(self):
        where = [
            part
            for part in (
                self.file and str(self.file),
                self.sheet and f"sheet {self.sheet}",
                self.row is not None and f"row {self.row}",
                self.column and f"column '{self.column}'",
                self.key and f"key '{self.key}'",
            )
            if part
        ]
        text = f"{', '.join(where)}: {self.problem}" if where else str(self.problem)
        text = f"{text}; {self.hint}" if self.hint else text
        # one line, always: data may carry newlines into messages
        return " ".join(text.split())

    def __reduce__(self):
        # picklable across process pools (batch) with its fields intact
        return (
            _rebuild_input_error,
            (self.problem, self.file, self.sheet, self.row, self.column, self.key, self.hint),
        )


def _rebuild_input_error(problem, file, sheet, row, column, key, hint):
    return InputError(problem, file=file, sheet=sheet, row=row, column=column, key=key, hint=hint)


class LockError(RmworkError):
    """Another run holds the lot's lock."""


class RmworkWarning(UserWarning):
    """Base of rmwork's warnings."""


class DegenerateDataWarning(RmworkWarning):
    """The data make a statistic degenerate (e.g. zero variance); the result carries a note."""


class ConvergenceWarning(RmworkWarning):
    """An MCMC fit failed its diagnostic gate (R-hat, ESS, divergences)."""
