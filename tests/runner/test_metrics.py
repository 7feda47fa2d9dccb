"""The named-metric registry: hand-computed scores, directions, perfect scores and input errors."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from runner.metrics import (
    Metric,
    MetricInputError,
    UnknownMetricError,
    _registry,
    get_metric,
    metric,
    metric_names,
)

if TYPE_CHECKING:
    from collections.abc import Sequence


def col(values: Sequence[object], name: str = "y") -> pd.DataFrame:
    """A one-column frame."""
    return pd.DataFrame({name: list(values)})


def score(name: str, answers: pd.DataFrame, predictions: pd.DataFrame, **params: object) -> float:
    return get_metric(name).score(answers, predictions, **params)


# name -> (higher_is_better, best_possible, prediction)
EXPECTED = {
    "accuracy": (True, 1.0, "label"),
    "balanced_accuracy": (True, 1.0, "label"),
    "f1_macro": (True, 1.0, "label"),
    "f1_micro": (True, 1.0, "label"),
    "f1_weighted": (True, 1.0, "label"),
    "f1_binary": (True, 1.0, "label"),
    "precision_macro": (True, 1.0, "label"),
    "recall_macro": (True, 1.0, "label"),
    "mcc": (True, 1.0, "label"),
    "cohen_kappa": (True, 1.0, "label"),
    "quadratic_weighted_kappa": (True, 1.0, "label"),
    "roc_auc": (True, 1.0, "probability"),
    "average_precision": (True, 1.0, "probability"),
    "log_loss": (False, 0.0, "probability"),
    "brier": (False, 0.0, "probability"),
    "rmse": (False, 0.0, "value"),
    "mse": (False, 0.0, "value"),
    "mae": (False, 0.0, "value"),
    "rmsle": (False, 0.0, "value"),
    "medae": (False, 0.0, "value"),
    "mape": (False, 0.0, "value"),
    "smape": (False, 0.0, "value"),
    "r2": (True, 1.0, "value"),
    "explained_variance": (True, 1.0, "value"),
    "pearson": (True, 1.0, "value"),
    "spearman": (True, 1.0, "value"),
    "kendall_tau": (True, 1.0, "value"),
    "map@k": (True, 1.0, "ranking"),
    "ndcg@k": (True, 1.0, "value"),
    "hamming_loss": (False, 0.0, "label"),
    "jaccard_samples": (True, 1.0, "label"),
    "f1_samples": (True, 1.0, "label"),
}


# --- the registry -------------------------------------------------------------------------------------


def test_metric_names_are_sorted_and_complete() -> None:
    names = metric_names()
    assert names == sorted(names)
    assert set(names) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_direction_best_and_prediction_kind(name: str) -> None:
    m = get_metric(name)
    assert isinstance(m, Metric)
    assert m.name == name
    assert (m.higher_is_better, m.best_possible, m.prediction) == EXPECTED[name]
    assert m.description


def test_params_come_from_keyword_only_parameters() -> None:
    assert get_metric("map@k").params == {"k": 10}
    assert get_metric("ndcg@k").params == {"k": 10}
    assert get_metric("accuracy").params == {}


def test_metric_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_metric("accuracy").name = "other"  # type: ignore[misc]


def test_unknown_metric_suggests_close_names() -> None:
    with pytest.raises(UnknownMetricError) as caught:
        get_metric("acuracy")
    assert isinstance(caught.value, KeyError)
    assert "accuracy" in caught.value.suggestions
    message = str(caught.value)
    assert message.startswith("unknown metric 'acuracy'; did you mean 'accuracy'")


def test_unknown_metric_with_a_fixed_k_points_at_params() -> None:
    with pytest.raises(UnknownMetricError, match=r"map@k with params \{k: 5\}"):
        get_metric("map@5")


def test_unknown_metric_without_close_match() -> None:
    with pytest.raises(UnknownMetricError) as caught:
        get_metric("zzzz")
    assert caught.value.suggestions == []
    assert "runner metrics" in str(caught.value)


def test_unknown_param_names_the_allowed_ones() -> None:
    with pytest.raises(MetricInputError, match=r"no parameter k \(allowed parameters: none\)"):
        score("accuracy", col([1]), col([1]), k=3)
    with pytest.raises(MetricInputError, match=r"no parameter kk \(allowed parameters: k\)"):
        score("map@k", col(["a"]), col(["a"]), kk=3)


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3"])
def test_k_must_be_a_positive_integer(k: object) -> None:
    with pytest.raises(MetricInputError, match="k must be a positive integer"):
        score("map@k", col(["a"]), col(["a"]), k=k)


@pytest.fixture
def private_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test register metrics without leaking them into the real registry."""
    monkeypatch.setattr(_registry, "_REGISTRY", _registry._REGISTRY.copy())


