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
from typing import Protocol

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


class RecordIdentity(Protocol):
    """What names a trial in its record: a `TrialResult`, or the same fields read from one in bulk."""

    @property
    def trial_id(self) -> str: ...
    @property
    def task_id(self) -> str: ...
    @property
    def task_digest(self) -> str: ...
    @property
    def agent_label(self) -> str: ...
    @property
    def seed(self) -> int: ...


def identity_problem(result: RecordIdentity, trial_id: str) -> str | None:
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
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        # plain reads, not a buffered file object: a report reads tens of thousands of these
        chunks: list[bytes] = []
        while chunk := os.read(handle, info.st_size + 1 if not chunks else 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def read_result_bytes(path: Path) -> bytes:
    """The raw bytes of one result.json (a regular file, not a link), for readers that parse many records in bulk
    and validate them themselves (`runner report`). Raises OSError."""
    return _read_regular(path)


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


def _subfolders(folder: str | Path) -> list[os.DirEntry[str]]:
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
        for label in _subfolders(task.path):
            for seed in _subfolders(label.path):
                if not _SEED_FOLDER.fullmatch(seed.name):
                    continue
                # one lstat, not a Path per folder and two stats: a report walks tens of thousands of trial folders
                path = f"{seed.path}{os.sep}{RESULT_FILE}"
                try:
                    os.lstat(path)
                except OSError:
                    continue
                yield f"{task.name}/{label.name}/{seed.name}", Path(path)


def iter_results(runs_dir: Path) -> Iterator[tuple[Path, TrialResult]]:
    """Every valid result the runner recorded under a runs folder, in path order: (trial folder, result)."""
    for trial_id, path in result_files(runs_dir):
        result = read_result(path.parent, trial_id)
        if result is not None:
            yield path.parent, result
