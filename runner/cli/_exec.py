"""`runner exec`: run agents on tasks; `runner grade`: grade a submission file directly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._app import EXIT_FAILED, EXIT_OK, app, stderr, stdout, usage_error
from ._list import selected_arguments
from ._prepare import MlebenchDataOption
from ._tasks import runnable_task

if TYPE_CHECKING:
    from runner.llm import CostMeter, ModelAccess
    from runner.results import TrialResult
    from runner.trials import TrialRequest
    from spec import LoadedTask

# The runner packages (pandas, openai, docker, ray...) are imported inside the commands, so that `runner --help`
# and the light commands start in a blink (tests/runner/test_cli_startup.py); these names are for help texts only.
_AGENTS_HELP = "sample, oracle, baseline, command, llm, gpt, aide, ladder-dummy, ladder-linear, ladder-boosting"
_EXECUTORS_HELP = "local, ray"

_MLEBENCH_ROUNDING_HELP = (
    "MLE-bench-compatible medals: round scores to 5 decimals before the medal thresholds, as MLE-bench does "
    "(results state it). Off: scores are compared as graded."
)

_STATUS_STYLE = {"ok": "green", "invalid_submission": "yellow", "infra_error": "bold red"}


def choose_backend(requested: str) -> str:
    """`auto` → docker when an engine answers, else local; says which it chose."""
    from runner.plugins import PluginUnavailableError, UnknownPluginError
    from runner.sandboxes import get_backend

    if requested != "auto":
        try:
            reason = get_backend(requested).availability()
        except (UnknownPluginError, PluginUnavailableError) as error:
            raise usage_error(f"--backend: {error} (or auto)") from None
        if reason is not None:
            raise usage_error(f"--backend {requested}: {reason}")
        return requested
    try:
        docker_reason = get_backend("docker").availability()
    except PluginUnavailableError as error:
        docker_reason = str(error)
    chosen = "docker" if docker_reason is None else "local"
    stderr.print(f"[dim]backend: {chosen}" + (f" (docker: {docker_reason})" if docker_reason else "") + "[/]")
    return chosen


def load_tasks(arguments: list[str], tasks_dir: Path | None) -> list[LoadedTask]:
    """Resolve and load TASK arguments; any that is missing, invalid or fails a static check is a usage error."""
    return [runnable_task(argument, tasks_dir) for argument in arguments]


def _summary(results: list[TrialResult]) -> Table:
    table = Table(title=f"{len(results)} trial(s)")
    for column in ("task", "agent"):
        table.add_column(column, overflow="fold", ratio=1)
    for column in ("seed", "status", "score", "medal", "normalized", "s"):
        table.add_column(column, no_wrap=True, min_width=len(column))
    for result in sorted(results, key=lambda item: item.trial_id):
        style = _STATUS_STYLE.get(result.status, "red")
        table.add_row(
            escape(result.task_id), escape(result.agent_label), str(result.seed), f"[{style}]{result.status}[/]",
            "" if result.score is None else f"{result.score:.4g}", result.medal or "",
            "" if result.normalized_score is None else f"{result.normalized_score:.3f}", f"{result.duration_s:.0f}",
        )  # fmt: skip
    return table


def _print_reasons(results: list[TrialResult]) -> None:
    for result in sorted(results, key=lambda item: item.trial_id):
        if result.reason:
            last = result.reason.strip().splitlines()[-1][:300]
            stdout.print(f"[dim]{escape(result.trial_id)}:[/] {result.status}: {escape(last)}", highlight=False)


def _llm_options(
    agent: str,
    model: str | None,
    arguments: tuple[str, ...],
    base_url: str | None,
    api_key_env: str | None,
    max_steps: int | None,
    max_cost: float | None,
    allow_model: bool = False,
    model_limits: tuple[str, ...] = (),
) -> tuple[str | None, str | None, tuple[str, ...], CostMeter | None, ModelAccess | None]:
    """For LLM agents: resolve the model (so the trial records it), pass the flags as agent arguments, make the
    batch's cost meter. With --allow-model (agents that run inside the sandbox): the same settings and the limits
    go to each trial's model proxy instead. The key itself never goes on a command line or into arguments."""
    from runner.agents import AgentRefused, get_agent
    from runner.agents._builtin import CommandAgent
    from runner.agents._llm import LlmAgent
    from runner.llm import CostMeter, ModelAccess, ModelError, ModelMismatch, parse_limits, served_settings
    from runner.plugins import UnknownPluginError

    given = {"--base-url": base_url, "--api-key-env": api_key_env, "--max-steps": max_steps, "--max-cost": max_cost,
             "--model-limit": model_limits or None}  # fmt: skip
    try:
        chosen = get_agent(agent)
    except (AgentRefused, UnknownPluginError):
        return model, None, arguments, None, None
    is_llm = isinstance(chosen, LlmAgent)
    if allow_model and not isinstance(chosen, CommandAgent):
        raise usage_error(
            f"--allow-model: only for agents that run inside the sandbox (command), not {agent}"
            + (" (it calls the model itself: drop --allow-model)" if is_llm else "")
        )
    if not is_llm and not allow_model:
        used = [flag for flag, value in given.items() if value is not None]
        if used:
            raise usage_error(f"{', '.join(used)}: only for the llm and gpt agents, or with --allow-model")
        return model, None, arguments, None, None
    if is_llm and model_limits:
        raise usage_error("--model-limit: only with --allow-model (llm/gpt take --agent-arg max_tokens=N and the like)")
    try:
        resolved = served_settings({"model": model, "base_url": base_url, "api_key_env": api_key_env})
    except (ModelError, ModelMismatch) as error:
        raise usage_error(str(error)) from None
    stderr.print(f"[dim]{escape(resolved.summary())}[/]")
    meter = CostMeter(max_cost) if max_cost is not None else None
    if allow_model:
        try:
            limits = parse_limits(model_limits, max_steps)
        except ValueError as error:
            raise usage_error(str(error)) from None
        return resolved.model.value, resolved.model.source, arguments, meter, ModelAccess(resolved, limits)
    passed = {"base_url": base_url, "api_key_env": api_key_env, "max_steps": max_steps}
    extra = [f"{name}={value}" for name, value in passed.items() if value is not None]
    return resolved.model.value, resolved.model.source, (*arguments, *extra), meter, None


