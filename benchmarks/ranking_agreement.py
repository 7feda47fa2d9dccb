"""Do generated tasks rank models like curated ones? Kendall tau between two Bradley-Terry rankings.

Ten reference solvers, one fixed setting from each model family of the leaderboard ladder (dummy, linear, naive
Bayes, linear SVM, kNN, decision tree, random forest, extra trees, gradient boosting, MLP), are scored on every
curated task (their committed `leaderboard.csv`, built by the same ladder) and on a sample of the generated tasks
(leaderboards built here with `runner.leaderboards.build_leaderboard`). Each side's per-task scores become pairwise
matches and Bradley-Terry ratings (`runner.scoring`); the script prints both rankings, Kendall's tau-b between the
ratings (`scipy.stats.kendalltau`) with and without the dummy solver (last everywhere, it inflates tau), each with a
95% percentile bootstrap interval that resamples the tasks of both sides (generated tasks within their strata).

The sample is stratified with `--per-stratum N`: strata are problem type x test-size tercile (test rows, terciles
of the whole generated catalogue), and each stratum contributes its N tasks with the lowest hash of
`sample-seed:task id` (all of them when it has fewer). The choice is deterministic, a larger N only adds tasks, and
an unchanged task leaves the sample only when a new task of its stratum hashes lower. Without `--per-stratum` the
sample is the tasks whose id hashes below `--fraction` (it only grows with the catalogue, but is not balanced).

Run: `.nox/tests/bin/python benchmarks/ranking_agreement.py [--per-stratum N] [--rounds B] [--scores FILE]`.
Scores and test sizes of generated tasks are kept in FILE (default /tmp/benchsmith-ranking-scores.json) keyed by
task digest, so a rerun only builds leaderboards for new or changed tasks. Target: tau >= 0.9 (MLE-Smith reports
tau-b 0.857).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

if TYPE_CHECKING:
    from spec import LoadedTask

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
SIZES = ("small", "medium", "large")

# task id → (higher is better, family → score)
Scores = dict[str, tuple[bool, dict[str, float]]]


@dataclass
class Store:
    """What is cached between runs, keyed by task digest: family scores ({} when no leaderboard) and test rows."""

    scores: dict[str, dict[str, float]]
    test_rows: dict[str, int]

    @classmethod
    def load(cls, path: Path) -> Store:
        """The store at `path` (empty when absent); a flat digest → scores file of an earlier version is read too."""
        data: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
        if "scores" not in data:
            return cls(scores=data, test_rows={})
        return cls(scores=data["scores"], test_rows=data.get("test_rows", {}))

    def save(self, path: Path) -> None:
        """Write the store (after each new entry, so an interrupted run keeps its work)."""
        path.write_text(json.dumps({"scores": self.scores, "test_rows": self.test_rows}, indent=1, sort_keys=True))


def family_scores(leaderboard: pd.DataFrame) -> dict[str, float]:
    """One score per family from a leaderboard frame (columns team, score)."""
    by_team = dict(zip(leaderboard["team"].astype(str), leaderboard["score"].astype(float), strict=True))
    scores: dict[str, float] = {}
    for family, teams in PLAYERS.items():
        team = next((name for name in teams if name in by_team), None)
        if team is not None and np.isfinite(by_team[team]):
            scores[family] = by_team[team]
    return scores


def curated_scores(root: Path) -> Scores:
    """task id → (higher is better, family scores) from the curated tasks' committed leaderboards."""
    from spec import find_manifests, load_task

    found: Scores = {}
    for path in find_manifests([root]):
        task = load_task(path)
        manifest = task.manifest
        if manifest is None or manifest.leaderboard is None or not hasattr(manifest.metric, "higher_is_better"):
            continue
        board = pd.read_csv(path.parent / manifest.leaderboard.path)
        found[manifest.id] = (bool(manifest.metric.higher_is_better), family_scores(board))
    return found


def hash_value(text: str) -> float:
    """A number in [0, 1] from a hash of `text`: the same on every machine and run."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def in_sample(task_id: str, fraction: float) -> bool:
    """Whether a task is in the sample: by a hash of its id, so the sample of a growing catalogue only grows."""
    return hash_value(task_id) < fraction


def count_test_rows(task: LoadedTask) -> int:
    """Rows of the task's private answers, i.e. its test rows (prepared through the preparation cache)."""
    from runner.grading import answers_file
    from runner.preparation import prepare_task

    assert task.manifest is not None
    answers = prepare_task(task).private / answers_file(task.manifest)
    if answers.suffix == ".csv":
        return len(pd.read_csv(answers, usecols=[0]))
    return sum(1 for line in answers.read_text(encoding="utf-8").splitlines() if line.strip())


