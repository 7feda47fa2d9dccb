"""Benchmark the arena ratings at scale: Bradley-Terry fit and bootstrap intervals over synthetic results.

    .venv/bin/python benchmarks/elo_scale.py [--agents 100] [--tasks 1000] [--seeds 1] [--rounds 1000]

Draws `--agents` agents with known strengths (normal, sd 1), gives each task a random direction and an
agent score per seed of strength + noise (negated on lower-is-better tasks; a few trials fail), builds the
pairwise matches, then times `bradley_terry` and `bootstrap_ratings` with `--rounds` rounds and prints the
seconds and the Spearman correlation between fitted ratings and the true strengths.

Target: bradley_terry + 1,000 bootstrap rounds for 100 agents x 1,000 tasks (about 4.95M matches) under
10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner.scoring._elo import bootstrap_ratings, bradley_terry, pairwise_matches


def synthetic_results(
    agents: int, tasks: int, seeds: int, noise: float, fail_rate: float, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Return one row per trial and the true strength per agent."""
    rng = np.random.default_rng(seed)
    names = np.array([f"agent-{index:04d}" for index in range(agents)], dtype=object)
    strength = rng.normal(0.0, 1.0, agents)
    higher = rng.random(tasks) < 0.7
    task_idx, agent_idx, seed_idx = (
        grid.ravel() for grid in np.meshgrid(np.arange(tasks), np.arange(agents), np.arange(seeds), indexing="ij")
    )
    raw = strength[agent_idx] + rng.normal(0.0, noise, task_idx.size)
    score = np.where(higher[task_idx], raw, -raw)
    failed = rng.random(task_idx.size) < fail_rate
    results = pd.DataFrame(
        {
            "task": np.array([f"task-{index:05d}" for index in range(tasks)], dtype=object)[task_idx],
            "agent": names[agent_idx],
            "seed": seed_idx,
            "status": np.where(failed, "error", "ok"),
            "score": np.where(failed, np.nan, score),
            "higher_is_better": higher[task_idx],
        }
    )
    return results, pd.Series(strength, index=names, name="strength")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=1, help="trials per agent per task")
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds")
    parser.add_argument("--noise", type=float, default=2.0, help="sd of per-trial score noise")
    parser.add_argument("--fail-rate", type=float, default=0.02, help="share of trials that fail")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results, strength = synthetic_results(args.agents, args.tasks, args.seeds, args.noise, args.fail_rate, args.seed)
    generated = time.perf_counter()
    matches = pairwise_matches(results)
    paired = time.perf_counter()
    ratings = bradley_terry(matches)
    fitted = time.perf_counter()
    boot = bootstrap_ratings(matches, rounds=args.rounds, seed=args.seed)
    booted = time.perf_counter()

    rho = stats.spearmanr(ratings.to_numpy(), strength.reindex(ratings.index).to_numpy()).statistic
    width = float((boot["upper"] - boot["lower"]).median())
    print(
        f"agents={args.agents} tasks={args.tasks} seeds={args.seeds} trials={len(results):,} matches={len(matches):,}"
    )
    print(f"generate results     {generated - started:8.3f} s")
    print(f"pairwise_matches     {paired - generated:8.3f} s")
    print(f"bradley_terry        {fitted - paired:8.3f} s")
    print(f"bootstrap ({args.rounds} rounds) {booted - fitted:8.3f} s")
    print(f"bradley_terry + bootstrap {booted - paired:8.3f} s (target < 10 s for 100 x 1,000 with 1,000 rounds)")
    print(f"spearman(rating, true strength) = {rho:.4f}; median 95% interval width = {width:.1f} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
