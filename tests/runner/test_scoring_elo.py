"""Arena ratings: pairwise matches, Bradley-Terry on the Elo scale, bootstrap intervals, win matrix."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from runner.scoring._elo import (
    L2_PENALTY,
    bootstrap_ratings,
    bradley_terry,
    pairwise_matches,
    win_matrix,
)


def games(*rows: tuple[str, str, str], task: str = "t") -> pd.DataFrame:
    return pd.DataFrame([(task, a, b, winner) for a, b, winner in rows], columns=["task", "a", "b", "winner"])


def trial(task: str, agent: str, seed: int, status: str, score: float | None, higher: bool = True) -> dict[str, object]:
    return {"task": task, "agent": agent, "seed": seed, "status": status, "score": score, "higher_is_better": higher}


def as_tuples(matches: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    return [
        (str(t), str(a), str(b), str(w)) for t, a, b, w in matches[["task", "a", "b", "winner"]].itertuples(index=False)
    ]


def simulated(strengths: dict[str, float], per_pair: int, seed: int) -> pd.DataFrame:
    """Matches drawn from a Bradley-Terry model on the Elo scale, one task per game."""
    rng = np.random.default_rng(seed)
    names = sorted(strengths)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            p = 1.0 / (1.0 + 10 ** ((strengths[b] - strengths[a]) / 400))
            for k in range(per_pair):
                u = rng.random()
                winner = "tie" if abs(u - p) < 0.03 else ("a" if u < p else "b")
                rows.append((f"task-{k}", a, b, winner))
    return pd.DataFrame(rows, columns=["task", "a", "b", "winner"])


# ---------------------------------------------------------------------------------------------------------
# pairwise_matches
# ---------------------------------------------------------------------------------------------------------


def test_mean_over_valid_seeds_decides() -> None:
    results = pd.DataFrame(
        [
            trial("t", "x", 0, "ok", 0.9),
            trial("t", "x", 1, "ok", 0.1),  # mean 0.5
            trial("t", "y", 0, "ok", 0.6),
            trial("t", "y", 1, "error", 0.0),  # ignored: not ok
            trial("t", "y", 2, "ok", None),  # ignored: no score
        ]
    )
    assert as_tuples(pairwise_matches(results)) == [("t", "x", "y", "b")]


def test_failed_loses_to_valid_and_both_failed_tie() -> None:
    results = pd.DataFrame(
        [
            trial("t", "good", 0, "ok", -5.0),
            trial("t", "bad", 0, "error", None),
            trial("t", "worse", 0, "timeout", 3.0),
            trial("t", "worse", 1, "ok", None),
        ]
    )
    assert as_tuples(pairwise_matches(results)) == [
        ("t", "bad", "good", "b"),
        ("t", "bad", "worse", "tie"),
        ("t", "good", "worse", "a"),
    ]


def test_never_ran_has_no_match_and_lower_is_better() -> None:
    results = pd.DataFrame(
        [
            trial("loss", "p", 0, "ok", 0.2, higher=False),
            trial("loss", "q", 0, "ok", 0.3, higher=False),
            trial("acc", "p", 0, "ok", 0.2),
            trial("acc", "q", 0, "ok", 0.3),
            trial("acc", "r", 0, "ok", 0.3),
            trial("solo", "r", 0, "ok", 1.0),
        ]
    )
    assert as_tuples(pairwise_matches(results)) == [
        ("acc", "p", "q", "b"),
        ("acc", "p", "r", "b"),
        ("acc", "q", "r", "tie"),
        ("loss", "p", "q", "a"),
    ]


def test_pairwise_matches_validates_input() -> None:
    with pytest.raises(ValueError, match="higher_is_better"):
        pairwise_matches(pd.DataFrame([trial("t", "a", 0, "ok", 1.0), trial("t", "b", 0, "ok", 2.0, higher=False)]))
    with pytest.raises(ValueError, match="score"):
        pairwise_matches(pd.DataFrame({"task": [], "agent": [], "seed": [], "status": [], "higher_is_better": []}))
    empty = pairwise_matches(pd.DataFrame([trial("t", "a", 0, "ok", 1.0)]))
    assert list(empty.columns) == ["task", "a", "b", "winner"]
    assert empty.empty


# ---------------------------------------------------------------------------------------------------------
# bradley_terry
# ---------------------------------------------------------------------------------------------------------


def test_three_wins_to_one_is_400_log10_3_apart() -> None:
    matches = games(("a", "b", "a"), ("a", "b", "a"), ("b", "a", "b"), ("a", "b", "b"))
    for l2, tolerance in ((0.0, 1e-6), (L2_PENALTY, 0.5)):
        ratings = bradley_terry(matches, l2=l2)
        assert ratings.name == "rating"
        assert list(ratings.index) == ["a", "b"]
        assert ratings["a"] - ratings["b"] == pytest.approx(400 * math.log10(3), abs=tolerance)
        assert ratings.mean() == pytest.approx(1000.0)


def test_all_ties_rate_everyone_1000() -> None:
    matches = games(("a", "b", "tie"), ("b", "c", "tie"), ("a", "c", "tie"), ("c", "d", "tie"))
    ratings = bradley_terry(matches)
    assert ratings.to_numpy() == pytest.approx([1000.0] * 4, abs=1e-6)


def test_tie_counts_half_a_win() -> None:
    # one win and two ties = two wins to one
    with_ties = bradley_terry(games(("a", "b", "a"), ("a", "b", "tie"), ("b", "a", "tie")), l2=0.0)
    assert with_ties["a"] - with_ties["b"] == pytest.approx(400 * math.log10(2), abs=1e-6)
    plain = bradley_terry(games(("a", "b", "a"), ("a", "b", "a"), ("a", "b", "b")), l2=0.0)
    assert with_ties.to_numpy() == pytest.approx(plain.to_numpy(), abs=1e-6)


def test_mle_matches_expected_wins() -> None:
    """Unpenalised fit satisfies the score equations: each agent's expected wins equal its observed wins."""
    matches = simulated({"p": 1100.0, "q": 1000.0, "r": 950.0, "s": 800.0}, per_pair=30, seed=3)
    ratings = bradley_terry(matches, l2=0.0)
    observed = dict.fromkeys(ratings.index, 0.0)
    expected = dict.fromkeys(ratings.index, 0.0)
    for a, b, winner in matches[["a", "b", "winner"]].itertuples(index=False):
        p = 1.0 / (1.0 + 10 ** ((ratings[b] - ratings[a]) / 400))
        expected[a] += p
        expected[b] += 1 - p
        observed[a] += {"a": 1.0, "b": 0.0, "tie": 0.5}[winner]
        observed[b] += {"a": 0.0, "b": 1.0, "tie": 0.5}[winner]
    for agent in ratings.index:
        assert expected[agent] == pytest.approx(observed[agent], abs=1e-5)


