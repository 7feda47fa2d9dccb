"""Sandboxes that run an agent's code for one trial: `local` (bubblewrap) and `docker`.

Every backend gives the same workspace contract (see `_base`); adding a backend is one file with a class
decorated by `sandbox_backend`.
"""

from . import _local
from ._base import (
    BACKENDS,
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
from ._files import HandedInError, copy_handed_in, copy_tree_handed_in, handed_in_problem, tree_problem
from ._local import IsolationWarning, LocalBackend, LocalSandbox
from ._output import OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES, CappedOutput
from ._quota import QuotaWarning, Staging, fit_quota, mount_quota, quota_exhausted, release_quota

try:
    from . import _docker  # noqa: F401
except ImportError as error:  # the docker backend needs the docker SDK: asking for it says how to get it
    BACKENDS.unavailable(
        "docker", f"the docker SDK cannot be imported ({error}): `pip install docker`, or use --backend local"
    )

__all__ = [
    "BACKENDS",
    "CODE_DIR",
    "DATA_DIR",
    "MODEL_DIR",
    "OUTPUT_HEAD_BYTES",
    "OUTPUT_TAIL_BYTES",
    "SUBMISSION_DIR",
    "TASK_DIR",
    "CappedOutput",
    "ExecResult",
    "HandedInError",
    "IsolationWarning",
    "LocalBackend",
    "LocalSandbox",
    "QuotaWarning",
    "Sandbox",
    "SandboxBackend",
    "SandboxError",
    "SandboxSpec",
    "SandboxUnavailable",
    "Staging",
    "_local",
    "backend_names",
    "copy_handed_in",
    "copy_tree_handed_in",
    "fit_quota",
    "get_backend",
    "handed_in_problem",
    "mount_quota",
    "quota_exhausted",
    "release_quota",
    "sandbox_backend",
    "tree_problem",
]
