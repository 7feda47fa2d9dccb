"""Reference-solver leaderboards: the ladder, ranking, reproducibility, the CSV, the manifest edit and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from runner.leaderboards import (
    COLUMNS,
    SOLVERS,
    LeaderboardError,
    ProblemKind,
    build_leaderboard,
    set_manifest_leaderboard,
    write_leaderboard,
)
from spec import load_task
from validators import validate_paths

ROOT = Path(__file__).resolve().parents[2]
CURATED = ROOT / "tasks" / "curated"
CASES = [("penguins-species", True), ("diabetes-progression", False)]


def _without_leaderboard(text: str) -> str:
    """A live manifest's text without its one-line `leaderboard:` entry, if it has one by now."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("leaderboard:"))


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def boards(cache_root: Path) -> dict[str, pd.DataFrame]:
    return {name: build_leaderboard(load_task(CURATED / f"{name}.yaml"), cache_root=cache_root) for name, _ in CASES}


def test_ladders_are_broad() -> None:
    for solvers in SOLVERS.values():
        assert len(solvers) >= 20
        assert len({solver.family for solver in solvers}) >= 6
        assert len({solver.name for solver in solvers}) == len(solvers)


@pytest.mark.parametrize(("name", "higher_is_better"), CASES)
def test_leaderboard_is_ranked_best_first(boards: dict[str, pd.DataFrame], name: str, higher_is_better: bool) -> None:
    frame = boards[name]
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) >= 20
    assert frame["family"].nunique() >= 6
    assert frame.attrs["higher_is_better"] is higher_is_better
    scores = frame["score"].tolist()
    assert scores == sorted(scores, reverse=higher_is_better)
    assert frame["rank"].iloc[0] == 1
    assert frame["rank"].is_monotonic_increasing
    # The trivial solvers sit in the bottom third; the best entry clearly beats them.
    dummies = frame.index[frame["family"] == "dummy"]
    assert len(dummies) >= 2
    assert min(dummies) >= len(frame) * 2 // 3 - 1
    dummy_scores = frame.loc[dummies, "score"]
    if higher_is_better:
        assert scores[0] > dummy_scores.max()
    else:
        assert scores[0] < dummy_scores.min()


