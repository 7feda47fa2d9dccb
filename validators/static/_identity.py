"""Ids name files and are unique across the catalogue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from spec import LoadedTask, Problem

from .._registry import CheckContext, catalogue_check, task_check


@task_check(
    "id-filename",
    codes=("id.filename-mismatch",),
    description="The manifest's file stem is its id, so `runner exec <id>` finds it.",
)
def check_id_matches_filename(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    if task.manifest is not None and task.manifest.id != task.path.stem:
        yield task.problem(
            "id.filename-mismatch",
            f"id {task.manifest.id!r} differs from the file name {task.path.name!r}; "
            f"rename the file to {task.manifest.id}{task.path.suffix} (and its folder to {task.manifest.id}/)",
            ("id",),
        )


@catalogue_check(
    "unique-ids",
    codes=("id.duplicate",),
    description="No two manifests share an id.",
)
def check_unique_ids(tasks: list[LoadedTask], context: CheckContext) -> Iterator[Problem]:
    by_id: dict[str, list[LoadedTask]] = defaultdict(list)
    for task in tasks:
        if task.manifest is not None:
            by_id[task.manifest.id].append(task)
    for task_id, owners in by_id.items():
        if len(owners) < 2:
            continue
        for owner in owners:
            others = ", ".join(str(other.path) for other in owners if other is not owner)
            yield owner.problem("id.duplicate", f"id {task_id!r} is also used by {others}; ids must be unique", ("id",))
