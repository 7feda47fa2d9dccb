"""Is a task sound? Checks that each return located Problems, run over manifests into one report.

Adding a check is one decorated function in one file: `@task_check(...)` for a check of one task,
`@catalogue_check(...)` for one that sees every task validated together.
"""

from spec import Problem

from ._ladder import (
    LADDER_CODES,
    LADDER_CONFIDENCE,
    LADDER_RESAMPLES,
    LadderOutcome,
    decide,
    judge,
    ladder_rungs,
    ladder_runs_dir,
    recorded_ladder,
    run_ladder,
    store_ladder,
)
from ._ladder_record import REJECTING_VERDICTS, LadderRecord, LadderVerdict, RungGap, RungScore
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
    "LADDER_CODES",
    "LADDER_CONFIDENCE",
    "LADDER_RESAMPLES",
    "REJECTING_VERDICTS",
    "VERIFICATION_FILE",
    "CatalogueCheck",
    "CheckContext",
    "GitError",
    "LadderOutcome",
    "LadderRecord",
    "LadderVerdict",
    "Layer",
    "Problem",
    "RungGap",
    "RungScore",
    "TaskCheck",
    "TaskReport",
    "ValidationReport",
    "VerificationRecord",
    "VerifiedTask",
    "catalogue_check",
    "catalogue_checks",
    "decide",
    "judge",
    "ladder_rungs",
    "ladder_runs_dir",
    "record_verification",
    "recorded_ladder",
    "run_ladder",
    "store_ladder",
    "task_check",
    "task_checks",
    "validate_paths",
    "validate_tasks",
]
