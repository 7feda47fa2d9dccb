"""What every task kind shares: common fields, and the competition kind."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._base import StrictModel, require_unique
from ._fields import EntryPoint, SemVer, Sha256, Slug, TaskPath
from ._metric import Metric
from ._prepare import Prepare
from ._resources import Environment, Resources
from ._sources import Source

SCHEMA_VERSION = 1

Modality = Literal["tabular", "image", "text", "audio", "time-series", "graph", "video", "multimodal", "code"]
ProblemType = Literal[
    "binary",
    "multiclass",
    "multilabel",
    "regression",
    "ranking",
    "forecasting",
    "segmentation",
    "detection",
    "generation",
    "language-modelling",
    "optimisation",
    "game",
    "other",
]
Origin = Literal["hand-written", "imported", "generated"]
LeaderboardProvenance = Literal["kaggle", "reference-solvers", "human", "imported"]


class Tags(StrictModel):
    """Facets users filter the catalogue by."""

    modality: Modality = Field(description="Kind of input data.")
    problem: ProblemType = Field(description="Kind of prediction or objective.")
    domain: str = Field(min_length=1, description="Subject area, free text such as `ecology` or `finance`.")
    keywords: list[str] = Field(default_factory=list, description="Further free-text labels.")


class Submission(StrictModel):
    """The file an agent must write."""

    file: str = Field(
        default="submission.csv",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="File name inside the agent's `submission/` folder.",
    )
    id_column: str = Field(min_length=1, description="Column identifying each test row.")
    columns: list[str] = Field(min_length=1, description="Prediction columns, in order, after the id column.")

    @model_validator(mode="after")
    def _distinct_columns(self) -> Submission:
        require_unique("submission columns", [self.id_column, *self.columns])
        return self


class Leaderboard(StrictModel):
    """Scores of earlier entrants that medals and percentiles are computed against."""

    path: TaskPath = Field(description="CSV with a `score` column (one row per entrant).")
    provenance: LeaderboardProvenance = Field(
        description="kaggle: the competition's public record; reference-solvers: built by `runner leaderboard "
        "build`; human: entrants of a benchsmith event; imported: from another benchmark."
    )


class Baseline(StrictModel):
    """A known solution and its score."""

    score: float | None = Field(default=None, description="Score it reaches on the test split.")
    script: TaskPath | None = Field(default=None, description="Script that produces its submission.")
    entrypoint: EntryPoint | None = Field(default=None, description="Function that produces its submission.")
    tolerance: float = Field(default=0.0, ge=0, description="Allowed absolute deviation when reproducing `score`.")

    @model_validator(mode="after")
    def _one_way_to_run(self) -> Baseline:
        if self.script is not None and self.entrypoint is not None:
            raise ValueError("give either script or entrypoint, not both")
        if self.score is None and self.script is None and self.entrypoint is None:
            raise ValueError("a baseline needs a score, a script or an entrypoint")
        return self


class ValidationSettings(StrictModel):
    """Per-task thresholds of the execution checks, for tasks whose nature needs other bounds than the defaults."""

    learnability_min: float = Field(
        default=0.1, ge=0, le=1, description="Least normalized score the reference solution must reach."
    )
    learnability_max: float = Field(
        default=0.98, gt=0, le=1.5, description="Normalized score of the reference solution must stay below this."
    )
    metric_margin: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of the trivial-to-perfect distance by which broken submissions must score worse.",
    )
    min_test_rows: int = Field(
        default=50,
        ge=1,
        description="Fewest test rows the task may have: fewer make its scores noise (lower only with a reason).",
    )
    reason: str | None = Field(default=None, description="Why this task departs from the defaults; required then.")

    @model_validator(mode="after")
    def _reason_for_changes(self) -> ValidationSettings:
        defaults = type(self).model_fields
        changed = [
            name
            for name in ("learnability_min", "learnability_max", "metric_margin", "min_test_rows")
            if getattr(self, name) != defaults[name].default
        ]
        if changed and not self.reason:
            raise ValueError(f"{', '.join(changed)} changed from the default: give a reason")
        if self.learnability_min >= self.learnability_max:
            raise ValueError("learnability_min must be below learnability_max")
        return self


class GeneratorInfo(StrictModel):
    """What produced a generated task, so it can be reproduced."""

    name: str = Field(description="Generator name, e.g. `profiler` or `llm-pipeline`.")
    version: str = Field(description="Generator version.")
    model: str | None = Field(default=None, description="Model that drafted the task, if any.")
    prompt_digests: dict[str, Sha256] = Field(default_factory=dict, description="SHA-256 of each prompt used.")
    raw_sha256: Sha256 | None = Field(default=None, description="SHA-256 of the raw data it was made from.")


class Provenance(StrictModel):
    """Who made the task and from what."""

    origin: Origin = Field(description="hand-written, imported from another benchmark, or generated.")
    by: str = Field(min_length=1, description="Person, team or tool responsible.")
    upstream: str | None = Field(default=None, description="Where an imported task came from (URL or path).")
    generator: GeneratorInfo | None = Field(default=None, description="Generator details; only for generated tasks.")

    @model_validator(mode="after")
    def _generator_only_when_generated(self) -> Provenance:
        if self.origin == "generated" and self.generator is None:
            raise ValueError("origin 'generated' needs generator")
        if self.origin != "generated" and self.generator is not None:
            raise ValueError("generator is only for origin 'generated'")
        return self


class _TaskBase(StrictModel):
    schema_version: Literal[1] = Field(description="Version of this manifest format; currently 1.")
    id: Slug = Field(description="Identifier, unique in the catalogue; also the manifest's file stem.")
    version: SemVer = Field(description="Task version; bump it whenever the task's content changes.")
    title: str = Field(min_length=1, max_length=200, description="One-line human title.")
    description: TaskPath = Field(description="Markdown file participants read: goal, files, submission, metric.")
    tags: Tags = Field(description="Catalogue facets.")
    license: str = Field(min_length=1, description="Licence of the task and its data (SPDX identifier or terms).")
    sources: list[Source] = Field(min_length=1, description="Raw data the task is prepared from.")
    prepare: Prepare = Field(description="How raw data becomes public/ and private/.")
    submission: Submission | None = Field(default=None, description="The file an agent must produce.")
    metric: Metric = Field(description="How submissions are scored.")
    leaderboard: Leaderboard | None = Field(default=None, description="Earlier entrants' scores, for medals.")
    baselines: dict[Slug, Baseline] = Field(
        default_factory=dict,
        description="Known solutions by name; `trivial` anchors normalized score 0, `reference` is the sample "
        "solution.",
    )
    environment: Environment = Field(default_factory=Environment, description="Software the task's image needs.")
    resources: Resources = Field(default_factory=Resources, description="Limits of a trial.")
    provenance: Provenance = Field(description="Origin of the task: hand-written, imported or generated, and by whom.")
    validation: ValidationSettings = Field(
        default_factory=ValidationSettings, description="Thresholds of the execution checks for this task."
    )

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[Source]) -> list[Source]:
        require_unique("source names", [source.name for source in sources])
        return sources

    @model_validator(mode="after")
    def _split_source_exists(self) -> _TaskBase:
        split = getattr(self.prepare, "split", None)
        if split is None:
            return self
        names = [source.name for source in self.sources]
        if split.source is None and len(names) > 1:
            raise ValueError("prepare.split.source is needed when there is more than one source")
        if split.source is not None and split.source not in names:
            raise ValueError(f"prepare.split.source {split.source!r} is not one of the sources: {', '.join(names)}")
        return self


class CompetitionTask(_TaskBase):
    """A Kaggle-style competition: predict a held-out test set, graded by a metric and medals."""

    kind: Literal["competition"] = Field(description="Task kind.")
    submission: Submission = Field(description="The file an agent must produce.")
    awards_medals: bool = Field(default=True, description="Whether medals are awarded against the leaderboard.")
    answers: str = Field(
        default="answers.csv",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="File in the prepared private folder that holds the answers the metric compares with "
        "(`.csv`, or `.jsonl` read as a list of records); MLE-bench competitions name their own, e.g. `test.csv`.",
    )
