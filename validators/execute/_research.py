"""Research tasks, executed: nothing the agent is shown holds the test answers, and the baseline, run the way
`runner exec --agent baseline` runs it (local sandbox, separate evaluation sandbox), reproduces its declared score.

The competition checks (layout, leakage, learnability, …) need a submission format and private answers in
`answers.csv`; a research task with an evaluation script has neither, so those checks leave it to this one.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from spec import LoadedTask, Problem, ResearchTask

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    from runner.preparation import PreparedTask

ANSWER_ROW_SHARE = 0.10
"""A file the agent sees that holds this share of a private CSV's rows gives the test answers away."""
_MAX_BYTES = 50 * 1024**2


def research_with_evaluation(task: LoadedTask) -> bool:
    """Whether `task` is a research task scored by its own evaluator (docs/research.md)."""
    return isinstance(task.manifest, ResearchTask) and task.manifest.evaluation is not None


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and path.stat().st_size <= _MAX_BYTES)


def _rows(path: Path) -> set[bytes]:
    separator = b"\t" if path.suffix.lower() == ".tsv" else b","
    lines = path.read_bytes().splitlines()[1:]  # the header says nothing about answers
    return {line.strip() for line in lines if line.count(separator) >= 1 and line.strip()}


def _visible(task: ResearchTask, manifest_path: Path, prepared: PreparedTask) -> dict[str, Path]:
    """What the agent's sandbox shows, by the name the agent would know it by."""
    shown = {f"public/{path.relative_to(prepared.public).as_posix()}": path for path in _files(prepared.public)}
    if task.starter_code is not None:
        starter = manifest_path.parent / task.starter_code
        shown.update({f"{task.starter_code}/{p.relative_to(starter).as_posix()}": p for p in _files(starter)})
    for reference in task.protected_files:
        path = manifest_path.parent / reference
        if path.is_file():
            shown[reference] = path
    return shown


def _answer_leaks(task: ResearchTask, manifest_path: Path, prepared: PreparedTask) -> Iterator[str]:
    shown = _visible(task, manifest_path, prepared)
    digests = {hashlib.sha256(path.read_bytes()).hexdigest(): name for name, path in shown.items()}
    for secret in _files(prepared.private):
        name = f"private/{secret.relative_to(prepared.private).as_posix()}"
        copy = digests.get(hashlib.sha256(secret.read_bytes()).hexdigest())
        if copy is not None:
            yield f"{copy} is a copy of {name}"
            continue
        if secret.suffix.lower() not in (".csv", ".tsv"):
            continue
        rows = _rows(secret)
        if not rows:
            continue
        for shown_name, path in shown.items():
            if path.suffix.lower() in (".csv", ".tsv") and len(rows & _rows(path)) >= ANSWER_ROW_SHARE * len(rows):
                yield f"{shown_name} holds {len(rows & _rows(path))} of the {len(rows)} rows of {name}"


FULL_PRECISION = 1e-12
"""Relative difference below which a declared baseline score counts as the reproduced one (float noise)."""


def _rounded(declared: float, reproduced: float) -> bool:
    """Whether `declared` is `reproduced` rounded to fewer decimals (a noisy evaluator's other value is not)."""
    if abs(declared - reproduced) <= FULL_PRECISION * max(1.0, abs(reproduced)):
        return False
    return any(declared == round(reproduced, digits) for digits in range(13))


def _baseline(task: LoadedTask, manifest: ResearchTask, context: CheckContext) -> Iterator[Problem]:
    from runner.trials import RunSettings, TrialRequest, run_trial

    reference = manifest.baselines.get("reference")
    if reference is None or reference.script is None or reference.score is None:
        return  # the static layer warns (research.no-baseline, research.baseline-not-runnable)
    field = ("baselines", "reference")
    with tempfile.TemporaryDirectory(prefix="benchsmith-research-") as scratch:
        settings = RunSettings(runs_dir=Path(scratch), backend="local", cache_root=context.cache_root)
        result = run_trial(TrialRequest(task, "baseline"), settings)
    if result.status != "ok" or result.score is None:
        yield task.problem(
            "research.baseline-failed",
            f"`runner exec {manifest.id} --agent baseline` ended {result.status}: {result.reason}",
            field,
        )
        return
    if abs(result.score - reference.score) > reference.tolerance:
        yield task.problem(
            "research.baseline-not-reproduced",
            f"the baseline scored {result.score:.6g} on the test split, not {reference.score:.6g} ± "
            f"{reference.tolerance:g}; fix the seeds of the baseline and evaluator, or declare the score it reaches",
            (*field, "score"),
        )
    elif _rounded(reference.score, result.score):
        yield task.problem(
            "research.baseline-imprecise",
            f"the baseline scored {result.score!r} on the test split, within the tolerance of the declared "
            f"{reference.score!r} but not equal to it; declare the score at full precision (AUP counts a method "
            "that exactly reproduces the baseline as worse or better than a rounded one)",
            (*field, "score"),
            severity="warning",
        )


@task_check(
    "research-execution",
    layer="execute",
    codes=(
        "research.answers-visible",
        "research.baseline-failed",
        "research.baseline-not-reproduced",
        "research.baseline-imprecise",
    ),
    description="A research task's test answers are nowhere the agent can see, and its baseline, run in the "
    "sandbox like `runner exec --agent baseline`, reproduces the declared score within its tolerance.",
)
def check_research_execution(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError, prepare_task

    manifest = task.manifest
    if not isinstance(manifest, ResearchTask) or manifest.evaluation is None:
        return
    try:
        prepared = prepare_task(task, cache_root=context.cache_root)
    except PreparationError:
        return  # the prepare check reports it
    for leak in _answer_leaks(manifest, task.path, prepared):
        yield task.problem(
            "research.answers-visible",
            f"the agent would see the test answers: {leak}; keep them in private/ only",
            ("prepare",),
        )
    yield from _baseline(task, manifest, context)
