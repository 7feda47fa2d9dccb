"""Medals, percentiles and normalized scores against hand-computed leaderboards."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.scoring import MedalResult, medal, medal_positions, normalized_score, percentile

# (N, gold, silver, bronze) worked by hand from the band table, at every band edge.
BAND_EDGES = [
    (1, 1, 1, 1),
    (9, 1, 1, 3),
    (10, 1, 2, 4),
    (99, 9, 19, 39),
    (100, 10, 20, 40),
    (249, 10, 49, 99),
    (250, 10, 50, 100),
    (999, 11, 50, 100),
    (1000, 12, 50, 100),
    (2500, 15, 125, 250),
]


def shuffled(values: list[float], seed: int = 0) -> list[float]:
    """The leaderboard file need not be sorted; medal() must sort it itself."""
    out = list(values)
    random.Random(seed).shuffle(out)
    return out


@pytest.mark.parametrize(("n", "gold", "silver", "bronze"), BAND_EDGES)
def test_medal_positions_at_band_edges(n: int, gold: int, silver: int, bronze: int) -> None:
    assert medal_positions(n) == (gold, silver, bronze)


@pytest.mark.parametrize("n", [0, -3])
def test_medal_positions_needs_an_entry(n: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        medal_positions(n)


@given(st.integers(min_value=1, max_value=100_000))
def test_medal_positions_match_mlebench_float_arithmetic(n: int) -> None:
    # MLE-bench writes int(n * fraction); the integer division must agree with it everywhere.
    if n < 100:
        expected = (max(1, int(n * 0.1)), max(1, int(n * 0.2)), max(1, int(n * 0.4)))
    elif n < 250:
        expected = (10, max(1, int(n * 0.2)), max(1, int(n * 0.4)))
    elif n < 1000:
        expected = (10 + int(n * 0.002), 50, 100)
    else:
        expected = (10 + int(n * 0.002), max(1, int(n * 0.05)), max(1, int(n * 0.1)))
    gold, silver, bronze = medal_positions(n)
    assert (gold, silver, bronze) == expected
    assert 1 <= gold <= silver <= bronze <= n


@pytest.mark.parametrize(("n", "gold", "silver", "bronze"), BAND_EDGES)
def test_thresholds_higher_is_better(n: int, gold: int, silver: int, bronze: int) -> None:
    # Scores n, n-1, ..., 1: position p holds score n - p + 1.
    board = shuffled([float(v) for v in range(1, n + 1)])
    result = medal(None, board, higher_is_better=True)
    assert result.gold_threshold == n - gold + 1
    assert result.silver_threshold == n - silver + 1
    assert result.bronze_threshold == n - bronze + 1
    assert result.median_threshold == (n + 1) / 2
    assert result.leaderboard_size == n


@pytest.mark.parametrize(("n", "gold", "silver", "bronze"), BAND_EDGES)
def test_thresholds_lower_is_better(n: int, gold: int, silver: int, bronze: int) -> None:
    # Scores 1, 2, ..., n best first: position p holds score p.
    board = shuffled([float(v) for v in range(1, n + 1)], seed=1)
    result = medal(None, board, higher_is_better=False)
    assert (result.gold_threshold, result.silver_threshold, result.bronze_threshold) == (gold, silver, bronze)
    assert result.median_threshold == (n + 1) / 2


def test_hand_worked_n_2500_thresholds() -> None:
    result = medal(2400.0, shuffled([float(v) for v in range(1, 2501)]), higher_is_better=True)
    assert (result.gold_threshold, result.silver_threshold, result.bronze_threshold) == (2486, 2376, 2251)
    assert result.medal == "silver"
    assert result.above_median


def test_single_entry_leaderboard_gives_gold_on_a_tie() -> None:
    assert medal(0.5, [0.5], higher_is_better=True).medal == "gold"
    assert medal(0.4, [0.5], higher_is_better=True).medal is None
    assert medal(0.4, [0.5], higher_is_better=False).medal == "gold"


# N = 10: positions (1, 2, 4), so thresholds 10, 9, 7 on the board 1..10.
TEN = [float(v) for v in range(1, 11)]


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (11.0, "gold"),
        (10.0, "gold"),
        (9.5, "silver"),
        (9.0, "silver"),
        (8.0, "bronze"),
        (7.0, "bronze"),
        (6.999, None),
        (1.0, None),
        (-5.0, None),
    ],
)
def test_medal_ties_at_thresholds_earn_the_medal(score: float, expected: str | None) -> None:
    assert medal(score, shuffled(TEN), higher_is_better=True).medal == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0.0, "gold"), (1.0, "gold"), (2.0, "silver"), (3.0, "bronze"), (4.0, "bronze"), (4.001, None)],
)
def test_medal_lower_is_better_ties(score: float, expected: str | None) -> None:
    # Lower is better on 1..10: thresholds are positions themselves, 1, 2, 4.
    result = medal(score, shuffled(TEN), higher_is_better=False)
    assert (result.gold_threshold, result.silver_threshold, result.bronze_threshold) == (1, 2, 4)
    assert result.medal == expected


def test_duplicate_scores_in_leaderboard() -> None:
    # Sorted best first: 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5, 0.1 (positions 1, 2, 4).
    board = shuffled([0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5, 0.1])
    result = medal(0.9, board, higher_is_better=True)
    assert (result.gold_threshold, result.silver_threshold, result.bronze_threshold) == (0.9, 0.9, 0.8)
    assert result.medal == "gold"
    assert medal(0.85, board, higher_is_better=True).medal == "bronze"
    assert medal(0.8, board, higher_is_better=True).medal == "bronze"
    assert result.median_threshold == pytest.approx(0.8)


def test_all_equal_leaderboard() -> None:
    result = medal(3.0, [3.0] * 20, higher_is_better=True)
    assert result.medal == "gold"
    assert result.median_threshold == 3.0
    assert not result.above_median


def test_none_score_reports_thresholds_but_earns_nothing() -> None:
    result = medal(None, TEN, higher_is_better=True)
    assert result == MedalResult(
        gold_threshold=10.0,
        silver_threshold=9.0,
        bronze_threshold=7.0,
        median_threshold=5.5,
        medal=None,
        above_median=False,
        leaderboard_size=10,
    )


@pytest.mark.parametrize("score", [None, 1.0])
@pytest.mark.parametrize("higher_is_better", [True, False])
def test_empty_leaderboard(score: float | None, higher_is_better: bool) -> None:
    result = medal(score, [], higher_is_better=higher_is_better)
    assert result.gold_threshold is None
    assert result.silver_threshold is None
    assert result.bronze_threshold is None
    assert result.median_threshold is None
    assert result.medal is None
    assert result.above_median is False
    assert result.leaderboard_size == 0


def test_above_median_is_strict() -> None:
    board = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert medal(3.0, board, higher_is_better=True).median_threshold == 3.0
    assert not medal(3.0, board, higher_is_better=True).above_median
    assert medal(3.01, board, higher_is_better=True).above_median
    assert not medal(3.0, board, higher_is_better=False).above_median
    assert medal(2.99, board, higher_is_better=False).above_median
    assert not medal(3.01, board, higher_is_better=False).above_median


def test_median_of_even_leaderboard_is_the_midpoint() -> None:
    result = medal(2.5, [1.0, 2.0, 3.0, 4.0], higher_is_better=True)
    assert result.median_threshold == 2.5
    assert not result.above_median


def test_thresholds_are_plain_floats() -> None:
    result = medal(1.0, TEN, higher_is_better=True)
    assert type(result.gold_threshold) is float
    assert type(result.median_threshold) is float


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_rejected(bad: float) -> None:
    with pytest.raises(ValueError, match="leaderboard scores must be finite"):
        medal(1.0, [1.0, bad, 2.0], higher_is_better=True)
    with pytest.raises(ValueError, match="score must be a finite number"):
        medal(bad, [1.0, 2.0], higher_is_better=True)
    with pytest.raises(ValueError, match="leaderboard scores must be finite"):
        percentile(1.0, [bad], higher_is_better=True)
    with pytest.raises(ValueError, match="score must be a finite number"):
        percentile(bad, [1.0], higher_is_better=True)


def test_percentile_counts_only_strictly_beaten_entries() -> None:
    board = [1.0, 2.0, 2.0, 3.0, 4.0]
    assert percentile(2.0, board, higher_is_better=True) == pytest.approx(1 / 5)
    assert percentile(2.5, board, higher_is_better=True) == pytest.approx(3 / 5)
    assert percentile(4.0, board, higher_is_better=True) == pytest.approx(4 / 5)
    assert percentile(5.0, board, higher_is_better=True) == 1.0
    assert percentile(0.0, board, higher_is_better=True) == 0.0
    assert percentile(2.0, board, higher_is_better=False) == pytest.approx(2 / 5)
    assert percentile(1.0, board, higher_is_better=False) == pytest.approx(4 / 5)
    assert percentile(0.5, board, higher_is_better=False) == 1.0


def test_percentile_none_cases() -> None:
    assert percentile(None, [1.0, 2.0], higher_is_better=True) is None
    assert percentile(1.0, [], higher_is_better=True) is None
    assert percentile(None, [], higher_is_better=False) is None


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0.5, 0.0), (1.0, 1.0), (0.75, 0.5), (1.25, 1.5), (0.25, -0.5)],
)
def test_normalized_score_higher_is_better(score: float, expected: float) -> None:
    assert normalized_score(score, trivial=0.5, best=1.0, higher_is_better=True) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(10.0, 0.0), (2.0, 1.0), (6.0, 0.5), (0.0, 1.25), (14.0, -0.5)],
)
def test_normalized_score_lower_is_better(score: float, expected: float) -> None:
    assert normalized_score(score, trivial=10.0, best=2.0, higher_is_better=False) == pytest.approx(expected)


def test_normalized_score_none() -> None:
    assert normalized_score(None, trivial=0.0, best=1.0, higher_is_better=True) is None


def test_normalized_score_rejects_empty_range() -> None:
    with pytest.raises(ValueError, match="no range"):
        normalized_score(0.3, trivial=0.5, best=0.5, higher_is_better=True)


@pytest.mark.parametrize(
    ("trivial", "best", "higher_is_better", "direction"),
    [(1.0, 0.5, True, "higher"), (2.0, 10.0, False, "lower")],
)
def test_normalized_score_rejects_inverted_direction(
    trivial: float, best: float, higher_is_better: bool, direction: str
) -> None:
    with pytest.raises(ValueError, match=f"worse than trivial .* where {direction} is better"):
        normalized_score(0.7, trivial=trivial, best=best, higher_is_better=higher_is_better)
    # Inconsistent arguments are a caller bug whether or not the run produced a score.
    with pytest.raises(ValueError, match="inconsistent"):
        normalized_score(None, trivial=trivial, best=best, higher_is_better=higher_is_better)


def test_normalized_score_rejects_non_finite() -> None:
    with pytest.raises(ValueError, match="best must be a finite number"):
        normalized_score(0.5, trivial=0.0, best=math.inf, higher_is_better=True)
    with pytest.raises(ValueError, match="score must be a finite number"):
        normalized_score(math.nan, trivial=0.0, best=1.0, higher_is_better=True)


RANK = {"gold": 3, "silver": 2, "bronze": 1, None: 0}
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    board=st.lists(finite, max_size=300),
    a=finite,
    b=finite,
    higher_is_better=st.booleans(),
)
def test_better_score_never_gets_a_worse_medal(board: list[float], a: float, b: float, higher_is_better: bool) -> None:
    worse, better = sorted((a, b)) if higher_is_better else sorted((a, b), reverse=True)
    low = medal(worse, board, higher_is_better)
    high = medal(better, board, higher_is_better)
    assert RANK[high.medal] >= RANK[low.medal]
    assert high.above_median or not low.above_median
    p_low = percentile(worse, board, higher_is_better)
    p_high = percentile(better, board, higher_is_better)
    if board:
        assert p_low is not None and p_high is not None
        assert p_high >= p_low


@settings(max_examples=60, deadline=None)
@given(board=st.lists(finite, max_size=300), score=finite, higher_is_better=st.booleans())
def test_percentile_in_unit_interval_and_thresholds_ordered(
    board: list[float], score: float, higher_is_better: bool
) -> None:
    p = percentile(score, board, higher_is_better)
    result = medal(score, board, higher_is_better)
    assert result.leaderboard_size == len(board)
    if not board:
        assert p is None
        return
    assert p is not None and 0.0 <= p <= 1.0
    gold, silver, bronze = result.gold_threshold, result.silver_threshold, result.bronze_threshold
    assert gold is not None and silver is not None and bronze is not None
    if higher_is_better:
        assert gold >= silver >= bronze
    else:
        assert gold <= silver <= bronze
    # Every threshold is a real leaderboard entry.
    assert {gold, silver, bronze} <= set(board)
