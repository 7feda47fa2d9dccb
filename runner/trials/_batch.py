"""Many trials: a concurrency limit, a progress bar, resume, retries of infrastructure errors, clean Ctrl-C."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from runner.results import TrialResult, read_result
from runner.sandboxes import Sandbox

from ._run import RunSettings, TrialRequest, run_trial

RETRIES = 2
BACKOFF_S = 1.0
LOCK_FILE = ".lock"


@dataclass
class BatchReport:
    """What a batch did."""

    results: list[TrialResult] = field(default_factory=list)
    skipped: list[TrialResult] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def infra_errors(self) -> int:
        return sum(result.status == "infra_error" for result in self.results)


@contextmanager
def _claim(folder: Path) -> Iterator[bool]:
    """Hold the trial's lock while it runs; another runner on the same trial sees False and leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(handle)


def _with_retries(request: TrialRequest, settings: RunSettings) -> TrialResult:
    attempt = 1
    while True:
        result = run_trial(request, settings, attempt)
        if result.status != "infra_error" or attempt > RETRIES or settings.stop.is_set():
            return result
        time.sleep(BACKOFF_S * 2 ** (attempt - 1))
        attempt += 1


def run_batch(
    requests: Sequence[TrialRequest],
    settings: RunSettings,
    *,
    jobs: int = 1,
    on_done: Callable[[TrialResult | None, str], None] | None = None,
) -> BatchReport:
    """Run every request not already finished; infra errors are retried, and re-run on the next call."""
    report = BatchReport()
    open_sandboxes: set[Sandbox] = set()
    settings.on_sandbox = lambda sandbox: open_sandboxes.add(sandbox)  # type: ignore[arg-type]
    pending: list[TrialRequest] = []
    for request in requests:
        existing = read_result(request.key.folder(settings.runs_dir))
        if existing is not None and existing.status != "infra_error":
            report.skipped.append(existing)
            if on_done is not None:
                on_done(existing, "skipped")
        else:
            pending.append(request)

    def work(request: TrialRequest) -> TrialResult | None:
        if settings.stop.is_set():
            return None
        with _claim(request.key.folder(settings.runs_dir)) as claimed:
            if not claimed:
                report.busy.append(request.key.trial_id)
                return None
            return _with_retries(request, settings)

    executor = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="trial")
    futures: dict[Future[TrialResult | None], TrialRequest] = {}
    try:
        futures = {executor.submit(work, request): request for request in pending}
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                if result is not None:
                    report.results.append(result)
                if on_done is not None:
                    on_done(result, "busy" if result is None else "ran")
    except KeyboardInterrupt:
        report.interrupted = True
        settings.stop.set()
        for future in futures:
            future.cancel()
        for sandbox in list(open_sandboxes):
            with suppress(Exception):
                sandbox.close()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return report
