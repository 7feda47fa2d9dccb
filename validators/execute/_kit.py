"""What the execution checks share about one task: its prepared data, answers, and submissions built from them."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from runner.grading import (
    GradingError,
    InvalidSubmission,
    answers_file,
    perfect_submission,
    prediction_kind,
    read_answers,
    score_frames,
)
from runner.preparation import SAMPLE_FILE, PreparationError, PreparedTask, prepare_task
from spec import AnyTask, LoadedTask, ResearchTask, SpeedrunTask, task_digest

from .._registry import CheckContext

if TYPE_CHECKING:
    import pandas as pd

_KITS: OrderedDict[tuple[Path, str, Path | None], Kit | PreparationError] = OrderedDict()
_KEEP = 16


class KitNotApplicable(PreparationError):
    """The task prepared, but is not graded from answers and a submission format (a research task with its own
    evaluator, a speedrun): the competition checks skip it; validators/execute/_research.py checks research tasks."""


@dataclass
class Kit:
    """A prepared task with its answers, ready to grade made-up submissions."""

    task: LoadedTask
    manifest: AnyTask
    prepared: PreparedTask
    answers: pd.DataFrame
    id_column: str
    columns: list[str]
    targets: list[str]
    prediction: str
    reference: pd.DataFrame | None = None
    """The reference solution's submission once a check has run it, so the next check does not run it again."""

    def score(self, submission: pd.DataFrame) -> float | str:
        """The score of a submission frame, or the reason it is invalid (GradingError propagates)."""
        try:
            return score_frames(self.manifest, self.task.path, submission, self.answers)
        except InvalidSubmission as error:
            return str(error)

    def sample(self) -> pd.DataFrame | None:
        """The public sample submission, parsed like a submission, when there is one."""
        import pandas as pd

        path = self.prepared.public / SAMPLE_FILE
        if not path.is_file():
            return None
        return pd.read_csv(path, dtype={self.id_column: str})

    def perfect(self) -> pd.DataFrame:
        """The answers in the submission's format: the best submission there can be."""
        return perfect_submission(self.manifest, self.answers)

    def shuffled(self, frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        """Predictions moved to other rows (ids stay): right distribution, no information."""
        rng = np.random.default_rng(seed)
        result = frame.copy()
        order = rng.permutation(len(frame))
        for column in self.columns:
            result[column] = frame[column].to_numpy()[order]
        return result

    def noisy(self, frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        """The perfect submission degraded a little: a working metric must score it lower."""
        rng = np.random.default_rng(seed)
        result = frame.copy()
        for column in self.columns:
            values = frame[column]
            if self.prediction in ("value",) and values.dtype.kind in "fiu":
                spread = float(values.std()) or 1.0
                result[column] = values.to_numpy(dtype=float) + rng.normal(0, 0.5 * spread, len(values))
            elif self.prediction == "probability":
                # Wide enough that classes overlap: a ranking metric (AUC) must see the damage too.
                result[column] = 0.3 * values.to_numpy(dtype=float) + 0.7 * rng.uniform(0, 1, len(values))
            else:
                choices = values.unique()
                flip = rng.uniform(0, 1, len(values)) < 0.3
                replaced = values.to_numpy(copy=True)
                replaced[flip] = rng.choice(choices, int(flip.sum()))
                result[column] = replaced
        return result


def _build(task: LoadedTask, context: CheckContext) -> Kit:
    manifest = task.manifest
    assert manifest is not None
    prepared = prepare_task(task, cache_root=context.cache_root)
    if isinstance(manifest, ResearchTask) and manifest.evaluation is not None:
        raise KitNotApplicable("scored by the task's evaluation script", ("evaluation",))
    if isinstance(manifest, SpeedrunTask):
        raise KitNotApplicable("timed and evaluated by the speedrun runtime", ("records",))
    if manifest.submission is None:
        raise PreparationError("the task declares no submission format", ("submission",))
    answers_path = prepared.private / answers_file(manifest)
    if not answers_path.is_file():
        raise PreparationError(f"preparation wrote no private/{answers_path.name}", ("prepare",))
    id_column = manifest.submission.id_column
    try:
        answers = read_answers(prepared.private, id_column, answers_path)
    except GradingError as error:
        raise PreparationError(str(error), ("prepare",)) from None
    prediction = prediction_kind(manifest)
    targets = [column for column in answers.columns if column != id_column]
    return Kit(task, manifest, prepared, answers, id_column, list(manifest.submission.columns), targets, prediction)


def kit_for(task: LoadedTask, context: CheckContext) -> Kit | PreparationError:
    """The task's kit, prepared once per validation run; a PreparationError says why there is none.

    Keyed by the task digest, not the preparation key: every check asks for the kit, and the preparation key
    of an unpinned packaged dataset means loading and hashing that dataset each time.
    """
    key = (task.path.resolve(), task_digest(task.path, task.manifest, task.raw or None), context.cache_root)
    if key not in _KITS:
        try:
            _KITS[key] = _build(task, context)
        except PreparationError as error:
            _KITS[key] = error
        while len(_KITS) > _KEEP:
            _KITS.popitem(last=False)
    return _KITS[key]


def describe(value: float | str) -> str:
    """A score or an invalid-submission reason, for messages."""
    return f"{value:.6g}" if isinstance(value, float) else f"invalid ({value})"


def as_float(value: Any) -> float | None:
    """The score when valid."""
    return value if isinstance(value, float) else None


def reference_frame(path: Path, id_column: str) -> pd.DataFrame | None:
    """A submission file parsed like the grader's, kept for checks that rescore it (None if it does not parse)."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype={id_column: str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None
