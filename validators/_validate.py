"""Run the registered checks over manifests and collect one report."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from spec import LoadedTask, Problem, find_manifests, has_errors, load_task, task_digest

from . import execute, static  # noqa: F401  (execute: imported for its registered checks)
from ._parallel import map_tasks
from ._records import ExecutionRecords
from ._registry import CheckContext, Layer, TaskCheck, catalogue_checks, task_checks
from ._report import TaskReport, ValidationReport
from ._verification import recorded_verdict, relocated


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
    names = [check.name for check in checks]
    known: list[Problem] = []
    covered: list[str] = []
    if context.changed_since is None:
        verified = recorded_verdict(task, digest, names)
        if verified is not None:
            # The record vouches for these bytes under the checks it lists: only the checks added since run.
            known, missing = verified
            covered = [name for name in names if name not in missing]
    cached = record.lookup(digest, names)
    if cached is not None and len(names) - len(cached[1]) > len(covered):
        # The cache may have been filled from another folder (a generator's worker): its files are named from here.
        known, covered = relocated(cached[0], task), [name for name in names if name not in cached[1]]
    checks = [check for check in checks if check.name not in covered]
    if not checks:
        return known
    problems = [*known, *(problem for check in checks for problem in _guarded(check, task, context))]
    if not has_errors(problems):
        record.put(digest, names, problems)
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
    run = partial(_run_task_checks, context=context, layers=layers)
    # Static checks only read files: a large catalogue's are shared out over the cores. Execution checks run here,
    # a task at a time (each starts a sandbox that may use every core).
    checked = [run(task) for task in chosen] if "execute" in layers else map_tasks(run, chosen)
    per_task: dict[Path, list[Problem]] = {task.path: problems for task, problems in zip(chosen, checked, strict=True)}
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for check in catalogue_checks():
        if check.layer not in layers:
            continue
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
    with _collector_paused():
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
    if "execute" in layers:  # running tasks' code makes garbage of its own: the collector stays on
        return validate_tasks(tasks, selected=selected, context=context, layers=layers)
    with _collector_paused():
        return validate_tasks(tasks, selected=selected, context=context, layers=layers)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading and the static checks build many lasting objects (models, line maps) and no cycles worth freeing
    early, while each pass of the cyclic garbage collector walks every one of them again: a tenth of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
