"""Grading: a submission against private answers, outside any agent's sandbox.

`grade_submission` never raises for a bad submission: it returns a `Grade` with a reason. It raises
`GradingError` only when the task itself is broken (its answers or metric script).
"""

from ._grade import (
    ANSWERS_FILE,
    Grade,
    GradingError,
    InvalidSubmission,
    answers_file,
    check_submission,
    grade_submission,
    read_answers,
    score_frames,
)
from ._perfect import perfect_submission, prediction_kind

__all__ = [
    "ANSWERS_FILE",
    "Grade",
    "GradingError",
    "InvalidSubmission",
    "answers_file",
    "check_submission",
    "grade_submission",
    "perfect_submission",
    "prediction_kind",
    "read_answers",
    "score_frames",
]