@pytest.mark.usefixtures("private_registry")
def test_registering_a_duplicate_name_raises() -> None:
    with pytest.raises(ValueError, match="already registered"):
        metric("accuracy", higher_is_better=True, best_possible=1.0, prediction="label", description="x")


@pytest.mark.usefixtures("private_registry")
@pytest.mark.parametrize("name", ["Accuracy", "top-k", "map@5", "1st", "map@k@k", ""])
def test_malformed_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="does not match"):
        metric(name, higher_is_better=True, best_possible=1.0, prediction="label", description="x")


@pytest.mark.usefixtures("private_registry")
def test_registering_a_new_metric() -> None:
    @metric("count_equal@k", higher_is_better=True, best_possible=None, prediction="label")
    def count_equal(answers: pd.DataFrame, predictions: pd.DataFrame, *, k: int = 2) -> float:
        """Equal rows times k."""
        return float((answers.iloc[:, 0] == predictions.iloc[:, 0]).sum() * k)

    m = get_metric("count_equal@k")
    assert m.fn is count_equal
    assert m.params == {"k": 2}
    assert m.description == "Equal rows times k."
    assert "count_equal@k" in metric_names()
    result = m.score(col([1, 2, 3]), col([1, 2, 0]), k=5)
    assert result == 10.0
    assert type(result) is float


