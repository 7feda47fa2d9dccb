"""What goes wrong while preparing a task, said so that its author can fix it."""

from __future__ import annotations

from runner._errors import BenchsmithError


class PreparationError(BenchsmithError, RuntimeError):
    """Preparing a task failed; `field` names the manifest field at fault when one is."""

    def __init__(self, message: str, field: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.field = field
