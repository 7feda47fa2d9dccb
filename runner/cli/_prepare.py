"""`runner prepare`: materialise tasks' data and say where it is, so a person can look at what an agent sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._app import EXIT_FAILED, EXIT_OK, CacheDirOption, TasksDirOption, app, stderr, stdout, usage_error
from ._tasks import runnable_task
from ._validate import OutputFormat

MlebenchDataOption = Annotated[
    Path | None,
    typer.Option(
        "--mlebench-data",
        help="An MLE-bench data folder (`<dir>/<competition>/prepared/{public,private}`, as `mlebench prepare` "
        "leaves it) to use in place for tasks imported from MLE-bench. Else $BENCHSMITH_MLEBENCH_DATA, else "
        "mlebench_data in [tool.benchsmith] of ./benchsmith.toml or ./pyproject.toml (docs/data.md).",
    ),
]


@app.command()
def prepare(
    tasks: Annotated[list[str], typer.Argument(help="Manifest paths, task folders or ids.")],
    raw: Annotated[
        Path | None,
        typer.Option(
            help="Files you already have for a Kaggle task, used instead of downloading: the zip Kaggle serves or "
            "the folder it unzips to; with several tasks, a folder holding one <competition>/ or <competition>.zip "
            "each.",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text, or json: a list of {id, public, private}.")
    ] = OutputFormat.text,
    mlebench_data: MlebenchDataOption = None,
    force: Annotated[bool, typer.Option("--force", help="Prepare again even when the cache has the task.")] = False,
    tasks_dir: TasksDirOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Prepare each TASK's data and print its public/ (what the agent sees) and private/ (the answers) folders:
    exit 0 when all were prepared, 1 when any could not be, 2 on usage errors."""
    from runner.preparation import PreparationError, competition_id, prepare_task, raw_for
    from spec import KaggleSource

    loaded = [runnable_task(task, tasks_dir) for task in tasks]
    raws: dict[str, Path | None] = {}
    for task in loaded:
        assert task.manifest is not None
        kaggle = next((s.kaggle for s in task.manifest.sources if isinstance(s, KaggleSource)), None)
        if raw is None:
            raws[task.id] = None
        elif kaggle is None:
            raise usage_error(f"--raw is for tasks whose data comes from Kaggle; {task.id} takes its data elsewhere")
        else:
            names = tuple(name for name in (competition_id(task.manifest), task.id) if name is not None)
            try:
                raws[task.id] = raw_for(kaggle, names, raw, only_task=len(loaded) == 1)
            except PreparationError as error:
                raise usage_error(escape(str(error))) from None
    rows: list[dict[str, str]] = []
    failed = False
    for task in loaded:
        try:
            prepared = prepare_task(
                task, cache_root=cache_dir, force=force, raw_from=raws[task.id], mlebench_data=mlebench_data
            )
        except PreparationError as error:
            stderr.print(f"[bold red]cannot prepare {task.id}:[/] {escape(str(error))}", highlight=False)
            failed = True
            continue
        for warning in prepared.warnings:
            stderr.print(f"[yellow]{task.id}:[/] {escape(warning)}", highlight=False)
        rows.append({"id": task.id, "public": str(prepared.public), "private": str(prepared.private)})
        if output is OutputFormat.text:
            how = "MLE-bench data, in place" if prepared.reused else "cached" if prepared.cache_hit else "prepared"
            stdout.print(f"[bold]{escape(task.id)}[/] [dim]({how})[/]", highlight=False)
            stdout.print(f"  public:  {escape(str(prepared.public))}", highlight=False)
            stdout.print(f"  private: {escape(str(prepared.private))}", highlight=False)
    if output is OutputFormat.json:
        print(json.dumps(rows, indent=2))
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)