def test_order_of_sides_does_not_matter() -> None:
    matches = simulated({"p": 1100.0, "q": 1000.0, "r": 900.0}, per_pair=10, seed=1)
    swapped = matches.rename(columns={"a": "b", "b": "a"})
    swapped["winner"] = swapped["winner"].map({"a": "b", "b": "a", "tie": "tie"})
    pd.testing.assert_series_equal(bradley_terry(matches), bradley_terry(swapped), atol=1e-6)


def test_perfect_separation_is_finite_and_ordered() -> None:
    matches = games(("a", "b", "a"), ("b", "c", "a"), ("a", "c", "a"))
    ratings = bradley_terry(matches)
    assert np.isfinite(ratings).all()
    assert ratings["a"] > ratings["b"] > ratings["c"]
    assert ratings["b"] == pytest.approx(1000.0, abs=1e-6)
    # one agent that always wins against otherwise balanced opponents
    matches = pd.concat(
        [
            games(("x", "y", "a"), ("x", "y", "b"), ("y", "z", "a"), ("y", "z", "b")),
            games(("w", "x", "a"), ("w", "y", "a"), ("w", "z", "a")),
        ]
    )
    ratings = bradley_terry(matches)
    assert np.isfinite(ratings).all()
    assert ratings.idxmax() == "w"
    assert ratings["w"] - ratings.drop("w").max() > 500