def _least(flag: float | None, budget: float | None) -> float | None:
    return budget if flag is None else flag if budget is None else min(flag, budget)


def _with_task_budget(request: TrialRequest) -> TrialRequest:
    """A research task's `agent_budget` as the trial's model limits: the smaller of it and the flags' limits."""
    from dataclasses import replace

    from runner.agents import AgentRefused, get_agent
    from runner.agents._llm import LlmAgent
    from runner.plugins import UnknownPluginError

    budget = getattr(request.manifest, "agent_budget", None)
    if budget is None:
        return request
    if request.model_access is not None:
        limits = request.model_access.limits
        steps = _least(limits.max_steps, budget.max_steps)
        tightened = replace(
            limits,
            max_steps=None if steps is None else int(steps),
            max_cost_usd=_least(limits.max_cost_usd, budget.max_cost_usd),
        )
        return replace(request, model_access=replace(request.model_access, limits=tightened))
    try:
        is_llm = isinstance(get_agent(request.agent), LlmAgent)
    except (AgentRefused, UnknownPluginError):
        return request
    if not is_llm:
        return request
    given = dict(argument.split("=", 1) for argument in request.args if "=" in argument)
    steps = _least(float(given["max_steps"]) if "max_steps" in given else None, budget.max_steps)
    cost = _least(float(given["max_cost"]) if "max_cost" in given else None, budget.max_cost_usd)
    kept = tuple(argument for argument in request.args if argument.split("=", 1)[0] not in ("max_steps", "max_cost"))
    capped = (
        *(() if steps is None else (f"max_steps={int(steps)}",)),
        *(() if cost is None else (f"max_cost={cost:g}",)),
    )
    return replace(request, args=(*kept, *capped))


def _read_run_config(context: typer.Context, path: Path | None) -> Path | None:
    """Eager: the file's settings become the command's defaults, so flags on the command line still win."""
    if path is None:
        return None
    from runner.results import RunConfig, RunConfigError

    try:
        given = RunConfig.read(path).given_keys()
    except RunConfigError as error:
        raise usage_error(str(error)) from None
    context.default_map = {**(context.default_map or {}), **given}
    return path


