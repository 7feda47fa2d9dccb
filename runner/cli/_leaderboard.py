"""`runner leaderboard build`: a reference-solver leaderboard for a task, for medals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._app import EXIT_FAILED, CacheDirOption, TasksDirOption, command_group, stderr, stdout, usage_error
from ._tasks import runnable_task

if TYPE_CHECKING:
    import pandas as pd

    from runner.leaderboards import SolverOutcome
    from spec import Problem

leaderboard_app = command_group("leaderboard", "Build leaderboards that medals are judged against.")


def _about_the_leaderboard(problem: Problem) -> bool:
    missing = problem.code == "path.missing" and problem.path == "leaderboard.path"
    return missing or problem.code.startswith("leaderboard.")


def _reference(out: Path, manifest_path: Path) -> str | None:
    """`out` as the manifest's `leaderboard.path` (relative to the manifest's folder), None if outside the task."""
    task_dir = (manifest_path.parent / manifest_path.stem).resolve()
    target = out.resolve()
    if not target.is_relative_to(task_dir):
        return None
    return target.relative_to(manifest_path.parent.resolve()).as_posix()


def _print_summary(frame: pd.DataFrame, title: str) -> None:
    from runner.scoring import medal

    table = Table(title=title)
    for column in ("rank", "team", "family", "score"):
        table.add_column(column, justify="right" if column in ("rank", "score") else "left")
    for row in frame.itertuples(index=False):
        table.add_row(str(row.rank), escape(str(row.team)), escape(str(row.family)), f"{row.score:.6g}")
    stdout.print(table)
    thresholds = medal(None, frame["score"].tolist(), bool(frame.attrs.get("higher_is_better", True)))
    parts = [
        f"{name} {value:.6g}"
        for name, value in (
            ("gold", thresholds.gold_threshold), ("silver", thresholds.silver_threshold),
            ("bronze", thresholds.bronze_threshold), ("median", thresholds.median_threshold),
        )
        if value is not None
    ]  # fmt: skip
    stdout.print(f"medal thresholds against these {len(frame)} entries: {', '.join(parts)}", highlight=False)


@leaderboard_app.command("build")
def build(
    task: Annotated[str, typer.Argument(help="A manifest path, a task folder or a task id.")],
    tasks_dir: TasksDirOption = None,
    cache_dir: CacheDirOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the CSV. Default: <task folder>/leaderboard.csv.")
    ] = None,
    jobs: Annotated[int, typer.Option(help="Solvers to run in parallel processes.")] = 1,
    timeout: Annotated[float, typer.Option(help="Time limit of each solver, in seconds.")] = 120.0,
    update_manifest: Annotated[
        bool, typer.Option("--update-manifest", help="Set the manifest's `leaderboard:` entry to the written CSV.")
    ] = False,
) -> None:
    """Run the reference-solver ladder on TASK's public data, grade each and write the ranked leaderboard CSV."""
    from runner.leaderboards import LeaderboardError, build_leaderboard, set_manifest_leaderboard, write_leaderboard

    if jobs < 1:
        raise usage_error(f"--jobs {jobs}: run at least one solver at a time")
    if timeout <= 0:
        raise usage_error(f"--timeout {timeout:g}: give a positive number of seconds")
    # The leaderboard this command writes may be the one the checks find missing or broken.
    loaded = runnable_task(task, tasks_dir, tolerate=_about_the_leaderboard)
    manifest_path = loaded.path
    assert loaded.manifest is not None
    target = out if out is not None else loaded.task_dir / "leaderboard.csv"
    reference = _reference(target, manifest_path)
    if update_manifest and reference is None:
        raise usage_error(f"--update-manifest needs --out inside the task folder {loaded.task_dir}")

    outcomes: list[SolverOutcome] = []
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=stderr, transient=True,
    ) as bar:  # fmt: skip
        progress_task = bar.add_task(f"preparing {loaded.manifest.id}", total=None)

        def on_progress(done: int, total: int, outcome: SolverOutcome | None) -> None:
            bar.update(progress_task, total=total, completed=done, description="reference solvers")
            if outcome is None:
                return
            outcomes.append(outcome)
            if outcome.error is not None:
                bar.console.print(
                    f"[yellow]warning:[/] skipped {escape(outcome.solver.name)}: {escape(outcome.error)}",
                    highlight=False,
                )

        try:
            frame = build_leaderboard(loaded, cache_root=cache_dir, jobs=jobs, progress=on_progress, timeout_s=timeout)
        except LeaderboardError as error:
            stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
            raise typer.Exit(EXIT_FAILED) from None

    try:
        write_leaderboard(frame, target)
    except OSError as error:
        stderr.print(f"[bold red]error:[/] cannot write {escape(str(target))}: {escape(str(error))}")
        raise typer.Exit(EXIT_FAILED) from None
    direction = "higher" if frame.attrs.get("higher_is_better", True) else "lower"
    _print_summary(frame, f"{loaded.manifest.id}: {len(frame)} reference solvers ({frame.attrs.get('metric')}, "
                   f"{direction} is better)")  # fmt: skip
    seconds = sum(outcome.seconds for outcome in outcomes)
    stdout.print(f"wrote {escape(str(target))} ({len(frame)} entries, {seconds:.1f} s of solver time)", highlight=False)
    entry = f"leaderboard: {{path: {reference or '<id>/leaderboard.csv'}, provenance: reference-solvers}}"
    if update_manifest and reference is not None:
        try:
            changed = set_manifest_leaderboard(manifest_path, reference)
        except LeaderboardError as error:
            stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
            raise typer.Exit(EXIT_FAILED) from None
        if changed:
            stdout.print(f"set `{escape(entry)}` in {escape(str(manifest_path))}", highlight=False)
        stdout.print(
            f"bump the task's version (now {loaded.manifest.version}) since its leaderboard changed", highlight=False
        )
    else:
        board = loaded.manifest.leaderboard
        if board is None or board.path != reference:
            stdout.print(
                f"the manifest does not reference it; add `{escape(entry)}` (or pass --update-manifest) and bump "
                "the task's version",
                highlight=False,
            )
        else:
            stdout.print(f"bump the task's version (now {loaded.manifest.version}) since its leaderboard changed")
