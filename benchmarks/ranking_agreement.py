"""Do generated tasks rank models like curated ones? Kendall tau between two Bradley-Terry rankings.

Ten reference solvers, one fixed setting from each model family of the leaderboard ladder (dummy, linear, naive
Bayes, linear SVM, kNN, decision tree, random forest, extra trees, gradient boosting, MLP), are scored on every
curated task (their committed `leaderboard.csv`, built by the same ladder) and on a sample of the generated tasks
(those whose id hashes below `--fraction`, so the sample only grows with the catalogue; leaderboards built here
with `runner.leaderboards.build_leaderboard`). Each side's per-task scores become pairwise matches and
Bradley-Terry ratings (`runner.scoring`); the script prints both rankings, Kendall's tau-b between the ratings
(`scipy.stats.kendalltau`) and a 95% percentile bootstrap interval that resamples the tasks of both sides.

Run: `.venv/bin/python benchmarks/ranking_agreement.py [--fraction F] [--rounds B] [--scores FILE]`. Scores of
generated tasks are kept in FILE (default /tmp/benchsmith-ranking-scores.json) keyed by task digest, so a rerun only
builds leaderboards for new or changed tasks. Target: tau >= 0.9 (MLE-Smith reports tau-b 0.857).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Family → the ladder entries that stand for it, first present wins (classification name, then regression, ...).
PLAYERS: dict[str, tuple[str, ...]] = {
    "dummy": ("dummy-prior", "dummy-mean", "dummy-popularity", "dummy-prior_threshold", "dummy-most_frequent"),
    "linear": ("logreg-C1", "ridge-alpha1"),
    "naive_bayes": ("naive_bayes",),
    "svm": ("linear_svm-C1",),
    "knn": ("knn-k15",),
    "tree": ("tree-depth8",),
    "forest": ("random_forest-depthnone",),
    "extra_trees": ("extra_trees",),
    "boosting": ("hgb-lr0.05",),
    "mlp": ("mlp-32",),
}
CLASSIFICATION = frozenset({"binary", "multiclass"})


def family_scores(leaderboard: pd.DataFrame) -> dict[str, float]:
    """One score per family from a leaderboard frame (columns team, score)."""
    by_team = dict(zip(leaderboard["team"].astype(str), leaderboard["score"].astype(float), strict=True))
    scores = {}
    for family, teams in PLAYERS.items():
        team = next((name for name in teams if name in by_team), None)
        if team is not None and np.isfinite(by_team[team]):
            scores[family] = by_team[team]
    return scores


def curated_scores(root: Path) -> dict[str, tuple[bool, dict[str, float]]]:
    """task id → (higher is better, family scores) from the curated tasks' committed leaderboards."""
    from spec import find_manifests, load_task

    found = {}
    for path in find_manifests([root]):
        task = load_task(path)
        manifest = task.manifest
        if manifest is None or manifest.leaderboard is None or not hasattr(manifest.metric, "higher_is_better"):
            continue
        board = pd.read_csv(path.parent / manifest.leaderboard.path)
        found[manifest.id] = (bool(manifest.metric.higher_is_better), family_scores(board))
    return found


