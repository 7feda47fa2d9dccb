"""`runner ladder`: the third verification layer, a ladder of solvers attempting each task through real trials."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ._app import EXIT_FAILED, EXIT_OK, CacheDirOption, app, stdout, usage_error

if TYPE_CHECKING:
    from spec import LoadedTask
    from validators import LadderOutcome

_VERDICT_STYLE = {"discriminates": "green", "undecided": "yellow"}


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _line(outcome: LadderOutcome) -> str:
    """One task: its rungs' scores, the verdict and the lead's interval; its problems below."""
    name = escape(outcome.task.id)
    record = outcome.record
    if record is None:
        return f"[yellow]-[/] [bold]{name}[/] not judged: {escape(outcome.reason or '')}"
    style = _VERDICT_STYLE.get(record.verdict, "bold red")
    mark = "✓" if record.verdict == "discriminates" else "?" if record.verdict == "undecided" else "✗"
    scores = " ".join(f"{rung.agent.removeprefix('ladder-')}={_score(rung.score)}" for rung in record.rungs)
    # The lead: the strongest scored rung over the weakest (the first gap's weaker, the last gap's stronger).
    ends = (record.gaps[0].weaker, record.gaps[-1].stronger) if record.gaps else None
    lead = next((gap for gap in record.gaps if (gap.weaker, gap.stronger) == ends), None)
    interval = f" lead [{lead.low:.3g}, {lead.high:.3g}]" if lead is not None else ""
    seconds = "recorded" if outcome.from_record else f"{sum(rung.seconds for rung in record.rungs):.1f} s"
    lines = [f"[{style}]{mark}[/] [bold]{name}[/] {escape(scores)} [{style}]{record.verdict}[/]{interval} "
             f"[dim]({seconds})[/]"]  # fmt: skip
    for problem in outcome.problems:
        lines.append(f"    [magenta]{problem.code}[/] {escape(problem.message)}")
    return "\n".join(lines)


def _load(paths: list[Path]) -> tuple[dict[Path, list[LoadedTask]], list[str]]:
    """The runnable tasks under `paths` grouped by folder (catalogue), and a line for each one that is not."""
    from spec import find_manifests, load_task
    from validators import validate_tasks

    loaded = [load_task(path.resolve()) for path in find_manifests(paths)]
    valid = [task for task in loaded if task.manifest is not None]
    refused = [f"{task.path}: not a valid manifest" for task in loaded if task.manifest is None]
    report = validate_tasks(valid, layers=("static",))
    groups: dict[Path, list[LoadedTask]] = defaultdict(list)
    for task, entry in zip(valid, report.tasks, strict=True):
        if entry.ok:
            groups[task.path.parent].append(task)
        else:
            refused.append(f"{task.path}: static errors (`runner validate {task.path}` lists them)")
    return dict(groups), refused


@app.command("ladder")
def ladder(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Manifests or folders of manifests. Default: the tasks/ folder (or installed catalogue)."),
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Trials run at once.")] = 1,
    backend: Annotated[str, typer.Option(help="Sandbox backend: local (bubblewrap), docker or auto.")] = "local",
    runs_dir: Annotated[
        Path | None,
        typer.Option(help="Where the rungs' trials go. Default: <cache>/ladder/v<LADDER_VERSION> (trials resume)."),
    ] = None,
    cache_dir: CacheDirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Run tasks that already have a verdict for their digest.")] = (
        False
    ),
    resamples: Annotated[int, typer.Option(min=20, help="Bootstrap draws of the test rows.")] = 200,
    with_agent: Annotated[
        list[str] | None,
        typer.Option(
            "--with-agent",
            help="Another agent as a rung above boosting (repeatable, strongest last), e.g. llm when a model is "
            "configured (`runner llm config`).",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model for the --with-agent agents that use one.")] = None,
) -> None:
    """Run the solver ladder (ladder-dummy < ladder-linear < ladder-boosting) on each competition task through
    real trials and record whether it discriminates them in verification.json: exit 0 when no task is rejected,
    1 when some is (or some could not be judged: run again), 2 on usage errors.

    Tasks whose digest already has a verdict are not run again; the summary counts them. Problem codes:
    ladder.* in docs/problems.md.
    """
    from spec import default_tasks_dir
    from validators import run_ladder

    from ._exec import choose_backend

    if not paths:
        default = default_tasks_dir()
        if default is None:
            raise usage_error("no paths given and no tasks/ folder here; name manifests or folders")
        paths = [default]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise usage_error(f"no such file or folder: {', '.join(missing)}")
    extra = tuple(with_agent or ())
    from runner.agents import LADDER_RUNGS, agent_names

    unknown = [name for name in extra if name not in agent_names() or name in LADDER_RUNGS]
    if unknown:
        raise usage_error(f"--with-agent {unknown[0]}: not an agent above the ladder (`runner exec --help` lists them)")
    chosen = choose_backend(backend)
    groups, refused = _load(paths)
    for line in refused:
        stdout.print(f"[yellow]skipped[/] {escape(line)}", highlight=False)
    summary: list[str] = []
    failed = bool(refused)
    for folder, tasks in groups.items():
        stdout.print(f"[bold]{escape(str(folder))}[/]: {len(tasks)} task(s)", highlight=False)
        started = time.monotonic()
        outcomes = run_ladder(
            tasks, runs_dir, backend=chosen, cache_root=cache_dir, jobs=jobs, force=force, resamples=resamples,
            extra_agents=extra, model=model, on_task=lambda outcome: stdout.print(_line(outcome), highlight=False),
        )  # fmt: skip
        seconds = time.monotonic() - started
        verdicts = [outcome.record.verdict for outcome in outcomes if outcome.record is not None]
        rejected = sum(outcome.record is not None and outcome.record.rejected for outcome in outcomes)
        not_judged = sum(outcome.record is None for outcome in outcomes)
        failed = failed or rejected > 0 or not_judged > 0
        summary.append(
            f"{folder}: {len(tasks)} task(s), {verdicts.count('discriminates')} discriminating, {rejected} rejected, "
            f"{verdicts.count('undecided')} undecided, {not_judged} not judged "
            f"({sum(outcome.from_record for outcome in outcomes)} from the record), {seconds:.0f} s"
        )
    stdout.print("\n".join(["solver ladder:", *(f"  {escape(line)}" for line in summary)]), highlight=False)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)
