"""What this machine has for trials: GPUs (nvidia-smi, the Docker engine's runtimes) and a pool that hands them out."""

from ._gpus import (
    Gpu,
    GpuGrant,
    GpuPool,
    GpuShortage,
    check_gpu_needs,
    detect_gpus,
    docker_gpu_runtime,
    docker_runtimes,
    gpu_request,
    gpu_shortage,
)

__all__ = [
    "Gpu",
    "GpuGrant",
    "GpuPool",
    "GpuShortage",
    "check_gpu_needs",
    "detect_gpus",
    "docker_gpu_runtime",
    "docker_runtimes",
    "gpu_request",
    "gpu_shortage",
]
