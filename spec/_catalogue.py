"""Finding tasks: manifest paths, task folders and ids, in a tasks folder or the installed catalogue."""

from __future__ import annotations

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
    candidates = sorted(path for suffix in MANIFEST_SUFFIXES for path in root.rglob(f"*{suffix}"))
    task_dirs = {path.with_suffix("") for path in candidates}
    for path in candidates:
        # YAML files inside a task's own folder belong to that task (configs, data), they are not manifests.
        if any(parent in task_dirs for parent in path.parents):
            continue
        yield path


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
