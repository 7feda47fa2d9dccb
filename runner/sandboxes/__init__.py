"""Sandboxes that run an agent's code for one trial: `local` (bubblewrap) and `docker`.

Every backend gives the same workspace contract (see `_base`); adding a backend is one file with a class
decorated by `sandbox_backend`.
"""

import contextlib

from . import _local
from ._base import (
    CODE_DIR,
    DATA_DIR,
    MODEL_DIR,
    SUBMISSION_DIR,
    TASK_DIR,
    ExecResult,
    Sandbox,
    SandboxBackend,
    SandboxError,
    SandboxSpec,
    SandboxUnavailable,
    backend_names,
    get_backend,
    sandbox_backend,
)
from ._local import IsolationWarning, LocalBackend, LocalSandbox

with contextlib.suppress(ImportError):  # the docker backend needs the docker SDK
    from . import _docker  # noqa: F401

__all__ = [
    "CODE_DIR",
    "DATA_DIR",
    "MODEL_DIR",
    "SUBMISSION_DIR",
    "TASK_DIR",
    "ExecResult",
    "IsolationWarning",
    "LocalBackend",
    "LocalSandbox",
    "Sandbox",
    "SandboxBackend",
    "SandboxError",
    "SandboxSpec",
    "SandboxUnavailable",
    "_local",
    "backend_names",
    "get_backend",
    "sandbox_backend",
]
