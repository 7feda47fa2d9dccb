"""Research trials (MLGym-style): scored against the task's baseline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runner.preparation import PreparedTask
from runner.results import ResearchDetails, TrialDetails

from ._competition import grade_and_score
from ._kinds import KindRuntime, Scored, kind_runtime
from ._workspace import TrialFolders

if TYPE_CHECKING:
    from ._run import RunSettings, TrialRequest


def _baseline_score(request: TrialRequest) -> float | None:
    reference = request.manifest.baselines.get("reference")
    return reference.score if reference else None


@kind_runtime("research")
class ResearchRuntime(KindRuntime):
    """The agent's submission is graded like a competition's; details carry the baseline score."""

    def score(
        self,
        request: TrialRequest,
        settings: RunSettings,
        prepared: PreparedTask,
        folders: TrialFolders,
        submission: Path,
    ) -> Scored:
        scored = grade_and_score(request, prepared, submission)
        scored.details = ResearchDetails(baseline_score=_baseline_score(request))
        return scored

    def details(self, request: TrialRequest, submission_copy: str | None) -> TrialDetails:
        return ResearchDetails(baseline_score=_baseline_score(request))
