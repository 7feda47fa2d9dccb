"""Competition trials: grade the submission file against the private answers; medal, percentile, normalized score."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from runner.grading import grade_submission
from runner.preparation import SAMPLE_FILE, PreparedTask
from runner.results import CompetitionDetails, Thresholds, TrialDetails
from runner.scoring import medal, normalized_score, percentile
from spec import AnyTask, NamedMetric

from ._kinds import KindRuntime, Scored, kind_runtime
from ._workspace import TrialFolders

if TYPE_CHECKING:
    from ._run import RunSettings, TrialRequest


def leaderboard_scores(task: AnyTask, manifest_path: Path) -> list[float]:
    """The task's leaderboard scores (empty without a leaderboard); teams without a score are left out."""
    return [score for score in _leaderboard_cells(task, manifest_path) if score is not None]


def _leaderboard_cells(task: AnyTask, manifest_path: Path) -> list[float | None]:
    if task.leaderboard is None:
        return []
    with (manifest_path.parent / task.leaderboard.path).open(newline="", encoding="utf-8") as handle:
        return [float(cell) if (cell := (row["score"] or "").strip()) else None for row in csv.DictReader(handle)]


def trivial_score(task: AnyTask, manifest_path: Path, prepared: PreparedTask) -> float | None:
    """The declared trivial baseline's score, else the sample submission's."""
    trivial = task.baselines.get("trivial")
    if trivial is not None and trivial.score is not None:
        return trivial.score
    sample = prepared.public / SAMPLE_FILE
    if not sample.is_file():
        return None
    grade = grade_submission(task, manifest_path, sample, prepared.private)
    return grade.score


def best_score(task: AnyTask, board: list[float]) -> float | None:
    """The leaderboard's best score, else the metric's best possible value."""
    if board:
        return max(board) if task.metric.higher_is_better else min(board)
    if isinstance(task.metric, NamedMetric):
        from runner.metrics import get_metric

        return get_metric(task.metric.name).best_possible
    return None


def score_fields(
    task: AnyTask, manifest_path: Path, prepared: PreparedTask, score: float, *, round_to: int | None = None
) -> dict[str, object]:
    """Medal, percentile, thresholds, trivial and normalized score of a graded score.

    Teams on the leaderboard without a score count towards its size (as Kaggle and MLE-bench count them);
    `round_to` rounds the score before the medal thresholds are applied (MLE-bench's mode)."""
    cells = _leaderboard_cells(task, manifest_path)
    board = [cell for cell in cells if cell is not None]
    awarded = medal(score, board, task.metric.higher_is_better, unscored=len(cells) - len(board), round_to=round_to)
    fields: dict[str, object] = {
        "medal": awarded.medal if getattr(task, "awards_medals", True) else None,
        "above_median": awarded.above_median,
        "percentile": percentile(score, board, task.metric.higher_is_better),
        "thresholds": Thresholds(
            gold=awarded.gold_threshold, silver=awarded.silver_threshold, bronze=awarded.bronze_threshold,
            median=awarded.median_threshold, leaderboard_size=awarded.leaderboard_size,
            score_rounded_to=awarded.score_rounded_to,
        ),
    }  # fmt: skip
    trivial, best = trivial_score(task, manifest_path, prepared), best_score(task, board)
    fields["trivial_score"] = trivial
    if trivial is not None and best is not None and best != trivial:
        try:
            fields["normalized_score"] = normalized_score(score, trivial, best, task.metric.higher_is_better)
        except ValueError:
            fields["normalized_score"] = None
    return fields


def grade_and_score(
    request: TrialRequest, prepared: PreparedTask, submission: Path, *, round_to: int | None = None
) -> Scored:
    """Grade a submission file and compute its medal and normalized score (`round_to`: see `score_fields`)."""
    task, manifest_path = request.manifest, request.task.path
    if submission.is_symlink():
        # Graded on the host: a link made in the sandbox could point at the private answers.
        return Scored(status="invalid_submission", reason=f"{submission.name} is a symbolic link, not a file")
    grade = grade_submission(task, manifest_path, submission, prepared.private)
    if not grade.valid or grade.score is None:
        return Scored(status="invalid_submission", reason=grade.reason)
    fields = score_fields(task, manifest_path, prepared, grade.score, round_to=round_to)
    return Scored(score=grade.score, fields=fields)


@kind_runtime("competition")
class CompetitionRuntime(KindRuntime):
    """Kaggle-style: the agent writes a submission file; it is graded against the private answers."""

    def score(
        self,
        request: TrialRequest,
        settings: RunSettings,
        prepared: PreparedTask,
        folders: TrialFolders,
        submission: Path,
    ) -> Scored:
        return grade_and_score(request, prepared, submission, round_to=settings.medal_round_to)

    def details(self, request: TrialRequest, submission_copy: str | None) -> TrialDetails:
        return CompetitionDetails(submission_file=submission_copy)
