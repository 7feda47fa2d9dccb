"""What a task asks the reference solvers for: the target, the features, the prediction kind and its columns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from runner._errors import BenchsmithError
from runner.metrics import label_text
from spec import AnyTask, NamedMetric

from ._solvers import ProblemKind

if TYPE_CHECKING:
    import pandas as pd

Prediction = Literal["label", "probability", "value", "ranking"]

TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
# A numeric target with at most this many distinct integer values is taken for class labels when the metric
# (a script) does not say what it expects.
_MAX_INFERRED_CLASSES = 20
_NONNEGATIVE_METRICS = frozenset({"rmsle", "msle"})
_BINARY_LABELS = frozenset({"0", "1", "False", "True"})
# Multilabel decision thresholds on P(label = 1): 0.5 minimises the Hamming loss cell by cell, but metrics that
# average a set overlap per row (F1, Jaccard) reward recall on sparse label sets, and an empty predicted set scores 0.
DEFAULT_LABEL_THRESHOLD = 0.5
_LABEL_THRESHOLDS = {"f1_samples": 0.3, "jaccard_samples": 0.3}


class LeaderboardError(BenchsmithError, RuntimeError):
    """The leaderboard cannot be built; the message says why and, where it can, what to do."""


@dataclass(frozen=True)
class Problem:
    """The supervised problem a task's public data and submission format pose."""

    kind: ProblemKind
    prediction: Prediction
    id_column: str
    targets: tuple[str, ...]
    """The training table's target column(s): one, or (multilabel) one 0/1 column per submission column, in order."""
    features: tuple[str, ...]
    columns: tuple[str, ...]
    """The submission's prediction columns, in order."""
    higher_is_better: bool
    clip_at_zero: bool
    metric: str
    k: int | None = None
    """Ranking: how many items each row's ranking lists (the metric's cut-off)."""
    threshold: float = DEFAULT_LABEL_THRESHOLD
    """Multilabel: a label is predicted where its model's P(label = 1) reaches this."""

    @property
    def target(self) -> str:
        """The target column of a single-target problem (the first of several otherwise)."""
        return self.targets[0]


