"""Parity with MLE-bench: imported competitions grade, and award medals, exactly as MLE-bench's own code does.

Against the real snapshot in `../shared/upstream/mle-bench.tar.gz`: `runner import mlebench` writes the
manifests; for competitions of every metric family, synthetic answers and submissions in each competition's
exact format are graded by MLE-bench's own `grade` function (imported from the checkout) and by benchsmith
(`grade_submission` on the imported manifest with `answers=`, and `runner grade --answers` for each valid
submission). A valid submission must score the same (to 1e-9) on both sides; a malformed one must be
rejected by benchsmith with a reason. Where MLE-bench scores a malformed submission anyway (it trusts the
submission's shape more than benchsmith does), the table records it. A shuffled submission is valid: both
sides must give the score of the ordered one; MLE-bench's graders that do not align ids are recorded too.

Medal parity: `runner.scoring.medal` against MLE-bench's `Grader.rank_score` on generated leaderboards of
every Kaggle size tier, with ties and teams without a score.

Run with `-s` to see the tables.
"""

from __future__ import annotations

import importlib
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from runner.grading import GradingError, answers_file, grade_submission
from runner.scoring import MLEBENCH_DECIMALS, medal
from spec import load_task
from tests.conftest import REPO, upstream_checkout

ROWS = 40
Frames = tuple[pd.DataFrame, pd.DataFrame]
Builder = Callable[[np.random.Generator, list[Any], str, list[str]], Frames]


# --- ids in each competition's style -------------------------------------------------------------------------


