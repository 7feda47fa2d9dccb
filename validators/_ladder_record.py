"""What the solver ladder (`runner ladder`) records of one task in its folder's `verification.json`."""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import Field

from spec import Problem, StrictModel

LadderVerdict = Literal["discriminates", "indistinct", "inverted", "saturated", "undecided"]
"""discriminates: kept. indistinct, inverted, saturated: rejected (`ladder.*` errors). undecided: the ladder could
not judge (a rung failed, the metric is the task's own code); not rejected."""
REJECTING_VERDICTS: frozenset[str] = frozenset({"indistinct", "inverted", "saturated"})


class RungScore(StrictModel):
    """One rung's trial on the task."""

    agent: str = Field(description="The rung's agent, e.g. `ladder-linear`.")
    version: str | None = Field(
        default=None, description="The agent's own version (`LADDER_VERSION` for the built-in rungs)."
    )
    scikit_learn: str | None = Field(
        default=None, description="scikit-learn version in the trial's sandbox, from the trial's lock."
    )
    status: str = Field(description="The trial's status (`ok`, `agent_error`, `invalid_submission`, ...).")
    score: float | None = Field(
        default=None, description="The graded score, as the task's metric gives it (None when not ok)."
    )
    seconds: float = Field(description="Wall time of the whole trial: sandbox, agent, grading.")
    trial_id: str = Field(description="The trial's id under the ladder's runs folder.")


class RungGap(StrictModel):
    """A bootstrap interval of a stronger rung's score minus a weaker one's, oriented so that positive is better."""

    stronger: str = Field(description="Agent of the stronger rung.")
    weaker: str = Field(description="Agent of the weaker rung.")
    low: float = Field(description="Lower end of the interval.")
    high: float = Field(description="Upper end of the interval.")


class LadderRecord(StrictModel):
    """The ladder's verdict on one task digest."""

    task_digest: str = Field(description="`task_digest` of the task the ladder ran on; another digest runs again.")
    ladder_version: str = Field(description="`LADDER_VERSION` of the rungs; another version runs again.")
    ran_on: datetime.date = Field(description="Date (UTC) the ladder ran.")
    metric: str | None = Field(default=None, description="The task's metric name (None for a metric script).")
    higher_is_better: bool = Field(description="Direction of the metric.")
    resamples: int = Field(description="Bootstrap draws of the test rows (paired: the same rows for every rung).")
    confidence: float = Field(description="Coverage of the percentile intervals in `gaps`.")
    rungs: list[RungScore] = Field(description="Each rung's trial, weakest first.")
    gaps: list[RungGap] = Field(
        default_factory=list, description="Intervals for every pair of scored rungs (empty when not bootstrapped)."
    )
    verdict: LadderVerdict = Field(description="`discriminates`, a rejection, or `undecided` (see docs/problems.md).")
    problems: list[Problem] = Field(
        default_factory=list, description="The `ladder.*` problems reported; `file` relative to the record's folder."
    )

    @property
    def rejected(self) -> bool:
        """Whether the ladder rejects the task."""
        return self.verdict in REJECTING_VERDICTS