@pytest.mark.usefixtures("private_registry")
def test_a_k_metric_needs_a_k_parameter() -> None:
    with pytest.raises(ValueError, match="no keyword-only parameter k"):

        @metric("top@k", higher_is_better=True, best_possible=1.0, prediction="ranking", description="x")
        def top(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
            return 0.0


@pytest.mark.usefixtures("private_registry")
def test_library_errors_are_wrapped() -> None:
    @metric("explodes", higher_is_better=True, best_possible=1.0, prediction="value", description="x")
    def explodes(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
        raise TypeError("unsupported operand")

    with pytest.raises(MetricInputError, match="explodes: unsupported operand") as caught:
        get_metric("explodes").score(col([1]), col([1]))
    assert isinstance(caught.value.__cause__, TypeError)


# --- hand-computed scores -----------------------------------------------------------------------------

LABELS_TRUE = [0, 0, 1, 1, 2]
LABELS_PRED = [0, 1, 1, 1, 2]
# Per class (tp, fp, fn): 0 -> (1, 0, 1): P=1, R=1/2, F1=2/3
#                         1 -> (2, 1, 0): P=2/3, R=1, F1=4/5
#                         2 -> (1, 0, 0): P=1, R=1, F1=1
# Class supports are 2, 2, 1.
MULTICLASS_CASES = {
    "accuracy": 4 / 5,
    "f1_macro": (2 / 3 + 4 / 5 + 1) / 3,  # 37/45
    "f1_micro": 4 / 5,  # pooled tp=4, fp=1, fn=1
    "f1_weighted": (2 * 2 / 3 + 2 * 4 / 5 + 1 * 1) / 5,  # 59/75
    "precision_macro": (1 + 2 / 3 + 1) / 3,
    "recall_macro": (1 / 2 + 1 + 1) / 3,
    "balanced_accuracy": (1 / 2 + 1 + 1) / 3,
}


@pytest.mark.parametrize(("name", "expected"), sorted(MULTICLASS_CASES.items()))
def test_multiclass_label_metrics(name: str, expected: float) -> None:
    assert score(name, col(LABELS_TRUE), col(LABELS_PRED)) == pytest.approx(expected)


def test_label_metrics_take_string_labels() -> None:
    answers = col(["adelie", "gentoo", "gentoo", "chinstrap"], "species")
    predictions = col(["adelie", "gentoo", "adelie", "chinstrap"], "species")
    assert score("accuracy", answers, predictions) == pytest.approx(3 / 4)


def test_label_metrics_use_the_first_column() -> None:
    answers = pd.DataFrame({"a": [1, 2], "b": [9, 9]})
    predictions = pd.DataFrame({"a": [1, 0], "b": [0, 0]})
    assert score("accuracy", answers, predictions) == pytest.approx(1 / 2)


# Binary: true [1, 1, 0, 0], predicted [1, 0, 0, 0] -> tp=1, fn=1, tn=2, fp=0.
BINARY_TRUE = [1, 1, 0, 0]
BINARY_PRED = [1, 0, 0, 0]


def test_f1_binary() -> None:
    # precision 1/1, recall 1/2 -> F1 = 2 * 1 * (1/2) / (3/2) = 2/3
    assert score("f1_binary", col(BINARY_TRUE), col(BINARY_PRED)) == pytest.approx(2 / 3)
    as_bools = [bool(v) for v in BINARY_TRUE], [bool(v) for v in BINARY_PRED]
    assert score("f1_binary", col(as_bools[0]), col(as_bools[1])) == pytest.approx(2 / 3)


def test_f1_binary_refuses_other_labels() -> None:
    with pytest.raises(MetricInputError, match="binary labels 0/1"):
        score("f1_binary", col(["yes", "no"]), col(["yes", "yes"]))


def test_mcc() -> None:
    # (tp*tn - fp*fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = (2 - 0) / sqrt(1 * 2 * 2 * 3) = 1/sqrt(3)
    assert score("mcc", col(BINARY_TRUE), col(BINARY_PRED)) == pytest.approx(1 / math.sqrt(3))


def test_cohen_kappa() -> None:
    # observed agreement 3/4; chance agreement P(1)P(1) + P(0)P(0) = (2/4)(1/4) + (2/4)(3/4) = 1/2
    # kappa = (3/4 - 1/2) / (1 - 1/2) = 1/2
    assert score("cohen_kappa", col(BINARY_TRUE), col(BINARY_PRED)) == pytest.approx(1 / 2)


def test_quadratic_weighted_kappa() -> None:
    # true [1, 2, 3], predicted [1, 2, 2]; weights (i - j)^2 (normalisation cancels out).
    # observed weighted disagreement: (3 - 2)^2 = 1
    # expected: sum_ij hist_true(i) hist_pred(j) (i - j)^2 / n, hist_true = 1,1,1, hist_pred(1)=1, (2)=2
    #   = [1 * (0 + 1 + 4) + 2 * (1 + 0 + 1)] / 3 = 9/3 = 3  ->  kappa = 1 - 1/3 = 2/3
    assert score("quadratic_weighted_kappa", col([1, 2, 3]), col([1, 2, 2])) == pytest.approx(2 / 3)


def test_quadratic_weighted_kappa_weighs_by_rating_distance() -> None:
    # Ratings 0, 1, 4: unused ratings 2 and 3 still count in the distances (Kaggle's definition).
    # observed: (1 - 4)^2 + (4 - 1)^2 = 18
    # expected: every pair of {0, 1, 4} once, each histogram is 1,1,1: 2 * (1 + 16 + 9) / 3 = 52/3
    # kappa = 1 - 18 / (52/3) = 1 - 54/52 = -1/26 (weighing by position 0, 1, 2 would give 1/2)
    assert score("quadratic_weighted_kappa", col([0, 1, 4]), col([0, 4, 1])) == pytest.approx(-1 / 26)


def test_quadratic_weighted_kappa_needs_integer_ratings() -> None:
    with pytest.raises(MetricInputError, match="integer ratings"):
        score("quadratic_weighted_kappa", col([1, 2]), col([1.5, 2]))


# Binary scores: true [0, 0, 1, 1], P(1) = [0.1, 0.4, 0.35, 0.8]
PROB_TRUE = [0, 0, 1, 1]
PROB_PRED = [0.1, 0.4, 0.35, 0.8]


def test_roc_auc_binary() -> None:
    # positive/negative pairs ranked right: 0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4, but 0.35 < 0.4 -> 3/4
    assert score("roc_auc", col(PROB_TRUE), col(PROB_PRED)) == pytest.approx(3 / 4)


def test_average_precision_binary() -> None:
    # ranked: 0.8 (pos) 0.4 (neg) 0.35 (pos) 0.1 (neg)
    # precision at each positive: 1/1, 2/3; recall steps 1/2 each -> 1/2 * 1 + 1/2 * 2/3 = 5/6
    assert score("average_precision", col(PROB_TRUE), col(PROB_PRED)) == pytest.approx(5 / 6)


def test_log_loss_binary() -> None:
    # -(ln 0.8 + ln(1 - 0.4)) / 2
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert score("log_loss", col([1, 0]), col([0.8, 0.4])) == pytest.approx(expected)


def test_brier() -> None:
    # ((1 - 0.8)^2 + (0 - 0.4)^2) / 2 = (0.04 + 0.16) / 2 = 0.1
    assert score("brier", col([1, 0]), col([0.8, 0.4])) == pytest.approx(0.1)


MULTI_TRUE = col(["a", "b", "c", "a"], "species")
MULTI_PROBA = pd.DataFrame(
    {
        "a": [0.6, 0.5, 0.2, 0.4],
        "b": [0.3, 0.4, 0.2, 0.1],
        "c": [0.1, 0.1, 0.6, 0.5],
    }
)


def test_roc_auc_multiclass_is_one_vs_rest_macro() -> None:
    # class a: positives 0.6, 0.4 vs negatives 0.5, 0.2 -> 0.6>0.5, 0.6>0.2, 0.4<0.5, 0.4>0.2 -> 3/4
    # class b: positive 0.4 vs 0.3, 0.2, 0.1 -> 1;  class c: positive 0.6 vs 0.1, 0.1, 0.5 -> 1
    expected = (3 / 4 + 1 + 1) / 3
    assert score("roc_auc", MULTI_TRUE, MULTI_PROBA) == pytest.approx(expected)
    # Column order does not matter: columns are matched to classes by name.
    assert score("roc_auc", MULTI_TRUE, MULTI_PROBA[["c", "a", "b"]]) == pytest.approx(expected)


def test_roc_auc_multiclass_accepts_rows_not_summing_to_one() -> None:
    rounded = MULTI_PROBA.copy()
    rounded.loc[0, "a"] = 0.61
    assert score("roc_auc", MULTI_TRUE, rounded) == pytest.approx((3 / 4 + 1 + 1) / 3)


def test_average_precision_multiclass_is_macro() -> None:
    # class a: ranked 0.6 (pos) 0.5 (neg) 0.4 (pos) 0.2 (neg) -> 1/2 * 1 + 1/2 * 2/3 = 5/6
    # classes b and c: their single positive is ranked first -> 1
    assert score("average_precision", MULTI_TRUE, MULTI_PROBA) == pytest.approx((5 / 6 + 1 + 1) / 3)


def test_log_loss_multiclass() -> None:
    answers = col(["a", "b"])
    predictions = pd.DataFrame({"a": [0.7, 0.2], "b": [0.2, 0.5], "c": [0.1, 0.3]})
    expected = -(math.log(0.7) + math.log(0.5)) / 2
    assert score("log_loss", answers, predictions) == pytest.approx(expected)
    # Rows are rescaled to sum to one, as Kaggle does: halving every probability changes nothing.
    assert score("log_loss", answers, predictions / 2) == pytest.approx(expected)


def test_integer_classes_match_column_names() -> None:
    # A CSV reader parses labels 0/1/2 as integers but column names stay strings.
    answers = col([0, 1, 2])
    predictions = pd.DataFrame({"0": [0.8, 0.1, 0.1], "1": [0.1, 0.8, 0.1], "2": [0.1, 0.1, 0.8]})
    assert score("log_loss", answers, predictions) == pytest.approx(-math.log(0.8))


# Regression: true [1, 2, 3, 4], predicted [2, 2, 4, 4] -> errors [1, 0, 1, 0]
REG_TRUE = [1.0, 2.0, 3.0, 4.0]
REG_PRED = [2.0, 2.0, 4.0, 4.0]
REGRESSION_CASES = {
    "mse": (1 + 0 + 1 + 0) / 4,
    "rmse": math.sqrt(1 / 2),
    "mae": 2 / 4,
    "medae": 0.5,  # median of 0, 0, 1, 1
    "mape": (1 / 1 + 0 + 1 / 3 + 0) / 4,  # 1/3
    "smape": (2 * 1 / 3 + 0 + 2 * 1 / 7 + 0) / 4,  # 2|p - y| / (|y| + |p|)
    # mean 2.5, total sum of squares 2.25 + 0.25 + 0.25 + 2.25 = 5, residual sum 2 -> 1 - 2/5
    "r2": 1 - 2 / 5,
    # residuals [-1, 0, -1, 0] have variance 1/4; Var(true) = 5/4 -> 1 - (1/4)/(5/4)
    "explained_variance": 1 - 1 / 5,
}


@pytest.mark.parametrize(("name", "expected"), sorted(REGRESSION_CASES.items()))
def test_regression_metrics(name: str, expected: float) -> None:
    assert score(name, col(REG_TRUE), col(REG_PRED)) == pytest.approx(expected)


def test_rmsle() -> None:
    # log1p: true [0, ln 4], predicted [ln 2, ln 4] -> sqrt((ln 2)^2 / 2) = ln 2 / sqrt 2
    assert score("rmsle", col([0, 3]), col([1, 3])) == pytest.approx(math.log(2) / math.sqrt(2))


def test_pearson() -> None:
    # deviations from 2.5: x [-1.5, -.5, .5, 1.5], y [-1.5, .5, -.5, 1.5]
    # sum xy = 2.25 - .25 - .25 + 2.25 = 4; sum x^2 = sum y^2 = 5 -> 4/5
    assert score("pearson", col([1, 2, 3, 4]), col([1, 3, 2, 4])) == pytest.approx(0.8)


def test_spearman_only_sees_ranks() -> None:
    # ranks of [1, 3, 2, 40] are [1, 3, 2, 4]: same as the Pearson case above
    assert score("spearman", col([1, 2, 3, 4]), col([1, 3, 2, 40])) == pytest.approx(0.8)


def test_kendall_tau() -> None:
    # 6 pairs, only (2nd, 3rd) discordant -> (5 - 1) / 6
    assert score("kendall_tau", col([1, 2, 3, 4]), col([1, 3, 2, 40])) == pytest.approx(2 / 3)


# MAP@k, Kaggle's definition, worked by hand with k = 3 (precision at each hit, over min(len(relevant), k)):
#  row 0: relevant a b c, ranked a x b y -> top 3 a x b, hits at 1 (1/1) and 3 (2/3) -> (5/3) / 3 = 5/9
#  row 1: relevant d,     ranked e d     -> hit at 2 (1/2)                         -> (1/2) / 1 = 1/2
#  row 2: relevant f g,   ranked f f g   -> hit at 1 (1/1), the repeated f is no hit, g at 3 (2/3)
#                                                                                  -> (5/3) / 2 = 5/6
#  row 3: relevant h,     no prediction (empty cell, read as NaN)                  -> 0
#  MAP@3 = (5/9 + 1/2 + 5/6 + 0) / 4 = (10 + 9 + 15) / 18 / 4 = 17/36
MAP_TRUE = col(["a b c", "d", "f g", "h"], "items")
MAP_PRED = col(["a x b y", "e d", "f f g", np.nan], "items")


def test_map_at_k_worked_example() -> None:
    assert score("map@k", MAP_TRUE, MAP_PRED, k=3) == pytest.approx(17 / 36)


def test_map_at_k_cut_off() -> None:
    # k = 1: rows 0 and 2 rank a relevant item first (1 / min(n, 1) = 1), rows 1 and 3 do not -> 2/4
    assert score("map@k", MAP_TRUE, MAP_PRED, k=1) == pytest.approx(1 / 2)
    # default k = 10 sees the whole lists: row 0 becomes (1 + 2/3) / 3 still (y is no hit) -> same as k=3
    assert score("map@k", MAP_TRUE, MAP_PRED) == pytest.approx(17 / 36)


def _kaggle_apk(actual: list[str], predicted: list[str], k: int) -> float:
    """Kaggle's reference `apk` (benhamner/Metrics, ml_metrics/average_precision.py), loops and all."""
    if len(predicted) > k:
        predicted = predicted[:k]
    score, num_hits = 0.0, 0.0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            num_hits += 1.0
            score += num_hits / (i + 1.0)
    if not actual:
        return 0.0
    return score / min(len(actual), k)


@pytest.mark.parametrize("k", [1, 3, 12])
def test_map_at_k_matches_kaggle_reference(k: int) -> None:
    rng = np.random.default_rng(k)
    pool = [f"i{j}" for j in range(8)]
    actual = [list(rng.choice(pool, rng.integers(1, 4), replace=False)) for _ in range(50)]
    predicted = [list(rng.choice(pool, rng.integers(0, 8))) for _ in range(50)]  # with repeats
    expected = float(np.mean([_kaggle_apk(a, p, k) for a, p in zip(actual, predicted, strict=True)]))
    answers = col([" ".join(a) for a in actual])
    predictions = col([" ".join(p) for p in predicted])
    assert score("map@k", answers, predictions, k=k) == pytest.approx(expected)


def test_map_at_k_accepts_numeric_item_columns() -> None:
    # One item per row, parsed by a CSV reader as numbers.
    assert score("map@k", col([1, 2]), col(["1 5", "5 2"])) == pytest.approx((1 + 1 / 2) / 2)


# NDCG (linear gains, log2 discounts): relevance [3, 2, 0], scores [0.1, 0.9, 0.5]
#   ranked: item 2 (rel 2), item 3 (rel 0), item 1 (rel 3)
#   DCG@3 = 2/log2(2) + 0/log2(3) + 3/log2(4) = 2 + 0 + 1.5 = 3.5
#   IDCG@3 = 3/log2(2) + 2/log2(3) + 0 = 3 + 2/log2(3)
#   DCG@1 / IDCG@1 = 2/3
NDCG_TRUE = pd.DataFrame({"i1": [3], "i2": [2], "i3": [0]})
NDCG_PRED = pd.DataFrame({"i1": [0.1], "i2": [0.9], "i3": [0.5]})


def test_ndcg_at_k() -> None:
    assert score("ndcg@k", NDCG_TRUE, NDCG_PRED, k=3) == pytest.approx(3.5 / (3 + 2 / math.log2(3)))
    assert score("ndcg@k", NDCG_TRUE, NDCG_PRED, k=1) == pytest.approx(2 / 3)
    # columns are matched by name
    assert score("ndcg@k", NDCG_TRUE, NDCG_PRED[["i3", "i1", "i2"]], k=1) == pytest.approx(2 / 3)


# Multilabel, labels l1 l2 l3:
#   row 0: true {l1, l3}, predicted {l1, l2, l3} -> 1 wrong cell, Jaccard 2/3, F1 2*(2/3)*1/(5/3) = 4/5
#   row 1: true {l2},     predicted {l2}         -> 0 wrong, 1, 1
#   row 2: true {},       predicted {}           -> 0 wrong, 1, 1 (nothing to find, nothing claimed)
ML_TRUE = pd.DataFrame({"l1": [1, 0, 0], "l2": [0, 1, 0], "l3": [1, 0, 0]})
ML_PRED = pd.DataFrame({"l1": [1, 0, 0], "l2": [1, 1, 0], "l3": [1, 0, 0]})
MULTILABEL_CASES = {
    "hamming_loss": 1 / 9,
    "jaccard_samples": (2 / 3 + 1 + 1) / 3,
    "f1_samples": (4 / 5 + 1 + 1) / 3,
}


@pytest.mark.parametrize(("name", "expected"), sorted(MULTILABEL_CASES.items()))
def test_multilabel_metrics(name: str, expected: float) -> None:
    assert score(name, ML_TRUE, ML_PRED) == pytest.approx(expected)
    assert score(name, ML_TRUE, ML_PRED[["l3", "l1", "l2"]]) == pytest.approx(expected)


# --- perfect predictions reach best_possible ----------------------------------------------------------

_labels = col([0, 1, 2, 1])
_binary = col([0, 1, 1, 0])
_values = col([1.0, 2.5, 4.0, 3.0])
_one_hot = pd.DataFrame({"0": [1.0, 0.0, 0.0, 0.0], "1": [0.0, 1.0, 0.0, 1.0], "2": [0.0, 0.0, 1.0, 0.0]})
PERFECT: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {
    **{
        name: (_labels, _labels)
        for name in (
            "accuracy",
            "balanced_accuracy",
            "f1_macro",
            "f1_micro",
            "f1_weighted",
            "precision_macro",
            "recall_macro",
            "mcc",
            "cohen_kappa",
            "quadratic_weighted_kappa",
        )
    },
    "f1_binary": (_binary, _binary),
    "roc_auc": (_labels, _one_hot),
    "average_precision": (_labels, _one_hot),
    "log_loss": (_labels, _one_hot),
    "brier": (_binary, _binary.astype(float)),
    **{
        name: (_values, _values)
        for name in (
            "rmse",
            "mse",
            "mae",
            "rmsle",
            "medae",
            "mape",
            "smape",
            "r2",
            "explained_variance",
            "pearson",
            "spearman",
            "kendall_tau",
        )
    },
    "map@k": (MAP_TRUE.iloc[:3], MAP_TRUE.iloc[:3]),
    "ndcg@k": (NDCG_TRUE, NDCG_TRUE.astype(float)),
    **{name: (ML_TRUE, ML_TRUE) for name in ("hamming_loss", "jaccard_samples", "f1_samples")},
}


def test_every_metric_has_a_perfect_case() -> None:
    assert set(PERFECT) == set(metric_names())


@pytest.mark.parametrize("name", sorted(PERFECT))
def test_perfect_predictions_reach_best_possible(name: str) -> None:
    answers, predictions = PERFECT[name]
    m = get_metric(name)
    result = m.score(answers, predictions)
    assert type(result) is float
    assert m.best_possible is not None
    # log_loss clips probabilities away from 0 and 1, so a perfect submission scores ~1e-15.
    assert result == pytest.approx(m.best_possible, abs=1e-9)


def test_binary_probability_metrics_on_perfect_single_column() -> None:
    for name in ("roc_auc", "average_precision", "log_loss"):
        m = get_metric(name)
        assert m.score(_binary, _binary.astype(float)) == pytest.approx(m.best_possible, abs=1e-9)


# --- inputs that cannot be scored ---------------------------------------------------------------------


def test_nan_in_predictions() -> None:
    with pytest.raises(MetricInputError, match=r"predictions column 'y' has 1 missing value\(s\) \(row positions 1\)"):
        score("accuracy", col([1, 2, 3]), col([1, None, 3]))
    with pytest.raises(MetricInputError, match="missing value"):
        score("rmse", col([1.0, 2.0]), col([np.nan, 2.0]))
    with pytest.raises(MetricInputError, match="missing value"):
        score("roc_auc", MULTI_TRUE, MULTI_PROBA.assign(b=[0.3, np.nan, 0.2, 0.1]))


def test_nan_in_answers() -> None:
    with pytest.raises(MetricInputError, match="answers column 'y' has 1 missing"):
        score("mae", col([1.0, np.nan]), col([1.0, 2.0]))


def test_infinite_values() -> None:
    with pytest.raises(MetricInputError, match="infinite"):
        score("mse", col([1.0, 2.0]), col([1.0, np.inf]))


def test_non_numeric_predictions_for_a_value_metric() -> None:
    with pytest.raises(MetricInputError, match=r"must be numeric, but holds 'abc'"):
        score("rmse", col([1.0, 2.0]), col(["1.5", "abc"]))


def test_row_count_mismatch() -> None:
    with pytest.raises(MetricInputError, match="answers have 3 rows but predictions have 2"):
        score("accuracy", col([1, 2, 3]), col([1, 2]))


def test_empty_frames() -> None:
    with pytest.raises(MetricInputError, match="no rows"):
        score("accuracy", col([]), col([]))
    with pytest.raises(MetricInputError, match="no columns"):
        score("accuracy", col([1]), pd.DataFrame(index=[0]))


def test_binary_metric_with_several_columns() -> None:
    with pytest.raises(MetricInputError, match="brier is binary: predictions need one column"):
        score("brier", col([0, 1]), pd.DataFrame({"0": [0.5, 0.5], "1": [0.5, 0.5]}))


def test_class_missing_from_probability_columns() -> None:
    with pytest.raises(MetricInputError, match=r"class\(es\) c with no probability column"):
        score("log_loss", MULTI_TRUE, MULTI_PROBA[["a", "b"]])


def test_class_never_in_the_answers_for_roc_auc() -> None:
    with pytest.raises(MetricInputError, match=r"undefined for class\(es\) c"):
        score("roc_auc", col(["a", "b"]), MULTI_PROBA.iloc[:2])


def test_probabilities_outside_unit_interval() -> None:
    with pytest.raises(MetricInputError, match=r"probabilities in \[0, 1\]"):
        score("log_loss", col([1, 0]), col([1.2, 0.4]))


def test_single_class_answers() -> None:
    with pytest.raises(MetricInputError, match="roc_auc is undefined: the answers hold only one class"):
        score("roc_auc", col([1, 1]), col([0.3, 0.9]))


def test_library_value_errors_are_wrapped() -> None:
    # sklearn refuses a mix of string and integer labels with a ValueError (or a TypeError when sorting).
    with pytest.raises(MetricInputError, match=r"^accuracy: ") as caught:
        score("accuracy", col(["a", "b"]), col([1, 2]))
    assert isinstance(caught.value.__cause__, ValueError | TypeError)


def test_undefined_score_is_an_input_error_with_the_library_reason() -> None:
    # Both sides use a single label: kappa is 0/0; sklearn warns and returns NaN.
    with pytest.raises(MetricInputError, match=r"cohen_kappa is undefined .*only one label in common"):
        score("cohen_kappa", col([1, 1]), col([1, 1]))


@pytest.mark.usefixtures("private_registry")
def test_warnings_of_a_defined_score_are_passed_on() -> None:
    @metric("warns", higher_is_better=True, best_possible=1.0, prediction="value", description="x")
    def warns(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
        warnings.warn("careful", UserWarning, stacklevel=1)
        return 0.5

    with pytest.warns(UserWarning, match="careful"):
        assert get_metric("warns").score(col([1]), col([1])) == 0.5


def test_rmsle_refuses_negative_values() -> None:
    with pytest.raises(MetricInputError, match=r"predictions have negative values \(row positions 1\)"):
        score("rmsle", col([1.0, 2.0]), col([1.0, -0.5]))


def test_mape_refuses_zero_answers() -> None:
    with pytest.raises(MetricInputError, match="mape is undefined when an answer is 0"):
        score("mape", col([0.0, 2.0]), col([1.0, 2.0]))


def test_correlation_of_a_constant_column() -> None:
    with pytest.raises(MetricInputError, match="the predictions are constant"):
        score("pearson", col([1, 2, 3]), col([5, 5, 5]))
    with pytest.raises(MetricInputError, match="at least 2 rows"):
        score("spearman", col([1]), col([1]))


def test_multilabel_columns_must_match() -> None:
    with pytest.raises(MetricInputError, match="missing l3; unexpected x"):
        score("hamming_loss", ML_TRUE, ML_PRED.rename(columns={"l3": "x"}))
    with pytest.raises(MetricInputError, match="only 0 and 1"):
        score("f1_samples", ML_TRUE, ML_PRED.assign(l1=[0.5, 0, 0]))


def test_ndcg_refuses_negative_relevance() -> None:
    with pytest.raises(MetricInputError, match="non-negative relevance"):
        score("ndcg@k", NDCG_TRUE.assign(i1=[-1]), NDCG_PRED)


def test_frames_are_required() -> None:
    with pytest.raises(TypeError, match="answers must be a pandas DataFrame"):
        get_metric("accuracy").score([1, 2], col([1, 2]))  # type: ignore[arg-type]
