"""Area under the performance profile (AUP): MLGym's definition, and a fixed-scale variant of our own.

Inputs are a score table `scores` (index: method, columns: task, NaN: no valid score) and, per task, its
direction (`higher_is_better`) and baseline score (`baseline`). Both modes turn every (method, task) cell
into a performance ratio r >= 1 (1 = best on the task), then build each method's performance profile

    rho_m(tau) = (number of tasks with log10 r[m, task] <= tau) / (number of tasks)

on `N_TAU = 500` evenly spaced points tau_0 = 0 < ... < tau_499 = tau_max (`np.linspace(0, tau_max, 500)`),
and integrate it with the LEFT Riemann sum MLGym uses:

    AUP_m = sum_{i=0}^{498} rho_m(tau_i) * (tau_{i+1} - tau_i)

so the value at the last grid point tau_max never contributes. A method with r = 1 everywhere scores
the maximum, sum of the 499 steps = tau_max. `aup_table` reports, beside each AUP, the `floor` (AUP of a
phantom method that fails every task) and the `maximum` (AUP of a phantom method that is best on every
task), both computed on the same grid with the same arithmetic so that comparisons with them are exact.

Mode "mlgym" (reproduces MLGym's `scripts/evaluation/get_ranks.py` for one attempt set)
---------------------------------------------------------------------------------------
* A score is feasible iff it exists, is >= 0 and is not worse than the task's baseline.
* MLGym scores its baseline as one of the methods, so the baseline (when >= 0) always belongs to the
  reference set over which each task's best and worst feasible scores are taken; since it is feasible
  by definition and every other feasible score is at least as good, the worst feasible score is the
  baseline. Because each method's profile depends only on its own ratios and on these per-task
  references, the AUP of every method is the same whether or not a baseline row is reported; pass
  `baseline_row="baseline"` to also get the baseline's own AUP, as MLGym's tables do.
* Ratio: best / s when maximising, s / best when minimising. The task's worst ratio w is the ratio of
  the worst feasible score; an infeasible method gets 1.05 * w.
* tau_max, unless given: ceil(log10(max_task ceil(1.05 * w_task)) * 10) / 10, i.e. the log10 of the
  largest integer-rounded-up penalty ratio, rounded up to one decimal.
* A zero feasible score cannot be ratioed (MLGym divides by it), so it raises ValueError, as does a task
  with no feasible score at all (possible only with a negative baseline). Use mode "fixed" for those.
* Unlike MLGym's tables, results are not rounded to three decimals.

Best attempt and last submission (`aup_best_last`)
--------------------------------------------------
MLGym reports two AUPs per method: over each task's best attempt and over its last submission, each taken as
the best over the method's runs (`best_of_runs`). Both profiles share ONE tau_max, the larger of the two sets'
data-driven values; computing it per set moves the Last table's scale (by 0.3 on MLGym's published tables).

Mode "fixed" (ours)
-------------------
MLGym's ratios break on negative or zero scores, its failure penalty 1.05 * w moves with whichever
methods happen to be compared, and its tau_max (hence the scale of AUP) moves with the data. The fixed
mode keeps the profile and the grid but pins all three:

* Scores are normalised per task to the gain over the baseline, g = s - b when maximising and b - s when
  minimising. A gain is invariant to shifting and (positively) rescaling the task's scores, so negative
  rewards, losses and zero scores all work.
* Feasibility: the score exists and g >= 0 (not worse than the baseline); no sign rule is needed.
* The gain is scaled by the best gain on the task, G = max(0, max feasible g), so q = g / G in [0, 1]
  is the share of the best improvement over the baseline that the method reached (q = 0 when G = 0:
  nobody improved on the baseline, so there is nothing to share).
* A feasible method gets log10 r = (1 - q) * log10(r_fail / 1.05): the best method gets r = 1, a method
  that only matches the baseline gets r = r_fail / 1.05 (mirroring MLGym, where the baseline is the worst
  feasible method and failure costs 1.05 times its ratio), and log-ratios in between are linear in q,
  so equal improvements earn equal profile area.
* An infeasible method (no score, or worse than the baseline) gets the same failure ratio r_fail on
  every task (default 10, log10 r_fail = 1), fixed in advance.
* tau_max = log10(r_fail), fixed. A failure sits exactly at tau_max, which the left Riemann sum never
  counts, so the all-fail floor is exactly 0 and the maximum is tau_max (1 for r_fail = 10) whatever the
  tasks, methods or scores. AUP / tau_max ~ mean over tasks of q * log10(r_fail / 1.05) / log10(r_fail),
  an average share of the best improvement, comparable across benchmarks with the same r_fail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

AupMode = Literal["mlgym", "fixed"]

N_TAU = 500
MLGYM_PENALTY = 1.05
DEFAULT_R_FAIL = 10.0

FloatArray = npt.NDArray[np.float64]
TaskMap = Mapping[str, bool] | pd.Series
TaskValues = Mapping[str, float] | pd.Series


def _per_task(name: str, values: Mapping[str, Any] | pd.Series, tasks: list[str]) -> list[Any]:
    lookup = dict(values.items())
    missing = [task for task in tasks if task not in lookup]
    if missing:
        raise ValueError(f"{name} has no entry for task(s): {', '.join(map(str, missing))}")
    return [lookup[task] for task in tasks]


def _prepare(
    scores: pd.DataFrame,
    higher_is_better: TaskMap,
    baseline: TaskValues,
    baseline_row: str | None,
) -> tuple[list[str], list[str], FloatArray, npt.NDArray[np.bool_], FloatArray]:
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        raise ValueError("scores needs at least one method (row) and one task (column)")
    if scores.index.has_duplicates:
        raise ValueError("scores has repeated method names in its index")
    if scores.columns.has_duplicates:
        raise ValueError("scores has repeated task names in its columns")
    methods = [str(m) for m in scores.index]
    tasks = [str(t) for t in scores.columns]
    table = scores.copy()
    table.index = pd.Index(methods)
    table.columns = pd.Index(tasks)

    directions = _per_task("higher_is_better", higher_is_better, list(scores.columns))
    for task, direction in zip(tasks, directions, strict=True):
        if not isinstance(direction, bool | np.bool_):
            raise TypeError(f"higher_is_better[{task!r}] must be a bool, got {direction!r}")
    maximise = np.array([bool(d) for d in directions], dtype=np.bool_)
    base = np.array([float(v) for v in _per_task("baseline", baseline, list(scores.columns))])
    if not np.isfinite(base).all():
        raise ValueError("baseline scores must be finite numbers")

    if baseline_row is not None and baseline_row not in methods:
        table.loc[baseline_row] = base
        methods.append(baseline_row)
    values = table.to_numpy(dtype=np.float64)
    if np.isinf(values).any():
        raise ValueError("scores must be finite or NaN (no valid score); found an infinite value")
    return methods, tasks, values, maximise, base


def _mlgym_log_ratios(
    values: FloatArray, maximise: npt.NDArray[np.bool_], base: FloatArray, tasks: list[str]
) -> tuple[FloatArray, FloatArray, float]:
    """Per-cell log10 ratios, per-task log10 failure ratios, and the data-driven tau_max."""
    log_ratios = np.empty_like(values)
    fail_logs = np.empty(len(tasks))
    suitable: list[int] = []
    for j, task in enumerate(tasks):
        column = values[:, j]
        up = bool(maximise[j])
        b = float(base[j])
        with np.errstate(invalid="ignore"):
            feasible = ~np.isnan(column) & (column >= 0.0) & ((column >= b) if up else (column <= b))
        reference = [float(s) for s in column[feasible]]
        if b >= 0.0:
            reference.append(b)
        if not reference:
            raise ValueError(
                f"task {task!r}: no feasible score (every score is missing, negative or worse than a "
                "negative baseline); MLGym's ratios are undefined here, use mode='fixed'"
            )
        if 0.0 in reference:
            raise ValueError(f"task {task!r}: a feasible score of 0 cannot be turned into a ratio; use mode='fixed'")
        best = max(reference) if up else min(reference)
        worst = min(reference) if up else max(reference)
        worst_ratio = best / worst if up else worst / best
        penalty = worst_ratio * MLGYM_PENALTY
        ratios = np.full(column.shape, penalty)
        ratios[feasible] = best / column[feasible] if up else column[feasible] / best
        log_ratios[:, j] = np.log10(ratios)
        fail_logs[j] = np.log10(penalty)
        suitable.append(math.ceil(penalty))
    tau_max = float(np.ceil(np.log10(max(suitable)) * 10) / 10)
    return log_ratios, fail_logs, tau_max


def _fixed_log_ratios(
    values: FloatArray, maximise: npt.NDArray[np.bool_], base: FloatArray, r_fail: float
) -> tuple[FloatArray, FloatArray, float]:
    tau_max = math.log10(r_fail)
    span = math.log10(r_fail / MLGYM_PENALTY)
    sign = np.where(maximise, 1.0, -1.0)
    gains = (values - base[None, :]) * sign[None, :]
    with np.errstate(invalid="ignore"):
        feasible = ~np.isnan(gains) & (gains >= 0.0)
    best_gain = np.where(feasible, gains, 0.0).max(axis=0)
    safe = np.where(best_gain > 0.0, best_gain, 1.0)
    share = np.where(best_gain[None, :] > 0.0, np.where(feasible, gains, 0.0) / safe[None, :], 0.0)
    log_ratios = np.where(feasible, (1.0 - share) * span, tau_max)
    fail_logs = np.full(values.shape[1], tau_max)
    return log_ratios, fail_logs, tau_max


def _log_ratios(
    scores: pd.DataFrame,
    higher_is_better: TaskMap,
    baseline: TaskValues,
    mode: AupMode,
    tau_max: float | None,
    r_fail: float,
    baseline_row: str | None,
) -> tuple[list[str], FloatArray, FloatArray, float]:
    methods, tasks, values, maximise, base = _prepare(scores, higher_is_better, baseline, baseline_row)
    if mode == "mlgym":
        log_ratios, fail_logs, auto_tau = _mlgym_log_ratios(values, maximise, base, tasks)
        if tau_max is None:
            tau_max = auto_tau
        elif not (math.isfinite(tau_max) and tau_max > 0.0):
            raise ValueError(f"tau_max must be a finite, positive number, got {tau_max!r}")
    elif mode == "fixed":
        if tau_max is not None:
            raise ValueError("mode='fixed' fixes tau_max at log10(r_fail); change r_fail instead of tau_max")
        if not (math.isfinite(r_fail) and r_fail > MLGYM_PENALTY):
            raise ValueError(f"r_fail must be a finite number above {MLGYM_PENALTY}, got {r_fail!r}")
        log_ratios, fail_logs, tau_max = _fixed_log_ratios(values, maximise, base, r_fail)
    else:
        raise ValueError(f"unknown AUP mode {mode!r}; expected 'mlgym' or 'fixed'")
    return methods, log_ratios, fail_logs, float(tau_max)


def _profiles(log_ratios: FloatArray, tau: FloatArray) -> FloatArray:
    """rho[i, m] = share of tasks (columns of `log_ratios`) with log-ratio <= tau[i]."""
    within = log_ratios[None, :, :] <= tau[:, None, None]
    counts = within.sum(axis=2)
    return np.asarray(counts / log_ratios.shape[1], dtype=np.float64)


def _area(profiles: FloatArray, tau: FloatArray) -> FloatArray:
    """Left Riemann sum over the grid, one value per profile column."""
    steps = np.diff(tau)
    total = np.zeros(profiles.shape[1])
    for i in range(len(steps)):  # sequential, in MLGym's order, for bit-faithful sums
        total += steps[i] * profiles[i]
    return total


def best_of_runs(runs: pd.DataFrame, higher_is_better: TaskMap) -> pd.DataFrame:
    """The best score of each (method, task) over its runs, as MLGym aggregates repeated runs.

    `runs` has one row per run with columns `method`, `task` and `score` (NaN: the run had no valid score). The
    result is the `scores` table the AUP functions take: index method, columns task, NaN where no run scored.
    """
    missing = [column for column in ("method", "task", "score") if column not in runs.columns]
    if missing:
        raise ValueError(f"runs needs the column(s) {', '.join(missing)}")
    tasks = list(dict.fromkeys(str(task) for task in runs["task"]))
    directions = dict(zip(tasks, _per_task("higher_is_better", higher_is_better, tasks), strict=True))
    frame = runs.assign(task=runs["task"].astype(str), method=runs["method"].astype(str))
    frame = frame.assign(
        signed=frame["score"].astype(float) * frame["task"].map(lambda t: 1.0 if directions[t] else -1.0)
    )
    best = frame.groupby(["method", "task"], sort=False)["signed"].max().unstack("task")
    best = best.reindex(columns=tasks)
    signs = pd.Series({task: 1.0 if directions[task] else -1.0 for task in tasks})
    table = best * signs
    table.index.name, table.columns.name = None, None
    return table


def aup_best_last(
    best: pd.DataFrame,
    last: pd.DataFrame,
    higher_is_better: TaskMap,
    baseline: TaskValues,
    mode: AupMode = "mlgym",
    *,
    r_fail: float = DEFAULT_R_FAIL,
    baseline_row: str | None = None,
) -> pd.DataFrame:
    """Best-attempt and last-submission AUP on one shared tau_max: columns `best`, `last`, `floor`, `maximum`.

    `best` and `last` are score tables as for `aup` (typically `best_of_runs` of each run's best attempt and of
    its last submission). In mode "mlgym" tau_max is the larger of the two sets' data-driven values, as in
    MLGym's `get_ranks.py`; in mode "fixed" it is log10(r_fail) anyway. `floor` and `maximum` are the bounds of
    the best-attempt set (the last set's differ in mode "mlgym" only through its own worst ratios). Methods
    missing from one table count as failing every task there.
    """
    methods = list(dict.fromkeys([*map(str, best.index), *map(str, last.index)]))
    tasks = list(dict.fromkeys([*map(str, best.columns), *map(str, last.columns)]))
    tables = [frame.rename(index=str, columns=str).reindex(index=methods, columns=tasks) for frame in (best, last)]
    tau_max: float | None = None
    if mode == "mlgym":
        tau_max = max(
            _log_ratios(frame, higher_is_better, baseline, mode, None, r_fail, baseline_row)[3] for frame in tables
        )
    best_table, last_table = (
        aup_table(frame, higher_is_better, baseline, mode, tau_max, r_fail=r_fail, baseline_row=baseline_row)
        for frame in tables
    )
    return pd.DataFrame(
        {
            "best": best_table["aup"],
            "last": last_table["aup"],
            "floor": best_table["floor"],
            "maximum": best_table["maximum"],
        }
    )


def tau_grid(tau_max: float) -> FloatArray:
    """The AUP grid: `np.linspace(0, tau_max, N_TAU)`."""
    return np.linspace(0.0, tau_max, N_TAU)


def performance_profile(
    scores: pd.DataFrame,
    higher_is_better: TaskMap,
    baseline: TaskValues,
    mode: AupMode = "mlgym",
    tau_max: float | None = None,
    *,
    r_fail: float = DEFAULT_R_FAIL,
    baseline_row: str | None = None,
) -> pd.DataFrame:
    """Return each method's performance profile on the AUP grid, for plotting.

    The frame's index is the tau grid (`np.linspace(0, tau_max, 500)`, named "tau"), its columns the
    methods, its values rho_m(tau) in [0, 1]. Arguments are as for `aup`.
    """
    methods, log_ratios, _, tau_top = _log_ratios(
        scores, higher_is_better, baseline, mode, tau_max, r_fail, baseline_row
    )
    tau = tau_grid(tau_top)
    rho = _profiles(log_ratios, tau)
    return pd.DataFrame(rho, index=pd.Index(tau, name="tau"), columns=pd.Index(methods, name="method"))


def aup_table(
    scores: pd.DataFrame,
    higher_is_better: TaskMap,
    baseline: TaskValues,
    mode: AupMode = "mlgym",
    tau_max: float | None = None,
    *,
    r_fail: float = DEFAULT_R_FAIL,
    baseline_row: str | None = None,
) -> pd.DataFrame:
    """Return AUP per method with its bounds: columns `aup`, `floor` and `maximum`, index the methods.

    `floor` is the AUP of a method that fails every task (in mode "mlgym" it depends on the tasks' worst
    ratios and tau_max; in mode "fixed" it is 0), `maximum` that of a method best on every task (tau_max
    up to rounding). Both are the same for every row. Arguments are as for `aup`.
    """
    methods, log_ratios, fail_logs, tau_top = _log_ratios(
        scores, higher_is_better, baseline, mode, tau_max, r_fail, baseline_row
    )
    tau = tau_grid(tau_top)
    phantoms = np.vstack([fail_logs, np.zeros_like(fail_logs)])
    areas = _area(_profiles(np.vstack([log_ratios, phantoms]), tau), tau)
    n = len(methods)
    return pd.DataFrame(
        {"aup": areas[:n], "floor": np.full(n, areas[n]), "maximum": np.full(n, areas[n + 1])},
        index=pd.Index(methods, name="method"),
    )


def aup(
    scores: pd.DataFrame,
    higher_is_better: TaskMap,
    baseline: TaskValues,
    mode: AupMode = "mlgym",
    tau_max: float | None = None,
    *,
    r_fail: float = DEFAULT_R_FAIL,
    baseline_row: str | None = None,
) -> pd.Series:
    """Return the area under each method's performance profile (index: method, name "aup").

    `scores`: index = method, columns = task, NaN = no valid score. `higher_is_better` and `baseline` map
    every task to its direction and baseline score (dict or Series; extra keys are ignored). `mode` is
    "mlgym" (MLGym's AUP exactly; `tau_max` overrides its data-driven tau_max) or "fixed" (our
    fixed-scale variant with failure ratio `r_fail`; tau_max is log10(r_fail) and cannot be overridden).
    `baseline_row`, when set and not already a row of `scores`, adds a method of that name scoring the
    baseline on every task. See the module docstring for the formulas; `aup_table` adds the bounds.
    """
    table = aup_table(scores, higher_is_better, baseline, mode, tau_max, r_fail=r_fail, baseline_row=baseline_row)
    return table["aup"].rename("aup")
