"""The ladder of reference solvers: scikit-learn pipelines from a trivial dummy up to boosted trees.

A `Solver` is plain data (picklable, so it can cross into a worker process); `make_estimator` turns it into an
unfitted scikit-learn estimator. Every stochastic solver is seeded, so a leaderboard is reproducible.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ProblemKind = Literal["classification", "regression", "multilabel", "ranking"]
"""What the reference solvers predict: class labels (or class probabilities), numbers, one 0/1 label per label
column (one classifier per column), or a ranking of the items seen in training (a classifier over the items, its
classes ordered by predicted probability)."""

SEED = 0
MAX_ROWS = 20_000
"""Slow families train on a seeded sample of at most this many rows."""


@dataclass(frozen=True)
class Solver:
    """One rung of the ladder: a model family with one setting."""

    name: str
    family: str
    params: Mapping[str, Any] = field(default_factory=dict)
    max_rows: int | None = None
    """Train on a seeded sample of at most this many rows (None: all of them)."""
    dense: bool = False
    """The estimator needs a dense feature matrix."""

    @property
    def params_text(self) -> str:
        """The settings as compact JSON, for the leaderboard's `params` column."""
        return json.dumps(dict(self.params), sort_keys=True, separators=(",", ":"), default=str)


def _classifier(family: str, params: Mapping[str, Any], n_rows: int, threshold: float) -> Any:
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier

    from ._dummies import PriorThreshold, RandomScores

    def dummy() -> Any:
        strategy = params.get("strategy")
        if strategy == "all_zero":
            return PriorThreshold(threshold=float("inf"))
        if strategy == "prior_threshold":
            return PriorThreshold(threshold=threshold)
        if strategy == "random_order":
            return RandomScores(random_state=SEED)
        return DummyClassifier(random_state=SEED, **params)

    builders: dict[str, Callable[[], Any]] = {
        "dummy": dummy,
        "logistic_regression": lambda: LogisticRegression(max_iter=1000, random_state=SEED, **params),
        "naive_bayes": lambda: GaussianNB(**params),
        "knn": lambda: KNeighborsClassifier(n_neighbors=min(int(params["n_neighbors"]), n_rows)),
        "decision_tree": lambda: DecisionTreeClassifier(random_state=SEED, **params),
        "random_forest": lambda: RandomForestClassifier(random_state=SEED, n_jobs=1, **params),
        "extra_trees": lambda: ExtraTreesClassifier(random_state=SEED, n_jobs=1, **params),
        "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(random_state=SEED, **params),
        "mlp": lambda: MLPClassifier(random_state=SEED, **params),
        "linear_svm": lambda: LinearSVC(random_state=SEED, max_iter=5000, **params),
    }
    return builders[family]()


def _regressor(family: str, params: Mapping[str, Any], n_rows: int) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.dummy import DummyRegressor
    from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import Lasso, Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    builders: dict[str, Callable[[], Any]] = {
        "dummy": lambda: DummyRegressor(**params),
        "ridge": lambda: Ridge(random_state=SEED, **params),
        "lasso": lambda: Lasso(random_state=SEED, max_iter=5000, **params),
        "knn": lambda: KNeighborsRegressor(n_neighbors=min(int(params["n_neighbors"]), n_rows)),
        "decision_tree": lambda: DecisionTreeRegressor(random_state=SEED, **params),
        "random_forest": lambda: RandomForestRegressor(random_state=SEED, n_jobs=1, **params),
        "extra_trees": lambda: ExtraTreesRegressor(random_state=SEED, n_jobs=1, **params),
        "hist_gradient_boosting": lambda: HistGradientBoostingRegressor(random_state=SEED, **params),
        # A network learns far better on a standardized target; the wrapper undoes the scaling on predict.
        "mlp": lambda: TransformedTargetRegressor(
            regressor=MLPRegressor(random_state=SEED, **params), transformer=StandardScaler()
        ),
    }
    return builders[family]()


def make_estimator(kind: ProblemKind, solver: Solver, n_rows: int, threshold: float = 0.5) -> Any:
    """The solver's unfitted estimator (the model only; the preprocessor is added by the caller).

    `threshold` is the multilabel decision threshold, which the prior-threshold dummy applies to each label's share.
    """
    if kind == "regression":
        return _regressor(solver.family, solver.params, n_rows)
    # Multilabel: the caller fits one of these per label column; ranking: one over the items.
    return _classifier(solver.family, solver.params, n_rows, threshold)