def catalogue(roots: list[Path], store: Store) -> pd.DataFrame:
    """One row per generated task: task, path, digest, problem, test_rows (cached in `store` by digest)."""
    from spec import find_manifests, load_task, task_digest

    rows = []
    for path in sorted(find_manifests(roots)):
        task = load_task(path)
        manifest = task.manifest
        if manifest is None:
            continue
        digest = task_digest(path, manifest, task.raw or None)
        if digest not in store.test_rows:
            store.test_rows[digest] = count_test_rows(task)
        rows.append(
            {"task": manifest.id, "path": path, "digest": digest, "problem": str(manifest.tags.problem),
             "test_rows": store.test_rows[digest]}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=["task", "path", "digest", "problem", "test_rows"])


def size_band(test_rows: pd.Series) -> pd.Series:
    """small / medium / large: terciles of the test rows (a task on a boundary goes to the lower band)."""
    first, second = np.quantile(test_rows.to_numpy(dtype=float), [1 / 3, 2 / 3])
    bands = np.where(test_rows <= first, SIZES[0], np.where(test_rows <= second, SIZES[1], SIZES[2]))
    return pd.Series(pd.Categorical(bands, categories=SIZES, ordered=True), index=test_rows.index, name="size")


def stratify(tasks: pd.DataFrame) -> pd.DataFrame:
    """`tasks` with a size column (test-size tercile of these tasks) and a stratum column (problem/size)."""
    out = tasks.assign(size=size_band(tasks["test_rows"]))
    return out.assign(stratum=out["problem"] + "/" + out["size"].astype(str))


def stratified_sample(tasks: pd.DataFrame, per_stratum: int, seed: int = 0) -> pd.DataFrame:
    """The `per_stratum` tasks of each stratum with the lowest hash of `seed:task` (every task of a smaller one)."""
    if per_stratum < 1:
        raise ValueError(f"per_stratum must be at least 1, got {per_stratum}")
    keyed = tasks.assign(key=[hash_value(f"{seed}:{task}") for task in tasks["task"]])
    chosen = keyed.sort_values(["stratum", "key", "task"]).groupby("stratum", observed=True).head(per_stratum)
    return chosen.drop(columns="key").sort_values("task").reset_index(drop=True)


def composition(tasks: pd.DataFrame, chosen: pd.DataFrame, rated: Sequence[str]) -> pd.DataFrame:
    """Per stratum: tasks in the catalogue, in the sample, and rated (a leaderboard was built); with a total row."""
    table = pd.DataFrame(
        {"catalogue": tasks.groupby("stratum").size(), "sampled": chosen.groupby("stratum").size(),
         "rated": chosen[chosen["task"].isin(list(rated))].groupby("stratum").size()}
    ).fillna(0).astype(int)  # fmt: skip
    bounds = tasks.groupby("stratum")["test_rows"].agg(["min", "max"])
    table["test rows"] = bounds["min"].astype(str) + "-" + bounds["max"].astype(str)
    total = {"catalogue": len(tasks), "sampled": len(chosen), "rated": int(table["rated"].sum()), "test rows": ""}
    return pd.concat([table, pd.DataFrame([total], index=["total"])])


def generated_scores(chosen: pd.DataFrame, store: Store, store_path: Path) -> Scores:
    """task id → (higher is better, family scores) on the chosen generated tasks, built (or read from the store,
    keyed by task digest) with the leaderboard ladder's solvers."""
    from runner.leaderboards import SOLVERS, LeaderboardError, ProblemKind, build_leaderboard
    from spec import load_task

    names = {name for teams in PLAYERS.values() for name in teams}
    found: Scores = {}
    pairs = zip(chosen["path"].tolist(), chosen["digest"].tolist(), strict=True)
    for number, (path, digest) in enumerate(pairs, 1):
        task = load_task(path)
        manifest = task.manifest
        assert manifest is not None  # the catalogue holds valid manifests only
        if digest not in store.scores:
            kind: ProblemKind = "classification" if manifest.tags.problem in CLASSIFICATION else "regression"
            solvers = [solver for solver in SOLVERS[kind] if solver.name in names]
            started = time.perf_counter()
            try:
                store.scores[digest] = family_scores(build_leaderboard(task, solvers=solvers, min_entries=2))
            except LeaderboardError as error:
                print(f"  skipped {manifest.id}: {error}", file=sys.stderr)
                store.scores[digest] = {}
            elapsed = time.perf_counter() - started
            print(f"  [{number}/{len(chosen)}] {manifest.id} ({elapsed:.1f} s)", file=sys.stderr, flush=True)
            store.save(store_path)
        if store.scores[digest]:
            found[manifest.id] = (bool(getattr(manifest.metric, "higher_is_better", True)), store.scores[digest])
    return found


def task_matches(tasks: Scores, without: frozenset[str] = frozenset()) -> dict[str, pd.DataFrame]:
    """task id → its pairwise matches (columns task, a, b, winner) between the families not in `without`."""
    from runner.scoring import pairwise_matches

    rows = [
        {"task": task_id, "agent": family, "seed": 0, "status": "ok", "score": score, "higher_is_better": higher}
        for task_id, (higher, scores) in tasks.items()
        for family, score in scores.items()
        if family not in without
    ]
    matches = pairwise_matches(pd.DataFrame(rows))
    return {str(task_id): frame for task_id, frame in matches.groupby("task", sort=False)}


