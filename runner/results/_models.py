"""The record of one trial, written as result.json beside its logs and submission."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from spec import StrictModel

from ._config import RunConfig

RESULT_SCHEMA_VERSION = 1

TrialStatus = Literal["ok", "invalid_submission", "rule_violation", "agent_error", "timeout", "oom", "infra_error"]
"""ok: graded; invalid_submission: graded invalid; rule_violation: broke a task rule; agent_error: the agent
failed; timeout / oom: a limit was hit; infra_error: benchsmith or the sandbox failed (retried on resume)."""


class Usage(StrictModel):
    """What a trial consumed from model providers."""

    input_tokens: int = Field(default=0, ge=0, description="Prompt tokens over all model calls.")
    output_tokens: int = Field(default=0, ge=0, description="Completion tokens over all model calls.")
    calls: int = Field(default=0, ge=0, description="Model calls made.")
    cost_usd: float | None = Field(
        default=0.0, ge=0, description="Cost in US dollars; null when a price is unknown for some call."
    )


class Thresholds(StrictModel):
    """Leaderboard scores a medal needs, as computed for this trial's task."""

    gold: float | None = Field(default=None, description="Score at the gold position.")
    silver: float | None = Field(default=None, description="Score at the silver position.")
    bronze: float | None = Field(default=None, description="Score at the bronze position.")
    median: float | None = Field(default=None, description="Median leaderboard score.")
    leaderboard_size: int = Field(default=0, ge=0, description="Entries on the leaderboard.")
    score_rounded_to: int | None = Field(
        default=None,
        description="MLE-bench-compatible mode (`--mlebench-rounding`): decimals the score was rounded to before "
        "the medal thresholds were applied. None: compared as graded (the default).",
    )


class CompetitionDetails(StrictModel):
    """Details of a competition trial."""

    kind: Literal["competition"] = Field(default="competition", description="Task kind.")
    submission_file: str | None = Field(default=None, description="Submission kept beside result.json.")


class ResearchDetails(StrictModel):
    """Details of a research trial (filled by the research-task runner)."""

    kind: Literal["research"] = Field(default="research", description="Task kind.")
    baseline_score: float | None = Field(default=None, description="The task's baseline score.")
    dev_score: float | None = Field(
        default=None, description="Primary metric of the final artefact on the dev split, if evaluated."
    )
    improvement: float | None = Field(
        default=None,
        description="Score minus baseline score, signed so that positive is better than the baseline.",
    )
    test_metrics: dict[str, float] = Field(
        default_factory=dict, description="Every numeric metric the evaluator reported on the test split."
    )
    dev_metrics: dict[str, float] = Field(
        default_factory=dict, description="Every numeric metric the evaluator reported on the dev split."
    )
    artefact_file: str | None = Field(
        default=None, description="The scored artefact as kept in the trial folder, relative to it."
    )
    protected_changed: list[str] = Field(
        default_factory=list, description="Protected files the agent changed or deleted (a rule violation)."
    )


class SpeedrunDetails(StrictModel):
    """Details of a speedrun trial (filled by the speedrun runner; docs/speedrun.md)."""

    kind: Literal["speedrun"] = Field(default="speedrun", description="Task kind.")
    record: str | None = Field(default=None, description="Record the agent started from.")
    next_record: str | None = Field(default=None, description="The record whose speed-up FSR measures against.")
    hint_level: int | None = Field(
        default=None, ge=0, le=3, description="Highest numbered hint level given (0: none, or the level-0 diff alone)."
    )
    hints: str | None = Field(
        default=None,
        description="The hints given, as `--hint-level` wrote them: `0`, `2`, `1+2`, `diff+1`, `upstream:1+2+3`.",
    )
    clock: Literal["process_cpu", "wall"] | None = Field(default=None, description="The protocol's clock.")
    time_s: float | None = Field(default=None, description="Mean measured time over the seeds, in clock seconds.")
    time_std_s: float | None = Field(default=None, description="Sample standard deviation of the seeds' times.")
    times_s: list[float] = Field(default_factory=list, description="Measured time of each seed run.")
    cpu_s: list[float] = Field(default_factory=list, description="CPU seconds of each seed run.")
    wall_s: list[float] = Field(default_factory=list, description="Wall-clock seconds of each seed run.")
    metric: str | None = Field(default=None, description="Name of the target metric.")
    threshold: float | None = Field(default=None, description="The target's threshold.")
    metric_value: float | None = Field(
        default=None, description="The worst seed's evaluated metric on the fixed validation slice."
    )
    metric_values: list[float | None] = Field(default_factory=list, description="Evaluated metric of each seed.")
    reached: bool | None = Field(default=None, description="Whether every seed reached the target.")
    reference_time_s: float | None = Field(default=None, description="Reference time of the starting record.")
    next_reference_time_s: float | None = Field(default=None, description="Reference time of the next record.")
    reference_source: Literal["manifest", "retime", "interleaved"] | None = Field(
        default=None,
        description="Where the reference times came from: the manifest, this machine's retime file, or records R and "
        "R+1 timed by this trial alongside the agent's script.",
    )
    reference_note: str | None = Field(default=None, description="Why the manifest's times were used, if they were.")
    machine: str | None = Field(default=None, description="Fingerprint key of the machine that timed the runs.")
    violations: list[str] = Field(default_factory=list, description="Invariants the run broke.")
    fsr: float | None = Field(default=None, description="Fraction of the speed-up to the next record recovered.")


