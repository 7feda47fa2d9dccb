"""Stage 1: turn a table profile into task proposals (target, problem type, metric, rationale)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from spec import StrictModel

from ._profile import TEXT_MIN_LENGTH, ColumnProfile, TableProfile, TargetCandidate

PredictionFormat = Literal["value", "log-value", "label", "probability-positive", "probability-classes"]
ProblemKind = Literal["binary", "multiclass", "regression", "forecasting"]
ModalityKind = Literal["tabular", "text", "time-series"]

MIN_TASK_ROWS = 100  # smaller tables rarely give a split whose scores are stable
SKEWED = 1.0


class TaskProposal(StrictModel):
    """A task the table could support."""

    target: str = Field(description="Column to predict.")
    problem: ProblemKind = Field(
        description="Problem type: binary, multiclass, regression, or forecasting (a numeric target split by time)."
    )
    modality: ModalityKind = Field(
        default="tabular",
        description="time-series for forecasting, text when a free-text column is among the features, else tabular.",
    )
    time_column: str | None = Field(
        default=None, description="Forecasting: the column ordering the rows; the test rows are the latest."
    )
    count: bool = Field(default=False, description="Regression: the target is a non-negative integer count.")
    metric: str = Field(description="Name of a metric in `runner.metrics`.")
    higher_is_better: bool = Field(description="Direction of the metric, as the registry declares it.")
    prediction: PredictionFormat = Field(
        description="What the submission holds: values, values fitted on log1p (rmsle), class labels, P(label 1), "
        "or one probability column per class."
    )
    submission_columns: list[str] = Field(min_length=1, description="Prediction columns after the id column.")
    classes: list[str] = Field(default_factory=list, description="Class labels as text (classification only).")
    drop_columns: list[str] = Field(default_factory=list, description="Columns withheld: id-like, row names, leaks.")
    rationale: str = Field(description="Why this target and metric.")


def _metric(candidate: TargetCandidate) -> tuple[str, PredictionFormat, list[str], str]:
    name = candidate.column
    if candidate.kind == "binary":
        if candidate.numeric_labels and set(candidate.classes) <= {"0", "1", "False", "True"}:
            return "roc_auc", "probability-positive", [name], "binary 0/1 target: ROC AUC of P(label 1)"
        return (
            "roc_auc",
            "probability-classes",
            list(candidate.classes),
            "binary target with text labels: ROC AUC over one probability column per class label",
        )
    if candidate.kind == "multiclass":
        return (
            "log_loss",
            "probability-classes",
            list(candidate.classes),
            f"{len(candidate.classes)} classes, each with at least {candidate.min_class_rows} rows: log loss of "
            "the class probabilities",
        )
    if (candidate.positive or candidate.count) and (candidate.skewness or 0.0) > SKEWED:
        kind = "count" if candidate.count else "positive"
        return "rmsle", "log-value", [name], f"{kind}, right-skewed target (skewness {candidate.skewness:.2f}): RMSLE"
    return "rmse", "value", [name], "continuous target: RMSE"


def _is_text(column: ColumnProfile) -> bool:
    """Free text (sentences, titles), as opposed to a high-cardinality code or name column."""
    return column.kind == "text" and (column.mean_length or 0.0) >= TEXT_MIN_LENGTH


def propose(profile: TableProfile, max_tasks: int = 2) -> list[TaskProposal]:
    """Up to `max_tasks` proposals from the profile's candidate targets, best first."""
    from runner.metrics import get_metric

    if profile.rows < MIN_TASK_ROWS:
        return []
    proposals: list[TaskProposal] = []
    for candidate in profile.candidates:
        if len(proposals) >= max_tasks:
            break
        metric, prediction, columns, why = _metric(candidate)
        if "id" in columns or len(set(columns)) != len(columns):
            continue
        drop = [c for c in [*profile.leakage_prone, *candidate.leaky_columns] if c != candidate.column]
        if "id" in {column.name for column in profile.columns} and "id" not in drop:
            drop.append("id")  # the split creates the id column; a source column of that name would clash
        features = [c.name for c in profile.columns if c.name not in drop and c.name != candidate.column]
        if not features:
            continue
        leaks = f"; withheld as leaky: {', '.join(candidate.leaky_columns)}" if candidate.leaky_columns else ""
        problem: ProblemKind = candidate.kind
        time_column = None
        if candidate.kind == "regression":
            times = [c for c in profile.time_columns if c in features]
            if times:
                problem, time_column = "forecasting", times[0]
                why += f"; the latest rows by {time_column} are the test set (forecasting)"
        texts = [c.name for c in profile.columns if c.name in features and _is_text(c)]
        modality: ModalityKind = "time-series" if time_column else "text" if texts else "tabular"
        if texts and not time_column:
            why += f"; free-text feature(s): {', '.join(texts)}"
        if candidate.count:
            why += "; the target is a count"
        proposals.append(
            TaskProposal(
                target=candidate.column,
                problem=problem,
                modality=modality,
                time_column=time_column,
                count=candidate.count,
                metric=metric,
                higher_is_better=get_metric(metric).higher_is_better,
                prediction=prediction,
                submission_columns=columns,
                classes=list(candidate.classes),
                drop_columns=list(dict.fromkeys(drop)),
                rationale=f"{candidate.column!r} is a {candidate.kind} target; {why}{leaks}.",
            )
        )
    return proposals
