"""Execution results cached by task digest, so an unchanged task is not executed again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import Field, ValidationError

from spec import Problem, StrictModel

VALIDATOR_VERSION = "2"
"""Bumped whenever a check's judgement changes, so recorded verdicts are earned again (2: target-sanity's racial
group words for class targets; duplicates compared by form of input)."""


def uncovered_checks(recorded: list[str], checks: list[str]) -> list[str] | None:
    """The checks of `checks` that a record listing `recorded` does not cover, or None when it lists a check that
    `checks` lacks (removed or renamed since: the verdict may rest on it). Order does not matter: every check runs
    whatever the others found, and only a run with no errors is recorded."""
    if not set(recorded) <= set(checks):
        return None
    return [name for name in checks if name not in recorded]


class ExecutionRecord(StrictModel):
    """A passed execution validation of one task digest."""

    schema_version: int = Field(default=1, description="Version of this record format.")
    digest: str = Field(description="task_digest of the task that was validated.")
    validator_version: str = Field(description="Version of the execution checks that ran.")
    checks: list[str] = Field(description="Names of the execution checks that ran.")
    problems: list[Problem] = Field(description="Warnings they reported (records are only kept without errors).")


class ExecutionRecords:
    """Records under `<cache root>/validation/`, one per task digest and validator version.

    A record lists the checks it covers, so when checks are added (or a worker's cache is merged into a run with
    more checks registered) only the missing ones run, as with the repository's `verification.json`.
    """

    def __init__(self, cache_root: Path | None) -> None:
        from runner.preparation import default_cache_root

        self.folder = (cache_root or default_cache_root()) / "validation"

    def _path(self, digest: str) -> Path:
        key = hashlib.sha256(f"{digest}\0{VALIDATOR_VERSION}".encode()).hexdigest()
        return self.folder / f"{key}.json"

    def lookup(self, digest: str, checks: list[str]) -> tuple[list[Problem], list[str]] | None:
        """The cached problems of this digest and the checks of `checks` its record does not cover, or None.

        A record that lists a check `checks` lacks (removed or renamed) is not trusted: all must run.
        """
        try:
            record = ExecutionRecord.model_validate_json(self._path(digest).read_bytes())
        except (OSError, ValidationError):
            return None
        if record.digest != digest or record.validator_version != VALIDATOR_VERSION:
            return None
        missing = uncovered_checks(record.checks, checks)
        return None if missing is None else (record.problems, missing)

    def get(self, digest: str, checks: list[str]) -> list[Problem] | None:
        """The cached problems, or None when this digest was not validated by all of these checks."""
        found = self.lookup(digest, checks)
        return found[0] if found is not None and not found[1] else None

    def put(self, digest: str, checks: list[str], problems: list[Problem]) -> None:
        """Store a passed validation atomically (write a temporary file, then rename over)."""
        from runner.results import write_atomic

        record = ExecutionRecord(digest=digest, validator_version=VALIDATOR_VERSION, checks=checks, problems=problems)
        write_atomic(self._path(digest), record.model_dump_json(indent=1))
