"""The one base of the errors a user can meet: each carries its exit code and, where there is one, what to do."""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2


class BenchsmithError(Exception):
    """A failure to show the user as one line (`error: ...`), with `hint` (what to do) on the next, never a traceback.

    Subclasses set `exit_code`: 1 when the work failed, 2 when the command was asked for something it cannot do.
    """

    exit_code: int = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code
