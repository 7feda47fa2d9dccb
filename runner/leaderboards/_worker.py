"""Fit one solver and predict the test set, in a worker process (imported there once, with scikit-learn)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sklearn.compose
import sklearn.dummy
import sklearn.ensemble
import sklearn.feature_extraction.text
import sklearn.impute
import sklearn.linear_model
import sklearn.naive_bayes
import sklearn.neighbors
import sklearn.neural_network
import sklearn.pipeline
import sklearn.preprocessing
import sklearn.svm
import sklearn.tree
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from runner.metrics import label_text

from ._features import FeaturePlan, make_preprocessor
from ._problem import Prediction
from ._solvers import CLASSIFICATION_SOLVERS, REGRESSION_SOLVERS, SEED, ProblemKind, Solver, make_estimator

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True)
class Job:
    """Everything one solver needs: the problem's shape, the cleaned tables and the target."""

    kind: ProblemKind
    prediction: Prediction
    columns: tuple[str, ...]
    clip_at_zero: bool
    plan: FeaturePlan
    solver: Solver
    train: pd.DataFrame
    target: pd.Series[Any] | pd.DataFrame
    """The target column, or (multilabel) the 0/1 label columns in submission order."""
    test: pd.DataFrame
    k: int | None = None
    """Ranking: the number of items to list per row."""
    threshold: float = 0.5
    """Multilabel: the decision threshold on each label's P(label = 1)."""


def _subsample(job: Job) -> tuple[pd.DataFrame, pd.Series[Any] | pd.DataFrame]:
    limit = job.solver.max_rows
    if limit is None or len(job.train) <= limit:
        return job.train, job.target
    chosen = np.sort(np.random.default_rng(SEED).choice(len(job.train), size=limit, replace=False))
    return job.train.iloc[chosen], job.target.iloc[chosen]


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    result: NDArray[np.float64] = exponentials / exponentials.sum(axis=1, keepdims=True)
    return result


def _class_scores(model: Any, test: Any) -> NDArray[np.float64]:
    """Per-class probabilities (or squashed margins), one column per entry of `model.classes_`."""
    if hasattr(model, "predict_proba"):
        matrix = np.asarray(model.predict_proba(test), dtype=np.float64)
    else:  # a margin classifier: squash its decision scores into probabilities
        scores = np.asarray(model.decision_function(test), dtype=np.float64)
        if scores.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(-scores))
            matrix = np.column_stack([1.0 - positive, positive])
        else:
            matrix = _softmax(scores)
    return matrix


def _probabilities(model: Any, test: pd.DataFrame, columns: tuple[str, ...]) -> NDArray[np.float64]:
    classes = [label_text(value) for value in model.classes_]
    matrix = _class_scores(model, test)
    # Binary: one column, P(class 1 / True); otherwise one column per class label.
    wanted = [next((name for name in classes if name in {"1", "True"}), "1")] if len(columns) == 1 else list(columns)
    position = {name: index for index, name in enumerate(classes)}
    out = np.zeros((len(test), len(wanted)), dtype=np.float64)
    for index, name in enumerate(wanted):
        if name in position:
            out[:, index] = matrix[:, position[name]]
    clipped: NDArray[np.float64] = np.clip(out, 0.0, 1.0)
    return clipped


def _rankings(model: Any, test: pd.DataFrame, k: int) -> NDArray[Any]:
    """Each row's items (the model's classes) by decreasing score, the first `k`, space-separated; ties keep the
    classes' sorted order."""
    items = np.asarray([label_text(value) for value in model.classes_], dtype=object)
    order = np.argsort(-_class_scores(model, test), axis=1, kind="stable")[:, :k]
    return np.asarray([" ".join(row) for row in items[order]], dtype=object).reshape(-1, 1)


def _multilabel_probabilities(model: Any, test: Any) -> NDArray[np.float64]:
    """P(label = 1) per label column of a natively multilabel model fitted on the 0/1 label matrix."""
    probabilities = model.predict_proba(test)
    if not isinstance(probabilities, list):  # a network: one sigmoid output per label
        matrix: NDArray[np.float64] = np.asarray(probabilities, dtype=np.float64)
        return matrix
    out = np.zeros((test.shape[0], len(probabilities)), dtype=np.float64)
    for index, (classes, column) in enumerate(zip(model.classes_, probabilities, strict=True)):
        if 1 in list(classes):  # a label never 1 in training keeps P = 0
            out[:, index] = np.asarray(column, dtype=np.float64)[:, list(classes).index(1)]
    return out


