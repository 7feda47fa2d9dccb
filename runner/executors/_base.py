"""The executor interface and registry, and the GPU check every executor makes before anything is prepared."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from runner._errors import BenchsmithError
from runner.hardware import Gpu, GpuShortage, check_gpu_needs
from runner.plugins import GROUPS, Registry
from runner.results import TrialResult
from runner.trials import BatchReport, RunSettings, TrialRequest

OnDone = Callable[[TrialResult | None, str], None]


class ExecutorError(BenchsmithError, RuntimeError):
    """The executor cannot run this batch (no Ray, an unreachable cluster, GPUs missing); the message says why."""


class Executor(ABC):
    """Runs a batch of trial requests somewhere and reports what happened."""

    name: str

    @abstractmethod
    def check(self, requests: Sequence[TrialRequest], backend: str) -> None:
        """Fail fast (ExecutorError) when the batch cannot run here: call before preparing or building anything."""

    @abstractmethod
    def run(
        self, requests: Sequence[TrialRequest], settings: RunSettings, *, jobs: int | None, on_done: OnDone | None
    ) -> BatchReport:
        """Run every request not already finished; `jobs` caps trials at once (None: as resources allow)."""


EXECUTORS: Registry[type[Executor]] = Registry("executor", GROUPS["executors"])
"""Executors by name: the built-ins and those of installed packages (entry-point group `benchsmith.executors`)."""


def executor(name: str) -> Callable[[type[Executor]], type[Executor]]:
    """Register an executor class under `name`."""

    def stamp(cls: type[Executor]) -> None:
        cls.name = name

    return EXECUTORS.decorator(name, on_add=stamp)


def executor_names() -> list[str]:
    """Registered executor names."""
    return EXECUTORS.names()


def get_executor(name: str, **options: Any) -> Executor:
    """An instance of the named executor; `options` are its own (e.g. `address` for ray)."""
    instance = EXECUTORS.get(name)(**options)
    instance.name = name
    return instance


def check_gpus(requests: Sequence[TrialRequest], gpus: list[Gpu], *, backend: str, where: str) -> None:
    """ExecutorError when a task requires more GPUs than `gpus` (one machine or one cluster node) holds."""
    try:
        check_gpu_needs(((r.manifest.id, r.manifest.resources) for r in requests), gpus, backend=backend, where=where)
    except GpuShortage as error:
        raise ExecutorError(str(error)) from None