def _read(path: Path, id_column: str) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise LeaderboardError(
            f"the reference solvers need public/{path.name}; this task's preparation does not write it"
        )
    try:
        return pd.read_csv(path, dtype={id_column: str}, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        raise LeaderboardError(f"cannot read public/{path.name} as a CSV file: {error}") from None


def item_list(cell: object) -> list[str]:
    """The items of one ranking cell, the way `map@k` reads them: space-separated text, one number, or none."""
    import pandas as pd

    if isinstance(cell, str):
        return cell.split()
    if cell is None or cell is pd.NA or (isinstance(cell, float | np.floating) and np.isnan(cell)):
        return []
    return [label_text(cell)]


def _metric_prediction(task: AnyTask, targets: pd.DataFrame) -> tuple[Prediction, str]:
    import pandas as pd

    metric = task.metric
    if isinstance(metric, NamedMetric):
        from runner.metrics import get_metric

        return get_metric(metric.name).prediction, metric.name
    # A metric script does not say what it expects: guess from the target(s).
    label = "metric script"
    if len(targets.columns) > 1:
        return "label", label
    target = targets.iloc[:, 0]
    if not pd.api.types.is_numeric_dtype(target.dtype) or pd.api.types.is_bool_dtype(target.dtype):
        return "label", label
    values = target.dropna().to_numpy(dtype=np.float64)
    integral = bool(np.all(np.mod(values, 1) == 0))
    if integral and len(np.unique(values)) <= _MAX_INFERRED_CLASSES:
        return "label", label
    return "value", label


def _ranking_k(task: AnyTask) -> int:
    from runner.metrics import get_metric

    metric = task.metric
    assert isinstance(metric, NamedMetric)
    k = metric.params.get("k", get_metric(metric.name).params.get("k", 10))
    if isinstance(k, bool) or not isinstance(k, int | float) or int(k) != k or k < 1:
        raise LeaderboardError(f"metric {metric.name} has k = {k!r}; the reference solvers need a positive integer")
    return int(k)


def _binary_labels(train: pd.DataFrame, targets: tuple[str, ...]) -> None:
    for column in targets:
        present = {label_text(value) for value in train[column].dropna().unique()}
        if not present <= _BINARY_LABELS:
            raise LeaderboardError(
                f"multilabel targets must be 0/1 columns, but {column!r} holds {', '.join(sorted(present)[:5])}"
            )


def _kind(prediction: Prediction, targets: tuple[str, ...], metric: str, columns: tuple[str, ...]) -> ProblemKind:
    """The problem kind that the metric's prediction kind and the answers' shape make; raises when none fits."""
    if len(targets) > 1:
        if prediction != "label":
            what = (
                "per-item relevance scores (ndcg@k)"
                if metric == "ndcg@k"
                else f"{len(targets)} {prediction} target columns"
            )
            raise LeaderboardError(
                f"the private answers hold {len(targets)} target columns ({', '.join(targets)}) and metric {metric} "
                f"expects {prediction} predictions; the reference solvers support several target columns only as "
                f"multilabel 0/1 labels, not {what}"
            )
        if set(targets) != set(columns):
            raise LeaderboardError(
                f"the private answers' target columns ({', '.join(targets)}) are not the submission's columns "
                f"({', '.join(columns)}); multilabel reference solvers predict one 0/1 column per answer column"
            )
        return "multilabel"
    if prediction == "ranking":
        if len(columns) != 1:
            raise LeaderboardError(
                f"the submission has {len(columns)} prediction columns; a ranking metric ({metric}) needs one column "
                "holding each row's space-separated ranking"
            )
        return "ranking"
    if prediction in ("label", "value") and len(columns) != 1:
        raise LeaderboardError(
            f"the submission has {len(columns)} prediction columns; for {prediction} predictions the reference "
            "solvers write exactly one"
        )
    return "regression" if prediction == "value" else "classification"


def describe_problem(task: AnyTask, public: Path, private: Path) -> tuple[Problem, pd.DataFrame, pd.DataFrame]:
    """The problem, the public training table and the public test table of a prepared task.

    For a ranking problem the training table has one row per relevant item: a row whose answer lists several
    items is repeated, once per item, with the target column holding that one item (as text).
    """
    from runner.grading import GradingError, answers_file, read_answers
    from runner.preparation import PreparationError, with_audio_features, with_image_pixels

    if task.submission is None:
        raise LeaderboardError(f"task {task.id} declares no submission format, so solvers cannot write one")
    id_column = task.submission.id_column
    columns = tuple(task.submission.columns)
    try:
        answers = read_answers(private, id_column, private / answers_file(task))
    except GradingError as error:
        raise LeaderboardError(str(error)) from None
    targets = tuple(str(column) for column in answers.columns if column != id_column)
    if not targets:
        raise LeaderboardError("the private answers hold no target column besides the id column")
    train = _read(public / TRAIN_FILE, id_column)
    test = _read(public / TEST_FILE, id_column)
    try:
        # An image task's tables hold only ids: its images' pixels are the solvers' features.
        train, test = with_image_pixels(public, train, test, id_column)
        # An audio task's likewise: its clips' MFCC summaries are.
        train, test = with_audio_features(public, train, test, id_column)
    except PreparationError as error:
        raise LeaderboardError(str(error)) from None
    absent_targets = [column for column in targets if column not in train.columns]
    if absent_targets:
        raise LeaderboardError(
            f"public/{TRAIN_FILE} has no target column(s) {', '.join(map(repr, absent_targets))} (the answers' "
            "target columns)"
        )
    if id_column not in test.columns:
        raise LeaderboardError(f"public/{TEST_FILE} has no id column {id_column!r}")
    features = tuple(str(column) for column in test.columns if column != id_column and column not in targets)
    absent = [column for column in features if column not in train.columns]
    if absent:
        raise LeaderboardError(f"test column(s) {', '.join(absent)} are missing from public/{TRAIN_FILE}")
    if not features:
        raise LeaderboardError(f"public/{TEST_FILE} has no feature columns besides {id_column!r}")
    labelled = train[list(targets)].notna().all(axis=1)
    if not labelled.all():
        train = train.loc[labelled].reset_index(drop=True)
    if train.empty:
        raise LeaderboardError(f"public/{TRAIN_FILE} has no rows with a target")
    prediction, metric_name = _metric_prediction(task, train[list(targets)])
    kind = _kind(prediction, targets, metric_name, columns)
    k: int | None = None
    if kind == "multilabel":
        _binary_labels(train, targets)
        targets = columns  # the submission's order
    elif kind == "ranking":
        k = _ranking_k(task)
        train = _explode_items(train, targets[0])
    if prediction == "probability" and len(columns) == 1:
        present = {label_text(value) for value in train[targets[0]].unique()}
        if not present <= _BINARY_LABELS:
            raise LeaderboardError(
                f"the submission's single probability column needs binary 0/1 targets, but {targets[0]!r} holds "
                f"{', '.join(sorted(present)[:5])}"
            )
    return (
        Problem(
            kind=kind,
            prediction=prediction,
            id_column=id_column,
            targets=targets,
            features=features,
            columns=columns,
            higher_is_better=task.metric.higher_is_better,
            clip_at_zero=metric_name in _NONNEGATIVE_METRICS,
            metric=metric_name,
            k=k,
            threshold=_LABEL_THRESHOLDS.get(metric_name, DEFAULT_LABEL_THRESHOLD),
        ),
        train,
        test,
    )


def _explode_items(train: pd.DataFrame, target: str) -> pd.DataFrame:
    """One training row per relevant item of each row's answer; rows with no item are dropped."""
    items = train[target].map(item_list)
    exploded = train.assign(**{target: items}).explode(target, ignore_index=True)
    exploded = exploded.loc[exploded[target].notna()].reset_index(drop=True)
    if exploded.empty:
        raise LeaderboardError(f"public/{TRAIN_FILE} has no relevant items in its target column {target!r}")
    exploded[target] = exploded[target].astype(str)
    return exploded
