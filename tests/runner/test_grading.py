"""Grading a submission file: a score, or an invalid-submission reason a person can act on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runner.grading import GradingError, grade_submission
from runner.preparation import PreparedTask, prepare_task
from spec import AnyTask, load_task
from tests.conftest import CURATED

MANIFEST = CURATED / "penguins-species.yaml"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[AnyTask, PreparedTask]:
    task = load_task(MANIFEST)
    assert task.manifest is not None
    return task.manifest, prepare_task(task, cache_root=tmp_path_factory.mktemp("cache"))


def _answers(prepared: tuple[AnyTask, PreparedTask]) -> pd.DataFrame:
    return pd.read_csv(prepared[1].private / "answers.csv")


def _grade(prepared: tuple[AnyTask, PreparedTask], path: Path):  # type: ignore[no-untyped-def]
    return grade_submission(prepared[0], MANIFEST, path, prepared[1].private)


def test_perfect_and_sample_submissions(prepared: tuple[AnyTask, PreparedTask], tmp_path: Path) -> None:
    path = tmp_path / "submission.csv"
    _answers(prepared).sample(frac=1.0, random_state=0).to_csv(path, index=False)
    grade = _grade(prepared, path)
    assert grade.valid and grade.score == 1.0 and grade.reason is None
    sample = _grade(prepared, prepared[1].public / "sample_submission.csv")
    assert sample.valid and sample.score is not None and 0.2 < sample.score < 0.6


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda f: f.iloc[1:], "1 test id(s) have no prediction"),
        (lambda f: pd.concat([f, f.iloc[:2]]), "2 id(s) appear more than once"),
        (
            lambda f: f.rename(columns={"species": "label"}),
            "missing column(s) 'species'; the header must be: id,species",
        ),
        (lambda f: f.assign(extra=1), "unexpected column(s) 'extra'"),
        (lambda f: f.assign(species=None), "column 'species' is empty or NaN for"),
        (lambda f: pd.concat([f, f.iloc[:1].assign(id=10_000)]), "1 id(s) are not in the test set: '10000'"),
    ],
)
def test_broken_submissions_are_invalid_with_a_reason(
    prepared: tuple[AnyTask, PreparedTask],
    tmp_path: Path,
    mutate,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "submission.csv"
    mutate(_answers(prepared)).to_csv(path, index=False)
    grade = _grade(prepared, path)
    assert not grade.valid and grade.score is None
    assert reason in (grade.reason or "")


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"\xff\xfe\x00junk", "not a readable UTF-8 CSV"), (None, "no submission file")],
)
def test_unreadable_files(
    prepared: tuple[AnyTask, PreparedTask], tmp_path: Path, content: bytes | None, reason: str
) -> None:
    path = tmp_path / "submission.csv"
    if content is not None:
        path.write_bytes(content)
    grade = _grade(prepared, path)
    assert not grade.valid and reason in (grade.reason or "")


# --- the fast path: Arrow checks and alignment, vectorised metrics -----------------------------------------------


def _task_with(tmp_path: Path, metric: str, column: str, higher_is_better: bool = True) -> tuple[AnyTask, Path]:
    """A copy of the penguins manifest with another metric and prediction column."""
    import shutil

    root = tmp_path / "task"
    shutil.copytree(CURATED / "penguins-species", root / "penguins-species")
    manifest = root / "penguins-species.yaml"
    text = MANIFEST.read_text(encoding="utf-8")
    text = text.replace("columns: [species]", f"columns: [{column}]")
    text = text.replace(
        "metric: {name: accuracy, higher_is_better: true}",
        f"metric: {{name: {metric}, higher_is_better: {str(higher_is_better).lower()}}}",
    )
    manifest.write_text(text, encoding="utf-8")
    loaded = load_task(manifest)
    assert loaded.manifest is not None, loaded.problems
    return loaded.manifest, manifest


def _write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("fixed_width", [True, False])
@pytest.mark.parametrize(
    ("metric", "higher_is_better"), [("accuracy", True), ("roc_auc", True), ("rmse", False), ("mae", False)]
)
def test_fast_path_scores_equal_the_reference_path(
    tmp_path: Path, metric: str, higher_is_better: bool, fixed_width: bool
) -> None:
    from runner.grading import score_frames
    from runner.grading._grade import read_answers

    rng = np.random.default_rng(7)
    n = 500
    ids = [f"{i:05d}_01" if fixed_width else f"t3_{i * 7919}" for i in range(n)]
    if metric == "accuracy":
        truth, guess = rng.choice(["cat", "dog", "emu"], n), rng.choice(["cat", "dog", "emu"], n)
    elif metric == "roc_auc":
        truth, guess = rng.integers(0, 2, n), rng.random(n).round(2)  # rounded: tied scores
    else:
        truth, guess = rng.normal(size=n).round(3), rng.normal(size=n)
    task, manifest = _task_with(tmp_path, metric, "y", higher_is_better)
    answers = _write(tmp_path / "answers.csv", pd.DataFrame({"id": ids, "y": truth}))
    order = rng.permutation(n)
    submission = _write(tmp_path / "submission.csv", pd.DataFrame({"id": ids, "y": guess}).iloc[order])
    fast = grade_submission(task, manifest, submission, tmp_path, answers=answers)
    reference = score_frames(
        task, manifest, pd.read_csv(submission, dtype={"id": str}), read_answers(tmp_path, "id", answers)
    )
    assert fast.valid and fast.score is not None
    assert fast.score == pytest.approx(reference, abs=1e-12)
    if metric != "roc_auc":  # the Mann-Whitney form rounds once; scikit-learn's trapezoids round along the way
        assert fast.score == reference


def _shaped_ids(shape: str, n: int, rng: np.random.Generator) -> list[str]:
    numbers = rng.permutation(10 * n)[:n]
    if shape == "timestamps":  # 27 bytes, one width: four words before packing
        return [
            f"2015-01-{1 + i // 86400:02d} {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.0000002"
            for i in numbers
        ]
    if shape == "uuids":  # 36 bytes of hex: more than one word after packing
        return [f"{int(i) * 0x9E3779B97F4A7C15 % 2**128:032x}-{i:03d}" for i in numbers]
    if shape == "short":  # one width, under eight bytes: the last ids' words run past the text
        return [f"{i:05d}" for i in numbers]
    if shape == "unicode":  # multi-byte UTF-8, of varying width
        return [f"é{'ü' * int(i % 3)}{i}" for i in numbers]
    return [str(i) for i in numbers]  # integers of varying width, as most Kaggle ids


@pytest.mark.parametrize("shape", ["timestamps", "uuids", "short", "unicode", "integers"])
def test_fast_path_aligns_every_id_shape_as_the_reference_path(tmp_path: Path, shape: str) -> None:
    from runner.grading import score_frames
    from runner.grading._fast import fast_score
    from runner.grading._grade import read_answers

    rng = np.random.default_rng(11)
    n = 3000
    ids = _shaped_ids(shape, n, rng)
    task, manifest = _task_with(tmp_path, "rmse", "y", higher_is_better=False)
    answers = _write(tmp_path / "answers.csv", pd.DataFrame({"id": ids, "y": rng.normal(size=n)}))
    frame = pd.DataFrame({"id": ids, "y": rng.normal(size=n)})
    for name, submitted in {
        "shuffled": frame.iloc[rng.permutation(n)],
        "in order": frame,
        "one id longer": frame.assign(id=[*ids[:-1], ids[-1] + "x" * 40]),
        "one id repeated": frame.assign(id=[*ids[:-1], ids[0]]),
    }.items():
        submission = _write(tmp_path / "submission.csv", submitted)
        fast = fast_score(task, submission, answers)
        if name in ("shuffled", "in order"):
            reference = score_frames(
                task, manifest, pd.read_csv(submission, dtype={"id": str}), read_answers(tmp_path, "id", answers)
            )
            assert fast == reference, name
        else:  # the reference path words the reason
            assert fast is None, name
            assert not grade_submission(task, manifest, submission, tmp_path, answers=answers).valid


@pytest.mark.parametrize("shape", ["timestamps", "uuids", "short", "unicode", "integers"])
def test_alignment_across_arrow_chunks_pairs_every_id(shape: str) -> None:
    """Large files arrive in many chunks, some starting mid-buffer; ids are read in place from each."""
    import pyarrow as pa

    from runner.grading._fast import _alignment

    rng = np.random.default_rng(5)
    n = 2000
    ids = _shaped_ids(shape, n, rng)

    def chunked(values: list[str]) -> pa.ChunkedArray:
        whole = pa.array(["padding", *values])[1:]  # an offset into its buffers
        cuts = sorted(int(cut) for cut in rng.choice(np.arange(1, n), 5, replace=False))
        return pa.chunked_array([whole[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)])

    shuffled = [ids[i] for i in rng.permutation(n)]
    positions = _alignment(chunked(shuffled), chunked(ids))
    assert isinstance(positions, np.ndarray)
    assert [shuffled[p] for p in positions] == ids
    assert _alignment(chunked(sorted(ids)), chunked(sorted(ids))) is True  # already in order: nothing to move
    assert _alignment(chunked([*shuffled[:-1], shuffled[0]]), chunked(ids)) is None


def test_vectorised_metrics_equal_the_library_on_random_inputs() -> None:
    import pyarrow as pa

    from runner.metrics import get_metric, vectorised_score

    rng = np.random.default_rng(3)
    for _ in range(60):
        n = int(rng.integers(2, 2000))
        truth, guess = rng.normal(size=n).round(int(rng.integers(0, 5))), rng.normal(size=n).round(2)
        labels = rng.integers(0, 2, n)
        labels[0], labels[1] = 0, 1
        cases = {"rmse": (truth, guess), "mse": (truth, guess), "mae": (truth, guess), "roc_auc": (labels, guess),
                 "accuracy": (labels, rng.integers(0, 2, n))}  # fmt: skip
        cases["accuracy of booleans"] = (labels.astype(bool), rng.integers(0, 2, n).astype(bool))
        for case, (answers, predictions) in cases.items():
            name = case.split()[0]
            expected = get_metric(name).score(pd.DataFrame({"a": answers}), pd.DataFrame({"p": predictions}))
            got = vectorised_score(name, [pa.array(answers)], [pa.array(predictions)], {})
            assert got == pytest.approx(expected, abs=1e-12), case
            # Shuffled predictions with the order that pairs them back, in chunks that start mid-buffer (an offset).
            shuffled = rng.permutation(n)
            cut = int(rng.integers(1, n))
            padded = pa.array(np.concatenate([predictions[:1], predictions[shuffled]]))[1:]
            chunked = pa.chunked_array([padded[:cut], padded[cut:]])
            reordered = vectorised_score(name, [pa.array(answers)], [chunked], {}, order=np.argsort(shuffled))
            assert reordered == got, case


def test_the_fast_path_falls_back_for_what_it_does_not_reproduce() -> None:
    import pyarrow as pa

    from runner.metrics import vectorised_score

    floats, ints = pa.array([0.5, 1.5]), pa.array([0, 1])
    assert vectorised_score("accuracy", [floats], [floats], {}) is None  # continuous labels: the library refuses
    assert vectorised_score("accuracy", [ints], [pa.array(["0", "1"])], {}) is None  # mixed label types
    assert vectorised_score("roc_auc", [pa.array([1, 1])], [floats], {}) is None  # one class: a worded error
    assert vectorised_score("rmse", [floats], [pa.array([0.5, float("inf")])], {}) is None
    assert vectorised_score("rmse", [pa.array([2**53 + 1, 0])], [floats], {}) is None  # no float64 holds it
    assert vectorised_score("f1_macro", [ints], [ints], {}) is None  # no vectorised formulation


def test_grading_a_well_formed_file_imports_neither_pandas_nor_sklearn(tmp_path: Path) -> None:
    _, manifest = _task_with(tmp_path, "rmse", "y", higher_is_better=False)
    answers = tmp_path / "answers.csv"
    answers.write_text("id,y\n" + "".join(f"{i:04d},{i / 7:.3f}\n" for i in range(100)))
    submission = tmp_path / "submission.csv"
    submission.write_text("id,y\n" + "".join(f"{i:04d},{i / 6:.3f}\n" for i in reversed(range(100))))
    script = (
        "import sys; from pathlib import Path; from spec import load_task; from runner.grading import grade_submission;"
        f"t = load_task(Path({str(manifest)!r})); "
        f"g = grade_submission(t.manifest, t.path, Path({str(submission)!r}), Path('.'), "
        f"answers=Path({str(answers)!r}));"
        "print(g.valid, [m for m in ('pandas', 'sklearn', 'scipy') if m in sys.modules])"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.stdout.strip() == "True []", completed.stderr


def test_upstream_invalid_submission_errors_are_invalid_submissions(tmp_path: Path) -> None:
    """MLE-bench's graders raise `InvalidSubmissionError`, a plain Exception subclass, for a bad submission."""
    import shutil

    root = tmp_path / "task"
    shutil.copytree(CURATED / "penguins-species", root / "penguins-species")
    (root / "penguins-species" / "metric.py").write_text(
        "class InvalidSubmissionError(Exception):\n    pass\n\n\n"
        "def score(submission, answers):\n"
        "    if (submission['species'] == 'bad').any():\n"
        "        raise InvalidSubmissionError('species must not be bad')\n"
        "    if (submission['species'] == 'crash').any():\n"
        "        raise KeyError('crash')\n"
        "    return 1.0\n",
        encoding="utf-8",
    )
    manifest = root / "penguins-species.yaml"
    text = MANIFEST.read_text(encoding="utf-8").replace(
        "metric: {name: accuracy, higher_is_better: true}",
        "metric: {script: penguins-species/metric.py, higher_is_better: true}",
    )
    manifest.write_text(text, encoding="utf-8")
    loaded = load_task(manifest)
    assert loaded.manifest is not None, loaded.problems
    answers = _write(tmp_path / "answers.csv", pd.DataFrame({"id": ["a", "b"], "species": ["x", "y"]}))
    good = _write(tmp_path / "good.csv", pd.DataFrame({"id": ["b", "a"], "species": ["y", "x"]}))
    graded = grade_submission(loaded.manifest, manifest, good, tmp_path, answers=answers)
    assert graded.valid and graded.score == 1.0
    bad = _write(tmp_path / "bad.csv", pd.DataFrame({"id": ["b", "a"], "species": ["bad", "x"]}))
    rejected = grade_submission(loaded.manifest, manifest, bad, tmp_path, answers=answers)
    assert not rejected.valid and rejected.reason == "species must not be bad"
    crash = _write(tmp_path / "crash.csv", pd.DataFrame({"id": ["b", "a"], "species": ["crash", "x"]}))
    with pytest.raises(GradingError, match="crashed: KeyError"):
        grade_submission(loaded.manifest, manifest, crash, tmp_path, answers=answers)


