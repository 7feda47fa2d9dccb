"""`runner validate`: is every task sound?"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ._app import EXIT_FAILED, EXIT_OK, app, stderr, stdout, usage_error

if TYPE_CHECKING:
    from spec import Problem
    from validators import Layer, TaskReport, ValidationReport


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow"}


def _problem_line(problem: Problem, manifest: str) -> str:
    where = f"{problem.line or '-'}:{problem.column or '-'}"
    if problem.file and problem.file != manifest:
        where = f"{problem.file}:{where}"
    style = _SEVERITY_STYLE[problem.severity]
    field = f" [dim]({escape(problem.path)})[/]" if problem.path else ""
    return (
        f"  [cyan]{escape(where)}[/] [{style}]{problem.severity}[/] [magenta]{problem.code}[/] "
        f"{escape(problem.message)}{field}"
    )


def _task_lines(task: TaskReport) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for problem in task.problems:
        counts[problem.severity] += 1
    mark = "[green]✓[/]" if task.ok else "[bold red]✗[/]"
    details = ", ".join(f"{count} {severity}{'s' if count > 1 else ''}" for severity, count in sorted(counts.items()))
    head = f"{mark} [bold]{escape(task.path)}[/] [dim]{escape(task.id)}[/] {details}"
    return [head, *(_problem_line(problem, task.path) for problem in task.problems)]


def print_report(report: ValidationReport) -> None:
    """Human-readable report: tasks with problems first-class, clean tasks in one line each."""
    invalid = sum(not task.ok for task in report.tasks)
    colour = "green" if report.ok else "red"
    summary = (
        f"[bold {colour}]{len(report.tasks)} task(s) checked, {invalid} invalid[/]: "
        f"{report.error_count} error(s), {report.warning_count} warning(s)"
    )
    # One print for the whole report: rich's cost is mostly per print (a line each took half a second for the
    # catalogue's 1,400 lines), and the text is the same.
    lines = [line for task in report.tasks for line in _task_lines(task)]
    stdout.print("\n".join([*lines, summary]), highlight=False)


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Manifests or folders of manifests. Default: the tasks/ folder (or installed catalogue)."),
    ] = None,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Only tasks changed since this git ref; a changed task must carry a higher version.",
        ),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text for people, json for machines.")] = (
        OutputFormat.text
    ),
    execute: Annotated[
        bool,
        typer.Option("--execute", help="Also prepare each task and run the execution checks (cached by task digest)."),
    ] = False,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Cache of prepared data and validation records (default ~/.cache/benchsmith).")
    ] = None,
    record_verification: Annotated[
        bool,
        typer.Option(
            "--record-verification",
            help="With --execute: write each passed task's digest into verification.json beside its manifest, so "
            "later runs execute only new or changed tasks.",
        ),
    ] = False,
) -> None:
    """Check task manifests: exit 0 when all are valid, 1 when any has an error, 2 on usage errors."""
    from spec import default_tasks_dir
    from validators import GitError, validate_paths

    if not paths:
        default = default_tasks_dir()
        if default is None:
            raise usage_error("no paths given and no tasks/ folder here; name manifests or folders to validate")
        paths = [default]
    if record_verification and not execute:
        raise usage_error("--record-verification needs --execute: only executed checks can be recorded")
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise usage_error(f"no such file or folder: {', '.join(missing)}")
    try:
        layers: tuple[Layer, ...] = ("static", "execute") if execute else ("static",)
        report = validate_paths(paths, changed_since=changed_since, layers=layers, cache_root=cache_dir)
    except GitError as error:
        raise usage_error(f"--changed-since {changed_since}: {error}") from None
    if output is OutputFormat.json:
        print(report.model_dump_json(indent=2))
    else:
        print_report(report)
    if record_verification:
        from validators import record_verification as write_records

        console = stdout if output is OutputFormat.text else stderr  # keep JSON output parseable
        for path, entries in write_records(report, cache_root=cache_dir).items():
            console.print(f"recorded {entries} verified task(s) in {escape(str(path))}", highlight=False)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)
