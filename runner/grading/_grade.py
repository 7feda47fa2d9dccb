"""Grade a submission file against the private answers: a score, or a human reason it is invalid."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from runner._errors import BenchsmithError
from runner.metrics import MetricInputError, get_metric
from spec import AnyTask, EntrypointMetric, NamedMetric, ScriptMetric, StrictModel, import_entrypoint

from ._fast import fast_score

if TYPE_CHECKING:
    import pandas as pd

MIN_SIZE_LIMIT = 50 * 1024 * 1024
ANSWERS_FILE = "answers.csv"
_SHOWN = 5


class GradingError(BenchsmithError, RuntimeError):
    """The task, not the submission, is at fault (a crashing metric script, unreadable answers)."""


class InvalidSubmission(BenchsmithError, ValueError):
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


def read_answers(private: Path, id_column: str, path: Path | None = None) -> pd.DataFrame:
    """The private answers (`path`, else `answers.csv` in `private`): the id column and the target column(s)."""
    path = path or private / ANSWERS_FILE
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
    # Hash-based pandas operations throughout: only the offending ids ever become Python objects.
    ids = submission[spec.id_column]
    missing_ids = ids.isna()
    if missing_ids.any():
        raise InvalidSubmission(f"{int(missing_ids.sum())} row(s) have an empty {spec.id_column}")
    duplicated = ids[ids.duplicated()].unique().tolist()
    if duplicated:
        raise InvalidSubmission(f"{len(duplicated)} id(s) appear more than once: {_examples(duplicated)}")
    wanted = answers[spec.id_column]
    absent = _sorted_unique(wanted[~wanted.isin(ids)])
    if absent:
        raise InvalidSubmission(f"{len(absent)} test id(s) have no prediction: {_examples(absent)}")
    unknown = _sorted_unique(ids[~ids.isin(wanted)])
    if unknown:
        raise InvalidSubmission(f"{len(unknown)} id(s) are not in the test set: {_examples(unknown)}")
    for column in spec.columns:
        empty = submission.loc[submission[column].isna(), spec.id_column].tolist()
        if empty:
            raise InvalidSubmission(f"column {column!r} is empty or NaN for {len(empty)} id(s): {_examples(empty)}")
    import pandas as pd

    positions = pd.Index(ids).get_indexer(wanted)
    result: pd.DataFrame = submission.iloc[positions][expected].reset_index(drop=True)
    return result


def _sorted_unique(values: pd.Series[Any]) -> list[Any]:
    return sorted(values.unique().tolist())


def _numeric_predictions(predictions: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    converted: pd.DataFrame = predictions.apply(pd.to_numeric, errors="coerce")
    for column in predictions.columns:
        bad = predictions.loc[converted[column].isna(), column].tolist()
        if bad:
            raise InvalidSubmission(f"column {column!r} must hold numbers; got {_examples(bad)}")
    return converted


def _call_metric_function(function: Any, submission: pd.DataFrame, answers: Any, where: str) -> float:
    import copy

    try:
        value = function(submission.copy(), copy.deepcopy(answers) if isinstance(answers, list) else answers.copy())
    except Exception as error:
        if _rejects_submission(error):
            raise InvalidSubmission(str(error) or f"{where} rejected the submission") from None
        raise GradingError(f"{where} crashed: {type(error).__name__}: {error}") from error
    try:
        return float(value)
    except (TypeError, ValueError):
        raise GradingError(f"{where} returned {value!r}, not a number") from None


def _rejects_submission(error: Exception) -> bool:
    """Whether a metric function's exception blames the submission rather than the task.

    Besides ValueError (and our own InvalidSubmission), MLE-bench's graders raise
    `mlebench.grade_helpers.InvalidSubmissionError`, a plain Exception subclass; it is recognised by name so
    that grading never has to import MLE-bench.
    """
    if isinstance(error, ValueError):
        return True
    return any(cls.__name__ == "InvalidSubmissionError" for cls in type(error).__mro__)


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
    try:
        function = import_entrypoint(metric.entrypoint, metric.import_path, manifest_path)
    except (ImportError, AttributeError) as error:
        raise GradingError(f"metric entry point {metric.entrypoint}: cannot import it: {error}") from None
    return function, f"metric entry point {metric.entrypoint}"


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
    return _finite(value)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise InvalidSubmission(f"the metric gave {value} for this submission")
    return value


def answers_file(task: AnyTask) -> str:
    """The name of the task's answers file in its prepared private folder."""
    return str(getattr(task, "answers", ANSWERS_FILE))


def _read_records(path: Path) -> list[Any]:
    """JSON-lines answers, as a list of records (MLE-bench's form for answers that are not a table)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GradingError(f"answers file {path} is not readable JSON lines: {error}") from None


def _score_records(task: AnyTask, manifest_path: Path, submission: pd.DataFrame, answers: list[Any]) -> float:
    """Score against answers that are records: only the task's own metric function knows their shape."""
    metric = task.metric
    if isinstance(metric, NamedMetric):
        raise GradingError(f"metric {metric.name!r} needs answers in a CSV file, not JSON lines")
    function, where = _load_function(metric, manifest_path)
    return _finite(_call_metric_function(function, submission, answers, where))


def _check_file(submission: Path, answers: Path) -> None:
    if not submission.is_file():
        raise InvalidSubmission(f"no submission file at {submission.name}")
    size = submission.stat().st_size
    try:
        limit = max(MIN_SIZE_LIMIT, 20 * answers.stat().st_size)
    except OSError:
        limit = MIN_SIZE_LIMIT  # the answers are unreadable: reading them says so, as a task fault
    if size > limit:
        raise InvalidSubmission(f"submission is {size} bytes, larger than the {limit}-byte limit")
    if size == 0:
        raise InvalidSubmission("submission file is empty; write a header line and one row per test id")


def grade_submission(
    task: AnyTask, manifest_path: Path, submission: Path, private: Path, *, answers: Path | None = None
) -> Grade:
    """Grade a submission file; invalid submissions get a reason, never an exception.

    `answers` replaces the private folder's answers file (task authors and parity checks grade against
    their own). GradingError still propagates: it means the task is broken, which a caller must not blame
    on the agent.
    """
    id_column = task.submission.id_column if task.submission else "id"
    answers_path = answers or private / answers_file(task)
    try:
        _check_file(submission, answers_path)
        score = fast_score(task, submission, answers_path)
    except InvalidSubmission as error:
        invalid: InvalidSubmission | None = error
        score = None
    else:
        invalid = None
    if score is not None:
        return Grade(valid=True, score=score)
    # The reference path: pandas and the registered metric, whose checks word every reason.
    records = answers_path.suffix == ".jsonl"
    answer_data = _read_records(answers_path) if records else read_answers(private, id_column, answers_path)
    try:
        if invalid is not None:
            raise invalid
        frame = _read_csv(submission, id_column, "submission")
        if isinstance(answer_data, list):
            score = _score_records(task, manifest_path, frame, answer_data)
        else:
            score = score_frames(task, manifest_path, frame, answer_data)
    except InvalidSubmission as error:
        return Grade(valid=False, reason=str(error))
    return Grade(valid=True, score=score)
