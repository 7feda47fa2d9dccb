"""Vectorised formulations of a few metrics, for grading millions of rows in a blink.

Importing scikit-learn costs over a second and pandas most of another, more than a million-row grade
should take in all; these formulations need only numpy and pyarrow (not even Arrow's compute module, but
for text labels). Each takes the answer and prediction columns as Arrow arrays, with the order that pairs
their rows, and returns the score, or None when the inputs are outside what it reproduces exactly (other
column types, inputs the library rejects with a message worth showing): the caller then scores with the
registered function. Tests check each equal to its library function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray

Columns = Sequence["pa.ChunkedArray | pa.Array"]
Order: TypeAlias = "NDArray[np.int64] | None"
"""The prediction row for each answer row; None when they are in the same order."""
VectorisedFn = Callable[[Columns, Columns, Order], "float | None"]


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


def _values(column: pa.ChunkedArray | pa.Array, order: Order = None) -> NDArray[Any] | None:
    """A null-free integer, float or boolean column as a numpy array of its own type, rows in `order`.

    Read from Arrow's buffers: Arrow's own conversions import pandas, and its compute module costs a
    twentieth of a second to import, either more than a million-row grade's scoring.
    """
    import pyarrow as pa

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind, rows = array.type, array.offset + len(array)
    if pa.types.is_boolean(kind):
        bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
        values: NDArray[Any] = np.unpackbits(bits, count=rows, bitorder="little")[array.offset :].view(np.bool_)
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
        code = "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
        values = np.frombuffer(array.buffers()[1], dtype=f"{code}{kind.bit_width // 8}", count=rows)[array.offset :]
    else:
        return None
    return values if order is None else values[order]


_EXACT_INTEGERS = 2**53
"""Integers of larger magnitude do not all have a float64; a safe cast (as Arrow's) refuses them."""


def _floats(column: pa.ChunkedArray | pa.Array, order: Order = None) -> NDArray[np.float64] | None:
    """A numeric (or boolean) column as finite float64, rows in `order`; None for other types, integers
    that float64 would round, or non-finite values."""
    values = _values(column, order)
    if values is None:
        return None
    if values.dtype.kind in "iu" and bool(((values > _EXACT_INTEGERS) | (values < -_EXACT_INTEGERS)).any()):
        return None
    floats = values.astype(np.float64, copy=False)
    return floats if bool(np.isfinite(floats).all()) else None


def accuracy(answers: Columns, predictions: Columns, order: Order = None) -> float | None:
    """Share of equal labels, for labels of one type (text, integer or boolean) on both sides."""
    pair = _single(answers, predictions)
    if pair is None:
        return None
    truth, predicted = pair
    kinds = {_kind(truth), _kind(predicted)}
    # Floats may be continuous targets, which scikit-learn refuses; mixed types it refuses or compares its own way.
    if len(kinds) != 1 or kinds & {None, "float"}:
        return None
    # scikit-learn averages the 0/1 matches: an exact count over the row count, as here.
    if kinds == {"str"}:
        import pyarrow as pa
        import pyarrow.compute as pc

        if order is not None:
            predicted = predicted.take(pa.Array.from_buffers(pa.int64(), len(order), [None, pa.py_buffer(order)]))
        matches = pc.sum(pc.equal(truth, predicted)).as_py() or 0
    else:
        truth_values, predicted_values = _values(truth), _values(predicted, order)
        assert truth_values is not None and predicted_values is not None  # integer or boolean, as checked
        matches = int(np.count_nonzero(truth_values == predicted_values))
    return float(matches / len(truth))


def _errors(answers: Columns, predictions: Columns, order: Order) -> NDArray[np.float64] | None:
    """Prediction minus answer as an (n, 1) column, the shape scikit-learn's regression metrics reduce over."""
    pair = _single(answers, predictions)
    if pair is None:
        return None
    truth, predicted = _floats(pair[0]), _floats(pair[1], order)
    if truth is None or predicted is None:
        return None
    return (predicted - truth).reshape(-1, 1)


def mse(answers: Columns, predictions: Columns, order: Order = None) -> float | None:
    """Mean squared error, reduced as `sklearn.metrics.mean_squared_error` reduces it."""
    errors = _errors(answers, predictions, order)
    if errors is None:
        return None
    return float(np.average(np.average(errors**2, axis=0)))


def rmse(answers: Columns, predictions: Columns, order: Order = None) -> float | None:
    """Root mean squared error, reduced as `sklearn.metrics.root_mean_squared_error` reduces it."""
    errors = _errors(answers, predictions, order)
    if errors is None:
        return None
    return float(np.average(np.sqrt(np.average(errors**2, axis=0))))


def mae(answers: Columns, predictions: Columns, order: Order = None) -> float | None:
    """Mean absolute error, reduced as `sklearn.metrics.mean_absolute_error` reduces it."""
    errors = _errors(answers, predictions, order)
    if errors is None:
        return None
    return float(np.average(np.average(np.abs(errors), axis=0)))


def roc_auc(answers: Columns, predictions: Columns, order: Order = None) -> float | None:
    """Binary ROC AUC as the Mann-Whitney statistic: for each positive, the negatives scored below it plus
    half those scored the same, counted exactly in integers, one rounding at the end.

    Equal to the trapezoidal area scikit-learn computes up to that function's own rounding (about 1e-16).
    """
    pair = _single(answers, predictions)
    if pair is None:
        return None
    truth, scores = _floats(pair[0]), _floats(pair[1], order)
    if truth is None or scores is None or not bool(((truth == 0) | (truth == 1)).all()):
        return None
    positive = truth == 1
    positives, negatives = np.sort(scores[positive]), np.sort(scores[~positive])
    if not len(positives) or not len(negatives):
        return None  # undefined: the registered metric says so in words
    # Sorted queries into sorted values: searchsorted walks both in order. Twice the statistic: below + below
    # or tied, per positive.
    below = np.searchsorted(negatives, positives, side="left")
    below_or_tied = np.searchsorted(negatives, positives, side="right")
    twice_u = int(below.sum(dtype=np.int64)) + int(below_or_tied.sum(dtype=np.int64))
    return twice_u / (2 * len(positives) * len(negatives))


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


def vectorised_score(
    name: str, answers: Columns, predictions: Columns, params: dict[str, object], order: Order = None
) -> float | None:
    """The metric's score from Arrow columns (answers' target columns, predictions' in the declared order);
    `order`, when given, holds the prediction row for each answer row.

    None when `name` has no vectorised formulation, takes parameters, or the inputs need the library's
    handling; score with `get_metric(name).score` then.
    """
    function = VECTORISED.get(name)
    if function is None or params:
        return None
    return function(answers, predictions, order)
