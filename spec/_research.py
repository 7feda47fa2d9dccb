"""The research kind (MLGym-style): starter code, a baseline to beat, protected evaluation files."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._fields import TaskDir, TaskPath
from ._task import _TaskBase


class ResearchTask(_TaskBase):
    """An open-ended research problem scored against a baseline (MLGym-style)."""

    kind: Literal["research"] = Field(description="Task kind.")
    starter_code: TaskDir | None = Field(default=None, description="Folder copied into the agent's workspace.")
    protected: list[TaskPath] = Field(
        default_factory=list,
        description="Files the agent may not modify; the evaluator uses pristine copies.",
    )
