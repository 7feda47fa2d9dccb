"""The test set is large enough that the reference solution's lead over the trivial submission is not noise."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

    from ._kit import Kit

RESAMPLES = 100
CONFIDENCE = 0.95


def reference_submission(kit: Kit) -> pd.DataFrame | None:
    """The reference solution's submission: the one the learnability check kept, else a fresh run (None when
    there is no reference or it fails; learnability reports why)."""
    from runner.baselines import SolutionError, baseline_script, run_solution_script

    from ._kit import reference_frame

    if kit.reference is not None:
        return kit.reference
    script = baseline_script(kit.manifest, kit.task.path)
    if script is None:
        return None
    file_name = kit.manifest.submission.file if kit.manifest.submission else "submission.csv"
    with tempfile.TemporaryDirectory(prefix="benchsmith-ref-") as scratch:
        try:
            path = run_solution_script(script, kit.prepared.public, Path(scratch), file_name=file_name)
        except SolutionError:
            return None
        kit.reference = reference_frame(path, kit.id_column)
    return kit.reference


def _predictions(kit: Kit, submission: pd.DataFrame) -> pd.DataFrame:
    """The submission's prediction columns in the answers' row order, as the metric sees them."""
    import pandas as pd

    from runner.grading import check_submission

    assert kit.manifest.submission is not None
    aligned = check_submission(submission, kit.answers, kit.manifest)[kit.columns].reset_index(drop=True)
    if kit.prediction in ("value", "probability"):
        aligned = aligned.apply(pd.to_numeric, errors="coerce")
    return aligned


def bootstrap_scores(
    kit: Kit, frames: list[pd.DataFrame], resamples: int = RESAMPLES, seed: int = 0
) -> NDArray[np.float64] | None:
    """Each submission's score on the same test rows drawn with replacement, one row per draw, oriented so that
    higher is better; draws where a score is undefined (one class only) are left out. None when the metric is the
    task's own code, a submission does not grade (the other checks say why) or fewer than half the draws score."""
    import warnings

    import numpy as np
    import sklearn

    from runner.grading import GradingError, InvalidSubmission
    from runner.metrics import MetricInputError, get_metric
    from spec import NamedMetric

    metric = kit.manifest.metric
    if not isinstance(metric, NamedMetric):
        return None
    registered = get_metric(metric.name)
    try:
        predictions = [_predictions(kit, frame) for frame in frames]
    except (InvalidSubmission, GradingError):
        return None
    truth = kit.answers.drop(columns=[kit.id_column]).reset_index(drop=True)
    sign = 1.0 if metric.higher_is_better else -1.0
    rng = np.random.default_rng(seed)
    draws = []
    # The inputs were checked once by grading above; re-validating them on each of the draws was most of the time.
    with warnings.catch_warnings(), sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        warnings.simplefilter("ignore")  # an undefined score on one draw (one class only) is skipped below
        for _ in range(resamples):
            rows = rng.integers(0, len(truth), len(truth))
            drawn = truth.iloc[rows].reset_index(drop=True)
            try:
                scores = [
                    registered.score(drawn, frame.iloc[rows].reset_index(drop=True), **metric.params)
                    for frame in predictions
                ]
            except (MetricInputError, ValueError):
                continue
            if all(np.isfinite(scores)):
                draws.append([sign * score for score in scores])
    if len(draws) < resamples // 2:
        return None
    return np.asarray(draws, dtype=np.float64)


def bootstrap_gain(
    kit: Kit, reference: pd.DataFrame, trivial: pd.DataFrame, seed: int = 0
) -> tuple[float, float] | None:
    """A percentile interval of (reference - trivial) score on test rows drawn with replacement, oriented so that
    positive means better; None when `bootstrap_scores` has none."""
    import numpy as np

    draws = bootstrap_scores(kit, [reference, trivial], RESAMPLES, seed)
    if draws is None:
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(draws[:, 0] - draws[:, 1], [tail, 100 - tail])
    return float(low), float(high)


@task_check(
    "test-size",
    layer="execute",
    codes=("test.too-small",),
    description="The test set has at least validation.min_test_rows answers (default 50).",
)
def check_test_size(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    minimum = kit.manifest.validation.min_test_rows
    rows = len(kit.answers)
    if rows < minimum:
        yield task.problem(
            "test.too-small",
            f"the test set has {rows} rows, fewer than {minimum}: scores on it are mostly noise; use a larger "
            "test_size or, with a reason, lower validation.min_test_rows",
            ("prepare",),
        )


@task_check(
    "test-significance",
    layer="execute",
    codes=("reference.indistinct",),
    description="A bootstrap interval (95%, test rows resampled) of the reference solution's score minus the "
    "sample submission's excludes zero: the reference is told apart from trivial by the test set.",
)
def check_significance(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    reference = reference_submission(kit)
    trivial = kit.sample()
    if reference is None or trivial is None:
        return
    interval = bootstrap_gain(kit, reference, trivial)
    if interval is not None and interval[0] <= 0:
        yield task.problem(
            "reference.indistinct",
            f"the reference solution's lead over the sample submission is within noise on test: a "
            f"{CONFIDENCE:.0%} bootstrap interval of the difference is [{interval[0]:.4g}, {interval[1]:.4g}]; "
            "enlarge the test set or improve the reference",
            ("baselines", "reference"),
        )
