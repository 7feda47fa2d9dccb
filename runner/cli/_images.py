"""`runner images build|list|prune`: the docker images that the docker sandbox backend runs in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ._app import EXIT_FAILED, command_group, stderr, stdout, usage_error
from ._validate import OutputFormat

if TYPE_CHECKING:
    from runner.images import ImageError

images_app = command_group("images", "Docker images for the docker sandbox backend (built offline, content-hashed).")


def _fail(error: ImageError) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
    return typer.Exit(EXIT_FAILED)


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1e6:,.0f} MB"


@images_app.command("build")
def build(
    package: Annotated[
        list[str] | None, typer.Option("--package", "-p", help="An extra pip requirement (repeatable).")
    ] = None,
    task: Annotated[
        list[Path] | None, typer.Option(help="A task manifest whose environment.packages to add (repeatable).")
    ] = None,
    base_only: Annotated[bool, typer.Option("--base-only", help="Build only the Debian base image.")] = False,
) -> None:
    """Build (or find, when unchanged) the base image and the task image for these packages."""
    from runner.environments import EnvironmentSpec
    from runner.images import ImageError, ensure_base_image, ensure_task_image
    from spec import load_task

    packages = list(package or [])
    for path in task or []:
        loaded = load_task(path)
        if loaded.manifest is None:
            raise usage_error(f"{path} is not a valid manifest; run `runner validate {path}`")
        packages += list(loaded.manifest.environment.packages)
    try:
        if base_only:
            stdout.print(ensure_base_image(), highlight=False)
            return
        stdout.print(ensure_task_image(EnvironmentSpec(tuple(sorted(set(packages))))), highlight=False)
    except ImageError as error:
        raise _fail(error) from None


@images_app.command("list")
def list_(
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """Print the benchsmith images: kind, tags, size, whether a container uses them."""
    from runner.images import ImageError, list_images

    try:
        infos = list_images()
    except ImageError as error:
        raise _fail(error) from None
    if output is OutputFormat.json:
        print(json.dumps([{**info.__dict__, "tags": list(info.tags)} for info in infos], indent=2))
        return
    table = Table(title=f"{len(infos)} benchsmith image(s)")
    for column in ("kind", "tags", "id", "size", "in use", "created"):
        table.add_column(column, overflow="fold")
    for info in infos:
        table.add_row(info.kind, escape(", ".join(info.tags) or "<none>"), info.id.removeprefix("sha256:")[:12],
                      _size(info.size_bytes), "yes" if info.in_use else "", info.created[:19])  # fmt: skip
    stdout.print(table)


@images_app.command("prune")
def prune(
    all_: Annotated[bool, typer.Option("--all", help="Remove the base images too.")] = False,
) -> None:
    """Remove benchsmith images no container uses (containers of dead runners are removed first)."""
    from runner.images import ImageError, prune_images
    from runner.sandboxes import get_backend

    reaped = get_backend("docker").reap()
    try:
        removed = prune_images(all=all_)
    except ImageError as error:
        raise _fail(error) from None
    if reaped:
        stdout.print(f"removed {reaped} container(s) of runners that are gone")
    for info in removed:
        stdout.print(f"removed {info.kind} {escape(', '.join(info.tags) or info.id)}", highlight=False)
    stdout.print(f"{len(removed)} image(s) removed, {_size(sum(info.size_bytes for info in removed))} at most")
