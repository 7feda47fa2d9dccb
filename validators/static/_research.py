"""Research manifests hold together: the evaluator parses and takes the contract's arguments, protected files
do not collide in /task, the artefact is not itself protected, and there is a baseline to score against.

Checked by reading files, never by running them; the contract is docs/research.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from spec import LoadedTask, Problem, ResearchTask

from .._registry import CheckContext, task_check
from ._paths import escape_reason

_EVALUATOR_ARGUMENTS = ("--split", "--artefact", "--public", "--private")


def _readable(task: LoadedTask, reference: str) -> Path | None:
    """The file behind a task path when it is inside the task folder and exists (else the paths check says so)."""
    path = task.path.parent / reference
    if escape_reason(reference, task.task_dir, task.path.parent) is None and path.is_file():
        return path
    return None


def _parse(task: LoadedTask, path: Path) -> tuple[ast.Module | None, Problem | None]:
    try:
        return ast.parse(path.read_bytes(), filename=str(path)), None
    except SyntaxError as error:
        return None, Problem(
            code="research.evaluator-syntax", severity="error", file=str(path), line=error.lineno or None,
            column=error.offset or None, path=None, message=f"Python syntax error: {error.msg}",
        )  # fmt: skip
    except (OSError, ValueError) as error:
        return None, task.problem("research.evaluator-syntax", f"cannot read {path}: {error}", ("evaluation",))


def _strings(tree: ast.Module) -> set[str]:
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def _check_evaluator(task: LoadedTask, manifest: ResearchTask) -> Iterator[Problem]:
    assert manifest.evaluation is not None
    path = _readable(task, manifest.evaluation.script)
    if path is None:
        return
    tree, problem = _parse(task, path)
    if problem is not None or tree is None:
        yield from [problem] if problem is not None else []
        return
    missing = [argument for argument in _EVALUATOR_ARGUMENTS if argument not in _strings(tree)]
    if missing:
        yield task.problem(
            "research.evaluator-arguments",
            f"{path.name} never mentions {', '.join(missing)}: the runner calls it with --split dev|test, "
            "--artefact, --public and (test only) --private (docs/research.md)",
            ("evaluation", "script"),
            severity="warning",
        )


def _check_locations(task: LoadedTask, manifest: ResearchTask) -> Iterator[Problem]:
    seen: dict[str, str] = {"description.md": manifest.description}
    for index, reference in enumerate(manifest.protected_files):
        location = manifest.task_location(reference).as_posix()
        if location in seen and seen[location] != reference:
            field = ("evaluation", "script") if index == 0 and manifest.evaluation is not None else ("protected",)
            yield task.problem(
                "research.protected-clash",
                f"{reference!r} and {seen[location]!r} would both be /task/{location}; rename one",
                field,
            )
        seen.setdefault(location, reference)
    assert manifest.artefact is not None
    artefact = manifest.artefact.path
    for reference in manifest.protected_files:
        inside = manifest.workspace_location(reference)
        if inside is not None and inside.as_posix() == artefact:
            yield task.problem(
                "research.artefact-protected",
                f"the artefact {artefact!r} is the protected file {reference!r}: the agent could never hand it in",
                ("artefact", "path"),
            )


def _check_module(task: LoadedTask, manifest: ResearchTask) -> Iterator[Problem]:
    artefact = manifest.artefact
    if artefact is None or artefact.type != "module" or manifest.starter_code is None:
        return
    reference = f"{manifest.starter_code}/{artefact.path}"
    path = _readable(task, reference)
    if path is None:
        return  # the agent (or the baseline) writes it: nothing to check before the trial
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, OSError, ValueError):
        tree = None
    defined = tree is not None and any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == artefact.function
        for node in tree.body
    )
    if not defined:
        yield task.problem(
            "research.module-function-missing",
            f"the starter copy {reference} does not define `{artefact.function}` at module level; the agent's "
            "starting point should show the function the evaluator calls",
            ("artefact", "function"),
            severity="warning",
        )


def _check_baseline(task: LoadedTask, manifest: ResearchTask) -> Iterator[Problem]:
    reference = manifest.baselines.get("reference")
    if reference is None or reference.score is None:
        yield task.problem(
            "research.no-baseline",
            "no `baselines.reference` with a score: normalized scores and AUP have no baseline to compare with",
            ("baselines",),
            severity="warning",
        )
    elif manifest.evaluation is not None and reference.script is None:
        yield task.problem(
            "research.baseline-not-runnable",
            "`baselines.reference` has no script, so `runner exec --agent baseline` cannot reproduce its score",
            ("baselines", "reference"),
            severity="warning",
        )


@task_check(
    "research",
    codes=(
        "research.no-evaluation",
        "research.evaluator-syntax",
        "research.evaluator-arguments",
        "research.protected-clash",
        "research.artefact-protected",
        "research.module-function-missing",
        "research.no-baseline",
        "research.baseline-not-runnable",
    ),
    description="A research task's evaluator, protected files, artefact and baseline fit the contract of "
    "docs/research.md.",
)
def check_research(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    manifest = task.manifest
    if not isinstance(manifest, ResearchTask):
        return
    yield from _check_baseline(task, manifest)
    if manifest.evaluation is None:
        yield task.problem(
            "research.no-evaluation",
            "no evaluation script in the task folder: the runner grades the artefact by `metric` like a "
            "competition submission, with no dev split and no protected-file check",
            ("kind",),
            severity="warning",
        )
        return
    yield from _check_evaluator(task, manifest)
    yield from _check_locations(task, manifest)
    yield from _check_module(task, manifest)
