"""The target is an observation, not another model's output (a forecast, a fitted value, an interval's bound)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from spec import DeclarativePrepare, LoadedTask, Problem, derived_target

from .._registry import CheckContext, task_check


def declared_targets(task: LoadedTask) -> list[str]:
    """The columns a task asks to predict, where its manifest says: a declarative split's target, else a
    submission of one prediction column."""
    manifest = task.manifest
    assert manifest is not None
    prepare = getattr(manifest, "prepare", None)
    if isinstance(prepare, DeclarativePrepare):
        return [prepare.split.target]
    submission = getattr(manifest, "submission", None)
    return list(submission.columns) if submission is not None and len(submission.columns) == 1 else []


@task_check(
    "target-origin",
    codes=("target.derived",),
    description="A declarative split's target is not a model's output (a forecast, a fitted value, a forecast "
    "interval's bound such as `p_lo80`): an error for generated tasks, a warning otherwise.",
)
def check_target_origin(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    manifest = task.manifest
    assert manifest is not None
    provenance = getattr(manifest, "provenance", None)
    generated = provenance is not None and provenance.origin == "generated"
    severity: Literal["error", "warning"] = "error" if generated else "warning"
    prepare = getattr(manifest, "prepare", None)
    if not isinstance(prepare, DeclarativePrepare):
        return  # a submission column is named by the competition (`Predicted`), not after the data's own column
    reason = derived_target(prepare.split.target)
    if reason is not None:
        yield task.problem(
            "target.derived",
            f"{reason}: predicting it asks a model to imitate another model's arithmetic; choose a measured column",
            ("prepare",),
            severity=severity,
        )