def _hex(rng: np.random.Generator, width: int = 12) -> list[str]:
    return [f"{value:0{width}x}" for value in rng.choice(16**width // 2, ROWS, replace=False)]


def _ints(rng: np.random.Generator) -> list[int]:
    return sorted(int(v) for v in rng.choice(100_000, ROWS, replace=False))


IDS: dict[str, Callable[[np.random.Generator], list[Any]]] = {
    "group": lambda rng: [f"{i:04d}_{j:02d}" for i, j in zip(range(ROWS), rng.integers(1, 4, ROWS), strict=True)],
    "reddit": lambda rng: [f"t3_{v}" for v in rng.choice(10**6, ROWS, replace=False)],  # of varying width
    "hex": _hex,
    "ints": _ints,
    "spooky": lambda rng: [f"id{v:05d}" for v in rng.choice(30_000, ROWS, replace=False)],
    "taxi": lambda rng: [f"2015-01-{1 + i % 28:02d} {i % 24:02d}:{(7 * i) % 60:02d}:13.{i:07d}" for i in range(ROWS)],
    "jpg": lambda rng: [f"{v}.jpg" for v in _hex(rng, 8)],
    "png": lambda rng: [f"{v}.png" for v in _hex(rng, 9)],
    "token": lambda rng: [f"{i // 5}_{i % 5}" for i in range(ROWS)],
}


# --- answers and a reasonable submission ---------------------------------------------------------------------


def labels(values: list[Any]) -> Builder:
    def build(rng: np.random.Generator, ids: list[Any], id_column: str, columns: list[str]) -> Frames:
        truth = rng.choice(np.array(values, dtype=object), ROWS)
        guess = np.where(rng.random(ROWS) < 0.7, truth, rng.choice(np.array(values, dtype=object), ROWS))
        return pd.DataFrame({id_column: ids, columns[0]: truth}), pd.DataFrame({id_column: ids, columns[0]: guess})

    return build


def binary_probabilities(rng: np.random.Generator, ids: list[Any], id_column: str, columns: list[str]) -> Frames:
    answers, submission = pd.DataFrame({id_column: ids}), pd.DataFrame({id_column: ids})
    for column in columns:
        truth = rng.integers(0, 2, ROWS)
        truth[:2] = [0, 1]  # both classes in every column
        answers[column] = truth
        submission[column] = np.clip(0.55 * truth + 0.45 * rng.random(ROWS), 0.001, 0.999).round(3)
    return answers, submission


def boolean_probabilities(rng: np.random.Generator, ids: list[Any], id_column: str, columns: list[str]) -> Frames:
    answers, submission = binary_probabilities(rng, ids, id_column, columns)
    return answers.astype({columns[0]: bool}), submission


def one_hot_probabilities(rng: np.random.Generator, ids: list[Any], id_column: str, columns: list[str]) -> Frames:
    truth = rng.integers(0, len(columns), ROWS)
    answers = pd.DataFrame({id_column: ids, **{c: (truth == i).astype(int) for i, c in enumerate(columns)}})
    weights = rng.integers(1, 9, (ROWS, len(columns))).astype(float)
    weights[np.arange(ROWS), truth] += 6
    shares = np.round(weights / weights.sum(axis=1, keepdims=True), 6)
    shares[:, -1] = np.round(1 - shares[:, :-1].sum(axis=1), 6)  # rows sum to one, as the graders check
    return answers, pd.DataFrame({id_column: ids, **{c: shares[:, i] for i, c in enumerate(columns)}})


def values(low: float, high: float, decimals: int) -> Builder:
    def build(rng: np.random.Generator, ids: list[Any], id_column: str, columns: list[str]) -> Frames:
        answers, submission = pd.DataFrame({id_column: ids}), pd.DataFrame({id_column: ids})
        for column in columns:
            truth = rng.uniform(low, high, ROWS).round(decimals)
            noise = rng.normal(0, (high - low) / 8, ROWS)
            answers[column] = truth
            submission[column] = np.clip(truth + noise, low, high).round(max(decimals, 2))
            if decimals == 0:
                answers[column] = answers[column].astype(int)
        return answers, submission

    return build


WORDS = ["the", "cat", "sat", "on", "a", "mat", "it's", "fine,", '"quoted"', "well", "done", "Yes"]


def text(rng: np.random.Generator, ids: list[Any], id_column: str, columns: list[str]) -> Frames:
    truth = [" ".join(rng.choice(WORDS, int(rng.integers(2, 7)))) for _ in range(ROWS)]
    guess = [t if rng.random() < 0.4 else " ".join([*t.split()[:-1], str(rng.choice(WORDS))]) for t in truth]
    return pd.DataFrame({id_column: ids, columns[0]: truth}), pd.DataFrame({id_column: ids, columns[0]: guess})


def ranking(rng: np.random.Generator, ids: list[Any], id_column: str, columns: list[str]) -> Frames:
    whales = ["new_whale", *(f"w_{v}" for v in _hex(rng, 7)[:12])]
    truth = rng.choice(whales, ROWS)
    guesses = [
        " ".join(rng.permutation([t, *rng.choice([w for w in whales if w != t], 4, replace=False)])) for t in truth
    ]
    return pd.DataFrame({id_column: ids, columns[0]: truth}), pd.DataFrame({id_column: ids, columns[0]: guesses})


SPECIES = ["Black-grass", "Charlock", "Cleavers", "Common wheat", "Fat Hen", "Maize"]


@dataclass(frozen=True)
class Case:
    competition: str
    family: str
    ids: str
    build: Builder


CASES = [
    Case("spaceship-titanic", "accuracy", "group", labels([True, False])),
    Case("tabular-playground-series-dec-2021", "accuracy (integer classes)", "ints", labels([1, 2, 3, 4, 5, 6, 7])),
    Case("random-acts-of-pizza", "ROC AUC", "reddit", boolean_probabilities),
    Case("histopathologic-cancer-detection", "ROC AUC", "hex", binary_probabilities),
    Case("jigsaw-toxic-comment-classification-challenge", "column-wise ROC AUC", "hex", binary_probabilities),
    Case("dogs-vs-cats-redux-kernels-edition", "log loss", "ints", binary_probabilities),
    Case("spooky-author-identification", "multiclass log loss", "spooky", one_hot_probabilities),
    Case("new-york-city-taxi-fare-prediction", "RMSE", "taxi", values(2.5, 80, 2)),
    Case("petfinder-pawpularity-score", "RMSE", "hex", values(1, 100, 0)),
    Case("nomad2018-predict-transparent-conductors", "column-wise RMSLE", "ints", values(0.01, 5, 4)),
    Case("predict-volcanic-eruptions-ingv-oe", "MAE", "ints", values(1e5, 5e7, 0)),
    Case("aptos2019-blindness-detection", "quadratic weighted kappa", "hex", labels([0, 1, 2, 3, 4])),
    Case("whale-categorization-playground", "MAP@5", "jpg", ranking),
    Case("us-patent-phrase-to-phrase-matching", "Pearson", "hex", values(0, 1, 2)),
    Case("billion-word-imputation", "Levenshtein", "ints", text),
    Case("plant-seedlings-classification", "micro F1", "png", labels(SPECIES)),
    Case("herbarium-2020-fgvc7", "macro F1", "ints", labels(list(range(12)))),
    Case("tweet-sentiment-extraction", "Jaccard", "hex", text),
]


# --- malformed submissions, the same set for every competition -------------------------------------------------


def _replace_id(frame: pd.DataFrame, id_column: str, row: int, value: Any) -> pd.DataFrame:
    changed = frame.copy()
    changed[id_column] = changed[id_column].astype(object)
    changed.iloc[row, 0] = value
    return changed


MALFORMED: dict[str, Callable[[pd.DataFrame, str, list[str]], pd.DataFrame]] = {
    "missing row": lambda f, i, c: f.iloc[1:],
    "extra duplicated row": lambda f, i, c: pd.concat([f, f.iloc[:1]]),
    "duplicated id instead of another": lambda f, i, c: _replace_id(f, i, 1, f.iloc[0, 0]),
    "unknown id": lambda f, i, c: _replace_id(f, i, 0, "not-a-test-id"),
    "missing prediction column": lambda f, i, c: f.drop(columns=[c[-1]]),
    "empty prediction cell": lambda f, i, c: f.assign(**{c[0]: f[c[0]].astype(object).where(f.index != f.index[0])}),
    "header only": lambda f, i, c: f.iloc[:0],
}


@dataclass
class Outcome:
    """How one side dealt with one submission: a score, or invalid (with the reason), or a crash."""

    score: float | None = None
    invalid: str | None = None
    crashed: str | None = None

    @property
    def scored(self) -> bool:
        return self.score is not None and not math.isnan(self.score)


def _mlebench_outcome(grade: Callable[..., Any], submission: Path, answers: Path) -> Outcome:
    from mlebench.grade_helpers import InvalidSubmissionError  # type: ignore[import-not-found]
    from mlebench.utils import load_answers, read_csv  # type: ignore[import-not-found]

    try:
        return Outcome(score=float(grade(read_csv(submission), load_answers(answers))))
    except InvalidSubmissionError as error:
        return Outcome(invalid=str(error))
    except Exception as error:  # MLE-bench's Grader counts any exception as an invalid submission
        return Outcome(crashed=f"{type(error).__name__}: {error}")


def _benchsmith_outcome(manifest: Path, submission: Path, answers: Path) -> Outcome:
    task = load_task(manifest)
    assert task.manifest is not None, task.problems
    try:
        grade = grade_submission(task.manifest, manifest, submission, answers.parent, answers=answers)
    except GradingError as error:
        return Outcome(crashed=str(error))
    return Outcome(score=grade.score) if grade.valid else Outcome(invalid=grade.reason)


@dataclass
class Graded:
    case: Case
    manifest: Path
    answers: Path
    results: dict[str, tuple[Outcome, Outcome]]  # submission name -> (MLE-bench, benchsmith)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    checkout = upstream_checkout("mle-bench", tmp_path_factory.mktemp("upstream"))
    sys.path.insert(0, str(checkout))
    return checkout


@pytest.fixture(scope="module")
def graded(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Graded]:
    root = tmp_path_factory.mktemp("parity")
    command = [sys.executable, "-m", "runner", "import", "mlebench", str(checkout), "--out", str(root / "tasks")]
    imported = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    rng = np.random.default_rng(2024)
    everything = []
    for case in CASES:
        manifest = root / "tasks" / f"{case.competition}.yaml"
        task = load_task(manifest)
        assert task.manifest is not None and task.manifest.submission is not None, task.problems
        spec = task.manifest.submission
        grade = importlib.import_module(f"mlebench.competitions.{case.competition}.grade").grade
        folder = root / case.competition
        folder.mkdir()
        answers_frame, good = case.build(rng, IDS[case.ids](rng), spec.id_column, list(spec.columns))
        answers = folder / answers_file(task.manifest)
        answers_frame.to_csv(answers, index=False)
        submissions = {"valid": good, "valid, rows shuffled": good.sample(frac=1.0, random_state=1)}
        for name, make in MALFORMED.items():
            submissions[name] = make(good, spec.id_column, list(spec.columns))
        results = {}
        for name, frame in submissions.items():
            path = folder / f"{name.replace(' ', '-').replace(',', '')}.csv"
            frame.to_csv(path, index=False)
            results[name] = (_mlebench_outcome(grade, path, answers), _benchsmith_outcome(manifest, path, answers))
        everything.append(Graded(case, manifest, answers, results))
    return everything


def test_valid_submissions_score_the_same(graded: list[Graded]) -> None:
    for item in graded:
        theirs, ours = item.results["valid"]
        assert theirs.scored, f"{item.case.competition}: MLE-bench did not score the synthetic submission: {theirs}"
        assert ours.scored, f"{item.case.competition}: benchsmith did not score it: {ours}"
        assert ours.score == pytest.approx(theirs.score, abs=1e-9, rel=0), item.case.competition
        # benchsmith aligns ids, so row order never changes its score.
        shuffled = item.results["valid, rows shuffled"][1]
        assert shuffled.score == pytest.approx(theirs.score, abs=1e-9, rel=0), item.case.competition


def test_malformed_submissions_are_rejected_with_a_reason(graded: list[Graded]) -> None:
    for item in graded:
        for name in MALFORMED:
            ours = item.results[name][1]
            assert ours.invalid, f"{item.case.competition}, {name}: benchsmith did not reject it: {ours}"


def test_runner_grade_with_answers_matches(graded: list[Graded]) -> None:
    for item in graded:
        command = [sys.executable, "-m", "runner", "grade", "--task", str(item.manifest),
                   str(item.answers.parent / "valid.csv"), "--answers", str(item.answers)]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)
        assert completed.returncode == 0, f"{item.case.competition}: {completed.stdout}{completed.stderr}"
        expected = item.results["valid"][0].score
        assert float(completed.stdout.strip()) == pytest.approx(expected, abs=1e-9, rel=0), item.case.competition


def test_parity_table(graded: list[Graded]) -> None:
    """The closing note's table; and every divergence is one where benchsmith is the stricter side."""
    print("\n| competition | metric | submissions compared | equal | both invalid | MLE-bench scored, benchsmith not |")
    print("|---|---|---|---|---|---|")
    totals = [0, 0, 0, 0]
    for item in graded:
        compared = len(item.results)
        equal = len([
            name for name, (theirs, ours) in item.results.items()
            if theirs.scored and ours.scored and abs((theirs.score or 0) - (ours.score or 0)) <= 1e-9
        ])  # fmt: skip
        both_invalid = sum(1 for theirs, ours in item.results.values() if not theirs.scored and not ours.scored)
        lenient = [name for name, (theirs, ours) in item.results.items() if theirs.scored and not ours.scored]
        unaligned = [
            name for name, (theirs, ours) in item.results.items()
            if theirs.scored and ours.scored and abs((theirs.score or 0) - (ours.score or 0)) > 1e-9
        ]  # fmt: skip
        assert unaligned in ([], ["valid, rows shuffled"]), (item.case.competition, unaligned)
        assert not [n for n, (theirs, ours) in item.results.items() if ours.scored and not theirs.scored]
        notes = ", ".join(lenient + [f"{n} (scored without aligning ids)" for n in unaligned]) or "-"
        print(f"| {item.case.competition} | {item.case.family} | {compared} | {equal} | {both_invalid} | {notes} |")
        for index, count in enumerate((compared, equal, both_invalid, len(lenient) + len(unaligned))):
            totals[index] += count
    print(f"| **total** | | {totals[0]} | {totals[1]} | {totals[2]} | {totals[3]} |")


# --- medals ------------------------------------------------------------------------------------------------------

TIER_SIZES = [1, 7, 42, 99, 100, 173, 249, 250, 517, 999, 1000, 1234, 2500]


def _leaderboard(rng: np.random.Generator, size: int, higher_is_better: bool, unscored: int) -> list[float]:
    """`size` teams best first, scores on a coarse grid so that many tie, the last `unscored` without a score."""
    scored = np.sort(rng.integers(0, max(4, size // 3), size - unscored) / 50.0)
    scored = scored[::-1] if higher_is_better else scored
    return [*scored.tolist(), *([math.nan] * unscored)]


def test_medals_match_mlebench_rank_score(checkout: Path) -> None:
    from mlebench.grade_helpers import Grader  # type: ignore[import-not-found,unused-ignore]

    grader = Grader("parity", "mlebench.competitions.spaceship-titanic.grade:grade")
    rng = np.random.default_rng(7)
    compared = 0
    for size in TIER_SIZES:
        for higher_is_better in (True, False):
            # MLE-bench infers the direction from the first and last rows; a last row without a score would make
            # every leaderboard "higher is better", so teams without a score are tested where that holds.
            for unscored in (0, size // 7) if higher_is_better else (0,):
                board = _leaderboard(rng, size, higher_is_better, unscored)
                frame = pd.DataFrame({"score": board})
                scored = [s for s in board if not math.isnan(s)]
                thresholds = grader.rank_score(None, frame)
                candidates: list[float | None] = [None, *scored[:: max(1, len(scored) // 25)]]
                for key in ("gold_threshold", "silver_threshold", "bronze_threshold", "median_threshold"):
                    at = thresholds[key]
                    if not math.isnan(at):
                        candidates += [at, at + 1e-7, at - 1e-7, at + 4e-6, at - 4e-6]
                for score in candidates:
                    rounded = None if score is None else round(score, MLEBENCH_DECIMALS)
                    expected = grader.rank_score(rounded, frame)
                    ours = medal(score, scored, higher_is_better, unscored=unscored, round_to=MLEBENCH_DECIMALS)
                    got = {"gold_medal": ours.medal == "gold", "silver_medal": ours.medal == "silver",
                           "bronze_medal": ours.medal == "bronze", "above_median": ours.above_median}  # fmt: skip
                    assert got == {k: bool(expected[k]) for k in got}, (size, higher_is_better, unscored, score)
                    for key, value in (("gold_threshold", ours.gold_threshold),
                                       ("silver_threshold", ours.silver_threshold),
                                       ("bronze_threshold", ours.bronze_threshold),
                                       ("median_threshold", ours.median_threshold)):  # fmt: skip
                        theirs = expected[key]
                        assert (value is None and math.isnan(theirs)) or value == theirs, (size, key, value, theirs)
                    assert ours.leaderboard_size == len(board)
                    compared += 1
    print(f"\nmedal parity: {compared} (leaderboard, score) pairs equal to Grader.rank_score over sizes {TIER_SIZES}")
    assert compared > 1000


def test_mlebench_rounding_is_off_by_default_and_stated_when_on() -> None:
    board = [0.95, 0.9, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    as_graded = medal(0.8999996, board, higher_is_better=True)
    rounded = medal(0.8999996, board, higher_is_better=True, round_to=MLEBENCH_DECIMALS)
    assert as_graded.medal == "bronze" and as_graded.score_rounded_to is None
    assert rounded.medal == "silver" and rounded.score_rounded_to == MLEBENCH_DECIMALS


def test_teams_without_a_score_count_but_hold_no_threshold() -> None:
    judged = medal(0.5, [0.9, 0.8], higher_is_better=True, unscored=8)
    assert judged.leaderboard_size == 10
    assert (judged.gold_threshold, judged.silver_threshold, judged.bronze_threshold) == (0.9, 0.8, None)
    assert judged.medal is None and judged.median_threshold == pytest.approx(0.85)
