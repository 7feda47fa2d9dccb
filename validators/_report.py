"""Validation results: one report for humans and machines alike."""

from __future__ import annotations

from pydantic import Field

from spec import Problem, StrictModel


class TaskReport(StrictModel):
    """Validation outcome of one manifest."""

    id: str = Field(description="Task id (the file stem when the manifest could not be read).")
    path: str = Field(description="Manifest path as given or found.")
    ok: bool = Field(description="True when no problem is an error; warnings never change it.")
    problems: list[Problem] = Field(default_factory=list, description="Everything found, errors and warnings.")


class ValidationReport(StrictModel):
    """Validation outcome of every manifest checked in one run."""

    tasks: list[TaskReport] = Field(default_factory=list, description="One entry per manifest, in path order.")
    ok: bool = Field(description="True when every task is ok.")

    @property
    def error_count(self) -> int:
        """Problems of severity error across all tasks."""
        return sum(problem.severity == "error" for task in self.tasks for problem in task.problems)

    @property
    def warning_count(self) -> int:
        """Problems of severity warning across all tasks."""
        return sum(problem.severity == "warning" for task in self.tasks for problem in task.problems)