def in_sample(task_id: str, fraction: float) -> bool:
    """Whether a task is in the sample: by a hash of its id, so the sample of a growing catalogue only grows."""
    value = int(hashlib.sha256(task_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return value < fraction


def generated_scores(roots: list[Path], fraction: float, store: Path) -> dict[str, tuple[bool, dict[str, float]]]:
    """task id → (higher is better, family scores) on the hash-sampled generated tasks, built (or read from
    `store`, keyed by task digest) with the leaderboard ladder's solvers."""
    from runner.leaderboards import SOLVERS, LeaderboardError, ProblemKind, build_leaderboard
    from spec import find_manifests, load_task, task_digest

    chosen = sorted(path for path in find_manifests(roots) if in_sample(path.stem, fraction))
    cached = json.loads(store.read_text()) if store.is_file() else {}
    names = {name for teams in PLAYERS.values() for name in teams}
    found = {}
    for number, path in enumerate(chosen, 1):
        task = load_task(path)
        manifest = task.manifest
        if manifest is None:
            continue
        digest = task_digest(path, manifest, task.raw or None)
        higher = bool(getattr(manifest.metric, "higher_is_better", True))
        if digest not in cached:
            kind: ProblemKind = "classification" if manifest.tags.problem in CLASSIFICATION else "regression"
            solvers = [solver for solver in SOLVERS[kind] if solver.name in names]
            started = time.perf_counter()
            try:
                board = build_leaderboard(task, solvers=solvers, min_entries=2)
                cached[digest] = family_scores(board)
            except LeaderboardError as error:
                print(f"  skipped {manifest.id}: {error}", file=sys.stderr)
                cached[digest] = {}
            print(f"  [{number}/{len(chosen)}] {manifest.id} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
            store.write_text(json.dumps(cached, indent=1, sort_keys=True))
        if cached[digest]:
            found[manifest.id] = (higher, cached[digest])
    return found


def ratings(tasks: dict[str, tuple[bool, dict[str, float]]], order: list[str] | None = None) -> pd.Series:
    """Bradley-Terry ratings of the families over `tasks` (optionally a resample: `order` lists task ids)."""
    from runner.scoring import bradley_terry, pairwise_matches

    rows = []
    for position, task_id in enumerate(order if order is not None else list(tasks)):
        higher, scores = tasks[task_id]
        for family, score in scores.items():
            rows.append(
                {"task": f"{position}:{task_id}", "agent": family, "seed": 0, "status": "ok", "score": score,
                 "higher_is_better": higher}
            )  # fmt: skip
    return bradley_terry(pairwise_matches(pd.DataFrame(rows)))


def kendall(first: pd.Series, second: pd.Series) -> float:
    """Kendall's tau-b between two ratings over the families both rate."""
    from scipy.stats import kendalltau

    common = sorted(set(first.index) & set(second.index))
    return float(kendalltau(first[common], second[common]).statistic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--curated", type=Path, default=REPO / "tasks" / "curated")
    parser.add_argument("--generated", type=Path, nargs="+", default=[REPO / "tasks" / "generated"])
    parser.add_argument("--fraction", type=float, default=0.12, help="Share of generated tasks rated (by id hash).")
    parser.add_argument("--rounds", type=int, default=1000, help="Bootstrap rounds.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scores", type=Path, default=Path("/tmp/benchsmith-ranking-scores.json"))
    arguments = parser.parse_args()

    curated = curated_scores(arguments.curated)
    generated = generated_scores(arguments.generated, arguments.fraction, arguments.scores)
    on_curated, on_generated = ratings(curated), ratings(generated)
    tau = kendall(on_curated, on_generated)
    rng = np.random.default_rng(arguments.seed)
    curated_ids, generated_ids = list(curated), list(generated)
    draws = []
    for _ in range(arguments.rounds):
        left = list(rng.choice(curated_ids, size=len(curated_ids), replace=True))
        right = list(rng.choice(generated_ids, size=len(generated_ids), replace=True))
        try:
            draws.append(kendall(ratings(curated, left), ratings(generated, right)))
        except ValueError:
            continue  # a resample whose comparisons fall apart into two groups has no joint rating
    low, high = np.nanpercentile(draws, [2.5, 97.5])
    table = pd.DataFrame({"curated": on_curated, "generated": on_generated}).sort_values("curated", ascending=False)
    table["curated rank"] = table["curated"].rank(ascending=False, method="min").astype("Int64")
    table["generated rank"] = table["generated"].rank(ascending=False, method="min").astype("Int64")
    print(f"{len(curated)} curated tasks, {len(generated)} generated tasks, {len(table)} solver families")
    print(table.round(1).to_string())
    print(
        f"Kendall tau-b = {tau:.3f} (95% bootstrap interval {low:.3f} to {high:.3f}, {len(draws)} rounds resampling "
        "tasks); target >= 0.9"
    )


if __name__ == "__main__":
    main()
