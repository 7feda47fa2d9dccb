"""Grade a submission file against the private answers: a score, or a human reason it is invalid."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from runner.metrics import MetricInputError, get_metric
from spec import AnyTask, EntrypointMetric, NamedMetric, ScriptMetric, StrictModel

if TYPE_CHECKING:
    import pandas as pd

MIN_SIZE_LIMIT = 50 * 1024 * 1024
ANSWERS_FILE = "answers.csv"
_SHOWN = 5


class GradingError(RuntimeError):
    """The task, not the submission, is at fault (a crashing metric script, unreadable answers)."""


class InvalidSubmission(ValueError):
    """The submission cannot be scored; the message says why in words an agent can act on."""


class Grade(StrictModel):
    """The outcome of grading one submission."""

    valid: bool = Field(description="True when the submission was scored.")
    score: float | None = Field(default=None, description="Metric value; None when invalid.")
    reason: str | None = Field(default=None, description="Why the submission is invalid; None when valid.")


def _examples(values: list[Any]) -> str:
    shown = ", ".join(repr(value) for value in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")


def _read_csv(path: Path, id_column: str, what: str) -> pd.DataFrame:
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype={id_column: str}, keep_default_na=True, low_memory=False)
    except pd.errors.EmptyDataError:
        raise InvalidSubmission(f"{what} is empty; write a header line and one row per test id") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InvalidSubmission(f"{what} is not a readable UTF-8 CSV file: {first}") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


def read_answers(private: Path, id_column: str) -> pd.DataFrame:
    """The private answers: the id column and the target column(s)."""
    path = private / ANSWERS_FILE
    try:
        answers = _read_csv(path, id_column, f"answers file {path}")
    except (InvalidSubmission, OSError) as error:
        raise GradingError(str(error)) from None
    if id_column not in answers.columns:
        raise GradingError(f"{path} has no id column {id_column!r}")
    return answers


def check_submission(submission: pd.DataFrame, answers: pd.DataFrame, task: AnyTask) -> pd.DataFrame:
    """Validate a parsed submission's shape and ids against the answers; return it aligned to the answers' order."""
    spec = task.submission
    if spec is None:
        raise GradingError(f"task {task.id} declares no submission format")
    expected = [spec.id_column, *spec.columns]
    header = ",".join(expected)
    missing = [column for column in expected if column not in submission.columns]
    if missing:
        raise InvalidSubmission(f"missing column(s) {_examples(missing)}; the header must be: {header}")
    extra = [column for column in submission.columns if column not in expected]
    if extra:
        raise InvalidSubmission(f"unexpected column(s) {_examples(extra)}; the header must be: {header}")
    ids = submission[spec.id_column]
    if ids.isna().any():
        raise InvalidSubmission(f"{int(ids.isna().sum())} row(s) have an empty {spec.id_column}")
    duplicated = ids[ids.duplicated()].unique().tolist()
    if duplicated:
        raise InvalidSubmission(f"{len(duplicated)} id(s) appear more than once: {_examples(duplicated)}")
    wanted = answers[spec.id_column]
    absent = sorted(set(wanted) - set(ids))
    if absent:
        raise InvalidSubmission(f"{len(absent)} test id(s) have no prediction: {_examples(absent)}")
    unknown = sorted(set(ids) - set(wanted))
    if unknown:
        raise InvalidSubmission(f"{len(unknown)} id(s) are not in the test set: {_examples(unknown)}")
    for column in spec.columns:
        empty = submission.loc[submission[column].isna(), spec.id_column].tolist()
        if empty:
            raise InvalidSubmission(f"column {column!r} is empty or NaN for {len(empty)} id(s): {_examples(empty)}")
    aligned: pd.DataFrame = submission.set_index(spec.id_column).loc[wanted.tolist()].reset_index()
    result: pd.DataFrame = aligned[expected]
    return result


def _numeric_predictions(predictions: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    converted: pd.DataFrame = predictions.apply(pd.to_numeric, errors="coerce")
    for column in predictions.columns:
        bad = predictions.loc[converted[column].isna(), column].tolist()
        if bad:
            raise InvalidSubmission(f"column {column!r} must hold numbers; got {_examples(bad)}")
    return converted


def _call_metric_function(function: Any, submission: pd.DataFrame, answers: pd.DataFrame, where: str) -> float:
    try:
        value = function(submission.copy(), answers.copy())
    except (InvalidSubmission, ValueError) as error:
        raise InvalidSubmission(str(error) or f"{where} rejected the submission") from None
    except Exception as error:
        raise GradingError(f"{where} crashed: {type(error).__name__}: {error}") from error
    try:
        return float(value)
    except (TypeError, ValueError):
        raise GradingError(f"{where} returned {value!r}, not a number") from None


def _load_function(metric: ScriptMetric | EntrypointMetric, manifest_path: Path) -> tuple[Any, str]:
    if isinstance(metric, ScriptMetric):
        path = (manifest_path.parent / metric.script).resolve()
        try:
            content = path.read_bytes()
        except OSError as error:
            raise GradingError(f"cannot read metric script {path}: {error}") from None
        # Keyed by content, so an edited script is imported afresh rather than served stale from sys.modules.
        module_name = f"benchsmith_metric_{hashlib.sha256(content).hexdigest()[:16]}"
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise GradingError(f"cannot import metric script {path}")
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except Exception as error:
                raise GradingError(f"metric script {path} failed to import: {error}") from error
            sys.modules[module_name] = module
        return module.score, f"metric script {metric.script}"
    module_path, _, function_name = metric.entrypoint.partition(":")
    try:
        module = importlib.import_module(module_path)
    except ImportError as error:
        raise GradingError(f"metric entry point {metric.entrypoint}: cannot import {module_path}: {error}") from None
    return getattr(module, function_name), f"metric entry point {metric.entrypoint}"


def score_frames(task: AnyTask, manifest_path: Path, submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    """Score an already parsed submission; raises InvalidSubmission or GradingError."""
    aligned = check_submission(submission, answers, task)
    spec = task.submission
    assert spec is not None  # check_submission raised otherwise
    metric = task.metric
    if isinstance(metric, NamedMetric):
        registered = get_metric(metric.name)
        predictions = aligned[spec.columns].reset_index(drop=True)
        if registered.prediction in ("value", "probability"):
            predictions = _numeric_predictions(predictions)
        truth = answers.drop(columns=[spec.id_column]).reset_index(drop=True)
        try:
            value = registered.score(truth, predictions, **metric.params)
        except MetricInputError as error:
            raise InvalidSubmission(str(error)) from None
    else:
        function, where = _load_function(metric, manifest_path)
        value = _call_metric_function(function, aligned, answers, where)
    if not math.isfinite(value):
        raise InvalidSubmission(f"the metric gave {value} for this submission")
    return value


def grade_submission(task: AnyTask, manifest_path: Path, submission: Path, private: Path) -> Grade:
    """Grade a submission file; invalid submissions get a reason, never an exception.

    GradingError still propagates: it means the task is broken, which a caller must not blame on the agent.
    """
    id_column = task.submission.id_column if task.submission else "id"
    answers = read_answers(private, id_column)
    try:
        if not submission.is_file():
            raise InvalidSubmission(f"no submission file at {submission.name}")
        size = submission.stat().st_size
        limit = max(MIN_SIZE_LIMIT, 20 * (private / ANSWERS_FILE).stat().st_size)
        if size > limit:
            raise InvalidSubmission(f"submission is {size} bytes, larger than the {limit}-byte limit")
        if size == 0:
            raise InvalidSubmission("submission file is empty; write a header line and one row per test id")
        frame = _read_csv(submission, id_column, "submission")
        score = score_frames(task, manifest_path, frame, answers)
    except InvalidSubmission as error:
        return Grade(valid=False, reason=str(error))
    return Grade(valid=True, score=score)
