"""`runner speedrun retime`: time a speedrun chain's records on this machine, for FSR against local times."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._app import EXIT_FAILED, CacheDirOption, TasksDirOption, command_group, stderr, stdout, usage_error
from ._tasks import runnable_task

if TYPE_CHECKING:
    from runner.speedrun import RetimeOutcome, SeedRun
    from spec import SpeedrunRecord, SpeedrunTask

SIGMA = "\u03c3"  # escaped: the linter flags a literal Greek sigma as a look-alike

speedrun_app = command_group("speedrun", "Speedrun chains: time records on this machine.")


def _table(task: SpeedrunTask, outcomes: list[RetimeOutcome]) -> Table:
    table = Table(title=f"{task.id}: record times on this machine ({task.protocol.clock} seconds)")
    for column, justify in (("record", "left"), ("mean", "right"), ("std", "right"), (f"3{SIGMA}", "right"),
                            ("manifest", "right"), ("worst metric", "right"), ("vs previous", "left")):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for outcome in outcomes:
        entry = outcome.entry
        manifest = f"{outcome.record.time_s:.3f}"
        if entry is None:
            failed = next((run for run in outcome.runs if run.failure is not None), None)
            why = escape(failed.reason.splitlines()[0]) if failed and failed.reason else "failed"
            table.add_row(outcome.record.id, "-", "-", "-", manifest, "-", f"[red]{why}[/]")
            continue
        values = [value for value in entry.metrics if value is not None]
        worst = (min(values) if task.target.higher_is_better else max(values)) if values else None
        metric = "-" if worst is None else f"{worst:.4f}" + ("" if entry.reached else " [red](missed)[/]")
        if outcome.faster is None:
            verdict = "first"
        elif outcome.faster:
            verdict = f"[green]faster by {outcome.margin_s:.3f} s >= 3{SIGMA}[/]"
        else:
            verdict = f"[red]not faster by 3{SIGMA} (by {outcome.margin_s:.3f} s)[/]"
        table.add_row(outcome.record.id, f"{entry.mean_s:.3f}", f"{entry.std_s:.3f}", f"{entry.three_sigma_s:.3f}",
                      manifest, metric, verdict)  # fmt: skip
    return table


@speedrun_app.command("retime")
def retime(
    task: Annotated[str, typer.Argument(help="A speedrun manifest path, a task folder or a task id.")],
    tasks_dir: TasksDirOption = None,
    cache_dir: CacheDirOption = None,
    backend: Annotated[str, typer.Option(help="Sandbox backend that runs the scripts.")] = "local",
    seeds: Annotated[int | None, typer.Option(min=1, help="Timed runs per record. Default: the protocol's.")] = None,
    record: Annotated[
        list[str] | None, typer.Option("--record", help="Time only this record (repeatable). Default: all.")
    ] = None,
) -> None:
    """Time every record of a speedrun chain under its protocol on this machine and write the times, keyed by the
    machine's fingerprint, to `<manifest stem>.retime.json` beside the manifest."""
    from runner.preparation import PreparationError, prepare_task
    from runner.sandboxes import SandboxError
    from runner.speedrun import SpeedrunScriptError, retime_chain
    from spec import SpeedrunTask

    loaded = runnable_task(task, tasks_dir)
    manifest = loaded.manifest
    assert manifest is not None
    if not isinstance(manifest, SpeedrunTask):
        raise usage_error(f"{manifest.id} is a {manifest.kind} task; retime is for speedrun tasks")
    known = [r.id for r in manifest.records]
    unknown = [name for name in record or [] if name not in known]
    if unknown:
        raise usage_error(f"--record {', '.join(unknown)}: not in the chain ({', '.join(known)})")
    chosen = [r for r in manifest.records if not record or r.id in record]
    seed_count = seeds or manifest.protocol.seeds
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=stderr, transient=True,
    ) as bar:  # fmt: skip
        progress = bar.add_task(f"preparing {manifest.id}", total=len(chosen) * seed_count)

        def on_seed(timed: SpeedrunRecord, run: SeedRun) -> None:
            bar.advance(progress)
            bar.update(progress, description=f"{timed.id} seed {run.seed}")
            if run.failure is not None:
                bar.console.print(f"[yellow]warning:[/] {escape(timed.id)}: {escape(run.reason or run.failure)}",
                                  highlight=False)  # fmt: skip

        try:
            prepared = prepare_task(loaded, cache_root=cache_dir)
            bar.update(progress, description="timing")
            with tempfile.TemporaryDirectory(prefix="benchsmith-retime-") as work:
                path, fingerprint, outcomes = retime_chain(
                    loaded, prepared, Path(work), backend=backend, seeds=seeds, only=tuple(record or ()),
                    on_seed=on_seed,
                )  # fmt: skip
        except (PreparationError, SandboxError, SpeedrunScriptError, OSError) as error:
            stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
            raise typer.Exit(EXIT_FAILED) from None
    stdout.print(_table(manifest, outcomes))
    stdout.print(
        f"machine {fingerprint.key}: {escape(fingerprint.cpu)}, {fingerprint.cores} cores, python "
        f"{fingerprint.python}, torch {fingerprint.torch or '-'}"
        + (f", {len(fingerprint.gpus)} x {escape(fingerprint.gpus[0])}" if fingerprint.gpus else ""),
        highlight=False,
    )
    stdout.print(f"wrote {escape(str(path))}", highlight=False)
    bad = [o for o in outcomes if o.entry is None or not o.entry.reached or o.faster is False]
    if bad:
        message = f"{len(bad)} record(s) failed, missed the target or were not faster by 3{SIGMA}"
        stderr.print(f"[yellow]warning:[/] {message}", highlight=False)
        raise typer.Exit(EXIT_FAILED)
