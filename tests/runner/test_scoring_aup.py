"""AUP (area under the performance profile) against examples worked by hand.

Grid convention under test: tau = np.linspace(0, tau_max, 500), AUP = sum_{i<499} rho(tau_i) * (tau_{i+1} - tau_i)
(left Riemann sum). For a step at log-ratio x in (0, tau_max] a task counts from grid index ceil(x / dtau) on,
so it adds (499 - ceil(x / dtau)) * dtau / n_tasks to the area.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runner.scoring import aup_best_last, best_of_runs
from runner.scoring._aup import N_TAU, aup, aup_table, performance_profile
from tests.conftest import upstream_checkout


def cell(table: pd.DataFrame, row: str, column: str) -> float:
    return float(table[column].to_numpy(dtype=np.float64)[list(table.index).index(row)])


# Task A maximises (baseline 0.5), task B minimises (baseline 10).
# m2 scores 0.4 on A: worse than the baseline, so infeasible there.
SCORES = pd.DataFrame({"A": [0.8, 0.4], "B": [5.0, 2.0]}, index=["m1", "m2"])
HIB = {"A": True, "B": False}
BASE = {"A": 0.5, "B": 10.0}


def test_mlgym_two_by_two_by_hand() -> None:
    # A: feasible {m1 0.8, baseline 0.5}: best 0.8, worst 0.5, worst ratio 0.8/0.5 = 1.6.
    #    ratios m1 1, baseline 1.6, m2 (infeasible) 1.05 * 1.6 = 1.68; ceil(1.68) = 2.
    # B (lower is better): feasible {m1 5, m2 2, baseline 10}: best 2, worst ratio 10/2 = 5.
    #    ratios m1 5/2 = 2.5, m2 1, baseline 5; ceil(1.05 * 5) = ceil(5.25) = 6.
    # tau_max = ceil(10 * log10(6)) / 10 = ceil(7.78) / 10 = 0.8; dtau = 0.8 / 499.
    # m1: logs (0, 0.39794): ceil(0.39794 / dtau) = ceil(248.2) = 249 -> (0.5 * 249 + 1 * 250) * dtau
    # m2: logs (0.22531, 0): ceil(140.5) = 141 -> (0.5 * 141 + 358) * dtau
    # baseline: logs (0.20412, 0.69897): ceil(127.3) = 128, ceil(436.0) = 436 -> (0.5 * 308 + 63) * dtau
    dtau = 0.8 / 499
    result = aup(SCORES, HIB, BASE, baseline_row="baseline")
    assert list(result.index) == ["m1", "m2", "baseline"]
    assert result["m1"] == pytest.approx(374.5 * dtau, abs=1e-12)
    assert result["m2"] == pytest.approx(428.5 * dtau, abs=1e-12)
    assert result["baseline"] == pytest.approx(217.0 * dtau, abs=1e-12)


def test_mlgym_tau_max_and_profile_grid() -> None:
    profile = performance_profile(SCORES, HIB, BASE)
    assert profile.shape == (N_TAU, 2)
    assert profile.index.name == "tau"
    assert profile.index[0] == 0.0
    assert profile.index[-1] == pytest.approx(0.8)
    assert np.allclose(np.diff(profile.index.to_numpy()), 0.8 / 499)
    # m1 is best on A from tau = 0; B joins at log10(2.5); every method reaches 1 by tau_max.
    assert profile["m1"].iloc[0] == 0.5
    assert profile["m1"].iloc[248] == 0.5
    assert profile["m1"].iloc[249] == 1.0
    assert (profile.iloc[-1] == 1.0).all()


def test_mlgym_baseline_row_does_not_change_the_others() -> None:
    plain = aup(SCORES, HIB, BASE)
    with_baseline = aup(SCORES, HIB, BASE, baseline_row="baseline")
    assert list(plain.index) == ["m1", "m2"]
    assert plain.equals(with_baseline.drop("baseline"))
    # a row that already exists is used as given, not duplicated
    existing = aup(SCORES, HIB, BASE, baseline_row="m1")
    assert list(existing.index) == ["m1", "m2"]


def test_mlgym_bounds_by_hand() -> None:
    table = aup_table(SCORES, HIB, BASE)
    assert list(table.columns) == ["aup", "floor", "maximum"]
    dtau = 0.8 / 499
    # all-fail phantom: logs log10(1.68) = 0.22531 (index 141) and log10(5.25) = 0.72016 (ceil(449.2) = 450)
    assert table["floor"].iloc[0] == pytest.approx((0.5 * 309 + 49) * dtau, abs=1e-12)
    assert table["maximum"].iloc[0] == pytest.approx(0.8)
    assert (table["floor"] <= table["aup"]).all()
    assert (table["aup"] <= table["maximum"]).all()


def test_mlgym_explicit_tau_max() -> None:
    # tau_max = 1: dtau = 1/499; m1 B step at ceil(0.39794 * 499) = ceil(198.6) = 199 -> (0.5 * 199 + 300) / 499
    result = aup(SCORES, HIB, BASE, tau_max=1.0)
    assert result["m1"] == pytest.approx(399.5 / 499, abs=1e-12)


def test_mlgym_best_everywhere_gets_the_maximum() -> None:
    scores = pd.DataFrame(
        {"A": [0.9, 0.7, math.nan], "B": [1.0, 3.0, 4.0], "C": [50.0, 40.0, 45.0]},
        index=["best", "mid", "flaky"],
    )
    hib = {"A": True, "B": False, "C": True}
    base = {"A": 0.6, "B": 5.0, "C": 30.0}
    table = aup_table(scores, hib, base)
    assert cell(table, "best", "aup") == cell(table, "best", "maximum")
    assert cell(table, "best", "aup") > cell(table, "mid", "aup")
    # tau_max: worst ratios A 0.9/0.6 = 1.5, B 5/1 = 5, C 50/30; largest ceil(1.05 * 5) = 6 -> 0.8
    assert performance_profile(scores, hib, base).index[-1] == pytest.approx(0.8)


def test_mlgym_negative_scores_are_infeasible() -> None:
    scores = pd.DataFrame({"A": [2.0, -1.0]}, index=["ok", "neg"])
    table = aup_table(scores, {"A": True}, {"A": 1.0})
    assert cell(table, "neg", "aup") == cell(table, "neg", "floor")
    assert cell(table, "ok", "aup") == cell(table, "ok", "maximum")


def test_mlgym_rejects_zero_and_taskless_cases() -> None:
    with pytest.raises(ValueError, match="score of 0"):
        aup(pd.DataFrame({"A": [0.0]}, index=["m"]), {"A": False}, {"A": 1.0})
    with pytest.raises(ValueError, match="no feasible score"):
        aup(pd.DataFrame({"A": [math.nan]}, index=["m"]), {"A": True}, {"A": -1.0})


def test_series_inputs_and_missing_tasks() -> None:
    series_result = aup(SCORES, pd.Series(HIB), pd.Series(BASE))
    assert series_result.equals(aup(SCORES, HIB, BASE))
    with pytest.raises(ValueError, match="baseline"):
        aup(SCORES, HIB, {"A": 0.5})
    with pytest.raises(ValueError, match="higher_is_better"):
        aup(SCORES, {"A": True}, BASE)
    with pytest.raises(TypeError):
        aup(SCORES, {"A": "max", "B": False}, BASE)  # type: ignore[dict-item]


def test_rejects_bad_tables_and_modes() -> None:
    with pytest.raises(ValueError):
        aup(pd.DataFrame(), {}, {})
    with pytest.raises(ValueError, match="infinite"):
        aup(pd.DataFrame({"A": [math.inf]}, index=["m"]), {"A": True}, {"A": 1.0})
    with pytest.raises(ValueError, match="unknown AUP mode"):
        aup(SCORES, HIB, BASE, mode="other")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tau_max"):
        aup(SCORES, HIB, BASE, tau_max=-1.0)
    with pytest.raises(ValueError, match="fixes tau_max"):
        aup(SCORES, HIB, BASE, mode="fixed", tau_max=1.0)
    with pytest.raises(ValueError, match="r_fail"):
        aup(SCORES, HIB, BASE, mode="fixed", r_fail=1.0)


def test_fixed_two_by_two_by_hand() -> None:
    # gains over baseline: A (max, b 0.5): m1 0.3, m2 -0.1 (infeasible); B (min, b 10): m1 5, m2 8.
    # shares q: A m1 1; B m1 5/8, m2 1. Feasible log r = (1 - q) * log10(10 / 1.05); failure log r = 1.
    # dtau = 1/499. m1: B at 0.375 * 0.978811 = 0.367054 -> ceil(183.2) = 184 -> (0.5 * 184 + 315) / 499
    # m2: A fails (counts only at tau_max, outside the left sum), B best -> 0.5 * 499 / 499
    # baseline: q = 0 on both -> log r = 0.978811 -> ceil(488.4) = 489 -> 10 / 499
    table = aup_table(SCORES, HIB, BASE, mode="fixed", baseline_row="baseline")
    assert cell(table, "m1", "aup") == pytest.approx(407 / 499, abs=1e-12)
    assert cell(table, "m2", "aup") == pytest.approx(0.5, abs=1e-12)
    assert cell(table, "baseline", "aup") == pytest.approx(10 / 499, abs=1e-12)
    assert (table["floor"] == 0.0).all()
    assert np.allclose(table["maximum"], 1.0)
    assert performance_profile(SCORES, HIB, BASE, mode="fixed").index[-1] == 1.0


def test_fixed_all_fail_gets_the_floor_and_best_gets_the_maximum() -> None:
    scores = pd.DataFrame(
        {"A": [math.nan, 3.0, 2.0], "B": [9.0, 1.0, 4.0], "C": [-5.0, 0.0, 0.0]},
        index=["fails", "best", "other"],
    )
    hib = {"A": True, "B": False, "C": True}
    base = {"A": 1.0, "B": 5.0, "C": -2.0}  # fails is missing, worse, worse on every task
    table = aup_table(scores, hib, base, mode="fixed")
    assert cell(table, "fails", "aup") == cell(table, "fails", "floor") == 0.0
    assert cell(table, "best", "aup") == cell(table, "best", "maximum")
    assert 0.0 < cell(table, "other", "aup") < cell(table, "best", "aup")


def test_fixed_negative_scores_by_hand() -> None:
    # rewards, higher is better, baseline -100: gains 50 and 25 -> shares 1 and 0.5
    scores = pd.DataFrame({"R": [-50.0, -75.0]}, index=["a", "b"])
    result = aup(scores, {"R": True}, {"R": -100.0}, mode="fixed", r_fail=100.0)
    # r_fail 100: tau_max 2, dtau 2/499, span log10(100/1.05) = 1.978811; b at 0.989406 -> ceil(246.9) = 247
    assert result["a"] == pytest.approx(2.0, abs=1e-12)
    assert result["b"] == pytest.approx((499 - 247) * 2 / 499, abs=1e-12)


def test_fixed_is_invariant_to_shifting_and_scaling_a_task() -> None:
    scores = pd.DataFrame({"A": [0.2, 0.5, 0.35], "B": [3.0, 2.0, math.nan]}, index=["x", "y", "z"])
    hib = {"A": True, "B": False}
    base = {"A": 0.1, "B": 4.0}
    moved = scores.copy()
    moved["A"] = moved["A"] * 7.0 - 3.0  # now negative
    moved_base = {"A": 0.1 * 7.0 - 3.0, "B": 4.0}
    assert np.allclose(aup(scores, hib, base, mode="fixed"), aup(moved, hib, moved_base, mode="fixed"))


def test_fixed_nobody_beats_the_baseline() -> None:
    scores = pd.DataFrame({"A": [1.0, 0.5]}, index=["tie", "worse"])
    table = aup_table(scores, {"A": True}, {"A": 1.0}, mode="fixed")
    # the tie is feasible with share 0 (baseline level), the other fails
    assert cell(table, "tie", "aup") == pytest.approx(10 / 499, abs=1e-12)
    assert cell(table, "worse", "aup") == 0.0


def test_best_of_runs_follows_each_tasks_direction() -> None:
    runs = pd.DataFrame(
        {
            "method": ["a", "a", "a", "a", "b"],
            "task": ["up", "up", "down", "down", "up"],
            "score": [0.5, 0.7, 3.0, math.nan, math.nan],
        }
    )
    table = best_of_runs(runs, {"up": True, "down": False})
    assert table.loc["a", "up"] == 0.7 and table.loc["a", "down"] == 3.0
    assert table.loc["b"].isna().all()
    with pytest.raises(ValueError, match="score"):
        best_of_runs(runs.drop(columns="score"), {"up": True, "down": False})


def test_best_and_last_share_one_tau_max() -> None:
    # Alone, the last set's worst penalty is ceil(1.05 * 10 / 8) = 2, so its tau_max would be 0.4; the best set
    # has 0.8 (see test_mlgym_two_by_two_by_hand), and both profiles share it.
    last = pd.DataFrame({"A": [0.8, 0.55], "B": [8.0, 9.0]}, index=["m1", "m2"])
    table = aup_best_last(SCORES, last, HIB, BASE)
    assert list(table.columns) == ["best", "last", "floor", "maximum"]
    assert table["best"].equals(aup(SCORES, HIB, BASE))
    assert table["last"].equals(aup(last, HIB, BASE, tau_max=0.8))
    assert not table["last"].equals(aup(last, HIB, BASE))
    fixed = aup_best_last(SCORES, last, HIB, BASE, mode="fixed")
    assert fixed["last"].equals(aup(last, HIB, BASE, mode="fixed"))


MINIMISED = {"3-SAT", "Language Modeling"}  # MLGym's two minimised tasks in its published tables


@pytest.mark.parametrize("split", ["aggregate", "test"])
def test_reproduces_mlgyms_published_best_and_last_aup(tmp_path: Path, split: str) -> None:
    tables = upstream_checkout("MLGym", tmp_path) / "results" / "tables"
    best = pd.read_csv(tables / f"best_scores_{split}_results.csv", index_col=0).T
    last = pd.read_csv(tables / f"last_scores_{split}_results.csv", index_col=0).T
    published = pd.read_csv(tables / f"aup_scores_{split}_results.csv", index_col=0)
    higher = {task: task not in MINIMISED for task in best.columns}
    baseline = best.T["baseline"]
    ours = aup_best_last(best.drop("baseline"), last.drop("baseline"), higher, baseline, baseline_row="baseline")
    ours = ours.loc[published.index]
    # MLGym rounds both its input scores (in these CSVs) and its AUPs to 3 decimals; a rounded score can move a
    # log-ratio across one grid point, so ours, rounded like theirs, may differ by one unit in the last place.
    assert (ours["best"].round(3) - published["Best AUP"]).abs().max() <= 1e-3 + 1e-9
    assert (ours["last"].round(3) - published["Last AUP"]).abs().max() <= 1e-3 + 1e-9
    # a tau_max per set (the old way) puts every Last AUP about 0.3 below the published one
    alone = aup(last.drop("baseline"), higher, baseline, baseline_row="baseline").loc[published.index]
    assert ((published["Last AUP"] - alone) > 0.25).all()