@app.command("exec")
def exec_(
    tasks: Annotated[
        list[str] | None, typer.Argument(help="Manifest paths, task folders or ids (or select with --suite/--tag).")
    ] = None,
    agent: Annotated[
        str, typer.Option(help=f"Agent: {_AGENTS_HELP} (or an installed plug-in's: docs/plugins.md).")
    ] = "sample",
    agent_arg: Annotated[
        list[str] | None, typer.Option("--agent-arg", help="Argument for the agent (repeatable).")
    ] = None,
    backend: Annotated[str, typer.Option(help="auto (docker if an engine answers, else local), docker or local.")] = (
        "auto"
    ),
    seeds: Annotated[int, typer.Option(min=1, help="Trials per task, seeds 0..N-1.")] = 1,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Trials run at once (local: default 1; ray: default as resources allow).")
    ] = None,
    executor: Annotated[
        str, typer.Option(help=f"Where trials run: {_EXECUTORS_HELP} (a Ray cluster; see docs/scale.md).")
    ] = "local",
    address: Annotated[
        str | None, typer.Option(help="ray: address of a running cluster (else a local one is started here).")
    ] = None,
    runs_dir: Annotated[Path, typer.Option(help="Where trial folders and result.json files go.")] = Path("runs"),
    model: Annotated[
        str | None,
        typer.Option(
            help="Model for agents that use one. For llm/gpt: else $BENCHSMITH_MODEL, else [tool.benchsmith] "
            "model in ./benchsmith.toml or ./pyproject.toml, else gpt-4o-mini "
            "(`runner llm config` shows the values). Without one, a server that serves a single model supplies it."
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="llm/gpt: OpenAI-protocol endpoint; else $OPENAI_BASE_URL, config base_url, OpenAI's API."),
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(help="llm/gpt: NAME of the variable holding the key; else config api_key_env, OPENAI_API_KEY."),
    ] = None,
    max_steps: Annotated[
        int | None,
        typer.Option(min=1, help="llm/gpt: most solution nodes per trial; with --allow-model: most model calls."),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option(min=0, help="llm/gpt, --allow-model: US dollars the whole batch may spend on the model."),
    ] = None,
    allow_model: Annotated[
        bool,
        typer.Option(
            "--allow-model",
            help="command agent: the sandbox may call the model (settings as for llm/gpt) through a runner-side proxy "
            "that holds the key and counts and limits the spend; the network stays off (docs/agents.md).",
        ),
    ] = False,
    model_limit: Annotated[
        list[str] | None,
        typer.Option(
            "--model-limit",
            help="With --allow-model, per trial (repeatable): calls=N, tokens=N, cost=USD, wall_time=SECONDS.",
        ),
    ] = None,
    suite: Annotated[
        str | None, typer.Option(help="Also run every task of this suite, e.g. mlebench-lite (see `runner list`).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option(help="Also run every task with these tags, key=value (repeatable): split=lite.")
    ] = None,
    tasks_dir: Annotated[Path | None, typer.Option(help="Catalogue for ids (default ./tasks or installed).")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Prepared-data cache (default ~/.cache/benchsmith).")] = None,
    mlebench_data: MlebenchDataOption = None,
    record: Annotated[
        str | None, typer.Option(help="Speedrun tasks: id of the record whose script the agent starts from.")
    ] = None,
    hint_level: Annotated[
        str | None,
        typer.Option(
            help="Speedrun tasks: hints given, 0 none, 1 pseudocode, 2 description, 3 paper, diff (level 0, the full "
            "diff); combined with +, e.g. 1+2 or 1+2+3; prefix upstream: for the upstream benchmark's hint files.",
        ),
    ] = None,
    validation: Annotated[
        bool, typer.Option("--validation", help="Validation mode: allows the oracle agent.", hidden=True)
    ] = False,
    mlebench_rounding: Annotated[bool, typer.Option(help=_MLEBENCH_ROUNDING_HELP)] = False,
    retry_on_error: Annotated[
        int | None,
        typer.Option(min=0, help="Times a trial that ends in infra_error is run again in this batch (default 2)."),
    ] = None,
    fail_on_error: Annotated[
        float,
        typer.Option(
            min=0, max=1, help="Share of trials that may end in infra_error before the batch exits 1 (0: any does)."
        ),
    ] = 0.0,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            is_eager=True,
            callback=_read_run_config,
            help="A TOML file of these settings (keys are the flags without dashes: agent, agent-arg, runs-dir, ...); "
            "flags given here win. The settings are recorded in every result.json.",
        ),
    ] = None,
) -> None:
    """Run AGENT on each TASK: exit 0 when every trial was recorded, 1 when trials ended in infra_error (more than
    --fail-on-error of them), 2 on usage."""
    from runner.agents import AgentRefused, get_agent
    from runner.executors import ExecutorError, get_executor
    from runner.llm import set_batch_meter
    from runner.plugins import UnknownPluginError
    from runner.preparation import MLEBENCH_DATA_ENV, PreparationError, prepare_task
    from runner.results import DEFAULT_RETRIES, RunConfig
    from runner.trials import RunSettings, TrialOptionError, TrialRequest, get_kind_runtime

    arguments_given = [*(tasks or []), *selected_arguments(suite, tag or [], tasks_dir)]
    if not arguments_given:
        raise usage_error("name the tasks to run (paths or ids), or select them with --suite or --tag")
    if hint_level is not None:
        from spec import HintSelection

        try:
            hint_level = HintSelection.parse(hint_level).text
        except ValueError as error:
            raise usage_error(f"--hint-level: {error}") from None
    loaded = load_tasks(arguments_given, tasks_dir)
    arguments = tuple(agent_arg or ())
    model, model_source, arguments, meter, access = _llm_options(
        agent, model, arguments, base_url, api_key_env, max_steps, max_cost, allow_model, tuple(model_limit or ())
    )
    try:
        get_agent(agent).check(arguments, validation=validation)
    except (AgentRefused, UnknownPluginError) as error:
        raise usage_error(str(error)) from None
    chosen = choose_backend(backend)
    from runner.scoring import MLEBENCH_DECIMALS

    run_config = RunConfig(
        tasks=list(tasks or []), agent=agent, agent_arg=list(agent_arg or []), backend=chosen, seeds=seeds, jobs=jobs,
        executor=executor, address=address, runs_dir=runs_dir, model=model, base_url=base_url,
        api_key_env=api_key_env, max_steps=max_steps, max_cost=max_cost, allow_model=allow_model,
        model_limit=list(model_limit or []), suite=suite, tag=list(tag or []), tasks_dir=tasks_dir, cache_dir=cache_dir,
        mlebench_data=mlebench_data, record=record, hint_level=hint_level, mlebench_rounding=mlebench_rounding,
        retry_on_error=DEFAULT_RETRIES if retry_on_error is None else retry_on_error, fail_on_error=fail_on_error,
    )  # fmt: skip
    settings = RunSettings(runs_dir=runs_dir, backend=chosen, cache_root=cache_dir, validation=validation,
                           medal_round_to=MLEBENCH_DECIMALS if mlebench_rounding else None,
                           retries=run_config.retry_on_error, run_config=run_config)  # fmt: skip
    requests = [
        TrialRequest(
            task,
            agent,
            seed=seed,
            args=arguments,
            model=model,
            record=record,
            hint_level=hint_level,
            model_access=access,
            model_source=model_source,
        )
        for task in loaded
        for seed in range(seeds)
    ]
    requests = [_with_task_budget(request) for request in requests]
    for request in requests[::seeds]:
        try:
            get_kind_runtime(request.manifest.kind).check(request)
        except TrialOptionError as error:
            raise usage_error(str(error)) from None
    if address is not None and executor != "ray":
        raise usage_error("--address is the Ray cluster's: give it with --executor ray")
    if meter is not None and executor != "local":
        # The spend meter lives in this process; trials on other workers could not add to it.
        raise usage_error("--max-cost is kept by the local executor only; drop it or use --executor local")
    try:
        trial_executor = get_executor(executor, **({"address": address} if address else {}))
        trial_executor.check(requests, chosen)  # before anything is prepared or built: missing GPUs fail here
    except (ExecutorError, UnknownPluginError) as error:
        raise usage_error(str(error)) from None
    if mlebench_data is not None:
        # Trials find their data themselves, here or in workers started from here: they read the same setting.
        os.environ[MLEBENCH_DATA_ENV] = str(mlebench_data.resolve())
    for task in loaded:
        try:
            prepared = prepare_task(task, cache_root=cache_dir)
        except PreparationError as error:
            stderr.print(f"[bold red]cannot prepare {task.id}:[/] {escape(str(error))}")
            raise typer.Exit(EXIT_FAILED) from None
        for warning in prepared.warnings:
            stderr.print(f"[yellow]{task.id}:[/] {escape(warning)}", highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=True) as progress:
        bar = progress.add_task(f"{agent} on {len(loaded)} task(s)", total=len(requests))
        set_batch_meter(meter)
        try:
            report = trial_executor.run(
                requests, settings, jobs=jobs, on_done=lambda _result, _how: progress.advance(bar)
            )
        except ExecutorError as error:
            raise usage_error(str(error)) from None
        finally:
            set_batch_meter(None)
    results = [*report.skipped, *report.results]
    stdout.print(_summary(results))
    _print_reasons(results)
    if report.skipped:
        stderr.print(f"[dim]{len(report.skipped)} finished trial(s) kept from an earlier run[/]")
    if report.lost:
        stderr.print(f"[yellow]{len(report.lost)} trial(s) lost their worker too often; run again to retry them[/]")
    if report.busy:
        stderr.print(f"[yellow]{len(report.busy)} trial(s) are running in another runner; left to it[/]")
    if report.interrupted:
        stderr.print("[yellow]interrupted: finished trials are kept; run the same command again to resume[/]")
        raise typer.Exit(130)
    if report.infra_errors and report.infra_errors > fail_on_error * len(results):
        raise typer.Exit(EXIT_FAILED)
    if report.infra_errors:
        stderr.print(
            f"[yellow]{report.infra_errors} of {len(results)} trial(s) ended in infra_error, within --fail-on-error "
            f"{fail_on_error:g}[/]"
        )
    raise typer.Exit(EXIT_OK)


