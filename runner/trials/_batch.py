"""Many trials: a concurrency limit, a progress bar, resume, retries of infrastructure errors, clean Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field

from runner.hardware import GpuPool
from runner.results import TrialResult, read_result
from runner.sandboxes import Sandbox

from ._claims import ClaimOutcome, run_claimed
from ._run import RunSettings, TrialRequest


@dataclass
class BatchReport:
    """What a batch did."""

    results: list[TrialResult] = field(default_factory=list)
    skipped: list[TrialResult] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # trials whose worker kept dying: no result, run again next time
    interrupted: bool = False

    @property
    def infra_errors(self) -> int:
        return sum(result.status == "infra_error" for result in self.results)


def run_batch(
    requests: Sequence[TrialRequest],
    settings: RunSettings,
    *,
    jobs: int = 1,
    on_done: Callable[[TrialResult | None, str], None] | None = None,
    gpus: GpuPool | None = None,
) -> BatchReport:
    """Run every request not already finished; infra errors are retried, and re-run on the next call. With `gpus`,
    each trial waits for its own GPUs (or its share of one) and sees only those."""
    report = BatchReport()
    open_sandboxes: set[Sandbox] = set()
    settings.on_sandbox = lambda sandbox: open_sandboxes.add(sandbox)  # type: ignore[arg-type]
    pending = pending_requests(requests, settings, report, on_done)

    def work(request: TrialRequest) -> tuple[TrialResult | None, ClaimOutcome]:
        if gpus is None:
            return run_claimed(request, settings)
        with gpus.hold(request.manifest.resources, settings.stop) as grant:
            if grant is None:
                return None, "stopped"
            return run_claimed(request, settings, gpu_ids=grant.ids)

    executor = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="trial")
    futures: dict[Future[tuple[TrialResult | None, ClaimOutcome]], TrialRequest] = {}
    try:
        futures = {executor.submit(work, request): request for request in pending}
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                result, how = future.result()
                record_outcome(report, futures[future], result, how, on_done)
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


def pending_requests(
    requests: Sequence[TrialRequest],
    settings: RunSettings,
    report: BatchReport,
    on_done: Callable[[TrialResult | None, str], None] | None,
) -> list[TrialRequest]:
    """The requests without a finished result; the finished ones go to `report.skipped` (resume)."""
    pending: list[TrialRequest] = []
    for request in requests:
        existing = read_result(request.key.folder(settings.runs_dir), request.key.trial_id)
        if existing is not None and existing.status != "infra_error":
            report.skipped.append(existing)
            if on_done is not None:
                on_done(existing, "skipped")
        else:
            pending.append(request)
    return pending


def record_outcome(
    report: BatchReport,
    request: TrialRequest,
    result: TrialResult | None,
    how: str,
    on_done: Callable[[TrialResult | None, str], None] | None,
) -> None:
    """File one trial's outcome in the report (every executor reports the same way)."""
    if how == "ran" and result is not None:
        report.results.append(result)
    elif how == "skipped" and result is not None:
        report.skipped.append(result)  # finished by another runner after this batch started
    elif how == "busy":
        report.busy.append(request.key.trial_id)
    elif how == "lost":
        report.lost.append(request.key.trial_id)
    if on_done is not None:
        on_done(result, how)
