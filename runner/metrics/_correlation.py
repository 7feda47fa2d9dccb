"""Correlation metrics between one numeric answer column and one numeric prediction column."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._inputs import values
from ._registry import MetricInputError, metric

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

# scipy.stats is imported inside each metric: importing it takes seconds, and merely listing or
# looking up metrics never needs it.


def _value_pair(
    answers: pd.DataFrame, predictions: pd.DataFrame, name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    y_true, y_pred = values(answers, "answers"), values(predictions, "predictions")
    if len(y_true) < 2:
        raise MetricInputError(f"{name} needs at least 2 rows, got {len(y_true)}")
    # A constant column has no variance to correlate with; scipy would warn and return NaN.
    for role, column in (("answers", y_true), ("predictions", y_pred)):
        if np.all(column == column[0]):
            raise MetricInputError(f"{name} is undefined: the {role} are constant")
    return y_true, y_pred


@metric(
    "pearson",
    higher_is_better=True,
    best_possible=1.0,
    prediction="value",
    description="Pearson linear correlation coefficient between answers and predictions.",
)
def pearson(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from scipy.stats import pearsonr

    return float(pearsonr(*_value_pair(answers, predictions, "pearson")).statistic)


@metric(
    "spearman",
    higher_is_better=True,
    best_possible=1.0,
    prediction="value",
    description="Spearman rank correlation coefficient between answers and predictions.",
)
def spearman(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(*_value_pair(answers, predictions, "spearman")).statistic)


@metric(
    "kendall_tau",
    higher_is_better=True,
    best_possible=1.0,
    prediction="value",
    description="Kendall's tau-b rank correlation between answers and predictions.",
)
def kendall_tau(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(*_value_pair(answers, predictions, "kendall_tau")).statistic)
