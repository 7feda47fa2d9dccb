"""Trial results as persisted records (`result.json`), written atomically."""

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
from ._store import RESULT_FILE, iter_results, read_result, write_atomic, write_result

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
    "iter_results",
    "read_result",
    "write_atomic",
    "write_result",
]