def test_grade_command_with_answers(tmp_path: Path) -> None:
    answers = _write(tmp_path / "my-answers.csv", pd.DataFrame({"id": ["1", "2", "3", "4"], "species": list("abab")}))
    submission = _write(
        tmp_path / "submission.csv", pd.DataFrame({"id": ["4", "3", "2", "1"], "species": list("bbba")})
    )
    command = [sys.executable, "-m", "runner", "grade", "--task", str(MANIFEST), str(submission)]
    scored = subprocess.run([*command, "--answers", str(answers)], capture_output=True, text=True, timeout=120)
    assert scored.returncode == 0, scored.stderr
    assert float(scored.stdout) == 0.75
    missing = subprocess.run([*command, "--answers", str(tmp_path / "nope.csv")], capture_output=True, text=True)
    assert missing.returncode == 2 and "--answers" in missing.stderr


def test_json_lines_answers_reach_an_entry_point_metric_as_records(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "task"
    shutil.copytree(CURATED / "penguins-species", root / "penguins-species")
    (root / "penguins-species" / "metric.py").write_text(
        "def score(submission, answers):\n"
        "    truth = {record['id']: record['species'] for record in answers}\n"
        "    return sum(truth[i] == s for i, s in zip(submission['id'], submission['species'])) / len(truth)\n",
        encoding="utf-8",
    )
    manifest = root / "penguins-species.yaml"
    text = MANIFEST.read_text(encoding="utf-8").replace(
        "metric: {name: accuracy, higher_is_better: true}",
        "metric: {script: penguins-species/metric.py, higher_is_better: true}\nanswers: answers.jsonl",
    )
    manifest.write_text(text, encoding="utf-8")
    loaded = load_task(manifest)
    assert loaded.manifest is not None, loaded.problems
    (tmp_path / "answers.jsonl").write_text('{"id": "a", "species": "x"}\n{"id": "b", "species": "y"}\n')
    submission = _write(tmp_path / "submission.csv", pd.DataFrame({"id": ["a", "b"], "species": ["x", "x"]}))
    graded = grade_submission(loaded.manifest, manifest, submission, tmp_path)
    assert graded.valid and graded.score == 0.5


def test_ids_sharing_a_prefix_align_and_duplicates_fall_back_to_the_worded_reason(tmp_path: Path) -> None:
    task, manifest = _task_with(tmp_path, "rmse", "y", higher_is_better=False)
    ids = [f"2015-01-{i:02d} 10:{i:02d}" if i % 2 else f"2015-01-{i:02d}" for i in range(60)]  # widths vary
    answers = _write(tmp_path / "answers.csv", pd.DataFrame({"id": ids, "y": np.arange(60.0)}))
    shuffled = pd.DataFrame({"id": ids, "y": np.arange(60.0) + 1}).sample(frac=1.0, random_state=3)
    graded = grade_submission(task, manifest, _write(tmp_path / "s.csv", shuffled), tmp_path, answers=answers)
    assert graded.valid and graded.score == 1.0
    twice = shuffled.assign(id=[shuffled["id"].iloc[1], *shuffled["id"].iloc[1:]])
    rejected = grade_submission(task, manifest, _write(tmp_path / "d.csv", twice), tmp_path, answers=answers)
    assert not rejected.valid and "1 id(s) appear more than once" in (rejected.reason or "")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_long_and_ragged_ids_align_as_the_reference_path_does(tmp_path: Path, seed: int) -> None:
    """Ids that need several packed 64-bit words (uuids), of ragged widths, non-ASCII: the same score."""
    import uuid

    from runner.grading import score_frames
    from runner.grading._grade import read_answers

    rng = np.random.default_rng(seed)
    n = 300
    ids = [
        str(uuid.UUID(int=int(v))) + ("é" * int(k))
        for v, k in zip(rng.integers(0, 2**62, n), rng.integers(0, 3, n), strict=True)
    ]
    task, manifest = _task_with(tmp_path, "mae", "y", higher_is_better=False)
    answers = _write(tmp_path / "answers.csv", pd.DataFrame({"id": ids, "y": rng.normal(size=n)}))
    submission = _write(
        tmp_path / "submission.csv",
        pd.DataFrame({"id": ids, "y": rng.normal(size=n)}).sample(frac=1.0, random_state=seed),
    )
    fast = grade_submission(task, manifest, submission, tmp_path, answers=answers)
    reference = score_frames(
        task, manifest, pd.read_csv(submission, dtype={"id": str}), read_answers(tmp_path, "id", answers)
    )
    assert fast.valid and fast.score == reference
