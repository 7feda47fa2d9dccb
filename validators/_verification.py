"""Verification records kept in the repository: task digest → execution checks passed, so CI re-executes only
tasks that are new or changed since they were last verified.

A folder of manifests may hold `verification.json` (a `VerificationRecord`). An execution validation of a task whose
id, `task_digest`, execution checks and validator version all match its entry is answered from the record; when
checks were added since, only those run (`recorded_verdict`); anything else (an edited file, a removed check, a newer
validator) runs the checks again. `runner validate --execute
--record-verification` writes or refreshes the record from the tasks that passed.
"""

from __future__ import annotations

import datetime
import json
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError

from spec import LoadedTask, Problem, StrictModel, find_manifests, has_errors, load_task, task_digest

from ._ladder_record import LadderRecord
from ._records import VALIDATOR_VERSION, ExecutionRecords, uncovered_checks
from ._registry import task_checks
from ._report import ValidationReport

VERIFICATION_FILE = "verification.json"
RECORD_SCHEMA_VERSION = 1


class VerifiedTask(StrictModel):
    """One task's last passed execution validation."""

    task_digest: str = Field(description="`task_digest` of the manifest, its folder and its pinned sources.")
    checks: list[str] = Field(description="Names of the execution checks that ran and passed.")
    validator_version: str = Field(description="Version of the execution checks (`validators._records`).")
    verified_on: datetime.date = Field(description="Date (UTC) this digest was first verified by these checks.")
    problems: list[Problem] = Field(
        default_factory=list,
        description="Warnings the checks reported, replayed when the record answers; `file` is relative to the "
        "record's folder.",
    )
    answers_fingerprint: str | None = Field(
        default=None,
        description="SHA-256 of the test ids and their answers up to labels and units, so the catalogue's "
        "duplicate check needs no preparation of a recorded task.",
    )


class VerificationRecord(StrictModel):
    """The `verification.json` of one folder of manifests."""

    schema_version: int = Field(default=RECORD_SCHEMA_VERSION, description="Version of this file's format.")
    tasks: dict[str, VerifiedTask] = Field(default_factory=dict, description="Entries by task id.")
    ladders: dict[str, LadderRecord] = Field(
        default_factory=dict,
        description="The solver ladder's verdicts by task id (`runner ladder`), each for the digest it names.",
    )


def record_path(manifest: Path) -> Path:
    """The record that covers `manifest`: `verification.json` beside it."""
    return manifest.parent / VERIFICATION_FILE


def execution_check_names() -> list[str]:
    """Names of the registered execution checks, in registry order."""
    return [check.name for check in task_checks("execute")]


@lru_cache(maxsize=64)
def _read_cached(path: Path, _mtime_ns: int, _size: int) -> VerificationRecord:
    try:
        return VerificationRecord.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return VerificationRecord()  # unreadable or malformed: nothing is trusted, everything executes


