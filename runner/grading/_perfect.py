"""The answers written as a submission: what a perfect entrant would submit (oracle agent, metric checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spec import AnyTask, NamedMetric

from ._grade import GradingError

if TYPE_CHECKING:
    import pandas as pd


def prediction_kind(task: AnyTask) -> str:
    """What the submission's columns hold: label, probability, value or ranking (label for metric scripts)."""
    if isinstance(task.metric, NamedMetric):
        from runner.metrics import get_metric

        return get_metric(task.metric.name).prediction
    return "label"


def perfect_submission(task: AnyTask, answers: pd.DataFrame) -> pd.DataFrame:
    """The answers in the submission's format; raises GradingError when they do not map onto it."""
    import pandas as pd

    if task.submission is None:
        raise GradingError(f"task {task.id} declares no submission format")
    id_column, columns = task.submission.id_column, list(task.submission.columns)
    targets = [column for column in answers.columns if column != id_column]
    ids = answers[id_column]
    if set(columns) <= set(answers.columns):
        result: pd.DataFrame = answers[[id_column, *columns]].copy()
        return result
    truth = answers[targets[0]]
    if prediction_kind(task) == "probability":
        if len(columns) == 1:
            positive = truth.astype(str).isin(["1", "1.0", "True", "true"]).astype(float)
            return pd.DataFrame({id_column: ids, columns[0]: positive})
        labels = truth.astype(str)
        return pd.DataFrame({id_column: ids, **{column: (labels == column).astype(float) for column in columns}})
    if len(targets) == len(columns):
        renamed = answers[[id_column, *targets]].copy()
        renamed.columns = [id_column, *columns]
        return renamed
    raise GradingError(
        f"cannot write the answers as a submission: answer columns {targets} do not map onto the submission "
        f"columns {columns}"
    )
