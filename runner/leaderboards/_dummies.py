"""Trivial estimators the scikit-learn dummies lack: all-zero and prior-threshold labels, seeded random scores."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin


class PriorThreshold(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A binary 0/1 label: 1 for every row when the training share of 1s is at least `threshold`, else 0.

    `threshold=inf` predicts 0 everywhere (the all-zero dummy).
    """

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def fit(self, features: Any, target: Any) -> PriorThreshold:
        values = np.asarray(target, dtype=np.float64)
        self.classes_ = np.asarray([0, 1])
        self.prior_ = float(np.mean(values == 1.0)) if len(values) else 0.0
        return self

    def predict_proba(self, features: Any) -> NDArray[np.float64]:
        rows = features.shape[0]
        return np.tile(np.asarray([1.0 - self.prior_, self.prior_]), (rows, 1))

    def predict(self, features: Any) -> NDArray[np.int_]:
        return np.full(features.shape[0], int(self.prior_ >= self.threshold), dtype=np.int_)


class RandomScores(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Seeded uniform random class scores per row: ranks the training classes in a random order per row."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, features: Any, target: Any) -> RandomScores:
        self.classes_ = np.unique(np.asarray(target))
        return self

    def predict_proba(self, features: Any) -> NDArray[np.float64]:
        scores = np.random.default_rng(self.random_state).random((features.shape[0], len(self.classes_)))
        normalized: NDArray[np.float64] = scores / scores.sum(axis=1, keepdims=True)
        return normalized

    def predict(self, features: Any) -> NDArray[Any]:
        chosen: NDArray[Any] = self.classes_[np.argmax(self.predict_proba(features), axis=1)]
        return chosen
