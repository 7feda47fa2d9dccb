"""`runner cache prune`: remove cached build material that no current recipe uses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._app import command_group, stdout

cache_app = command_group("cache", "The benchsmith cache (~/.cache/benchsmith).")


@cache_app.command("prune")
def prune(
    all_: Annotated[bool, typer.Option("--all", help="Remove every prepared task and debootstrap folder.")] = False,
    tasks_dir: Annotated[Path | None, typer.Option(help="Catalogue whose current preparations are kept.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache root (default ~/.cache/benchsmith).")] = None,
) -> None:
    """Remove prepared data no task of the catalogue uses any more, and stale debootstrap folders (--all: all)."""
    from runner.images import prune_debootstrap_cache
    from runner.preparation import PreparationError, preparation_key, prune_prepared
    from spec import default_tasks_dir, iter_manifests, load_task

    keep: set[str] = set()
    root = tasks_dir or default_tasks_dir()
    if root is not None and not all_:
        for path in iter_manifests(root):
            task = load_task(path)
            if task.manifest is not None:
                try:
                    keep.add(preparation_key(task))
                except PreparationError:
                    continue
    removed = [*prune_prepared(keep, cache_root=cache_dir, everything=all_), *prune_debootstrap_cache(all=all_)]
    for path in removed:
        stdout.print(f"removed {escape(str(path))}", highlight=False)
    stdout.print(f"{len(removed)} folder(s) removed")
