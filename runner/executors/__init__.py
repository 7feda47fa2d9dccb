"""Executors: where a batch of trials runs. `local` (threads on this machine, the default) and `ray` (a Ray cluster).

Every executor claims a trial before running it, skips finished ones (resume), writes results into the same runs
folder, and hands out GPUs so that no two trials share one unless their manifests allow it. Adding an executor is
one file with a class decorated by `executor`.
"""

from . import _local, _ray  # noqa: F401  (register the executors)
from ._base import EXECUTORS, Executor, ExecutorError, check_gpus, executor, executor_names, get_executor

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "check_gpus", "executor", "executor_names", "get_executor"]
