"""Classification metrics: on predicted labels, and on predicted class probabilities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._inputs import binary_indicator, check_unit_interval, label_text, labels, matrix, values
from ._registry import MetricInputError, metric

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

# scikit-learn is imported inside each metric: importing it takes seconds, and merely listing or
# looking up metrics never needs it.

# Past this many distinct ratings, the kappa confusion matrix stops being small; such targets are not ordinal.
_MAX_RATINGS = 1000


def _label_pair(answers: pd.DataFrame, predictions: pd.DataFrame) -> tuple[NDArray[Any], NDArray[Any]]:
    return labels(answers, "answers"), labels(predictions, "predictions")


@metric(
    "accuracy",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Fraction of rows whose predicted label equals the answer.",
)
def accuracy(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(*_label_pair(answers, predictions)))


@metric(
    "balanced_accuracy",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Mean per-class recall, so every class weighs the same whatever its size.",
)
def balanced_accuracy(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(*_label_pair(answers, predictions)))


def _f1(answers: pd.DataFrame, predictions: pd.DataFrame, average: str) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(*_label_pair(answers, predictions), average=average, zero_division=0))


@metric(
    "f1_macro",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Unweighted mean of the per-class F1 scores.",
)
def f1_macro(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    return _f1(answers, predictions, "macro")


@metric(
    "f1_micro",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="F1 from the total true positives, false positives and false negatives over all classes.",
)
def f1_micro(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    """F1 pooled over all classes (equals accuracy for single-label problems)."""
    return _f1(answers, predictions, "micro")


@metric(
    "f1_weighted",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Mean of the per-class F1 scores weighted by each class's number of answers.",
)
def f1_weighted(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    return _f1(answers, predictions, "weighted")


@metric(
    "f1_binary",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="F1 of the positive class of a binary problem (labels 0/1 or False/True; positive is 1).",
)
def f1_binary(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import f1_score

    y_true = binary_indicator(labels(answers, "answers"), "answers")
    y_pred = binary_indicator(labels(predictions, "predictions"), "predictions")
    return float(f1_score(y_true, y_pred, average="binary", pos_label=1, zero_division=0))


@metric(
    "precision_macro",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Unweighted mean of the per-class precisions.",
)
def precision_macro(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import precision_score

    return float(precision_score(*_label_pair(answers, predictions), average="macro", zero_division=0))


@metric(
    "recall_macro",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Unweighted mean of the per-class recalls.",
)
def recall_macro(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import recall_score

    return float(recall_score(*_label_pair(answers, predictions), average="macro", zero_division=0))


@metric(
    "mcc",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Matthews correlation coefficient between predicted and true labels (-1 to 1).",
)
def mcc(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import matthews_corrcoef

    return float(matthews_corrcoef(*_label_pair(answers, predictions)))


@metric(
    "cohen_kappa",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Cohen's kappa: agreement between predicted and true labels beyond chance.",
)
def cohen_kappa(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(*_label_pair(answers, predictions)))


@metric(
    "quadratic_weighted_kappa",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Cohen's kappa with quadratic weights on integer ratings (Kaggle's QWK).",
)
def quadratic_weighted_kappa(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    """Quadratic weighted kappa over the integer rating scale from the lowest to the highest rating seen."""
    from sklearn.metrics import cohen_kappa_score

    y_true, y_pred = values(answers, "answers"), values(predictions, "predictions")
    for role, ratings in (("answers", y_true), ("predictions", y_pred)):
        if not np.all(ratings == np.round(ratings)):
            raise MetricInputError(f"quadratic_weighted_kappa needs integer ratings, but the {role} are not")
    low, high = int(min(y_true.min(), y_pred.min())), int(max(y_true.max(), y_pred.max()))
    if high - low >= _MAX_RATINGS:
        raise MetricInputError(f"ratings span {low}..{high}, too wide for an ordinal scale")
    # Kaggle weighs disagreements by rating distance over the full scale; sklearn weighs by position among
    # the labels it is given, so it gets every rating in range, including those nobody used.
    scale = np.arange(low, high + 1)
    return float(cohen_kappa_score(y_true.astype(int), y_pred.astype(int), weights="quadratic", labels=scale))


def _binary_probabilities(
    answers: pd.DataFrame, predictions: pd.DataFrame, name: str
) -> tuple[NDArray[np.int_], NDArray[np.float64]]:
    if predictions.shape[1] != 1:
        raise MetricInputError(
            f"{name} is binary: predictions need one column holding P(label 1), not {predictions.shape[1]}"
        )
    return binary_indicator(labels(answers, "answers"), "answers"), values(predictions, "predictions")


def _class_probabilities(
    answers: pd.DataFrame, predictions: pd.DataFrame
) -> tuple[NDArray[np.int_], NDArray[np.float64], list[str]]:
    """(index of each row's true class among the prediction columns, scores matrix, class names)."""
    classes = [label_text(column) for column in predictions.columns]
    duplicated = sorted({c for c in classes if classes.count(c) > 1})
    if duplicated:
        raise MetricInputError(f"predictions have duplicated class columns: {', '.join(duplicated)}")
    position = {c: i for i, c in enumerate(classes)}
    truth = [label_text(v) for v in labels(answers, "answers")]
    absent = sorted({t for t in truth if t not in position})
    if absent:
        raise MetricInputError(
            f"answers hold class(es) {', '.join(absent)} with no probability column "
            f"(prediction columns: {', '.join(classes)})"
        )
    return (
        np.asarray([position[t] for t in truth], dtype=np.int_),
        matrix(predictions, "predictions"),
        classes,
    )


def _one_vs_rest(
    answers: pd.DataFrame, predictions: pd.DataFrame, name: str
) -> tuple[NDArray[np.int_], NDArray[np.float64]]:
    """Per-class 0/1 truth and scores, every class seen in the answers at least once."""
    y_index, scores, classes = _class_probabilities(answers, predictions)
    indicator = np.eye(len(classes), dtype=np.int_)[y_index]
    seen = indicator.sum(axis=0)
    unseen = [c for c, count in zip(classes, seen.tolist(), strict=True) if count == 0]
    if unseen:
        raise MetricInputError(
            f"{name} is undefined for class(es) {', '.join(unseen)}: they never appear in the answers"
        )
    return indicator, scores


@metric(
    "roc_auc",
    higher_is_better=True,
    best_possible=1.0,
    prediction="probability",
    description="Area under the ROC curve: binary with one P(label 1) column, "
    "or one-vs-rest macro average with one score column per class.",
)
def roc_auc(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    """ROC AUC; multiclass is the unweighted mean of the one-vs-rest AUCs."""
    from sklearn.metrics import roc_auc_score

    if predictions.shape[1] == 1:
        y_true, scores = _binary_probabilities(answers, predictions, "roc_auc")
        if y_true.min() == y_true.max():
            raise MetricInputError("roc_auc is undefined: the answers hold only one class")
        return float(roc_auc_score(y_true, scores))
    # The indicator form gives the same one-vs-rest macro AUC as multi_class="ovr" without requiring each
    # row's scores to sum to exactly one, which rounded submissions often miss.
    return float(roc_auc_score(*_one_vs_rest(answers, predictions, "roc_auc"), average="macro"))


@metric(
    "average_precision",
    higher_is_better=True,
    best_possible=1.0,
    prediction="probability",
    description="Area under the precision-recall curve (average precision): binary with one P(label 1) "
    "column, or macro average with one score column per class.",
)
def average_precision(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    """Average precision; multiclass is the unweighted mean of the one-vs-rest scores."""
    from sklearn.metrics import average_precision_score

    if predictions.shape[1] == 1:
        y_true, scores = _binary_probabilities(answers, predictions, "average_precision")
        if not y_true.any():
            raise MetricInputError("average_precision is undefined: no answer is positive (label 1)")
        return float(average_precision_score(y_true, scores))
    return float(average_precision_score(*_one_vs_rest(answers, predictions, "average_precision"), average="macro"))


@metric(
    "log_loss",
    higher_is_better=False,
    best_possible=0.0,
    prediction="probability",
    description="Cross-entropy of the predicted probabilities: binary with one P(label 1) column, "
    "or one probability column per class (rows are rescaled to sum to one).",
)
def log_loss(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import log_loss as sklearn_log_loss

    if predictions.shape[1] == 1:
        y_true, probability = _binary_probabilities(answers, predictions, "log_loss")
        check_unit_interval(probability, "predictions")
        return float(sklearn_log_loss(y_true, probability, labels=[0, 1]))
    y_index, probabilities, classes = _class_probabilities(answers, predictions)
    check_unit_interval(probabilities, "predictions")
    totals = probabilities.sum(axis=1, keepdims=True)
    if np.any(totals == 0):
        raise MetricInputError("predictions have rows whose probabilities are all zero")
    # Kaggle's convention: each row is rescaled to sum to one (sklearn only warns, then scores them as is).
    return float(sklearn_log_loss(y_index, probabilities / totals, labels=list(range(len(classes)))))


@metric(
    "brier",
    higher_is_better=False,
    best_possible=0.0,
    prediction="probability",
    description="Brier score: mean squared difference between P(label 1) and the 0/1 answer.",
)
def brier(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import brier_score_loss

    y_true, probability = _binary_probabilities(answers, predictions, "brier")
    check_unit_interval(probability, "predictions")
    return float(brier_score_loss(y_true, probability, pos_label=1))
