"""Run the registered checks over manifests and collect one report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from spec import LoadedTask, Problem, find_manifests, has_errors, load_task, task_digest

from . import execute, static  # noqa: F401  (execute: imported for its registered checks)
from ._records import ExecutionRecords
from ._registry import CheckContext, Layer, TaskCheck, catalogue_checks, task_checks
from ._report import TaskReport, ValidationReport
from ._verification import recorded_problems


def _run_task_checks(task: LoadedTask, context: CheckContext, layers: Sequence[Layer]) -> list[Problem]:
    problems = list(task.problems)
    if task.manifest is None:
        return problems
    if "static" in layers:
        for check in task_checks("static"):
            problems.extend(_guarded(check, task, context))
    if "execute" in layers and not has_errors(problems):
        # Running a task whose files are already known broken would only repeat those errors less clearly.
        problems.extend(_execution_problems(task, context))
    return problems


def _guarded(check: TaskCheck, task: LoadedTask, context: CheckContext) -> list[Problem]:
    """A check's problems; a check that crashes becomes a located problem, so one bug never hides the rest."""
    try:
        return list(check.run(task, context))
    except Exception as error:
        message = f"the {check.name} check crashed ({type(error).__name__}: {error}); please report this bug"
        return [task.problem("validator.check-crashed", message)]


def _execution_problems(task: LoadedTask, context: CheckContext) -> list[Problem]:
    from runner.hardware import gpu_shortage

    assert task.manifest is not None
    shortage = gpu_shortage(task.manifest.id, task.manifest.resources)
    if shortage is not None:
        skipped = f"execution checks skipped: {shortage}"
        return [task.problem("validator.execution-skipped", skipped, ("resources",), severity="warning")]
    checks = task_checks("execute")
    record = ExecutionRecords(context.cache_root)
    digest = task_digest(task.path, task.manifest, task.raw or None)
    # A pull request (--changed-since) could add a broken task together with a forged record entry: the tasks it
    # changed are always executed; elsewhere the repository's record vouches for exactly the digests it lists.
    if context.changed_since is None:
        verified = recorded_problems(task, digest, [check.name for check in checks])
        if verified is not None:
            return verified
    cached = record.get(digest, [check.name for check in checks])
    if cached is not None:
        return cached
    problems = [problem for check in checks for problem in _guarded(check, task, context)]
    if not has_errors(problems):
        record.put(digest, [check.name for check in checks], problems)
    return problems


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.column or 0, p.code))


def validate_tasks(
    tasks: list[LoadedTask],
    *,
    selected: set[Path] | None = None,
    context: CheckContext | None = None,
    layers: Sequence[Layer] = ("static",),
) -> ValidationReport:
    """Check already-loaded tasks; catalogue checks see all of them, the report covers `selected` (default all)."""
    context = context or CheckContext()
    chosen = [task for task in tasks if selected is None or task.path in selected]
    per_task: dict[Path, list[Problem]] = {task.path: _run_task_checks(task, context, layers) for task in chosen}
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for check in catalogue_checks():
        for problem in check.run(tasks, context):
            by_file[problem.file or ""].append(problem)
    reports = []
    for task in chosen:
        problems = _sorted([*per_task[task.path], *by_file.get(str(task.path), [])])
        reports.append(TaskReport(id=task.id, path=str(task.path), ok=not has_errors(problems), problems=problems))
    return ValidationReport(tasks=reports, ok=all(report.ok for report in reports))


def validate_paths(
    paths: Iterable[Path],
    *,
    changed_since: str | None = None,
    tasks_root: Path | None = None,
    layers: Sequence[Layer] = ("static",),
    cache_root: Path | None = None,
) -> ValidationReport:
    """Validate every manifest in `paths`; with `changed_since`, report only tasks changed since that git ref.

    All manifests found are parsed so that catalogue-wide checks (unique ids) see the whole catalogue even when
    only changed tasks are reported. Raises `static.GitError` when `changed_since` is not a usable ref.
    """
    manifests = find_manifests(paths)
    tasks = [load_task(path) for path in manifests]
    selected: set[Path] | None = None
    changed: frozenset[Path] | None = None
    if changed_since is not None and tasks:
        repo = static.repository_root(tasks[0].path.parent.resolve())
        static.verify_ref(repo, changed_since)
        changed = static.changed_files(repo, changed_since)
        selected = {task.path for task in tasks if static.task_changed(task, changed_since, changed)}
    context = CheckContext(
        tasks_root=tasks_root, changed_since=changed_since, changed_files=changed, cache_root=cache_root
    )
    return validate_tasks(tasks, selected=selected, context=context, layers=layers)
