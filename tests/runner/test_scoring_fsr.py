"""Fraction of speedup recovered and its summary, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from runner.scoring._fsr import FsrSummary, fsr, fsr_summary

# A speedrun step from a 200 s record to a 150 s record: 50 s of speedup to recover.
T_PREV, T_NEXT = 200.0, 150.0


@pytest.mark.parametrize(
    ("t_agent", "expected"),
    [
        (150.0, 1.0),  # matches the next record
        (200.0, 0.0),  # no improvement
        (175.0, 0.5),  # half the speedup
        (250.0, -1.0),  # slower than the starting record: negative, not capped
        (100.0, 2.0),  # beats the next record: above 1, not capped
        (None, 0.0),  # failed or invalid run
    ],
)
def test_fsr_hand_values(t_agent: float | None, expected: float) -> None:
    assert fsr(T_PREV, T_NEXT, t_agent) == pytest.approx(expected, abs=1e-12)


def test_fsr_accepts_ints_and_returns_float() -> None:
    value = fsr(10, 5, 7)
    assert isinstance(value, float)
    assert value == pytest.approx(0.6)


def test_fsr_equal_reference_times_raise_even_for_a_failed_run() -> None:
    with pytest.raises(ValueError, match="differ"):
        fsr(100.0, 100.0, 90.0)
    with pytest.raises(ValueError, match="differ"):
        fsr(100.0, 100.0, None)


@pytest.mark.parametrize(
    ("t_prev", "t_next", "t_agent", "name"),
    [
        (0.0, 150.0, 170.0, "t_prev"),
        (-200.0, 150.0, 170.0, "t_prev"),
        (math.nan, 150.0, 170.0, "t_prev"),
        (200.0, math.inf, 170.0, "t_next"),
        (200.0, -1.0, 170.0, "t_next"),
        (200.0, 150.0, 0.0, "t_agent"),
        (200.0, 150.0, -5.0, "t_agent"),
        (200.0, 150.0, math.nan, "t_agent"),
        (200.0, 150.0, math.inf, "t_agent"),
    ],
)
def test_fsr_rejects_bad_times(t_prev: float, t_next: float, t_agent: float, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        fsr(t_prev, t_next, t_agent)


def test_fsr_rejects_bool_time() -> None:
    with pytest.raises(TypeError):
        fsr(True, 2.0, 1.5)


def test_summary_of_a_single_value() -> None:
    summary = fsr_summary([0.5])
    assert summary == FsrSummary(n=1, mean=0.5, median=0.5, iqm=0.5, ci_lower=0.5, ci_upper=0.5)


def test_summary_hand_values() -> None:
    # sorted: 0, 1, 2, 3 -> mean 1.5, median 1.5, IQM drops one value per end -> mean(1, 2) = 1.5
    summary = fsr_summary([3.0, 0.0, 2.0, 1.0])
    assert (summary.n, summary.mean, summary.median, summary.iqm) == (4, 1.5, 1.5, 1.5)

    # an outlier moves the mean but not the IQM: sorted -1, 0, 0.5, 1, 1, 20 (n=6, cut int(1.5)=1 per end)
    summary = fsr_summary([1.0, 0.0, 20.0, 0.5, 1.0, -1.0])
    assert summary.mean == pytest.approx(21.5 / 6)
    assert summary.median == pytest.approx(0.75)
    assert summary.iqm == pytest.approx((0.0 + 0.5 + 1.0 + 1.0) / 4)


def test_summary_of_equal_values_has_a_point_interval() -> None:
    summary = fsr_summary([0.25] * 7, rounds=50)
    assert summary.ci_lower == summary.ci_upper == summary.mean == pytest.approx(0.25)


def test_summary_bootstrap_matches_a_seeded_resample() -> None:
    values = [0.0, 1.0, 0.5, -0.5, 2.0]
    summary = fsr_summary(values, rounds=200, seed=7)
    x = np.asarray(values)
    picks = np.random.default_rng(7).integers(0, x.size, size=(200, x.size))
    lower, upper = np.percentile(x[picks].mean(axis=1), [2.5, 97.5])
    assert summary.ci_lower == pytest.approx(lower)
    assert summary.ci_upper == pytest.approx(upper)
    assert summary.ci_lower <= summary.mean <= summary.ci_upper
    # the interval of a mean lies within the data's range
    assert min(values) <= summary.ci_lower < summary.ci_upper <= max(values)


def test_summary_is_deterministic_per_seed() -> None:
    values = [0.1, 0.9, 0.3, 1.4, -0.2, 0.6]
    assert fsr_summary(values, seed=3) == fsr_summary(values, seed=3)
    assert fsr_summary(values, seed=3) != fsr_summary(values, seed=4)


def test_summary_accepts_numpy_arrays() -> None:
    assert fsr_summary(np.array([1.0, 2.0, 3.0])).median == 2.0


@pytest.mark.parametrize("values", [[], [0.1, math.nan], [math.inf]])
def test_summary_rejects_empty_or_non_finite(values: list[float]) -> None:
    with pytest.raises(ValueError):
        fsr_summary(values)


@pytest.mark.parametrize("rounds", [0, -3])
def test_summary_rejects_non_positive_rounds(rounds: int) -> None:
    with pytest.raises(ValueError, match="rounds"):
        fsr_summary([0.1, 0.2], rounds=rounds)


def test_summary_model_is_strict_and_documented() -> None:
    with pytest.raises(ValidationError):
        FsrSummary.model_validate(
            {"n": 1, "mean": 0.0, "median": 0.0, "iqm": 0.0, "ci_lower": 0.0, "ci_upper": 0.0, "extra": 1}
        )
    assert all(field.description for field in FsrSummary.model_fields.values())
