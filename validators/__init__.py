"""Is a task sound? Checks that each return located Problems, run over manifests into one report.

Adding a check is one decorated function in one file: `@task_check(...)` for a check of one task,
`@catalogue_check(...)` for one that sees every task validated together.
"""

from spec import Problem

from ._registry import (
    CatalogueCheck,
    CheckContext,
    Layer,
    TaskCheck,
    catalogue_check,
    catalogue_checks,
    task_check,
    task_checks,
)
from ._report import TaskReport, ValidationReport
from ._validate import validate_paths, validate_tasks
from ._verification import VERIFICATION_FILE, VerificationRecord, VerifiedTask, record_verification
from .static import GitError

__all__ = [
    "VERIFICATION_FILE",
    "CatalogueCheck",
    "CheckContext",
    "GitError",
    "Layer",
    "Problem",
    "TaskCheck",
    "TaskReport",
    "ValidationReport",
    "VerificationRecord",
    "VerifiedTask",
    "catalogue_check",
    "catalogue_checks",
    "record_verification",
    "task_check",
    "task_checks",
    "validate_paths",
    "validate_tasks",
]
