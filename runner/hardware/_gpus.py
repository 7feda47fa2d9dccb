"""GPUs: find them (nvidia-smi, the Docker engine's runtimes), check a batch fits, and hand them out per trial.

A trial's GPUs are its own unless its manifest sets `resources.gpu_fraction`: trials that do may share a GPU while
their fractions sum to at most 1 (Ray's fractional GPUs are the same rule). A task that *requires* more GPUs than
the machine (or a cluster node) has fails before anything is prepared or built.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from runner._errors import BenchsmithError
from spec import Resources

QUERY = ["--query-gpu=index,name,memory.total", "--format=csv,noheader"]
_EPSILON = 1e-9
_UNITS_GB = {
    "kib": 1 / 1024**2,
    "mib": 1 / 1024,
    "gib": 1.0,
    "kb": 1e3 / 1024**3,
    "mb": 1e6 / 1024**3,
    "gb": 1e9 / 1024**3,
}


class GpuShortage(BenchsmithError, RuntimeError):
    """A task asks for GPUs this machine or cluster does not have; the message says which task and what exists."""


@dataclass(frozen=True)
class Gpu:
    """One GPU as nvidia-smi lists it."""

    index: str  # what CUDA_VISIBLE_DEVICES and docker's device_ids take
    name: str
    memory_gb: float

    def describe(self) -> str:
        return f"{self.index}: {self.name}, {self.memory_gb:.0f} GiB"


@dataclass(frozen=True)
class GpuNeed:
    """What one trial asks for: how many GPUs, how much of each, how much memory each must have."""

    count: int
    fraction: float
    min_vram_gb: float
    required: bool


@dataclass(frozen=True)
class GpuGrant:
    """GPUs given to one trial (empty: it runs on the CPU)."""

    ids: tuple[str, ...] = ()
    fraction: float = 1.0


def _memory_gb(text: str) -> float:
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", text)
    if match is None:
        return 0.0  # "[N/A]" on some virtualised GPUs: unknown, so no memory floor can be met
    unit = match.group(2).lower() or "mib"  # nvidia-smi's unit when it prints none (nounits)
    return float(match.group(1)) * _UNITS_GB.get(unit, 1 / 1024)


def detect_gpus(command: str = "nvidia-smi") -> list[Gpu]:
    """The NVIDIA GPUs `nvidia-smi` on PATH lists; none when it is missing or fails (no driver, no device)."""
    path = shutil.which(command)
    if path is None:
        return []
    try:
        completed = subprocess.run([path, *QUERY], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if completed.returncode != 0:
        return []
    gpus = []
    for line in completed.stdout.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) < 3 or not fields[0].isdigit():
            continue
        # A name may hold commas; index is the first field and memory the last.
        gpus.append(Gpu(index=fields[0], name=", ".join(fields[1:-1]), memory_gb=_memory_gb(fields[-1])))
    return gpus


def docker_runtimes(client: Any | None = None) -> list[str] | None:
    """The Docker engine's container runtimes (`nvidia` where GPUs can be passed in); None when no engine answers."""
    try:
        from docker.errors import DockerException  # type: ignore[import-untyped]

        from runner.images import ImageError, docker_client
    except ImportError:
        return None
    try:
        return sorted((client or docker_client()).info().get("Runtimes") or {})
    except (ImageError, DockerException):
        return None


def docker_gpu_runtime(client: Any | None = None) -> bool | None:
    """Whether the Docker engine has the nvidia runtime; None when no engine answers."""
    runtimes = docker_runtimes(client)
    return None if runtimes is None else "nvidia" in runtimes


def gpu_request(resources: Resources) -> GpuNeed | None:
    """What a task's resources ask of the GPU pool; None when it wants no GPU."""
    if resources.gpus == 0:
        return None
    return GpuNeed(
        count=resources.gpus,
        fraction=resources.gpu_fraction or 1.0,
        min_vram_gb=resources.gpu_min_vram_gb or 0.0,
        required=resources.gpu == "required",
    )


def _eligible(gpus: Iterable[Gpu], need: GpuNeed) -> list[Gpu]:
    return [gpu for gpu in gpus if gpu.memory_gb + _EPSILON >= need.min_vram_gb]


