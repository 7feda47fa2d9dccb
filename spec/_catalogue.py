"""Finding tasks: manifest paths, task folders and ids, in a tasks folder or the installed catalogue."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

MANIFEST_SUFFIXES = (".yaml", ".yml")
_PACKAGE_DIR = Path(__file__).resolve().parent


class TaskNotFoundError(LookupError):
    """A TASK argument named no manifest; the message says what was tried."""


def installed_catalogue() -> Path | None:
    """The catalogue shipped with benchsmith: inside the wheel, or the source checkout's tasks/."""
    for candidate in (_PACKAGE_DIR / "_catalogue", _PACKAGE_DIR.parent / "tasks"):
        if candidate.is_dir():
            return candidate
    return None


def default_tasks_dir(cwd: Path | None = None) -> Path | None:
    """`tasks/` of the current directory when present, else the installed catalogue."""
    local = (cwd or Path.cwd()) / "tasks"
    return local if local.is_dir() else installed_catalogue()


def iter_manifests(root: Path) -> Iterator[Path]:
    """Every manifest under `root` (or `root` itself when it is a file), sorted."""
    if root.is_file():
        yield root
        return
    # One walk that skips each task's own folder: YAML files there belong to that task (configs, data), they are
    # not manifests. Like `rglob`, it matches every entry's name and never descends a symbolic link.
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        names = [name for name in (*subfolders, *files) if name.endswith(MANIFEST_SUFFIXES)]
        stems = {name.rpartition(".")[0] for name in names}
        subfolders[:] = [name for name in subfolders if name not in stems]
        found.extend(Path(folder, name) for name in names)
    yield from sorted(found)


def find_manifests(paths: Iterable[Path]) -> list[Path]:
    """Manifests named by files or found under folders, without repeats, in order."""
    seen: dict[Path, None] = {}
    for path in paths:
        for manifest in iter_manifests(path):
            seen.setdefault(manifest, None)
    return list(seen)


def resolve_task(argument: str, tasks_dir: Path | None = None) -> Path:
    """The manifest a TASK argument names: a manifest path, a task folder, or an id in `tasks_dir`."""
    path = Path(argument)
    if path.is_file():
        return path
    if path.is_dir():
        for suffix in MANIFEST_SUFFIXES:
            sibling = path.parent / f"{path.name}{suffix}"
            if sibling.is_file():
                return sibling
    root = tasks_dir or default_tasks_dir()
    if root is None:
        raise TaskNotFoundError(f"{argument!r} is not a file or task folder, and no tasks folder was found")
    matches = [manifest for manifest in iter_manifests(root) if manifest.stem == argument]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = ", ".join(str(match) for match in matches)
        raise TaskNotFoundError(f"id {argument!r} is ambiguous in {root}: {listed}")
    raise TaskNotFoundError(f"no task {argument!r}: not a manifest path, a task folder, or an id in {root}")