@pytest.mark.parametrize(("name", "higher_is_better"), CASES)
def test_written_leaderboard_passes_the_static_check(
    boards: dict[str, pd.DataFrame], tmp_path: Path, name: str, higher_is_better: bool
) -> None:
    manifest = tmp_path / f"{name}.yaml"
    manifest.write_text(_without_leaderboard((CURATED / f"{name}.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    shutil.copytree(CURATED / name, tmp_path / name)
    write_leaderboard(boards[name], tmp_path / name / "leaderboard.csv")
    before = manifest.read_text(encoding="utf-8")
    assert set_manifest_leaderboard(manifest, f"{name}/leaderboard.csv")
    after = manifest.read_text(encoding="utf-8")
    # A minimal edit: one added line, comments and every other line kept.
    assert [line for line in after.splitlines() if line not in before.splitlines()] == [
        f"leaderboard: {{path: {name}/leaderboard.csv, provenance: reference-solvers}}"
    ]
    assert after.startswith("# yaml-language-server")
    assert not set_manifest_leaderboard(manifest, f"{name}/leaderboard.csv")  # already says so
    report = validate_paths([manifest])
    codes = [problem.code for task in report.tasks for problem in task.problems]
    assert not [code for code in codes if code.startswith("leaderboard.")], codes
    assert report.ok, codes
    written = pd.read_csv(tmp_path / name / "leaderboard.csv")
    assert list(written.columns) == list(COLUMNS)
    assert written["score"].tolist() == boards[name]["score"].tolist()


def test_manifest_edit_replaces_an_existing_entry(tmp_path: Path) -> None:
    manifest = tmp_path / "penguins-species.yaml"
    text = _without_leaderboard((CURATED / "penguins-species.yaml").read_text(encoding="utf-8"))
    manifest.write_text(
        text.replace("environment:", "leaderboard:  # old one\n  path: penguins-species/old.csv\n  provenance: human\n"
                     "environment:"),
        encoding="utf-8",
    )  # fmt: skip
    assert set_manifest_leaderboard(manifest, "penguins-species/leaderboard.csv")
    edited = manifest.read_text(encoding="utf-8")
    assert "old.csv" not in edited and "provenance: human" not in edited
    assert edited.count("leaderboard:") == 1
    task = load_task(manifest).manifest
    assert task is not None and task.leaderboard is not None
    assert task.leaderboard.path == "penguins-species/leaderboard.csv"
    assert task.leaderboard.provenance == "reference-solvers"


def test_reduced_ladder_is_reproducible(cache_root: Path) -> None:
    task = load_task(CURATED / "penguins-species.yaml")
    names = {"dummy-stratified", "random_forest-depthnone", "extra_trees", "mlp-32", "hgb-lr0.2"}
    ladder = [solver for solver in SOLVERS["classification"] if solver.name in names]
    first = build_leaderboard(task, cache_root=cache_root, solvers=ladder, min_entries=len(ladder))
    second = build_leaderboard(task, cache_root=cache_root, jobs=2, solvers=ladder, min_entries=len(ladder))
    pd.testing.assert_frame_equal(first, second)


def test_too_few_entries_fail(cache_root: Path) -> None:
    task = load_task(CURATED / "diabetes-progression.yaml")
    with pytest.raises(LeaderboardError, match="fewer than the 20"):
        build_leaderboard(task, cache_root=cache_root, solvers=SOLVERS["regression"][:2])


def test_cli_builds_into_out(cache_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "board.csv"
    manifest = CURATED / "diabetes-progression.yaml"
    before = manifest.read_bytes()
    command = [sys.executable, "-c", "from runner.cli import main; main()", "leaderboard", "build",
               "diabetes-progression", "--tasks-dir", str(CURATED.parent), "--cache-dir", str(cache_root),
               "--out", str(out)]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    frame = pd.read_csv(out)
    assert list(frame.columns) == list(COLUMNS) and len(frame) >= 20
    assert "medal thresholds" in completed.stdout
    assert manifest.read_bytes() == before  # no --update-manifest: the manifest is untouched


def test_cli_usage_errors(tmp_path: Path) -> None:
    base = [sys.executable, "-c", "from runner.cli import main; main()", "leaderboard", "build"]
    missing = subprocess.run([*base, "no-such-task", "--tasks-dir", str(CURATED.parent)], capture_output=True,
                             text=True, timeout=60, check=False, cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 2
    jobs = subprocess.run([*base, str(CURATED / "penguins-species.yaml"), "--jobs", "0"], capture_output=True,
                          text=True, timeout=60, check=False, cwd=tmp_path)  # fmt: skip
    assert jobs.returncode == 2


# --- Multilabel and ranking tasks: small synthetic ones, so the full ladders run in seconds. -----------------------

_MULTILABEL_PREPARE = """
from pathlib import Path

import numpy as np
import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    rng = np.random.default_rng(7)
    rows = 800
    features = rng.normal(size=(rows, 5))
    colour = rng.choice(["red", "green", "blue"], size=rows)
    logits = features @ rng.normal(scale=2.0, size=(5, 4)) + np.where(colour == "red", 1.5, -0.5)[:, None] - 1.0
    labels = (rng.random((rows, 4)) < 1.0 / (1.0 + np.exp(-logits))).astype(int)
    table = pd.DataFrame(features, columns=[f"x{i}" for i in range(5)]).assign(colour=colour)
    table.insert(0, "id", rng.permutation(rows) + 1)
    tags = pd.DataFrame(labels, columns=["a", "b", "c", "d"])
    test = table.index >= 600
    pd.concat([table, tags], axis=1)[~test].to_csv(public / "train.csv", index=False)
    table[test].to_csv(public / "test.csv", index=False)
    pd.concat([table[["id"]], tags], axis=1)[test].to_csv(private / "answers.csv", index=False)
    table.loc[test, ["id"]].assign(a=1, b=0, c=0, d=0).to_csv(public / "sample_submission.csv", index=False)
"""

_RANKING_PREPARE = """
from pathlib import Path

import numpy as np
import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    rng = np.random.default_rng(11)
    rows, items = 800, ["ant", "bee", "cat", "dog", "eel", "fox"]
    features = rng.normal(size=(rows, 4))
    utility = features @ rng.normal(scale=1.5, size=(4, len(items))) + np.linspace(1.0, -1.0, len(items))
    chosen = np.asarray(items)[np.argmax(utility + rng.gumbel(size=utility.shape), axis=1)]
    table = pd.DataFrame(features, columns=[f"x{i}" for i in range(4)])
    table.insert(0, "id", rng.permutation(rows) + 1)
    test = table.index >= 600
    table.assign(item=chosen)[~test].to_csv(public / "train.csv", index=False)
    table[test].to_csv(public / "test.csv", index=False)
    table[["id"]].assign(item=chosen)[test].to_csv(private / "answers.csv", index=False)
    table.loc[test, ["id"]].assign(item=" ".join(items)).to_csv(public / "sample_submission.csv", index=False)
"""

_MANIFEST = """schema_version: 1
id: {id}
version: 1.0.0
kind: competition
title: A synthetic {problem} task for the reference-solver tests
description: {id}/description.md
tags: {{modality: tabular, problem: {problem}, domain: synthetic}}
license: CC0-1.0
sources:
  - {{name: penguins, dataset: "palmerpenguins:penguins",
     sha256: f2d6493fc64ad958edbabd55eb0fc989af2c5a0458a2c79ccffe7985606feb60}}
prepare: {{script: {id}/prepare.py}}
submission: {{id_column: id, columns: [{columns}]}}
metric: {metric}
environment: {{python: "3.11", packages: [pandas, scikit-learn]}}
resources: {{cpus: 2, memory_gb: 2, time_limit: 15m}}
provenance: {{origin: hand-written, by: benchsmith maintainers}}
"""

_HAMMING = "{name: hamming_loss, higher_is_better: false}"
_MAP_AT_3 = "{name: map@k, params: {k: 3}, higher_is_better: true}"
SYNTHETIC: dict[str, tuple[ProblemKind, str, str, str]] = {
    "synthetic-tags": ("multilabel", "a, b, c, d", _HAMMING, _MULTILABEL_PREPARE),
    "synthetic-picks": ("ranking", "item", _MAP_AT_3, _RANKING_PREPARE),
}


def _synthetic_task(root: Path, name: str, metric: str | None = None) -> Path:
    problem, columns, default_metric, script = SYNTHETIC[name]
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "description.md").write_text(f"# {name}\n", encoding="utf-8")
    (folder / "prepare.py").write_text(script, encoding="utf-8")
    manifest = root / f"{name}.yaml"
    text = _MANIFEST.format(id=name, problem=problem, columns=columns, metric=metric or default_metric)
    manifest.write_text(text, encoding="utf-8")
    return manifest


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    for name in SYNTHETIC:
        _synthetic_task(root, name)
    return root


@pytest.fixture(scope="module")
def synthetic_boards(synthetic_root: Path, cache_root: Path) -> dict[str, pd.DataFrame]:
    return {
        name: build_leaderboard(load_task(synthetic_root / f"{name}.yaml"), cache_root=cache_root, jobs=2)
        for name in SYNTHETIC
    }


@pytest.mark.parametrize(("name", "higher_is_better"), [("synthetic-tags", False), ("synthetic-picks", True)])
def test_multilabel_and_ranking_leaderboards(
    synthetic_boards: dict[str, pd.DataFrame], name: str, higher_is_better: bool
) -> None:
    frame = synthetic_boards[name]
    kind = SYNTHETIC[name][0]
    assert len(frame) == len(SOLVERS[kind]) >= 20, frame.attrs["skipped"]  # every solver produced a valid score
    assert frame["family"].nunique() >= 6
    assert frame.attrs["higher_is_better"] is higher_is_better
    scores = frame["score"].tolist()
    assert scores == sorted(scores, reverse=higher_is_better)
    assert frame["rank"].iloc[0] == 1 and frame["rank"].is_monotonic_increasing
    dummies = frame.index[frame["family"] == "dummy"]
    assert len(dummies) >= 3
    assert min(dummies) >= len(frame) * 2 // 3 - 1
    best_dummy = frame.loc[dummies, "score"].max() if higher_is_better else frame.loc[dummies, "score"].min()
    assert (scores[0] > best_dummy) if higher_is_better else (scores[0] < best_dummy)


def test_multilabel_and_ranking_ladders() -> None:
    for kind in ("multilabel", "ranking"):
        solvers = SOLVERS[kind]
        models = [solver for solver in solvers if solver.family != "dummy"]
        assert {solver.family for solver in models} == {
            solver.family for solver in SOLVERS["classification"] if solver.family != "dummy"
        }
        assert len(solvers) - len(models) >= 3
    strategies = {solver.params.get("strategy") for solver in SOLVERS["multilabel"] if solver.family == "dummy"}
    assert {"all_zero", "most_frequent", "prior_threshold"} <= strategies
    strategies = {solver.params.get("strategy") for solver in SOLVERS["ranking"] if solver.family == "dummy"}
    assert {"prior", "random_order"} <= strategies


def test_ranking_submissions_list_the_top_k_training_items(synthetic_root: Path, cache_root: Path) -> None:
    from runner.leaderboards._build import _submission
    from runner.leaderboards._features import clean_features, plan_features
    from runner.leaderboards._problem import describe_problem
    from runner.leaderboards._worker import Job, solve
    from runner.preparation import prepare_task

    loaded = load_task(synthetic_root / "synthetic-picks.yaml")
    assert loaded.manifest is not None
    prepared = prepare_task(loaded, cache_root=cache_root)
    problem, train, test = describe_problem(loaded.manifest, prepared.public, prepared.private)
    assert (problem.kind, problem.prediction, problem.k) == ("ranking", "ranking", 3)
    plan = plan_features(train, problem.features)
    rankings = {}
    for name in ("dummy-random_order", "logreg-C1"):
        solver = next(solver for solver in SOLVERS["ranking"] if solver.name == name)
        job = Job(kind=problem.kind, prediction=problem.prediction, columns=problem.columns, clip_at_zero=False,
                  plan=plan, solver=solver, train=clean_features(train, plan), target=train[problem.target],
                  test=clean_features(test, plan), k=problem.k)  # fmt: skip
        first, second = solve(job), solve(job)
        assert (first == second).all()  # seeded
        rankings[name] = _submission(problem, test[problem.id_column], first)[problem.columns[0]]
    items = set(train[problem.target])
    for ranking in rankings.values():
        lists = [cell.split() for cell in ranking]
        assert all(len(cell) == 3 == len(set(cell)) and set(cell) <= items for cell in lists)
    assert rankings["dummy-random_order"].nunique() > 10  # a different order per row


def test_multilabel_threshold_follows_the_metric(synthetic_root: Path, cache_root: Path, tmp_path: Path) -> None:
    from runner.leaderboards._problem import describe_problem
    from runner.preparation import prepare_task

    thresholds = {}
    for metric in ("{name: hamming_loss, higher_is_better: false}", "{name: f1_samples, higher_is_better: true}"):
        loaded = load_task(_synthetic_task(tmp_path / metric[7:17], "synthetic-tags", metric))
        assert loaded.manifest is not None
        prepared = prepare_task(loaded, cache_root=cache_root)
        problem, _, _ = describe_problem(loaded.manifest, prepared.public, prepared.private)
        assert problem.kind == "multilabel" and problem.targets == ("a", "b", "c", "d")
        thresholds[problem.metric] = problem.threshold
    assert thresholds["hamming_loss"] == 0.5 and thresholds["f1_samples"] < 0.5


def test_relevance_columns_fail_clearly(tmp_path: Path, cache_root: Path) -> None:
    manifest = _synthetic_task(tmp_path, "synthetic-tags", "{name: ndcg@k, params: {k: 2}, higher_is_better: true}")
    with pytest.raises(LeaderboardError, match="ndcg@k"):
        build_leaderboard(load_task(manifest), cache_root=cache_root)
