"""Trial results as persisted records (`result.json`): written atomically, read only where the runner writes them."""

from ._models import (
    RESULT_SCHEMA_VERSION,
    CompetitionDetails,
    Lock,
    ResearchDetails,
    SpeedrunDetails,
    Thresholds,
    TrialDetails,
    TrialResult,
    TrialStatus,
    Usage,
)
from ._store import (
    RESULT_FILE,
    identity_problem,
    iter_results,
    read_result,
    read_result_file,
    result_files,
    write_atomic,
    write_result,
)

__all__ = [
    "RESULT_FILE",
    "RESULT_SCHEMA_VERSION",
    "CompetitionDetails",
    "Lock",
    "ResearchDetails",
    "SpeedrunDetails",
    "Thresholds",
    "TrialDetails",
    "TrialResult",
    "TrialStatus",
    "Usage",
    "identity_problem",
    "iter_results",
    "read_result",
    "read_result_file",
    "result_files",
    "write_atomic",
    "write_result",
]
