"""Regression metrics on one numeric target column."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._inputs import check_nonnegative, values
from ._registry import MetricInputError, metric

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

# scikit-learn is imported inside each metric: importing it takes seconds, and merely listing or
# looking up metrics never needs it.


def _value_pair(answers: pd.DataFrame, predictions: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return values(answers, "answers"), values(predictions, "predictions")


@metric(
    "rmse",
    higher_is_better=False,
    best_possible=0.0,
    prediction="value",
    description="Root mean squared error.",
)
def rmse(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import root_mean_squared_error

    return float(root_mean_squared_error(*_value_pair(answers, predictions)))


@metric(
    "mse",
    higher_is_better=False,
    best_possible=0.0,
    prediction="value",
    description="Mean squared error.",
)
def mse(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error(*_value_pair(answers, predictions)))


@metric(
    "mae",
    higher_is_better=False,
    best_possible=0.0,
    prediction="value",
    description="Mean absolute error.",
)
def mae(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(*_value_pair(answers, predictions)))


@metric(
    "rmsle",
    higher_is_better=False,
    best_possible=0.0,
    prediction="value",
    description="Root mean squared error of log(1 + value); answers and predictions must be non-negative.",
)
def rmsle(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import root_mean_squared_log_error

    y_true, y_pred = _value_pair(answers, predictions)
    why = "rmsle takes log(1 + value) and is only meant for non-negative targets"
    check_nonnegative(y_true, "answers", why)
    check_nonnegative(y_pred, "predictions", why)
    return float(root_mean_squared_log_error(y_true, y_pred))


@metric(
    "medae",
    higher_is_better=False,
    best_possible=0.0,
    prediction="value",
    description="Median absolute error.",
)
def medae(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import median_absolute_error

    return float(median_absolute_error(*_value_pair(answers, predictions)))


@metric(
    "mape",
    higher_is_better=False,
    best_possible=0.0,
    prediction="value",
    description="Mean absolute percentage error, as a fraction (0.1 means 10%); no answer may be zero.",
)
def mape(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import mean_absolute_percentage_error

    y_true, y_pred = _value_pair(answers, predictions)
    zero = np.flatnonzero(y_true == 0)
    if len(zero):
        # sklearn divides by a tiny epsilon instead, which turns one zero answer into an astronomic score.
        raise MetricInputError(
            f"mape is undefined when an answer is 0, and {len(zero)} answer(s) are "
            f"(first at row position {int(zero[0])})"
        )
    return float(mean_absolute_percentage_error(y_true, y_pred))


@metric(
    "smape",
    higher_is_better=False,
    best_possible=0.0,
    prediction="value",
    description="Symmetric mean absolute percentage error, 2|p - y| / (|y| + |p|) averaged, as a fraction "
    "from 0 to 2 (rows where both are 0 count as exact); the usual forecasting error.",
)
def smape(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    y_true, y_pred = _value_pair(answers, predictions)
    scale = np.abs(y_true) + np.abs(y_pred)
    ratios = np.divide(2.0 * np.abs(y_pred - y_true), scale, out=np.zeros_like(scale, dtype=float), where=scale > 0)
    return float(np.mean(ratios))


@metric(
    "r2",
    higher_is_better=True,
    best_possible=1.0,
    prediction="value",
    description="Coefficient of determination R²: 1 - residual sum of squares / total sum of squares.",
)
def r2(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(*_value_pair(answers, predictions)))


@metric(
    "explained_variance",
    higher_is_better=True,
    best_possible=1.0,
    prediction="value",
    description="Explained variance: 1 - Var(answer - prediction) / Var(answer).",
)
def explained_variance(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    from sklearn.metrics import explained_variance_score

    return float(explained_variance_score(*_value_pair(answers, predictions)))