TrialDetails = Annotated[CompetitionDetails | ResearchDetails | SpeedrunDetails, Field(discriminator="kind")]


class Lock(StrictModel):
    """What ran, so a result can be reproduced or explained."""

    backend: str = Field(description="Sandbox backend that ran the agent.")
    image_id: str | None = Field(default=None, description="Docker image id, for the docker backend.")
    python: str | None = Field(default=None, description="Python version in the sandbox.")
    packages: dict[str, str] = Field(default_factory=dict, description="Package versions the task asked for.")
    benchsmith: str = Field(description="benchsmith version that ran the trial.")


class TrialResult(StrictModel):
    """One trial: one agent on one task with one seed, graded outside the agent's sandbox."""

    schema_version: Literal[1] = Field(default=1, description="Version of this record format.")
    trial_id: str = Field(description="Deterministic key: `<task>@<digest12>/<agent label>/seed-<n>`.")
    task_id: str = Field(description="Task id.")
    task_version: str = Field(description="Task version.")
    task_digest: str = Field(description="task_digest of the task as run; results of other digests never pool.")
    kind: Literal["competition", "research", "speedrun"] = Field(description="Task kind.")
    agent: str = Field(description="Agent name in the registry.")
    agent_label: str = Field(description="Agent, model and a hash of its arguments, as in the trial folder.")
    model: str | None = Field(default=None, description="Model the agent used, if any.")
    seed: int = Field(ge=0, description="Seed of this trial.")
    backend: str = Field(description="Sandbox backend: docker or local.")
    status: TrialStatus = Field(description="How the trial ended.")
    reason: str | None = Field(default=None, description="Why, when the status is not ok.")
    attempts: int = Field(default=1, ge=1, description="Attempts made (infrastructure errors are retried).")
    score: float | None = Field(default=None, description="Metric score of the submission; null unless graded.")
    higher_is_better: bool = Field(description="Direction of the score.")
    medal: Literal["gold", "silver", "bronze"] | None = Field(default=None, description="Best medal earned.")
    above_median: bool = Field(default=False, description="Strictly better than the leaderboard median.")
    percentile: float | None = Field(default=None, ge=0, le=1, description="Share of leaderboard entries beaten.")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="Medal thresholds used.")
    normalized_score: float | None = Field(
        default=None, description="0 at the trivial baseline, 1 at the leaderboard top (or perfect score)."
    )
    trivial_score: float | None = Field(
        default=None, description="The task's trivial baseline (declared, else the sample submission's score)."
    )
    started_at: datetime = Field(description="When the trial started (UTC).")
    duration_s: float = Field(ge=0, description="Wall-clock seconds of the whole trial.")
    usage: Usage = Field(default_factory=Usage, description="Model usage.")
    details: TrialDetails = Field(description="Kind-specific details.")
    lock: Lock = Field(description="What ran.")
    run_config: RunConfig | None = Field(
        default=None,
        description="The batch's settings as `runner exec` resolved them (null for a single trial run "
        "from code); the same keys as a `--config` file.",
    )
