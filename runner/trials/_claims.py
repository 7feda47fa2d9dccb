"""Claiming a trial before running it, shared by every executor (local threads, Ray workers on many machines).

A claim is an exclusive `flock` on the trial folder's `.lock` plus a `.claim` record of who holds it. The kernel (or
the shared filesystem's lock manager) drops the lock when its holder dies, however it dies; the record stays. So a
runner that gets the lock and finds a record knows the last holder was cut off mid-trial: it reaps what that holder
left (labelled containers, cgroups), counts the next attempt on from the record's, and runs the trial again. A
finished result.json is checked again under the lock, so a trial is never run twice.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from runner.results import TrialResult, read_result, write_atomic
from runner.sandboxes import get_backend
from spec import StrictModel

from ._run import RunSettings, TrialRequest, run_trial

LOCK_FILE = ".lock"
CLAIM_FILE = ".claim"
BACKOFF_S = 1.0
ClaimOutcome = Literal["ran", "skipped", "busy", "stopped"]


class ClaimRecord(StrictModel):
    """Who holds a trial's claim; left behind only when the holder died mid-trial."""

    host: str = Field(description="Host name of the holding process.")
    pid: int = Field(description="Process id of the holder on that host.")
    claimed_at: datetime = Field(description="When the claim was taken (UTC).")
    attempt: int = Field(ge=1, description="Attempt number the holder is running.")


@dataclass
class Claim:
    """A held claim on one trial folder."""

    folder: Path
    stale: ClaimRecord | None  # the record of a holder that died mid-trial, if one did

    @property
    def first_attempt(self) -> int:
        return 1 if self.stale is None else self.stale.attempt + 1

    def record(self, attempt: int) -> None:
        """Note the attempt now running, so a runner after a crash counts on from it."""
        record = ClaimRecord(host=socket.gethostname(), pid=os.getpid(), claimed_at=datetime.now(UTC), attempt=attempt)
        write_atomic(self.folder / CLAIM_FILE, record.model_dump_json() + "\n")


def _read_record(folder: Path) -> ClaimRecord | None:
    try:
        return ClaimRecord.model_validate_json((folder / CLAIM_FILE).read_bytes())
    except (OSError, ValidationError):
        return None


@contextmanager
def claim(folder: Path, *, wait_s: float = 0.0) -> Iterator[Claim | None]:
    """Hold the trial's claim for the `with` block; None when another live runner holds it (after `wait_s`)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield None
                    return
                time.sleep(0.2)
        held = Claim(folder, _read_record(folder))
        try:
            yield held
        finally:
            # Removed only on a clean exit of the block: a holder that dies leaves it, which is what marks it stale.
            with suppress(OSError):
                (folder / CLAIM_FILE).unlink()
    finally:
        os.close(handle)


def _with_retries(request: TrialRequest, settings: RunSettings, held: Claim, gpu_ids: tuple[str, ...]) -> TrialResult:
    attempt = held.first_attempt
    retries_left = settings.retries
    while True:
        held.record(attempt)
        result = run_trial(request, settings, attempt, gpu_ids=gpu_ids)
        if result.status != "infra_error" or retries_left <= 0 or settings.stop.is_set():
            return result
        time.sleep(BACKOFF_S * 2 ** (settings.retries - retries_left))
        retries_left -= 1
        attempt += 1


def run_claimed(
    request: TrialRequest, settings: RunSettings, *, gpu_ids: tuple[str, ...] = (), wait_s: float = 0.0
) -> tuple[TrialResult | None, ClaimOutcome]:
    """Claim the trial, then run it (infra errors retried) unless a finished result is already there."""
    if settings.stop.is_set():
        return None, "stopped"
    folder = request.key.folder(settings.runs_dir)
    with claim(folder, wait_s=wait_s) as held:
        if held is None:
            return None, "busy"
        existing = read_result(folder, request.key.trial_id)  # this trial's own record, nothing planted
        if existing is not None and existing.status != "infra_error":
            return existing, "skipped"
        if held.stale is not None:
            # Its holder died mid-trial: remove the containers and cgroups it left before running again.
            with suppress(Exception):
                get_backend(settings.backend).reap()
        result = _with_retries(request, settings, held, gpu_ids)
        return (None, "stopped") if settings.stop.is_set() else (result, "ran")
