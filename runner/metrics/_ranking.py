"""Ranking metrics: mean average precision over item lists, and NDCG over per-item scores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._inputs import check_k, check_nonnegative, label_text, matrix, same_columns
from ._registry import MetricInputError, metric

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

# scikit-learn is imported inside each metric: importing it takes seconds, and merely listing or
# looking up metrics never needs it.


def _items(cell: object) -> list[str]:
    """The items of one cell: a space-separated string (Kaggle convention) or a list.

    An empty cell is an empty list: CSV readers turn an empty string into NaN, and "no item" is a legitimate
    answer or prediction for a row.
    """
    if isinstance(cell, str):
        return cell.split()
    if isinstance(cell, list | tuple | np.ndarray):
        return [label_text(item) for item in cell]
    import pandas as pd  # deferred: pandas costs a second at CLI start-up and only scoring needs it

    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell is pd.NA:
        return []
    # A column holding one item per row may have been parsed as numbers.
    return [label_text(cell)]


def _average_precision_at_k(actual: list[str], predicted: list[str], k: int) -> float:
    """Kaggle's AP@k: precision at each hit among the first k predictions, over min(len(actual), k)."""
    if not actual:
        return 0.0
    top = predicted[:k]
    relevant = set(actual)
    # An item repeated in the predictions only counts the first time it appears.
    first_seen = np.asarray([item not in top[:i] for i, item in enumerate(top)], dtype=bool)
    hits = np.asarray([item in relevant for item in top], dtype=bool) & first_seen
    if not hits.any():
        return 0.0
    precision_at_rank = np.cumsum(hits) / np.arange(1, len(top) + 1)
    return float(precision_at_rank[hits].sum() / min(len(relevant), k))


@metric(
    "map@k",
    higher_is_better=True,
    best_possible=1.0,
    prediction="ranking",
    description="Mean average precision at k (Kaggle's MAP@k): each cell is a space-separated list of items, "
    "answers the relevant ones, predictions ranked best first.",
)
def map_at_k(answers: pd.DataFrame, predictions: pd.DataFrame, *, k: int = 10) -> float:
    # Hand-written: neither scikit-learn nor scipy implements MAP@k over item lists
    # (sklearn's average_precision_score works on per-item scores, not ranked lists cut at k).
    k = check_k(k)
    actual = [_items(cell) for cell in answers.iloc[:, 0]]
    predicted = [_items(cell) for cell in predictions.iloc[:, 0]]
    per_row = np.asarray([_average_precision_at_k(a, p, k) for a, p in zip(actual, predicted, strict=True)])
    return float(per_row.mean())


def _relevance_pair(answers: pd.DataFrame, predictions: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[Any]]:
    predictions = same_columns(answers, predictions)
    relevance, scores = matrix(answers, "answers"), matrix(predictions, "predictions")
    if relevance.shape[1] < 2:
        raise MetricInputError("ndcg@k needs at least 2 item columns to rank")
    return relevance, scores


@metric(
    "ndcg@k",
    higher_is_better=True,
    best_possible=1.0,
    prediction="value",
    description="Normalised discounted cumulative gain at k: answers hold a non-negative relevance per item "
    "column, predictions a score per item column (higher ranks first).",
)
def ndcg_at_k(answers: pd.DataFrame, predictions: pd.DataFrame, *, k: int = 10) -> float:
    from sklearn.metrics import ndcg_score

    k = check_k(k)
    relevance, scores = _relevance_pair(answers, predictions)
    check_nonnegative(relevance, "answers", "ndcg@k needs non-negative relevance")
    return float(ndcg_score(relevance, scores, k=k))