def _prepared_private(loaded: LoadedTask, cache_dir: Path | None) -> Path:
    from runner.preparation import PreparationError, prepare_task

    try:
        return prepare_task(loaded, cache_root=cache_dir).private
    except PreparationError as error:
        stderr.print(f"[bold red]cannot grade:[/] {escape(str(error))}")
        raise typer.Exit(EXIT_FAILED) from None


@app.command()
def grade(
    submission: Annotated[Path, typer.Argument(help="Submission file to grade.")],
    task: Annotated[str, typer.Option("--task", help="Manifest path, task folder or id.")],
    tasks_dir: Annotated[Path | None, typer.Option(help="Catalogue for ids.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Prepared-data cache.")] = None,
    answers: Annotated[
        Path | None,
        typer.Option(help="Grade against this answers file instead of the prepared task's (nothing is prepared)."),
    ] = None,
    mlebench_rounding: Annotated[
        bool, typer.Option(help="Print the score rounded to 5 decimals, as MLE-bench reports and judges it.")
    ] = False,
) -> None:
    """Grade a submission file: exit 0 with the score, 1 with the reason it is invalid, 2 on usage errors."""
    from runner.grading import GradingError, grade_submission

    if not submission.is_file():
        raise usage_error(f"no such file: {submission}")
    if answers is not None and not answers.is_file():
        raise usage_error(f"--answers: no such file: {answers}")
    [loaded] = load_tasks([task], tasks_dir)
    assert loaded.manifest is not None
    if loaded.manifest.kind == "speedrun" or getattr(loaded.manifest, "evaluation", None) is not None:
        raise usage_error(
            f"{loaded.id} is a {loaded.manifest.kind} task: its work is scored by running it "
            f"(`runner exec {loaded.id} --agent ...`), not by grading a file"
        )
    try:
        # With --answers nothing is prepared, so the preparation machinery (and pandas) is not even imported.
        private = answers.parent if answers is not None else _prepared_private(loaded, cache_dir)
        result = grade_submission(loaded.manifest, loaded.path, submission, private, answers=answers)
    except GradingError as error:
        stderr.print(f"[bold red]cannot grade:[/] {escape(str(error))}")
        raise typer.Exit(EXIT_FAILED) from None
    if not result.valid:
        stdout.print(f"[yellow]invalid submission:[/] {escape(result.reason or '')}")
        raise typer.Exit(EXIT_FAILED)
    score = result.score
    if mlebench_rounding and score is not None:
        from runner.scoring import MLEBENCH_DECIMALS

        score = round(score, MLEBENCH_DECIMALS)
    print(f"{score!r}")
