"""Static checks of a large catalogue on every core: forked workers each check a share of the loaded tasks."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from spec import LoadedTask, Problem

MIN_TASKS = 200
"""Below this many tasks, starting a worker (tens of milliseconds) costs about what it saves."""
_MAX_WORKERS = 7

TaskCheckRun = Callable[[LoadedTask], list[Problem]]

_SHARED: tuple[TaskCheckRun, list[LoadedTask]] | None = None
# What forked workers read: they inherit the loaded tasks, since sending them pickled costs about as much as
# loading them again. Only their problems travel back.


def _check_share(start: int, stop: int) -> list[list[Problem]]:
    assert _SHARED is not None, "a worker runs only in a process forked by map_tasks"
    run, tasks = _SHARED
    return [run(task) for task in tasks[start:stop]]


def _workers(count: int) -> int:
    """How many processes to fork for `count` tasks: one per further idle core, none where forking is not safe
    (other threads, a daemonic process, a system without fork) or does not pay (a small catalogue, no idle core:
    on a busy machine the workers would only wait for a core and add their start-up)."""
    if count < MIN_TASKS or threading.active_count() > 1 or multiprocessing.current_process().daemon:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    idle = int(cores - os.getloadavg()[0]) if hasattr(os, "getloadavg") else cores
    return max(0, min(cores - 1, idle, _MAX_WORKERS, count // (MIN_TASKS // 2) - 1))


def map_tasks(run: TaskCheckRun, tasks: list[LoadedTask]) -> list[list[Problem]]:
    """`[run(task) for task in tasks]`: shared out between this process and forked workers on a machine with
    several cores and a catalogue large enough; all here otherwise, or for the share of a worker that failed."""
    workers = _workers(len(tasks))
    if workers == 0:
        return [run(task) for task in tasks]
    # The first task is checked here before any fork, so that what the checks import when first run (the metric
    # registry loads numpy) is imported once rather than in every worker.
    first = run(tasks[0])
    step = -(-(len(tasks) - 1) // (workers + 1))
    bounds = [(start, min(start + step, len(tasks))) for start in range(1, len(tasks), step)]
    if len(bounds) < 2:
        return [first, *(run(task) for task in tasks[1:])]
    global _SHARED
    _SHARED = (run, tasks)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()  # a worker flushes its copy of the buffers when it ends: text written before would repeat
    try:
        try:
            pool = ProcessPoolExecutor(len(bounds) - 1, mp_context=multiprocessing.get_context("fork"))
        except (OSError, ValueError):  # no semaphores here (a container without /dev/shm): all in this process
            return [first, *(run(task) for task in tasks[1:])]
        with pool:
            try:
                shares = [pool.submit(_check_share, start, stop) for start, stop in bounds[1:]]
            except (OSError, RuntimeError):
                return [first, *(run(task) for task in tasks[1:])]
            results = [first, *(run(task) for task in tasks[bounds[0][0] : bounds[0][1]])]
            for share, (start, stop) in zip(shares, bounds[1:], strict=True):
                try:
                    results.extend(share.result())
                except Exception:  # a worker that died (killed, out of memory): its share is checked here
                    results.extend(run(task) for task in tasks[start:stop])
            return results
    finally:
        _SHARED = None
