"""Checks and conversions shared by the metric families; each failure is a `MetricInputError`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._registry import MetricInputError

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

_SHOWN_ROWS = 5


def _rows(positions: NDArray[Any]) -> str:
    shown = ", ".join(str(int(p)) for p in positions[:_SHOWN_ROWS])
    return shown + (", ..." if len(positions) > _SHOWN_ROWS else "")


def _column_label(role: str, column: object) -> str:
    return f"{role} column {column!r}"


def check_no_missing(frame: pd.DataFrame, role: str) -> None:
    """Reject missing values anywhere in `frame`, naming the column and row positions."""
    for column in frame.columns:
        missing = np.flatnonzero(frame[column].isna().to_numpy())
        if len(missing):
            raise MetricInputError(
                f"{_column_label(role, column)} has {len(missing)} missing value(s) (row positions {_rows(missing)})"
            )


def labels(frame: pd.DataFrame, role: str) -> NDArray[Any]:
    """The first column as an array of class labels, with no missing values."""
    first = frame.iloc[:, [0]]
    check_no_missing(first, role)
    return first.iloc[:, 0].to_numpy()


def _numeric(series: pd.Series[Any], role: str) -> NDArray[np.float64]:
    column = _column_label(role, series.name)
    import pandas as pd  # deferred: pandas costs a second at CLI start-up and only scoring needs it

    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        converted = pd.to_numeric(series, errors="coerce")
        bad = np.flatnonzero((converted.isna() & series.notna()).to_numpy())
        if len(bad):
            example = series.iloc[int(bad[0])]
            raise MetricInputError(f"{column} must be numeric, but holds {example!r} (row positions {_rows(bad)})")
        values = converted.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.flatnonzero(np.isnan(values))
    if len(missing):
        raise MetricInputError(f"{column} has {len(missing)} missing value(s) (row positions {_rows(missing)})")
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        raise MetricInputError(f"{column} has {len(infinite)} infinite value(s) (row positions {_rows(infinite)})")
    return values


def values(frame: pd.DataFrame, role: str) -> NDArray[np.float64]:
    """The first column as finite floats."""
    return _numeric(frame.iloc[:, 0], role)


def matrix(frame: pd.DataFrame, role: str) -> NDArray[np.float64]:
    """All columns as a finite float matrix (rows x columns)."""
    return np.column_stack([_numeric(frame.iloc[:, i], role) for i in range(frame.shape[1])])


def check_nonnegative(array: NDArray[np.float64], role: str, why: str) -> None:
    """Reject negative values (in a column, or anywhere in a row of a matrix), saying why."""
    below = array < 0
    negative = np.flatnonzero(below.any(axis=1) if below.ndim > 1 else below)
    if len(negative):
        raise MetricInputError(f"{role} have negative values (row positions {_rows(negative)}); {why}")


def check_unit_interval(array: NDArray[np.float64], role: str) -> None:
    """Reject probabilities outside [0, 1]."""
    bad = (array < 0) | (array > 1)
    outside = np.flatnonzero(bad.any(axis=1) if bad.ndim > 1 else bad)
    if len(outside):
        raise MetricInputError(
            f"{role} must be probabilities in [0, 1], but {len(outside)} row(s) are not "
            f"(row positions {_rows(outside)})"
        )


def label_text(value: object) -> str:
    """A label as text, so that class label `1` (int answers) matches a column named `"1"`."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def same_columns(answers: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """`predictions` with its columns in the answers' order; both must name the same columns."""
    wanted = [label_text(c) for c in answers.columns]
    have = [label_text(c) for c in predictions.columns]
    for role, names in (("answers", wanted), ("predictions", have)):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise MetricInputError(f"{role} have duplicated columns: {', '.join(duplicated)}")
    missing = [n for n in wanted if n not in have]
    extra = [n for n in have if n not in wanted]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected {', '.join(extra)}")
        raise MetricInputError(
            f"predictions must have one column per answer column ({', '.join(wanted)}): {'; '.join(parts)}"
        )
    return predictions.iloc[:, [have.index(n) for n in wanted]]


def binary_indicator(y: NDArray[Any], role: str) -> NDArray[np.int_]:
    """0/1 (or False/True) labels as a 0/1 integer array; the positive class is 1 (True)."""
    import pandas as pd  # deferred, see _numeric

    present = {label_text(v) for v in pd.unique(pd.Series(y, dtype=object))}
    if not present <= {"0", "1", "False", "True"}:
        shown = ", ".join(sorted(present)[:_SHOWN_ROWS])
        raise MetricInputError(f"{role} must be binary labels 0/1 (or False/True), but hold {shown}")
    return np.asarray([1 if label_text(v) in {"1", "True"} else 0 for v in y], dtype=np.int_)


def check_binary_matrix(array: NDArray[np.float64], role: str) -> None:
    """Reject anything but 0/1 in a multilabel indicator matrix."""
    bad = np.flatnonzero(np.any((array != 0) & (array != 1), axis=1))
    if len(bad):
        raise MetricInputError(f"{role} must hold only 0 and 1, but row positions {_rows(bad)} do not")


def check_k(k: object) -> int:
    """A cut-off `k` must be a positive integer."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise MetricInputError(f"k must be a positive integer, not {k!r}")
    return int(k)
