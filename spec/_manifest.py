"""Any task manifest: the discriminated union over the three kinds."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter

from ._research import ResearchTask
from ._speedrun import SpeedrunRecord, SpeedrunTarget, SpeedrunTask
from ._task import (
    SCHEMA_VERSION,
    Baseline,
    CompetitionTask,
    GeneratorInfo,
    Leaderboard,
    Provenance,
    Submission,
    Tags,
    ValidationSettings,
)

__all__ = [
    "MANIFEST_ADAPTER",
    "SCHEMA_VERSION",
    "Baseline",
    "CompetitionTask",
    "GeneratorInfo",
    "Leaderboard",
    "Provenance",
    "ResearchTask",
    "SpeedrunRecord",
    "SpeedrunTarget",
    "SpeedrunTask",
    "Submission",
    "Tags",
    "TaskManifest",
    "ValidationSettings",
]

TaskManifest = Annotated[CompetitionTask | ResearchTask | SpeedrunTask, Field(discriminator="kind")]
"""Any task manifest; `kind` selects the model."""

MANIFEST_ADAPTER: TypeAdapter[CompetitionTask | ResearchTask | SpeedrunTask] = TypeAdapter(TaskManifest)
