"""`local`: trials in threads on this machine, each with the GPUs the pool gives it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from runner.hardware import Gpu, GpuPool, detect_gpus
from runner.trials import BatchReport, RunSettings, TrialRequest, run_batch

from ._base import Executor, OnDone, check_gpus, executor


@executor("local")
class LocalExecutor(Executor):
    """Threads on this machine (today's behaviour): `jobs` trials at once."""

    @cached_property
    def gpus(self) -> list[Gpu]:
        return detect_gpus()

    def check(self, requests: Sequence[TrialRequest], backend: str) -> None:
        check_gpus(requests, self.gpus, backend=backend, where="this machine")

    def run(
        self, requests: Sequence[TrialRequest], settings: RunSettings, *, jobs: int | None, on_done: OnDone | None
    ) -> BatchReport:
        self.check(requests, settings.backend)
        pool = GpuPool(self.gpus) if self.gpus else None
        return run_batch(requests, settings, jobs=jobs or 1, on_done=on_done, gpus=pool)
