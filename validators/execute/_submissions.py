"""Broken submissions get an invalid-submission result with a reason: never a crash, never a score."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from spec import LoadedTask, NamedMetric, Problem

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    from ._kit import Kit

if TYPE_CHECKING:
    import pandas as pd

_FIELD = ("submission",)


def _cases(kit: Kit, perfect: pd.DataFrame) -> dict[str, Callable[[Path], object]]:
    import numpy as np
    import pandas as pd

    from runner.grading._grade import MIN_SIZE_LIMIT
    from runner.preparation import write_csv

    first = kit.columns[0]
    wrong_names = perfect.rename(columns={first: f"{first}_prediction"})
    nan = perfect.copy()
    nan[first] = nan[first].astype(object)
    nan.loc[nan.index[0], first] = np.nan
    extra = pd.concat([perfect, perfect.iloc[:1].assign(**{kit.id_column: "not-a-test-id"})])
    cases: dict[str, Callable[[Path], object]] = {
        "missing ids": lambda path: write_csv(perfect.iloc[1:], path),
        "extra ids": lambda path: write_csv(extra, path),
        "duplicate ids": lambda path: write_csv(pd.concat([perfect, perfect.iloc[:1]]), path),
        "a NaN prediction": lambda path: write_csv(nan, path),
        "wrong column names": lambda path: write_csv(wrong_names, path),
        "an empty file": lambda path: path.write_bytes(b""),
        "a header only": lambda path: path.write_text(",".join(perfect.columns) + "\n"),
        "binary junk": lambda path: path.write_bytes(bytes(range(256)) * 8),
        "a huge file": lambda path: _sparse_file(path, MIN_SIZE_LIMIT + 20 * _answers_size(kit) + 1),
    }
    if kit.prediction in ("value", "probability"):
        text = perfect.copy()
        text[first] = text[first].astype(object)
        text.loc[text.index[0], first] = "not-a-number"
        cases["text in a numeric column"] = lambda path: write_csv(text, path)
    return cases


def _answers_size(kit: Kit) -> int:
    return (kit.prepared.private / "answers.csv").stat().st_size


def _sparse_file(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


@task_check(
    "submission-handling",
    layer="execute",
    codes=("submission.accepted-bad", "submission.crash", "metric.crashes-on-nan"),
    description="Missing/extra/duplicate ids, NaN, wrong columns or dtypes, empty, junk and huge files are "
    "invalid submissions with a reason.",
)
def check_submission_handling(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.grading import GradingError, grade_submission
    from runner.preparation import PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    try:
        perfect = kit.perfect()
    except GradingError:
        return  # metric-sanity reports it
    with tempfile.TemporaryDirectory(prefix="benchsmith-sub-") as scratch:
        for case, write in _cases(kit, perfect).items():
            path = Path(scratch) / "submission.csv"
            write(path)
            try:
                grade = grade_submission(kit.manifest, task.path, path, kit.prepared.private)
            except GradingError as error:
                yield task.problem("submission.crash", f"grading {case} crashed: {error}", _FIELD)
                continue
            if grade.valid:
                yield task.problem(
                    "submission.accepted-bad",
                    f"a submission with {case} was scored ({grade.score}), not rejected",
                    _FIELD,
                )
            path.unlink()
    yield from _script_metric_on_nan(task, kit, perfect)


def _script_metric_on_nan(task: LoadedTask, kit: Kit, perfect: pd.DataFrame) -> Iterator[Problem]:
    """A metric script must reject NaN predictions itself; the grader's own NaN check is not its only guard."""
    import numpy as np

    from runner.grading import GradingError
    from runner.grading._grade import _load_function

    metric = kit.manifest.metric
    if isinstance(metric, NamedMetric):
        return
    try:
        function, where = _load_function(metric, task.path)
    except GradingError as error:
        yield task.problem("submission.crash", str(error), ("metric",))
        return
    broken = perfect.copy()
    broken[kit.columns[0]] = broken[kit.columns[0]].astype(object)
    broken.loc[broken.index[: max(1, len(broken) // 10)], kit.columns[0]] = np.nan
    try:
        value = function(broken, kit.answers.copy())
    except ValueError:
        return
    except Exception as error:
        yield task.problem(
            "metric.crashes-on-nan",
            f"{where} crashed on NaN predictions with {type(error).__name__}: {error}; raise ValueError with a "
            "reason instead",
            ("metric",),
        )
        return
    try:
        finite = math.isfinite(float(value))
    except (TypeError, ValueError):
        finite = False
    if finite:
        yield task.problem(
            "metric.crashes-on-nan",
            f"{where} returned a score ({value}) for NaN predictions; raise ValueError instead",
            ("metric",),
        )
