"""Stage 1: turn a table profile into task proposals (target, problem type, metric, rationale)."""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import Field

from spec import StrictModel, derived_target, target_concern

from ._profile import (
    DOCUMENT_MIN_WORDS,
    MIN_TIME_POINTS,
    TEXT_MIN_LENGTH,
    TIME_NAME,
    ColumnProfile,
    TableProfile,
    TargetCandidate,
)

PredictionFormat = Literal["value", "log-value", "label", "probability-positive", "probability-classes", "ranking"]
ProblemKind = Literal["binary", "multiclass", "regression", "forecasting", "ranking"]
ModalityKind = Literal["tabular", "text", "time-series"]

MIN_TEST_ROWS = 50  # fewer test rows give scores that noise alone moves by more than solutions differ
DEFAULT_TEST_FRACTION = 0.25
MAX_TEST_FRACTION = 0.4
MIN_TASK_ROWS = math.ceil(MIN_TEST_ROWS / MAX_TEST_FRACTION)  # 125
SKEWED = 1.0
HEAVY_TAILS = 5.0  # excess kurtosis past which squared errors let a few rows decide the score
VERY_HEAVY_TAILS = 20.0
RARE_CLASS = 0.2
IMBALANCE_RATIO = 5.0
CALENDAR_NAME = r"^(?:month|mon|quarter|qtr|week|wk|day|dow|weekday|ds|dates|yearmonth|year_month|time_index|obs_date)$"


class TaskProposal(StrictModel):
    """A task the table could support."""

    target: str = Field(description="Column to predict.")
    problem: ProblemKind = Field(
        description="Problem type: binary, multiclass, regression, or forecasting (a numeric target split by time)."
    )
    modality: ModalityKind = Field(
        default="tabular",
        description="time-series for forecasting, text when a feature holds documents (`DOCUMENT_MIN_WORDS` words "
        "on average), else tabular.",
    )
    time_column: str | None = Field(
        default=None, description="Forecasting: the column ordering the rows; the test rows are the latest."
    )
    group_column: str | None = Field(
        default=None,
        description="Column naming units seen on several rows (a person of a panel) that largely determine the "
        "target: the split keeps each unit on one side, so test units are new.",
    )
    count: bool = Field(default=False, description="Regression: the target is a non-negative integer count.")
    test_size: float = Field(
        default=DEFAULT_TEST_FRACTION,
        gt=0,
        lt=1,
        description=f"Share of rows in the test set: a quarter, more when needed for {MIN_TEST_ROWS} test rows.",
    )
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


def _share(candidate: TargetCandidate, label: str) -> float:
    total = sum(candidate.class_rows.values())
    return candidate.class_rows.get(label, 0) / total if total else 0.0


def _metric(candidate: TargetCandidate, forecasting: bool) -> tuple[str, PredictionFormat, list[str], str]:
    """The metric a reviewer would pick for this target: by problem type, class balance, scale and tails."""
    name = candidate.column
    if candidate.kind == "binary":
        if candidate.numeric_labels and set(candidate.classes) <= {"0", "1", "False", "True"}:
            positive = "True" if "True" in candidate.classes else "1"
            share = _share(candidate, positive)
            if share < RARE_CLASS:
                return (
                    "average_precision",
                    "probability-positive",
                    [name],
                    f"rare positive class ({share:.0%} of rows): average precision of P(label 1), which ROC AUC "
                    "would flatter",
                )
            return "roc_auc", "probability-positive", [name], "binary 0/1 target: ROC AUC of P(label 1)"
        minority = (candidate.min_class_rows or 0) / max(1, sum(candidate.class_rows.values()))
        if minority < RARE_CLASS:
            return (
                "balanced_accuracy",
                "label",
                [name],
                f"imbalanced binary labels (rarer class {minority:.0%} of rows): balanced accuracy of the predicted "
                "labels, so always answering the common class scores 0.5",
            )
        return (
            "roc_auc",
            "probability-classes",
            list(candidate.classes),
            "binary target with text labels: ROC AUC over one probability column per class label",
        )
    if candidate.kind == "multiclass":
        if candidate.ordinal:
            return (
                "quadratic_weighted_kappa",
                "label",
                [name],
                f"ordered integer levels {candidate.classes[0]}..{candidate.classes[-1]}: quadratic weighted kappa, "
                "which counts a near miss as better than a far one",
            )
        ratio = (candidate.max_class_rows or 1) / max(1, candidate.min_class_rows or 1)
        if ratio >= IMBALANCE_RATIO:
            return (
                "f1_macro",
                "label",
                [name],
                f"{len(candidate.classes)} classes, the commonest {ratio:.0f}x the rarest: macro-F1 of the predicted "
                "labels, so every class counts the same",
            )
        return (
            "log_loss",
            "probability-classes",
            list(candidate.classes),
            f"{len(candidate.classes)} classes, each with at least {candidate.min_class_rows} rows: log loss of "
            "the class probabilities",
        )
    if forecasting:
        if candidate.positive:
            return "smape", "value", [name], "a positive series forecast: symmetric MAPE, an error relative to scale"
        return "mae", "value", [name], "a series forecast: mean absolute error"
    if (candidate.positive or candidate.count) and (candidate.skewness or 0.0) > SKEWED:
        kind = "count" if candidate.count else "positive"
        return "rmsle", "log-value", [name], f"{kind}, right-skewed target (skewness {candidate.skewness:.2f}): RMSLE"
    kurtosis = candidate.kurtosis or 0.0
    if kurtosis > VERY_HEAVY_TAILS:
        return "medae", "value", [name], f"very heavy tails (excess kurtosis {kurtosis:.1f}): median absolute error"
    if kurtosis > HEAVY_TAILS:
        return "mae", "value", [name], f"heavy tails (excess kurtosis {kurtosis:.1f}): mean absolute error"
    return "rmse", "value", [name], "continuous target: RMSE"


