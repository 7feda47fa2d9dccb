"""Located problems: what every loader step and validator check reports."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import StrictModel

Severity = Literal["error", "warning"]


class Problem(StrictModel):
    """One finding about a task, located as precisely as the check can."""

    code: str = Field(
        pattern=r"^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$",
        description="Stable dotted code, e.g. `schema.unknown-key`; documented in docs/problems.md.",
    )
    severity: Severity = Field(description="error fails validation; warning is advice and never changes `ok`.")
    message: str = Field(description="What is wrong and what to do about it.")
    file: str | None = Field(default=None, description="File the problem is in.")
    line: int | None = Field(default=None, ge=1, description="1-based line in `file`.")
    column: int | None = Field(default=None, ge=1, description="1-based column in `file`.")
    path: str | None = Field(default=None, description="Field path in the manifest, e.g. `resources.gpu_count`.")

    def where(self) -> str:
        """`file:line:column` as far as known."""
        parts = [self.file or "<unknown>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


def has_errors(problems: list[Problem]) -> bool:
    """True when any problem is an error (warnings never fail validation)."""
    return any(problem.severity == "error" for problem in problems)
