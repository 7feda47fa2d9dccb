"""Python environments that sandboxes run agents in, built offline from a host-side wheelhouse."""

from ._build import (
    BASE_PACKAGES,
    SANDBOX_PYTHON,
    EnvironmentError_,
    EnvironmentSpec,
    ensure_environment,
    ensure_wheelhouse,
    environments_root,
    installed_versions,
    python_version,
    run_checked,
)

__all__ = [
    "BASE_PACKAGES",
    "SANDBOX_PYTHON",
    "EnvironmentError_",
    "EnvironmentSpec",
    "ensure_environment",
    "ensure_wheelhouse",
    "environments_root",
    "installed_versions",
    "python_version",
    "run_checked",
]
