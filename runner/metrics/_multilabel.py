"""Multilabel metrics: answers and predictions hold one 0/1 column per label, with the same column names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._inputs import check_binary_matrix, matrix, same_columns
from ._registry import metric

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

# scikit-learn is imported inside each metric: importing it takes seconds, and merely listing or
# looking up metrics never needs it.


def _indicator_pair(answers: pd.DataFrame, predictions: pd.DataFrame) -> tuple[NDArray[np.int_], NDArray[np.int_]]:
    predictions = same_columns(answers, predictions)
    y_true, y_pred = matrix(answers, "answers"), matrix(predictions, "predictions")
    check_binary_matrix(y_true, "answers")
    check_binary_matrix(y_pred, "predictions")
    return y_true.astype(np.int_), y_pred.astype(np.int_)


@metric(
    "hamming_loss",
    higher_is_better=False,
    best_possible=0.0,
    prediction="label",
    description="Fraction of (row, label) cells predicted wrongly.",
)
def hamming_loss(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import hamming_loss as sklearn_hamming_loss

    return float(sklearn_hamming_loss(*_indicator_pair(answers, predictions)))


# A row with no true and no predicted labels is a perfect prediction, so it scores 1 (zero_division=1);
# otherwise perfect predictions could not reach best_possible.


@metric(
    "jaccard_samples",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Mean over rows of the Jaccard index (intersection over union) of the label sets.",
)
def jaccard_samples(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import jaccard_score

    return float(jaccard_score(*_indicator_pair(answers, predictions), average="samples", zero_division=1))


@metric(
    "f1_samples",
    higher_is_better=True,
    best_possible=1.0,
    prediction="label",
    description="Mean over rows of the F1 score between the true and predicted label sets.",
)
def f1_samples(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(*_indicator_pair(answers, predictions), average="samples", zero_division=1))
