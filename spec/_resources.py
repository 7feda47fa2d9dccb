"""What a trial may use: compute, time, network, and the software its image needs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ._base import StrictModel
from ._fields import PYTHON_VERSION_PATTERN, Duration, PipRequirement, duration_seconds

GpuPolicy = Literal["none", "optional", "required"]


class Resources(StrictModel):
    """Limits the sandbox enforces on a trial."""

    cpus: float = Field(default=2, gt=0, le=1024, description="CPU cores available to the agent.")
    memory_gb: float = Field(default=4, gt=0, le=4096, description="Memory limit in GiB; exceeding it is `oom`.")
    gpu: GpuPolicy = Field(
        default="none",
        description="none: no GPU; optional: uses one when present, else runs on CPU; required: fails fast without.",
    )
    gpu_count: int | None = Field(
        default=None, ge=1, le=64, description="GPUs needed; only when gpu is not none (default 1)."
    )
    gpu_min_vram_gb: float | None = Field(
        default=None, gt=0, description="Least memory per GPU in GiB; only when gpu is not none."
    )
    gpu_fraction: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="Share of one GPU a trial uses, only with one GPU: trials that set it may share a GPU while their "
        "shares sum to at most 1; unset, a trial's GPUs are its own.",
    )
    disk_gb: float = Field(
        default=20,
        gt=0,
        le=65536,
        description="Disk quota in GiB for what the agent writes (its workspace, submission and /tmp); a write past "
        "it fails with ENOSPC inside the sandbox.",
    )
    time_limit: Duration = Field(default="30m", description="Wall-clock limit of the agent's run.")
    network: bool = Field(default=False, description="Whether the agent's sandbox may reach the network.")

    @model_validator(mode="after")
    def _gpu_fields_need_gpu(self) -> Resources:
        if self.gpu == "none":
            given = [
                name for name in ("gpu_count", "gpu_min_vram_gb", "gpu_fraction") if getattr(self, name) is not None
            ]
            if given:
                raise ValueError(f"{' and '.join(given)} given but gpu is 'none'; set gpu to optional or required")
        if self.gpu_fraction is not None and (self.gpu_count or 1) > 1:
            raise ValueError("gpu_fraction shares one GPU; it cannot be given with gpu_count above 1")
        return self

    @property
    def time_limit_s(self) -> float:
        """The time limit in seconds."""
        return duration_seconds(self.time_limit)

    @property
    def gpus(self) -> int:
        """GPUs this task asks for (0 when gpu is none)."""
        return 0 if self.gpu == "none" else (self.gpu_count or 1)


class Environment(StrictModel):
    """Software the task's image must provide."""

    python: str = Field(default="3.11", pattern=PYTHON_VERSION_PATTERN, description='Python version, quoted: "3.11".')
    packages: list[PipRequirement] = Field(
        default_factory=list, description="pip requirements installed into the task's image."
    )
