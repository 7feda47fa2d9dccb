"""Benchsmith's named metrics: the registry a manifest's `metric: {name: ...}` refers to.

`get_metric(name).score(answers, predictions, **params)` scores a submission. `answers` and `predictions`
are DataFrames already aligned row by row (id column removed). Single-target metrics read the first
column; multiclass probability metrics take one prediction column per class, named by the class label;
multilabel metrics take one 0/1 column per label in both frames; `map@k` cells hold space-separated item
lists; `ndcg@k` takes one relevance (answers) or score (predictions) column per item. Inputs that cannot
be scored raise `MetricInputError`.

Importing this package registers every built-in metric.
"""

from . import _classification, _correlation, _multilabel, _ranking, _regression
from ._inputs import label_text
from ._registry import (
    METRIC_NAME_PATTERN,
    Metric,
    MetricFn,
    MetricInputError,
    PredictionKind,
    UnknownMetricError,
    get_metric,
    metric,
    metric_names,
)
from ._vectorised import has_vectorised, vectorised_score

__all__ = [
    "METRIC_NAME_PATTERN",
    "Metric",
    "MetricFn",
    "MetricInputError",
    "PredictionKind",
    "UnknownMetricError",
    "get_metric",
    "has_vectorised",
    "label_text",
    "metric",
    "metric_names",
    "vectorised_score",
]

# The family modules are imported for their registrations only.
del _classification, _correlation, _multilabel, _ranking, _regression
