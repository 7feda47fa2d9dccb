"""Leaderboard arithmetic: Kaggle medals, percentiles and normalized scores.

Medal positions follow Kaggle's progression rules as MLE-bench applies them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from spec import StrictModel

if TYPE_CHECKING:
    from collections.abc import Sequence

MedalName = Literal["gold", "silver", "bronze"]


class MedalResult(StrictModel):
    """Where a score lands against a leaderboard: the medal it earns and the thresholds it was judged by."""

    gold_threshold: float | None = Field(
        description="Leaderboard score at the last gold position; None when the leaderboard is empty or the "
        "position holds a team without a score."
    )
    silver_threshold: float | None = Field(
        description="Leaderboard score at the last silver position; None when the leaderboard is empty or the "
        "position holds a team without a score."
    )
    bronze_threshold: float | None = Field(
        description="Leaderboard score at the last bronze position; None when the leaderboard is empty or the "
        "position holds a team without a score."
    )
    median_threshold: float | None = Field(
        description="Median of the leaderboard scores; None when no entry has a score."
    )
    medal: MedalName | None = Field(
        description="Best medal the score earns (a score equal to a threshold earns it); None for no medal "
        "or a failed submission."
    )
    above_median: bool = Field(
        description="Whether the score is strictly better than the leaderboard median (False for a failed "
        "submission or an empty leaderboard)."
    )
    leaderboard_size: int = Field(ge=0, description="Number of leaderboard entries judged against.")
    score_rounded_to: int | None = Field(
        default=None,
        description="Decimals the score was rounded to before it was compared with the thresholds (MLE-bench "
        "rounds to 5); None when it was compared as graded.",
    )


def medal_positions(n: int) -> tuple[int, int, int]:
    """Return the last 1-based leaderboard positions (gold, silver, bronze) that earn each medal.

    `n` is the number of leaderboard entries and must be at least 1. Integer division stands in for
    MLE-bench's `int(n * fraction)`: both floor the same exact fraction of `n`.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"leaderboard size must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"leaderboard size must be at least 1 to place medals, got {n}")
    if n < 100:
        return max(1, n // 10), max(1, n // 5), max(1, 2 * n // 5)
    if n < 250:
        return 10, max(1, n // 5), max(1, 2 * n // 5)
    if n < 1000:
        return 10 + n // 500, 50, 100
    return 10 + n // 500, max(1, n // 20), max(1, n // 10)


def _leaderboard_array(leaderboard_scores: Sequence[float]) -> npt.NDArray[np.float64]:
    scores = np.asarray(leaderboard_scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f"leaderboard scores must be a flat sequence, got an array of shape {scores.shape}")
    bad = ~np.isfinite(scores)
    if bad.any():
        positions = ", ".join(str(int(i)) for i in np.flatnonzero(bad)[:5])
        raise ValueError(
            f"leaderboard scores must be finite numbers; {int(bad.sum())} entr"
            f"{'y is' if bad.sum() == 1 else 'ies are'} NaN or infinite (at index {positions})"
        )
    return scores


def _check_finite(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _beats(a: float, b: float, higher_is_better: bool) -> bool:
    return a > b if higher_is_better else a < b


def _reaches(a: float, b: float, higher_is_better: bool) -> bool:
    return a >= b if higher_is_better else a <= b


MLEBENCH_DECIMALS = 5
"""MLE-bench rounds every graded score to this many decimals before judging it against the leaderboard."""


def medal(
    score: float | None,
    leaderboard_scores: Sequence[float],
    higher_is_better: bool,
    *,
    unscored: int = 0,
    round_to: int | None = None,
) -> MedalResult:
    """Judge `score` against a leaderboard with Kaggle's medal rules.

    Each threshold is the leaderboard score at the medal's last position (see `medal_positions`), with
    the leaderboard sorted best first; a score equal to a threshold earns that medal and only the best
    medal earned is awarded. `above_median` is strict. A `None` score (failed submission) earns nothing
    but the thresholds are still reported; an empty leaderboard reports no thresholds and no medal.

    `unscored` teams (on the leaderboard without a score) count towards its size, as Kaggle and MLE-bench
    count them, and rank last: a medal position that falls among them has no threshold and is out of
    reach; the median is over the scores. `round_to` rounds the score first (MLE-bench's mode:
    `MLEBENCH_DECIMALS`); the result says so.

    Raises ValueError when the score or any leaderboard entry is NaN or infinite, or `unscored` < 0.
    """
    scores = _leaderboard_array(leaderboard_scores)
    value = None if score is None else _check_finite("score", score)
    if round_to is not None and value is not None:
        value = round(value, round_to)
    if unscored < 0:
        raise ValueError(f"unscored must be 0 or more, got {unscored}")
    n = int(scores.size) + unscored
    if n == 0:
        return MedalResult(
            gold_threshold=None,
            silver_threshold=None,
            bronze_threshold=None,
            median_threshold=None,
            medal=None,
            above_median=False,
            leaderboard_size=0,
            score_rounded_to=round_to,
        )

    ranked = np.sort(scores)
    if higher_is_better:
        ranked = ranked[::-1]
    gold, silver, bronze = (float(ranked[at - 1]) if at <= ranked.size else None for at in medal_positions(n))
    median = float(np.median(scores)) if scores.size else None

    earned: MedalName | None = None
    above_median = False
    if value is not None:
        ladder: tuple[tuple[MedalName, float | None], ...] = (("gold", gold), ("silver", silver), ("bronze", bronze))
        earned = next((name for name, at in ladder if at is not None and _reaches(value, at, higher_is_better)), None)
        above_median = median is not None and _beats(value, median, higher_is_better)

    return MedalResult(
        gold_threshold=gold,
        silver_threshold=silver,
        bronze_threshold=bronze,
        median_threshold=median,
        medal=earned,
        above_median=above_median,
        leaderboard_size=n,
        score_rounded_to=round_to,
    )


def percentile(score: float | None, leaderboard_scores: Sequence[float], higher_is_better: bool) -> float | None:
    """Return the share (0 to 1) of leaderboard entries that `score` strictly beats; ties are not beaten.

    None for a `None` score or an empty leaderboard. Raises ValueError when the score or any leaderboard
    entry is NaN or infinite.
    """
    scores = _leaderboard_array(leaderboard_scores)
    if score is None:
        return None
    value = _check_finite("score", score)
    if scores.size == 0:
        return None
    beaten = scores < value if higher_is_better else scores > value
    return int(beaten.sum()) / int(scores.size)


def normalized_score(score: float | None, trivial: float, best: float, higher_is_better: bool) -> float | None:
    """Rescale `score` so that the trivial baseline maps to 0 and `best` maps to 1.

    The result is `(score - trivial) / (best - trivial)`, not clipped: a score better than `best` exceeds
    1 and one worse than `trivial` is negative. `best` is whatever the caller takes as the ceiling (the top
    leaderboard entry, or the metric's perfect score). None when `score` is None.

    Raises ValueError when `best` equals `trivial`, when `best` is not better than `trivial` in the
    declared direction, or when any argument is NaN or infinite.
    """
    low = _check_finite("trivial", trivial)
    high = _check_finite("best", best)
    if high == low:
        raise ValueError(f"best and trivial are both {high!r}: the normalization has no range")
    if not _beats(high, low, higher_is_better):
        direction = "higher" if higher_is_better else "lower"
        raise ValueError(
            f"best ({high!r}) is worse than trivial ({low!r}) for a metric where {direction} is better: "
            "the arguments are inconsistent"
        )
    if score is None:
        return None
    return (_check_finite("score", score) - low) / (high - low)
