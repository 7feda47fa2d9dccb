"""The speedrun kind: a chain of training-speed records, a target to reach, and the rules of timing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ._base import StrictModel, require_unique
from ._fields import Slug, TaskPath
from ._task import _TaskBase


class SpeedrunRecord(StrictModel):
    """One record of a speedrun chain."""

    id: Slug = Field(description="Record identifier, unique in the chain.")
    script: TaskPath | None = Field(default=None, description="The record's training script.")
    time_s: float = Field(gt=0, description="Time to reach the target on the reference hardware, in seconds.")
    summary: str = Field(default="", description="One-line summary of the change from the previous record.")


class SpeedrunTarget(StrictModel):
    """What a speedrun must reach."""

    metric: str = Field(min_length=1, description="Metric the runner evaluates, e.g. `val_loss`.")
    threshold: float = Field(description="Value the run must reach.")
    higher_is_better: bool = Field(default=False, description="Direction of the target metric.")


class SpeedrunTask(_TaskBase):
    """A chain of training-speed records; the agent must recover the next record's speed-up."""

    kind: Literal["speedrun"] = Field(description="Task kind.")
    target: SpeedrunTarget = Field(description="What a run must reach to count.")
    records: list[SpeedrunRecord] = Field(min_length=2, description="The chain, oldest first.")

    @field_validator("records")
    @classmethod
    def _unique_record_ids(cls, records: list[SpeedrunRecord]) -> list[SpeedrunRecord]:
        require_unique("record ids", [record.id for record in records])
        return records
