"""The reference solution does clearly better than trivial, and not perfectly: neither impossible nor trivial."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check
from ._metric_sanity import trivial_score


@task_check(
    "learnability",
    layer="execute",
    codes=(
        "learnability.no-reference", "learnability.reference-failed", "learnability.too-hard",
        "learnability.too-easy", "baseline.score-mismatch",
    ),
    description="The reference solution's normalized score is at least learnability_min (default 0.1) and below "
    "learnability_max (default 0.98); a declared reference score is reproduced within its tolerance.",
)  # fmt: skip
def check_learnability(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.baselines import SolutionError, baseline_script, run_solution_script
    from runner.grading import GradingError, grade_submission
    from runner.preparation import PreparationError

    from ._kit import kit_for, reference_frame

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    script = baseline_script(kit.manifest, task.path)
    field = ("baselines", "reference")
    if script is None:
        yield task.problem(
            "learnability.no-reference",
            "no reference solution (baselines.reference.script), so learnability cannot be checked",
            ("baselines",),
            severity="warning",
        )
        return
    with tempfile.TemporaryDirectory(prefix="benchsmith-ref-") as scratch:
        try:
            file_name = kit.manifest.submission.file if kit.manifest.submission else "submission.csv"
            submission = run_solution_script(script, kit.prepared.public, Path(scratch), file_name=file_name)
            grade = grade_submission(kit.manifest, task.path, submission, kit.prepared.private)
            kit.reference = reference_frame(submission, kit.id_column)
        except (SolutionError, GradingError) as error:
            yield task.problem("learnability.reference-failed", f"the reference solution failed: {error}", field)
            return
    if not grade.valid or grade.score is None:
        yield task.problem(
            "learnability.reference-failed", f"the reference submission is invalid: {grade.reason}", field
        )
        return
    score = grade.score
    declared = kit.manifest.baselines["reference"]
    if declared.score is not None and abs(declared.score - score) > max(declared.tolerance, 1e-9 * abs(score)):
        yield task.problem(
            "baseline.score-mismatch",
            f"the reference solution scores {score!r} but the manifest declares {declared.score!r} "
            f"(tolerance {declared.tolerance:g}); update the score or fix the solution",
            (*field, "score"),
        )
    perfect = kit.score(kit.perfect())
    trivial = trivial_score(kit)
    if not isinstance(perfect, float) or trivial is None or perfect == trivial:
        return  # metric-sanity reports why there is no scale
    normalized = (score - trivial) / (perfect - trivial)
    settings = kit.manifest.validation
    if normalized < settings.learnability_min:
        yield task.problem(
            "learnability.too-hard",
            f"the reference solution reaches a normalized score of {normalized:.3f} (score {score:.6g}, trivial "
            f"{trivial:.6g}, perfect {perfect:.6g}), below {settings.learnability_min:g}: the task may be impossible",
            field,
        )
    elif normalized >= settings.learnability_max:
        yield task.problem(
            "learnability.too-easy",
            f"the reference solution reaches a normalized score of {normalized:.3f} (score {score:.6g}, perfect "
            f"{perfect:.6g}), at or above {settings.learnability_max:g}: the task is trivial",
            field,
        )
