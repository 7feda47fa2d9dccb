"""`runner envs build`: build the sandbox Python environments tasks need, ahead of time (downloads happen here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._app import EXIT_FAILED, command_group, stderr, stdout

envs = command_group("envs", "Sandbox Python environments (local backend), built offline from a wheelhouse.")


@envs.command("build")
def build(
    tasks_dir: Annotated[Path | None, typer.Option(help="Catalogue whose environments to build.")] = None,
    agent: Annotated[
        list[str] | None,
        typer.Option(help="Also build each environment with this agent's own packages (e.g. aide); repeatable."),
    ] = None,
) -> None:
    """Build the base environment and one per distinct `environment.packages` of the catalogue (tasks that require
    more GPUs than this machine has are skipped); with --agent, each also with what that agent runs in the sandbox."""
    from runner.agents import get_agent
    from runner.environments import EnvironmentError_, EnvironmentSpec, ensure_environment, environments_root
    from runner.hardware import detect_gpus, gpu_shortage
    from spec import default_tasks_dir, iter_manifests, load_task

    base = EnvironmentSpec()
    specs = {base.key: base}
    root = tasks_dir or default_tasks_dir()
    gpus = detect_gpus()
    if root is not None:
        for path in iter_manifests(root):
            task = load_task(path)
            if task.manifest is None:
                continue
            shortage = gpu_shortage(task.manifest.id, task.manifest.resources, gpus)
            if shortage is not None:
                # Its packages are built for GPUs (e.g. a CUDA torch of several GB) and it cannot run here anyway.
                stderr.print(f"[yellow]skipped[/] {escape(task.manifest.id)}: {escape(shortage)}")
                continue
            spec = EnvironmentSpec(tuple(task.manifest.environment.packages))
            specs.setdefault(spec.key, spec)
    extras = [get_agent(name) for name in agent or ()]
    for spec in list(specs.values()):
        for chosen in extras:
            if chosen.sandbox_packages or chosen.sandbox_packages_no_deps:
                with_agent = EnvironmentSpec(
                    (*spec.packages, *chosen.sandbox_packages), chosen.sandbox_packages_no_deps
                )
                specs.setdefault(with_agent.key, with_agent)
    for spec in specs.values():
        try:
            folder = ensure_environment(spec)
        except EnvironmentError_ as error:
            stderr.print(f"[bold red]cannot build[/] {', '.join(spec.requirements)}: {escape(str(error))}")
            raise typer.Exit(EXIT_FAILED) from None
        stdout.print(f"ready: {folder} ({', '.join((*spec.requirements, *spec.no_deps))})", highlight=False)
    stdout.print(f"{len(specs)} environment(s) under {environments_root()}")
