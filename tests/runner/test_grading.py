"""Grading a submission file: a score, or an invalid-submission reason a person can act on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from runner.grading import grade_submission
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