def _multilabel(job: Job, train: pd.DataFrame, target: pd.DataFrame) -> NDArray[np.int_]:
    """One model per label column on the shared preprocessed features; a 0/1 matrix, one column per label.

    A model predicts a label where its P(label = 1) reaches the job's threshold; a dummy predicts by its own rule.
    """
    features = make_preprocessor(job.plan, job.solver.dense)
    train_matrix = features.fit_transform(train)
    test_matrix = features.transform(job.test)
    out = np.zeros((len(job.test), len(job.columns)), dtype=np.int_)
    matrix = np.column_stack(
        [target[column].map(label_text).isin(("1", "True")).to_numpy(dtype=np.int_) for column in job.columns]
    )
    if job.solver.family in ("knn", "mlp"):
        # Natively multilabel, and far cheaper fitted once: the neighbours are the same for every label (so one fit
        # gives exactly the per-label models' predictions), and a network learns every label through one output
        # unit each on a shared hidden layer, where a network per label would take minutes on a larger table.
        model = make_estimator(job.kind, job.solver, len(train), job.threshold)
        model.fit(train_matrix, matrix)
        return (_multilabel_probabilities(model, test_matrix) >= job.threshold).astype(np.int_)
    for index in range(len(job.columns)):
        labels = matrix[:, index]
        dummy = job.solver.family == "dummy"
        if not dummy and len(np.unique(labels)) < 2:
            out[:, index] = labels[0]  # a constant label: most models cannot fit a single class
            continue
        model = make_estimator(job.kind, job.solver, len(train), job.threshold)
        model.fit(train_matrix, labels)
        if dummy:
            out[:, index] = np.asarray(model.predict(test_matrix)).astype(np.int_)
        else:
            positive = list(model.classes_).index(1)
            out[:, index] = (_class_scores(model, test_matrix)[:, positive] >= job.threshold).astype(np.int_)
    return out


def solve(job: Job) -> NDArray[Any]:
    """Fit the solver on the training table; its predictions for the test rows, one column per submission column."""
    train, target = _subsample(job)
    if job.kind == "multilabel":
        assert not isinstance(target, pd.Series)
        return _multilabel(job, train, target)
    assert isinstance(target, pd.Series)
    model = sklearn.pipeline.Pipeline(
        [
            ("features", make_preprocessor(job.plan, job.solver.dense)),
            ("model", make_estimator(job.kind, job.solver, len(train))),
        ]
    )
    model.fit(train, target.to_numpy())
    if job.kind == "ranking":
        return _rankings(model, job.test, job.k or len(model.classes_))
    if job.prediction == "probability":
        return _probabilities(model, job.test, job.columns)
    predictions = np.asarray(model.predict(job.test))
    if job.prediction == "value":
        predictions = predictions.astype(np.float64)
        if job.clip_at_zero:
            predictions = np.clip(predictions, 0.0, None)
    return predictions.reshape(-1, 1)


def child(job: Job, connection: Connection) -> None:
    """Worker process entry: run `solve` on one thread and send back ("ok", predictions) or ("error", reason)."""

    try:
        with threadpool_limits(limits=1), warnings.catch_warnings():
            # One thread each keeps parallel solvers from oversubscribing the cores and results bit-identical.
            warnings.simplefilter("ignore")
            result: tuple[str, Any] = ("ok", solve(job))
    except Exception as error:
        result = ("error", f"{type(error).__name__}: {error}")
    connection.send(result)
    connection.close()


def warm_up() -> None:
    """Fit a few tiny models through the shared preprocessor, so that a fork of this process starts warm."""
    train = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "c": ["a", "b", "a", "b", "a", "b"]})
    plan = FeaturePlan(numeric=("x",), categorical=("c",), text=())
    target = pd.Series([0, 1, 0, 1, 0, 1])
    with threadpool_limits(limits=1):
        ladders: tuple[tuple[ProblemKind, tuple[Solver, ...]], ...] = (
            ("classification", CLASSIFICATION_SOLVERS),
            ("regression", REGRESSION_SOLVERS),
        )
        for kind, solvers in ladders:
            for solver in {solver.family: solver for solver in solvers}.values():
                job = Job(
                    kind=kind, prediction="label" if kind == "classification" else "value", columns=("y",),
                    clip_at_zero=False, plan=plan, solver=replace(solver, params=_tiny(solver.params)), train=train,
                    target=target, test=train,
                )  # fmt: skip
                try:
                    solve(job)
                except Exception:  # warming is best effort
                    continue


def _tiny(params: Mapping[str, Any]) -> dict[str, Any]:
    tiny = dict(params)
    if "n_estimators" in tiny:
        tiny["n_estimators"] = 2
    if "max_iter" in tiny:
        tiny["max_iter"] = 2
    if "n_neighbors" in tiny:
        tiny["n_neighbors"] = 1
    return tiny
