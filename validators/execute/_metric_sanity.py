"""The metric rewards the answers, punishes uninformed submissions, notices noise, ignores row order, and points
the declared way."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from spec import LoadedTask, NamedMetric, Problem

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    from ._kit import Kit

_FIELD = ("metric",)
_TOLERANCE = 1e-9


def trivial_score(kit: Kit) -> float | None:
    """The declared trivial baseline's score, else the sample submission's."""
    from ._kit import as_float

    trivial = kit.manifest.baselines.get("trivial")
    if trivial is not None and trivial.score is not None:
        return trivial.score
    sample = kit.sample()
    return as_float(kit.score(sample)) if sample is not None else None


@task_check(
    "metric-sanity",
    layer="execute",
    codes=(
        "metric.perfect-invalid", "metric.answers-not-best", "metric.direction-wrong", "metric.degenerate",
        "metric.insensitive", "metric.noise-insensitive", "metric.order-dependent", "metric.crashed",
    ),
    description="Answers score best; sample, constant and shuffled submissions score worse by a margin; noise "
    "lowers the score; row order does not matter; the declared direction agrees with the metric.",
)  # fmt: skip
def check_metric_sanity(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.grading import GradingError
    from runner.preparation import PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    try:
        yield from _sanity(task, kit)
    except GradingError as error:
        yield task.problem("metric.crashed", f"grading crashed: {error}", _FIELD)


def _sanity(task: LoadedTask, kit: Kit) -> Iterator[Problem]:
    from ._kit import describe

    perfect_frame = kit.perfect()
    perfect = kit.score(perfect_frame)
    if not isinstance(perfect, float):
        yield task.problem("metric.perfect-invalid", f"the answers themselves are not a valid submission: {perfect}")
        return
    higher = kit.manifest.metric.higher_is_better
    sign = 1.0 if higher else -1.0
    if isinstance(kit.manifest.metric, NamedMetric):
        from runner.metrics import get_metric

        best = get_metric(kit.manifest.metric.name).best_possible
        if best is not None and not math.isclose(perfect, best, rel_tol=1e-6, abs_tol=1e-9):
            yield task.problem(
                "metric.answers-not-best",
                f"the answers score {perfect:.6g}, not the metric's best {best:g}: the answers and the submission "
                "columns do not line up",
                _FIELD,
            )
    sample = kit.sample()
    constant = kit.score(sample) if sample is not None else "no sample submission"
    trivial = trivial_score(kit)
    if isinstance(constant, float) and sign * (perfect - constant) < 0:
        yield task.problem(
            "metric.direction-wrong",
            f"the answers score {perfect:.6g} and the constant sample submission {constant:.6g}: with "
            f"higher_is_better: {str(higher).lower()} the answers should score {'higher' if higher else 'lower'}; "
            f"the declared direction looks wrong",
            (*_FIELD, "higher_is_better"),
        )
        return
    if trivial is None or abs(perfect - trivial) <= _TOLERANCE:
        yield task.problem(
            "metric.degenerate",
            f"the answers and the trivial baseline score the same ({perfect:.6g}): the metric cannot tell "
            "a good submission from an uninformed one",
            _FIELD,
        )
        return
    margin = kit.manifest.validation.metric_margin * abs(perfect - trivial)
    shuffled = kit.score(kit.shuffled(perfect_frame))
    for name, value in (("the constant sample submission", constant), ("a shuffled submission", shuffled)):
        if isinstance(value, float) and sign * (perfect - value) < margin:
            yield task.problem(
                "metric.insensitive",
                f"{name} scores {value:.6g}, within {margin:.3g} of the answers ({perfect:.6g}); uninformed "
                "submissions must score clearly worse",
                _FIELD,
            )
    noisy_frame = kit.noisy(perfect_frame)
    noisy = kit.score(noisy_frame)
    if isinstance(noisy, float) and sign * (perfect - noisy) <= _TOLERANCE:
        yield task.problem(
            "metric.noise-insensitive",
            f"degrading the answers with noise did not lower the score ({describe(noisy)} vs {perfect:.6g})",
            _FIELD,
        )
    for label, frame, expected in (("answers", perfect_frame, perfect), ("noisy answers", noisy_frame, noisy)):
        again = kit.score(frame.sample(frac=1.0, random_state=1))
        if isinstance(again, float) and isinstance(expected, float) and not math.isclose(again, expected, abs_tol=1e-9):
            yield task.problem(
                "metric.order-dependent",
                f"the {label} score {again:.6g} in another row order but {expected:.6g} in the answers' order",
                _FIELD,
            )
            return
