"""Speedrun trials: time the agent's training script under the task's protocol and score FSR."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runner.preparation import PreparedTask
from runner.results import SpeedrunDetails, TrialDetails

from ._kinds import KindRuntime, Scored, kind_runtime
from ._workspace import TrialFolders

if TYPE_CHECKING:
    from ._run import RunSettings, TrialRequest


@kind_runtime("speedrun")
class SpeedrunRuntime(KindRuntime):
    """Not yet able to time a run: every trial ends as an infrastructure error that says so."""

    def check(self, request: TrialRequest) -> None:
        return None

    def score(
        self,
        request: TrialRequest,
        settings: RunSettings,
        prepared: PreparedTask,
        folders: TrialFolders,
        submission: Path,
    ) -> Scored:
        return Scored(
            status="infra_error", reason="speedrun timing is not implemented", details=self.details(request, None)
        )

    def details(self, request: TrialRequest, submission_copy: str | None) -> TrialDetails:
        return SpeedrunDetails(record=request.record, hint_level=request.hint_level)