def _grid(family: str, key: str, values: tuple[Any, ...], prefix: str, short: str, **extra: Any) -> list[Solver]:
    """One solver per value of one setting, named `<prefix>-<short><value>`."""
    solvers = []
    for value in values:
        label = "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        solvers.append(Solver(name=f"{prefix}-{short}{label}", family=family, params={key: value}, **extra))
    return solvers


_MLP = {"max_iter": 300, "early_stopping": False}
_FOREST_DEPTHS = (4, None)
_TREE_DEPTHS = (2, 4, 8, None)
_NEIGHBOURS = (1, 5, 15, 50)

# The families both ladders share; the estimator behind each family depends on the problem kind.
_NONLINEAR: tuple[Solver, ...] = (
    *_grid("knn", "n_neighbors", _NEIGHBOURS, "knn", "k", max_rows=MAX_ROWS),
    *_grid("decision_tree", "max_depth", _TREE_DEPTHS, "tree", "depth", max_rows=MAX_ROWS),
    *(
        Solver(f"random_forest-depth{d or 'none'}", "random_forest", {"n_estimators": 100, "max_depth": d},
               max_rows=MAX_ROWS)
        for d in _FOREST_DEPTHS
    ),
    Solver("extra_trees", "extra_trees", {"n_estimators": 100}, max_rows=MAX_ROWS),
    *(
        Solver(f"hgb-lr{lr}", "hist_gradient_boosting", {"learning_rate": lr, "max_iter": 100}, MAX_ROWS, dense=True)
        for lr in (0.05, 0.2)
    ),
    Solver("mlp-32", "mlp", {"hidden_layer_sizes": (32,), **_MLP}, max_rows=MAX_ROWS),
    Solver("mlp-64x64", "mlp", {"hidden_layer_sizes": (64, 64), **_MLP}, max_rows=MAX_ROWS),
)  # fmt: skip

CLASSIFICATION_SOLVERS: tuple[Solver, ...] = (
    Solver("dummy-most_frequent", "dummy", {"strategy": "most_frequent"}),
    Solver("dummy-stratified", "dummy", {"strategy": "stratified"}),
    Solver("dummy-prior", "dummy", {"strategy": "prior"}),
    *_grid("logistic_regression", "C", (0.01, 0.1, 1.0, 10.0), "logreg", "C", max_rows=MAX_ROWS),
    Solver("naive_bayes", "naive_bayes", {}, dense=True, max_rows=MAX_ROWS),
    *_NONLINEAR,
    *_grid("linear_svm", "C", (0.1, 1.0), "linear_svm", "C", max_rows=MAX_ROWS),
)  # fmt: skip

REGRESSION_SOLVERS: tuple[Solver, ...] = (
    Solver("dummy-mean", "dummy", {"strategy": "mean"}),
    Solver("dummy-median", "dummy", {"strategy": "median"}),
    *_grid("ridge", "alpha", (0.1, 1.0, 10.0, 100.0), "ridge", "alpha"),
    *_grid("lasso", "alpha", (0.1, 1.0), "lasso", "alpha", max_rows=MAX_ROWS),
    *_NONLINEAR,
)  # fmt: skip

_MODELS = tuple(solver for solver in CLASSIFICATION_SOLVERS if solver.family != "dummy")

MULTILABEL_SOLVERS: tuple[Solver, ...] = (
    Solver("dummy-all_zero", "dummy", {"strategy": "all_zero"}),
    Solver("dummy-most_frequent", "dummy", {"strategy": "most_frequent"}),
    Solver("dummy-stratified", "dummy", {"strategy": "stratified"}),
    Solver("dummy-prior_threshold", "dummy", {"strategy": "prior_threshold"}),
    *_MODELS,
)
"""One model per label column, a label predicted where its P(label = 1) reaches the problem's decision threshold;
the dummies ignore the features (stratified draws each label at random with its training share, prior_threshold
predicts a label for every row when its training share reaches the decision threshold)."""

RANKING_SOLVERS: tuple[Solver, ...] = (
    Solver("dummy-popularity", "dummy", {"strategy": "prior"}),
    Solver("dummy-stratified", "dummy", {"strategy": "stratified"}),
    Solver("dummy-random_order", "dummy", {"strategy": "random_order"}),
    *_MODELS,
)
"""A classifier over the items, ranking them by predicted probability; the dummies rank by training popularity
(the same order for every row), by a random item drawn with its popularity then the rest, and at random."""

SOLVERS: dict[ProblemKind, tuple[Solver, ...]] = {
    "classification": CLASSIFICATION_SOLVERS,
    "regression": REGRESSION_SOLVERS,
    "multilabel": MULTILABEL_SOLVERS,
    "ranking": RANKING_SOLVERS,
}
"""The ladder for each problem kind, cheapest first."""