def read_record(path: Path) -> VerificationRecord:
    """The record at `path`; an empty one when there is none or it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return VerificationRecord()
    return _read_cached(path, stat.st_mtime_ns, stat.st_size)


def _anchored(problems: list[Problem], folder: Path) -> list[Problem]:
    """Recorded problems with their file relative to the record made relative to the folder validated now."""
    return [
        problem.model_copy(update={"file": str(folder / problem.file)}) if problem.file else problem
        for problem in problems
    ]


def relocated(problems: list[Problem], task: LoadedTask) -> list[Problem]:
    """Problems found on the same bytes in another folder, with the task's own files named in `task`'s folder."""
    return _anchored(_relative(problems, task.id), task.path.parent)


def recorded_verdict(task: LoadedTask, digest: str, checks: list[str]) -> tuple[list[Problem], list[str]] | None:
    """The recorded problems of `task` at `digest` and the checks of `checks` the record does not cover yet, or
    None when it has to be executed in full.

    A record made before checks were added still vouches for the checks it lists (same bytes, same validator
    version), so only the new ones run; a record listing a check that no longer exists is not trusted.
    """
    entry = read_record(record_path(task.path)).tasks.get(task.id)
    if entry is None or entry.task_digest != digest or entry.validator_version != VALIDATOR_VERSION:
        return None
    missing = uncovered_checks(entry.checks, checks)
    return None if missing is None else (_anchored(entry.problems, task.path.parent), missing)


def recorded_problems(task: LoadedTask, digest: str, checks: list[str]) -> list[Problem] | None:
    """The recorded verdict of `task` at `digest` under all of `checks`, or None when any of them has to run."""
    verdict = recorded_verdict(task, digest, checks)
    return verdict[0] if verdict is not None and not verdict[1] else None


def _relative(problems: list[Problem], task_id: str) -> list[Problem]:
    """Problems with the task's own files named relative to its record's folder, so the record holds no machine's paths.

    The verdict may come from a run of the same bytes elsewhere (a generator's worker folder): a file is matched
    by the task's manifest name or its task folder, not by the absolute location it was checked at.
    """
    relative = []
    for problem in problems:
        if problem.file:
            parts = Path(problem.file).parts
            if parts[-1] == f"{task_id}.yaml":
                name = parts[-1]
            elif task_id in parts[:-1]:
                name = Path(*parts[len(parts) - 1 - parts[::-1].index(task_id) :]).as_posix()
            else:
                name = problem.file
            problem = problem.model_copy(update={"file": name})
        relative.append(problem)
    return relative


def record_verification(report: ValidationReport, cache_root: Path | None = None) -> dict[Path, int]:
    """Write the passed execution validations of `report` into each folder's record; returns entries per record.

    A task is recorded when it passed and its execution verdict for the current digest is known (from the
    execution cache this run filled, or from the record itself). Entries of tasks no longer in the folder are
    dropped; an entry whose digest, checks and version are unchanged keeps its date, so a refresh is idempotent.
    """
    checks = execution_check_names()
    cache = ExecutionRecords(cache_root)
    today = datetime.datetime.now(datetime.UTC).date()
    by_folder: dict[Path, dict[str, VerifiedTask]] = {}
    for entry in report.tasks:
        if not entry.ok:
            continue
        task = load_task(Path(entry.path))
        if task.manifest is None or has_errors(task.problems):
            continue
        digest = task_digest(task.path, task.manifest, task.raw or None)
        folder = task.path.parent
        recorded = recorded_problems(task, digest, checks)
        previous = read_record(record_path(task.path)).tasks.get(task.id)
        problems = recorded if recorded is not None else cache.get(digest, checks)
        if problems is None:
            continue
        by_folder.setdefault(folder, {})[task.id] = VerifiedTask(
            task_digest=digest,
            checks=checks,
            validator_version=VALIDATOR_VERSION,
            verified_on=previous.verified_on if recorded is not None and previous is not None else today,
            problems=_relative(problems, task.id),
            answers_fingerprint=_fingerprint(task, digest, previous, cache_root),
        )
    written: dict[Path, int] = {}
    for folder, fresh in by_folder.items():
        path = folder / VERIFICATION_FILE
        present = {task.id for task in (load_task(manifest) for manifest in find_manifests([folder]))}
        merged = {task_id: item for task_id, item in read_record(path).tasks.items() if task_id in present}
        merged.update(fresh)
        ladders = {task_id: item for task_id, item in read_record(path).ladders.items() if task_id in present}
        record = VerificationRecord(tasks=dict(sorted(merged.items())), ladders=ladders)
        write_record(path, record)
        written[path] = len(record.tasks)
    return written


def _fingerprint(task: LoadedTask, digest: str, previous: VerifiedTask | None, cache_root: Path | None) -> str | None:
    """The answers fingerprint: kept from the entry for the same digest, else from the prepared task."""
    if previous is not None and previous.task_digest == digest and previous.answers_fingerprint is not None:
        return previous.answers_fingerprint
    from ._registry import CheckContext
    from .execute import task_fingerprint

    return task_fingerprint(task, CheckContext(cache_root=cache_root))


def write_record(path: Path, record: VerificationRecord) -> None:
    """Write a record atomically: sorted keys, no null fields."""
    from runner.results import write_atomic

    text = json.dumps(record.model_dump(mode="json", exclude_none=True), indent=1, sort_keys=True)
    write_atomic(path, text + "\n")