def ratings(matches: dict[str, pd.DataFrame], order: Sequence[str] | None = None) -> pd.Series:
    """Bradley-Terry ratings over the tasks in `order` (a resample may repeat tasks), all tasks by default."""
    from runner.scoring import bradley_terry

    return bradley_terry(pd.concat([matches[task] for task in (order if order is not None else list(matches))]))


def kendall(first: pd.Series, second: pd.Series) -> float:
    """Kendall's tau-b between two ratings over the families both rate."""
    from scipy.stats import kendalltau

    common = sorted(set(first.index) & set(second.index))
    return float(kendalltau(first[common], second[common]).statistic)


def resample(groups: Sequence[Sequence[str]], rng: np.random.Generator) -> list[str]:
    """A bootstrap resample: each group (a stratum) redrawn with replacement to its own size."""
    return [str(task) for group in groups for task in rng.choice(np.asarray(group), size=len(group), replace=True)]


@dataclass(frozen=True)
class Agreement:
    """Kendall tau-b between the two sides' ratings, with its bootstrap interval."""

    curated: pd.Series
    generated: pd.Series
    tau: float
    low: float
    high: float
    rounds: int


def agreement(
    curated: Scores, generated: Scores, strata: Sequence[Sequence[str]], rounds: int, seed: int,
    without: frozenset[str] = frozenset(),
) -> Agreement:  # fmt: skip
    """Tau-b between ratings on `curated` and `generated` (families in `without` left out of every match) and a
    95% percentile interval over `rounds` resamples (curated tasks as one group, generated within `strata`)."""
    left, right = task_matches(curated, without), task_matches(generated, without)
    on_curated, on_generated = ratings(left), ratings(right)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(rounds):
        try:
            draws.append(kendall(ratings(left, resample([list(left)], rng)), ratings(right, resample(strata, rng))))
        except ValueError:
            continue  # a resample whose comparisons fall apart into two groups has no joint rating
    low, high = np.nanpercentile(draws, [2.5, 97.5])
    tau = kendall(on_curated, on_generated)
    return Agreement(on_curated, on_generated, tau, float(low), float(high), len(draws))


def ranking_table(result: Agreement) -> pd.DataFrame:
    """Both sides' ratings and ranks, best curated first."""
    table = pd.DataFrame({"curated": result.curated, "generated": result.generated})
    table = table.sort_values("curated", ascending=False)
    table["curated rank"] = table["curated"].rank(ascending=False, method="min").astype("Int64")
    table["generated rank"] = table["generated"].rank(ascending=False, method="min").astype("Int64")
    return table


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--curated", type=Path, default=REPO / "tasks" / "curated")
    parser.add_argument("--generated", type=Path, nargs="+", default=[REPO / "tasks" / "generated"])
    parser.add_argument("--per-stratum", type=int, help="Tasks per problem type x test-size tercile (stratified).")
    parser.add_argument("--fraction", type=float, default=0.12, help="Without --per-stratum: share rated (id hash).")
    parser.add_argument("--sample-seed", type=int, default=0, help="Seed of the stratified choice.")
    parser.add_argument("--rounds", type=int, default=1000, help="Bootstrap rounds.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the bootstrap.")
    parser.add_argument("--scores", type=Path, default=Path("/tmp/benchsmith-ranking-scores.json"))
    return parser.parse_args()


def main() -> None:
    options = arguments()
    store = Store.load(options.scores)
    tasks = stratify(catalogue(options.generated, store))
    store.save(options.scores)
    if options.per_stratum is not None:
        chosen = stratified_sample(tasks, options.per_stratum, options.sample_seed)
    else:
        chosen = tasks[[in_sample(task, options.fraction) for task in tasks["task"]]].reset_index(drop=True)
    curated = curated_scores(options.curated)
    generated = generated_scores(chosen, store, options.scores)
    rated = chosen[chosen["task"].isin(list(generated))]
    strata = [list(group["task"]) for _, group in rated.groupby("stratum")]
    print(f"Generated sample by stratum (problem/test-size tercile), sample seed {options.sample_seed}:")
    print(composition(tasks, chosen, list(generated)).to_string())
    print(f"\n{len(curated)} curated tasks, {len(generated)} generated tasks, {len(PLAYERS)} solver families")
    both = agreement(curated, generated, strata, options.rounds, options.seed)
    print(ranking_table(both).round(1).to_string())
    plain = agreement(curated, generated, strata, options.rounds, options.seed, frozenset({"dummy"}))
    for label, result in (("with the dummy", both), ("without the dummy", plain)):
        print(
            f"Kendall tau-b {label}: {result.tau:.3f} (95% bootstrap interval {result.low:.3f} to {result.high:.3f}, "
            f"{result.rounds} rounds resampling tasks); target >= 0.9"
        )


if __name__ == "__main__":
    main()