def gpu_shortage(task_id: str, resources: Resources, gpus: list[Gpu] | None = None) -> str | None:
    """Why this machine cannot run a task (it requires more GPUs than exist; `gpus` default: detected), else None."""
    if resources.gpu != "required":
        return None  # checked first: detecting GPUs runs nvidia-smi
    try:
        check_gpu_needs([(task_id, resources)], detect_gpus() if gpus is None else gpus, backend="local")
    except GpuShortage as shortage:
        return str(shortage)
    return None


def check_gpu_needs(
    tasks: Iterable[tuple[str, Resources]], gpus: list[Gpu], *, backend: str, where: str = "this machine"
) -> None:
    """Raise GpuShortage when a task requires more GPUs than exist; call it before anything is prepared."""
    problems = []
    runtime_checked: bool | None = None
    for task_id, resources in dict(tasks).items():
        need = gpu_request(resources)
        if need is None or not need.required:
            continue
        eligible = _eligible(gpus, need)
        if len(eligible) < need.count:
            floor = f" with at least {need.min_vram_gb:g} GiB each" if need.min_vram_gb else ""
            found = "; ".join(gpu.describe() for gpu in gpus) or "none (nvidia-smi finds no GPU)"
            problems.append(
                f"task {task_id} requires {need.count} GPU(s){floor} but {where} has {len(eligible)} (GPUs: {found})"
            )
        elif backend == "docker":
            if runtime_checked is None:
                runtime_checked = bool(docker_gpu_runtime())
            if not runtime_checked:
                problems.append(
                    f"task {task_id} requires GPUs but the docker engine has no nvidia runtime: install the NVIDIA "
                    "container toolkit and run `nvidia-ctk runtime configure --runtime=docker`"
                )
    if problems:
        raise GpuShortage("; ".join(problems) + ": run these tasks on a machine (or Ray cluster) with the GPUs")


class GpuPool:
    """Hands GPUs to concurrent trials: whole GPUs to one trial each, fractions only to trials that share."""

    def __init__(self, gpus: list[Gpu]) -> None:
        self.gpus = list(gpus)
        self._load = {gpu.index: 0.0 for gpu in self.gpus}
        self._changed = threading.Condition()

    def _pick(self, need: GpuNeed) -> list[str] | None:
        fitting = [
            gpu.index for gpu in _eligible(self.gpus, need) if self._load[gpu.index] + need.fraction <= 1 + _EPSILON
        ]
        if len(fitting) < need.count:
            return None
        # Sharers go where others already share, so whole GPUs stay free for trials that need one to themselves.
        fitting.sort(key=lambda index: -self._load[index] if need.fraction < 1 else self._load[index])
        return fitting[: need.count]

    def acquire(self, resources: Resources, stop: threading.Event | None = None) -> GpuGrant | None:
        """Block until the trial's GPUs are free; an empty grant when it wants none (or optional and none exist);
        None when `stop` was set while waiting."""
        need = gpu_request(resources)
        if need is None:
            return GpuGrant()
        eligible = _eligible(self.gpus, need)
        if len(eligible) < need.count:
            if need.required:
                raise GpuShortage(f"requires {need.count} GPU(s) but only {len(eligible)} fit")
            return GpuGrant()  # optional: the task runs on the CPU
        with self._changed:
            while (picked := self._pick(need)) is None:
                if stop is not None and stop.is_set():
                    return None
                self._changed.wait(timeout=0.5)
            for index in picked:
                self._load[index] += need.fraction
        return GpuGrant(ids=tuple(picked), fraction=need.fraction)

    def release(self, grant: GpuGrant) -> None:
        with self._changed:
            for index in grant.ids:
                self._load[index] = max(0.0, self._load[index] - grant.fraction)
            self._changed.notify_all()

    @contextmanager
    def hold(self, resources: Resources, stop: threading.Event | None = None) -> Iterator[GpuGrant | None]:
        """`acquire` for the length of a `with` block."""
        grant = self.acquire(resources, stop)
        try:
            yield grant
        finally:
            if grant is not None:
                self.release(grant)
