"""Fraction of speedup recovered (FSR) for speedrun-style tasks, and its summary over many runs.

A speedrun task gives two reference wall-clock times: `t_prev`, the record the agent starts from, and
`t_next`, the next record a human reached. The agent's run time `t_agent` scores

    FSR = (t_prev - t_agent) / (t_prev - t_next)

so reproducing the next record scores 1, standing still scores 0, a slower run scores below 0 and a run
that beats the next record scores above 1. The value is not capped at either end: capping would hide both
regressions and genuine improvements past the human record. A failed or invalid run (`t_agent=None`)
scores 0, the same as no improvement.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from pydantic import Field

from spec import StrictModel

if TYPE_CHECKING:
    from collections.abc import Sequence

CI_LEVEL = 0.95


class FsrSummary(StrictModel):
    """FSR over a set of runs: centre, spread-robust centre and a bootstrap interval for the mean."""

    n: int = Field(ge=1, description="Number of FSR values summarised.")
    mean: float = Field(description="Arithmetic mean of the FSR values.")
    median: float = Field(description="Median of the FSR values.")
    iqm: float = Field(
        description="Interquartile mean: the mean of the middle 50% of the values "
        "(scipy.stats.trim_mean with 25% cut from each end)."
    )
    ci_lower: float = Field(
        description="Lower end of the 95% bootstrap percentile confidence interval of the mean (2.5th percentile "
        "of the resampled means)."
    )
    ci_upper: float = Field(
        description="Upper end of the 95% bootstrap percentile confidence interval of the mean (97.5th "
        "percentile of the resampled means)."
    )


def _positive_time(name: str, value: float) -> float:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds, got a bool")
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise ValueError(f"{name} must be a finite, positive time, got {value!r}")
    return number


def fsr(t_prev: float, t_next: float, t_agent: float | None) -> float:
    """Return the fraction of speedup recovered, `(t_prev - t_agent) / (t_prev - t_next)`.

    `t_agent=None` (a failed or invalid run) scores 0.0. The result is not capped at either end.
    Raises ValueError when `t_prev == t_next` or when any time given is NaN, infinite, zero or negative.
    """
    prev = _positive_time("t_prev", t_prev)
    nxt = _positive_time("t_next", t_next)
    if prev == nxt:
        raise ValueError(f"t_prev and t_next must differ to define a speedup, both are {prev!r}")
    if t_agent is None:
        return 0.0
    agent = _positive_time("t_agent", t_agent)
    return (prev - agent) / (prev - nxt)


def fsr_summary(values: Sequence[float] | npt.NDArray[np.float64], rounds: int = 1000, seed: int = 0) -> FsrSummary:
    """Summarise FSR values: n, mean, median, interquartile mean and a bootstrap 95% CI of the mean.

    The interval resamples `values` with replacement `rounds` times with `numpy.random.default_rng(seed)`
    and takes the 2.5th and 97.5th percentiles of the resampled means, so equal inputs give equal output.
    Raises ValueError for an empty input, non-finite values or `rounds < 1`.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"FSR values must be a flat sequence, got an array of shape {x.shape}")
    if x.size == 0:
        raise ValueError("cannot summarise an empty set of FSR values")
    if not np.isfinite(x).all():
        raise ValueError("FSR values must be finite numbers")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a positive int, got {rounds!r}")

    # scipy.stats takes a second to import: only for a report that has speedrun trials.
    from scipy import stats

    rng = np.random.default_rng(seed)
    picks = rng.integers(0, x.size, size=(rounds, x.size))
    means = x[picks].mean(axis=1)
    tail = (1.0 - CI_LEVEL) / 2.0 * 100.0
    lower, upper = np.percentile(means, [tail, 100.0 - tail])
    return FsrSummary(
        n=int(x.size),
        mean=float(x.mean()),
        median=float(np.median(x)),
        iqm=float(stats.trim_mean(x, 0.25)),
        ci_lower=float(lower),
        ci_upper=float(upper),
    )
