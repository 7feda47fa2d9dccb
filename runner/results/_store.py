"""Reading and writing result.json files: atomic writes, and reads that trust only the runner's own records.

A runs folder holds agents' workspaces too (each trial folder keeps its agent's `workspace/`), so anything an agent
wrote can sit anywhere below it, result-shaped files included. A result is therefore read only from the exact place
the runner writes it, `<runs>/<task>@<digest12>/<agent label>/seed-<n>/result.json`, reached through real folders
(no links), as a regular file, and only when the identity the record states is the one its folder names.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from ._models import TrialResult

RESULT_FILE = "result.json"
_DIGEST_PREFIX = 12
_SEED_FOLDER = re.compile(r"seed-(0|[1-9][0-9]*)")


def write_atomic(path: Path, text: str) -> None:
    """Write `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_result(folder: Path, result: TrialResult) -> Path:
    """Write `folder/result.json` atomically."""
    path = folder / RESULT_FILE
    write_atomic(path, result.model_dump_json(indent=2) + "\n")
    return path


def identity_problem(result: TrialResult, trial_id: str) -> str | None:
    """Why `result` is not the record of trial `trial_id` (the folder it was found in), or None when it is.

    The trial id must be the folder's, and the record's task, digest, agent label and seed must be the ones its
    trial id names: a record copied or planted elsewhere, or edited to pass for another trial, fails here.
    """
    if result.trial_id != trial_id:
        return f"it names trial {result.trial_id!r} but lies in the folder of {trial_id!r}"
    expected = f"{result.task_id}@{result.task_digest[:_DIGEST_PREFIX]}/{result.agent_label}/seed-{result.seed}"
    if trial_id != expected:
        return f"its task, digest, agent label and seed make {expected!r}, not its trial id {trial_id!r}"
    return None


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, never following a link at its last component (OSError otherwise)."""
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(f"{path} is not a regular file")
        with os.fdopen(handle, "rb") as stream:
            handle = -1
            return stream.read()
    finally:
        if handle >= 0:
            os.close(handle)


def read_result_file(path: Path) -> TrialResult:
    """Parse one result.json (a regular file, not a link). Raises OSError or pydantic's ValidationError."""
    return TrialResult.model_validate_json(_read_regular(path))


def read_result(folder: Path, trial_id: str | None = None) -> TrialResult | None:
    """The result in `folder`, or None when there is none, it is not a valid record, or (given `trial_id`, the
    trial the folder belongs to) it is not that trial's record."""
    try:
        result = read_result_file(folder / RESULT_FILE)
    except (OSError, ValidationError):
        return None
    if trial_id is not None and identity_problem(result, trial_id) is not None:
        return None
    return result


def _subfolders(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return sorted((e for e in entries if e.is_dir(follow_symlinks=False)), key=lambda entry: entry.name)
    except OSError:
        return []


def result_files(runs_dir: Path) -> Iterator[tuple[str, Path]]:
    """(trial id, result.json path) for every trial folder of a runs folder that holds a result.json, in path order.

    Only the trial-folder layout is walked, through real folders (links are not followed) and never below a trial
    folder, so files in agents' workspaces are never found. The file may still be invalid or not the trial's own:
    check it with `read_result_file` and `identity_problem`.
    """
    for task in _subfolders(runs_dir):
        if "@" not in task.name:
            continue
        for label in _subfolders(Path(task.path)):
            for seed in _subfolders(Path(label.path)):
                if not _SEED_FOLDER.fullmatch(seed.name):
                    continue
                path = Path(seed.path) / RESULT_FILE
                if path.is_symlink() or path.exists():
                    yield f"{task.name}/{label.name}/{seed.name}", path


def iter_results(runs_dir: Path) -> Iterator[tuple[Path, TrialResult]]:
    """Every valid result the runner recorded under a runs folder, in path order: (trial folder, result)."""
    for trial_id, path in result_files(runs_dir):
        result = read_result(path.parent, trial_id)
        if result is not None:
            yield path.parent, result
