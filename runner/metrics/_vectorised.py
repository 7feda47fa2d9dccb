"""Vectorised formulations of a few metrics, for grading millions of rows in a blink.

Importing scikit-learn costs over a second and pandas most of another, more than a million-row grade
should take in all; these formulations need only numpy and pyarrow. Each takes the aligned answer and
prediction columns as Arrow arrays and returns the score, or None when the inputs are outside what it
reproduces exactly (other column types, inputs the library rejects with a message worth showing): the
caller then scores with the registered function. Tests check each equal to its library function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray

Columns = Sequence["pa.ChunkedArray | pa.Array"]
VectorisedFn = Callable[[Columns, Columns], "float | None"]


def _kind(column: pa.ChunkedArray | pa.Array) -> str | None:
    """'int', 'float', 'bool' or 'str' for the column types the formulations accept; None otherwise."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_integer(kind):
        return "int"
    if pa.types.is_floating(kind):
        return "float"
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "str"
    return None


def _single(answers: Columns, predictions: Columns) -> tuple[Any, Any] | None:
    if len(answers) < 1 or len(predictions) != 1 or len(answers[0]) == 0:
        return None
    truth, predicted = answers[0], predictions[0]
    if truth.null_count or predicted.null_count or len(truth) != len(predicted):
        return None
    return truth, predicted


def _floats(column: pa.ChunkedArray | pa.Array) -> NDArray[np.float64] | None:
    """A numeric (or boolean) column as finite float64; None for other types or non-finite values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _kind(column) not in ("int", "float", "bool"):
        return None
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    try:
        array = pc.cast(array, pa.float64())  # safe: an integer that a float would round is refused
    except pa.ArrowInvalid:
        return None
    # Read from the buffer: Arrow's own to_numpy imports pandas, whose import costs more than the whole grade.
    values = np.frombuffer(array.buffers()[1], dtype=np.float64, count=array.offset + len(array))[array.offset :]
    return values if bool(np.isfinite(values).all()) else None


def accuracy(answers: Columns, predictions: Columns) -> float | None:
    """Share of equal labels, for labels of one type (text, integer or boolean) on both sides."""
    import pyarrow.compute as pc

    pair = _single(answers, predictions)
    if pair is None:
        return None
    truth, predicted = pair
    kinds = {_kind(truth), _kind(predicted)}
    # Floats may be continuous targets, which scikit-learn refuses; mixed types it refuses or compares its own way.
    if len(kinds) != 1 or kinds & {None, "float"}:
        return None
    # scikit-learn averages the 0/1 matches: an exact count over the row count, as here.
    matches = pc.sum(pc.equal(truth, predicted)).as_py() or 0
    return float(matches / len(truth))


def _errors(answers: Columns, predictions: Columns) -> NDArray[np.float64] | None:
    """Prediction minus answer as an (n, 1) column, the shape scikit-learn's regression metrics reduce over."""
    pair = _single(answers, predictions)
    if pair is None:
        return None
    truth, predicted = _floats(pair[0]), _floats(pair[1])
    if truth is None or predicted is None:
        return None
    return (predicted - truth).reshape(-1, 1)


def mse(answers: Columns, predictions: Columns) -> float | None:
    """Mean squared error, reduced as `sklearn.metrics.mean_squared_error` reduces it."""
    errors = _errors(answers, predictions)
    if errors is None:
        return None
    return float(np.average(np.average(errors**2, axis=0)))


def rmse(answers: Columns, predictions: Columns) -> float | None:
    """Root mean squared error, reduced as `sklearn.metrics.root_mean_squared_error` reduces it."""
    errors = _errors(answers, predictions)
    if errors is None:
        return None
    return float(np.average(np.sqrt(np.average(errors**2, axis=0))))


def mae(answers: Columns, predictions: Columns) -> float | None:
    """Mean absolute error, reduced as `sklearn.metrics.mean_absolute_error` reduces it."""
    errors = _errors(answers, predictions)
    if errors is None:
        return None
    return float(np.average(np.average(np.abs(errors), axis=0)))


def roc_auc(answers: Columns, predictions: Columns) -> float | None:
    """Binary ROC AUC as the Mann-Whitney statistic: exact integer rank sums, one rounding at the end.

    Equal to the trapezoidal area scikit-learn computes up to that function's own rounding (about 1e-16).
    """
    pair = _single(answers, predictions)
    if pair is None:
        return None
    truth, scores = _floats(pair[0]), _floats(pair[1])
    if truth is None or scores is None or not bool(((truth == 0) | (truth == 1)).all()):
        return None
    positive = truth == 1
    n_positive = int(positive.sum())
    n_negative = len(truth) - n_positive
    if n_positive == 0 or n_negative == 0:
        return None  # undefined: the registered metric says so in words
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    # Tied scores share the mean of their 1-based ranks; twice that mean, first + last, is an integer.
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    ends = np.append(starts[1:], len(ranked)) - 1
    twice_rank = np.repeat(starts + ends + 2, ends - starts + 1)
    twice_positive_ranks = int(twice_rank[positive[order]].sum())
    twice_u = twice_positive_ranks - n_positive * (n_positive + 1)
    return twice_u / (2 * n_positive * n_negative)


VECTORISED: dict[str, VectorisedFn] = {
    "accuracy": accuracy,
    "mae": mae,
    "mse": mse,
    "rmse": rmse,
    "roc_auc": roc_auc,
}
"""Metric name -> its vectorised formulation, for the metrics that have one."""


def has_vectorised(name: str) -> bool:
    """Whether the metric `name` has a vectorised formulation."""
    return name in VECTORISED


def vectorised_score(name: str, answers: Columns, predictions: Columns, params: dict[str, object]) -> float | None:
    """The metric's score from Arrow columns (answers' target columns, predictions' in the declared order).

    None when `name` has no vectorised formulation, takes parameters, or the inputs need the library's
    handling; score with `get_metric(name).score` then.
    """
    function = VECTORISED.get(name)
    if function is None or params:
        return None
    return function(answers, predictions)