@pytest.mark.parametrize(
    "matches",
    [
        pytest.param(games(("a", "b", "a"), ("a", "b", "b")), id="one-each"),
        pytest.param(games(*[("a", "b", "a")] * 999, ("a", "b", "b")), id="999-to-1"),
        pytest.param(
            games(("a", "b", "a"), ("b", "a", "a"), ("b", "c", "b"), ("c", "b", "b"), ("a", "c", "b"), ("c", "a", "a")),
            id="sparse-cycle",
        ),
        pytest.param(simulated({f"m{i}": 800.0 + 60 * i for i in range(8)}, per_pair=5, seed=7), id="simulated"),
        pytest.param(simulated({"lo": 0.0, "mid": 600.0, "hi": 1200.0}, per_pair=40, seed=11), id="wide"),
    ],
)
def test_regulariser_moves_ratings_less_than_half_a_point(matches: pd.DataFrame) -> None:
    unpenalised = bradley_terry(matches, l2=0.0)
    penalised = bradley_terry(matches)
    assert np.isfinite(unpenalised).all()
    assert float((penalised - unpenalised).abs().max()) < 0.5


def test_disconnected_graph_names_components() -> None:
    matches = games(("a", "b", "a"), ("b", "a", "a"), ("c", "d", "tie"), ("e", "d", "b"))
    with pytest.raises(ValueError, match=re.escape("{a, b}; {c, d, e}")):
        bradley_terry(matches)
    with pytest.raises(ValueError, match="disconnected"):
        bootstrap_ratings(matches, rounds=10)


def test_bad_matches_raise() -> None:
    with pytest.raises(ValueError, match="no matches"):
        bradley_terry(games())
    with pytest.raises(ValueError, match="winner"):
        bradley_terry(games(("a", "b", "draw")))
    with pytest.raises(ValueError, match="itself"):
        bradley_terry(games(("a", "a", "tie")))
    with pytest.raises(ValueError, match="task"):
        bootstrap_ratings(games(("a", "b", "a")).drop(columns="task"))


# ---------------------------------------------------------------------------------------------------------
# bootstrap_ratings
# ---------------------------------------------------------------------------------------------------------


def test_bootstrap_interval_contains_estimate_and_is_reproducible() -> None:
    matches = simulated({f"m{i}": 900.0 + 50 * i for i in range(5)}, per_pair=40, seed=5)
    boot = bootstrap_ratings(matches, rounds=200, seed=42)
    assert list(boot.columns) == ["rating", "lower", "upper"]
    assert list(boot.index) == [f"m{i}" for i in range(5)]
    pd.testing.assert_series_equal(boot["rating"], bradley_terry(matches), check_names=False)
    assert (boot["lower"] <= boot["rating"]).all()
    assert (boot["rating"] <= boot["upper"]).all()
    assert (boot["upper"] - boot["lower"] > 0).all()
    pd.testing.assert_frame_equal(boot, bootstrap_ratings(matches, rounds=200, seed=42))
    other = bootstrap_ratings(matches, rounds=200, seed=43)
    assert not np.allclose(other[["lower", "upper"]].to_numpy(), boot[["lower", "upper"]].to_numpy())


def test_bootstrap_resamples_tasks_not_matches() -> None:
    # every task holds the same outcome, so resampling whole tasks cannot move the ratings
    per_task = games(("a", "b", "a"), ("b", "c", "b"), ("a", "c", "tie"), ("a", "b", "b"))
    matches = pd.concat([per_task.assign(task=f"t{k}") for k in range(6)], ignore_index=True)
    boot = bootstrap_ratings(matches, rounds=50, seed=0)
    assert boot["lower"].to_numpy() == pytest.approx(boot["rating"].to_numpy(), abs=1e-6)
    assert boot["upper"].to_numpy() == pytest.approx(boot["rating"].to_numpy(), abs=1e-6)


def test_bootstrap_rejects_zero_rounds() -> None:
    with pytest.raises(ValueError, match="rounds"):
        bootstrap_ratings(games(("a", "b", "a")), rounds=0)


# ---------------------------------------------------------------------------------------------------------
# win_matrix
# ---------------------------------------------------------------------------------------------------------


def test_win_matrix_shares() -> None:
    matches = games(("a", "b", "a"), ("b", "a", "tie"), ("a", "b", "b"), ("b", "c", "a"))
    shares = win_matrix(matches)
    assert list(shares.index) == ["a", "b", "c"]
    assert list(shares.columns) == ["a", "b", "c"]
    assert shares.loc["a", "b"] == pytest.approx(0.5)
    assert shares.loc["b", "a"] == pytest.approx(0.5)
    assert shares.loc["b", "c"] == pytest.approx(1.0)
    assert shares.loc["c", "b"] == pytest.approx(0.0)
    assert math.isnan(float(shares.to_numpy()[0, 2]))
    assert np.isnan(np.diag(shares.to_numpy())).all()