def _time_named(column: ColumnProfile, split_by_time: bool) -> bool:
    """A date or a column named like one (`year`, `date`, `time`) with at least `MIN_TIME_POINTS` distinct values.

    Without a time split, calendar parts (`month`, `day`, `week`) count too: with the year they place a row in
    time, and a random split over them interpolates.
    """
    if column.cardinality < MIN_TIME_POINTS:
        return False  # a handful of years is a cohort attribute (a study's two waves), not a series
    if column.kind == "datetime" or re.match(TIME_NAME, column.name.strip().lower()):
        return True
    return not split_by_time and _calendar(column.name)


def _calendar(name: str) -> bool:
    return bool(re.match(CALENDAR_NAME, re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")))


def test_fraction(rows: int) -> float | None:
    """The test share giving at least `MIN_TEST_ROWS` rows (a quarter when that is more), or None when the train
    set would then be smaller than `1 - MAX_TEST_FRACTION` of the rows."""
    needed = math.ceil(MIN_TEST_ROWS / rows * 1000) / 1000 if rows else 1.0
    fraction = max(DEFAULT_TEST_FRACTION, needed)
    return fraction if fraction <= MAX_TEST_FRACTION else None


def _is_text(column: ColumnProfile) -> bool:
    """Free text (sentences, titles), as opposed to a high-cardinality code or name column."""
    return column.kind == "text" and (column.mean_length or 0.0) >= TEXT_MIN_LENGTH


def propose(profile: TableProfile, max_tasks: int = 2, target: str | None = None) -> list[TaskProposal]:
    """Up to `max_tasks` proposals from the profile's candidate targets, best first; only `target` when given.

    Never proposes a target `spec.target_concern` objects to (sensitive attributes, identifiers, design factors) or a
    model's output (`spec.derived_target`: forecasts, fitted values, interval bounds)
    unless it is the `target` asked for; a table ordered in time gets a time split (regression: forecasting) or
    loses its time columns.
    """
    from runner.metrics import get_metric

    if profile.rows < MIN_TASK_ROWS:
        return []
    proposals: list[TaskProposal] = []
    for candidate in profile.candidates:
        if len(proposals) >= max_tasks:
            break
        if target is not None and candidate.column != target:
            continue
        refused = (
            target_concern(candidate.column, candidate.kind != "regression") is not None
            or derived_target(candidate.column) is not None
        )
        if target is None and (refused or _calendar(candidate.column)):
            continue  # the month of an observation is when it was made, not something to predict
        known_rows = round(profile.rows * (1 - profile.column(candidate.column).missing_share))
        test_size = test_fraction(known_rows)
        if test_size is None:
            continue
        drop = [c for c in [*profile.leakage_prone, *candidate.leaky_columns] if c != candidate.column]
        if "id" in {column.name for column in profile.columns} and "id" not in drop:
            drop.append("id")  # the split creates the id column; a source column of that name would clash
        features = [c.name for c in profile.columns if c.name not in drop and c.name != candidate.column]
        time_column = None
        if candidate.kind == "regression":
            time_column = next((c for c in profile.time_columns if c in features), None)
        # Under a random split a time column lets a model interpolate between neighbours in time: it is withheld
        # unless it orders the split.
        timed = [
            c.name
            for c in profile.columns
            if c.name in features and c.name != time_column and _time_named(c, time_column is not None)
        ]
        drop.extend(timed)
        features = [c for c in features if c not in timed]
        if not [c for c in features if c != time_column]:
            continue  # nothing to learn from but the clock: a bare series is not a tabular task
        metric, prediction, columns, why = _metric(candidate, forecasting=time_column is not None)
        if "id" in columns or len(set(columns)) != len(columns):
            continue
        leaks = f"; withheld as leaky: {', '.join(candidate.leaky_columns)}" if candidate.leaky_columns else ""
        problem: ProblemKind = "forecasting" if time_column else candidate.kind
        if time_column:
            why += f"; the latest rows by {time_column} are the test set (forecasting)"
        if timed:
            why += f"; time column(s) {', '.join(timed)} withheld, since a random split over them would interpolate"
        texts = [c.name for c in profile.columns if c.name in features and _is_text(c)]
        documents = [c.name for c in profile.columns if c.name in texts and (c.mean_words or 0.0) >= DOCUMENT_MIN_WORDS]
        # Names and labels (a school, a passenger) are free text to a bag of words but not an NLP task.
        modality: ModalityKind = "time-series" if time_column else "text" if documents else "tabular"
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
                test_size=test_size,
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
