"""Referenced files exist and stay inside the task's own folder."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from spec import LoadedTask, Problem
from spec._paths import referenced_paths

from .._registry import CheckContext, task_check


def _is_link(path: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _inside_without_links(parts: tuple[str, ...], task_dir: Path, manifest_dir: Path) -> bool | None:
    """Whether `manifest_dir/<parts>` lies in `task_dir`, read from the names alone when neither the task folder
    nor any part is a link (then resolving both would only prefix them with the same real folder); None when one
    is, or the folders are not parent and child: the caller resolves then."""
    if task_dir.parent != manifest_dir or _is_link(str(task_dir)):
        return None
    current = str(manifest_dir)
    for part in parts:
        current = f"{current}/{part}"  # strings, not Paths: this runs for every reference of every manifest
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return None
        except OSError:
            break  # nothing below a missing name exists, so nothing below it is a link
    return parts[:1] == (task_dir.name,)


def escape_reason(reference: str, task_dir: Path, manifest_dir: Path) -> str | None:
    pure = PurePosixPath(reference)
    if pure.is_absolute() or "\\" in reference or (len(reference) > 1 and reference[1] == ":"):
        return "is absolute; write it relative to the manifest's folder"
    if ".." in pure.parts:
        return "uses '..'; paths may not leave the task's own folder"
    # Resolving every reference (a stat of each folder up to the root, twice) was a fifth of static validation.
    inside = _inside_without_links(pure.parts, task_dir, manifest_dir)
    if inside is None:
        inside = (manifest_dir / reference).resolve().is_relative_to(task_dir.resolve())
    if not inside:
        folder = task_dir.name
        return f"is outside the task's own folder {folder}/; put the file there and reference it as {folder}/..."
    return None


@task_check(
    "paths",
    codes=("path.escapes-task", "path.missing", "path.wrong-type"),
    description="Every referenced file or folder exists inside the task's own folder.",
)
def check_paths(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    if task.manifest is None:
        return
    manifest_dir, task_dir = task.path.parent, task.task_dir
    for field_path, reference, kind in referenced_paths(task.manifest):
        reason = escape_reason(reference, task_dir, manifest_dir)
        if reason is not None:
            yield task.problem("path.escapes-task", f"path {reference!r} {reason}", field_path)
            continue
        target = manifest_dir / reference
        mode = _mode(target)
        if mode is None:
            yield task.problem("path.missing", f"{kind} {reference!r} does not exist (looked for {target})", field_path)
        elif kind == "file" and not stat.S_ISREG(mode):
            yield task.problem("path.wrong-type", f"{reference!r} is a folder; a file is expected", field_path)
        elif kind == "dir" and not stat.S_ISDIR(mode):
            yield task.problem("path.wrong-type", f"{reference!r} is a file; a folder is expected", field_path)


def _mode(path: Path) -> int | None:
    """The file's mode (links followed), or None when nothing is there: one `stat` answers what `exists`, then
    `is_file` or `is_dir`, asked with one each (and the same errors raise)."""
    try:
        return path.stat().st_mode
    except OSError as error:
        if error.errno in _MISSING:
            return None
        raise
    except ValueError:  # a name Path cannot hand to the system (a NUL byte): as `Path.exists` answers
        return None


_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
"""The errors `Path.exists` reads as "not there"."""
