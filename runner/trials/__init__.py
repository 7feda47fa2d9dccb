"""Trials: one agent on one task with one seed, run in a sandbox, graded outside it, recorded atomically."""

from ._batch import BatchReport, pending_requests, record_outcome, run_batch
from ._claims import ClaimOutcome, ClaimRecord, claim, run_claimed
from ._competition import score_fields
from ._events import EventLog, RecordingSandbox, recorded_sandbox
from ._identity import TrialKey, agent_label
from ._kinds import KIND_RUNTIMES, KindRuntime, Scored, TrialOptionError, get_kind_runtime, kind_runtime
from ._run import RunSettings, TrialRequest, run_trial
from ._workspace import TrialFolders, make_workspace

__all__ = [
    "KIND_RUNTIMES",
    "BatchReport",
    "ClaimOutcome",
    "ClaimRecord",
    "EventLog",
    "KindRuntime",
    "RecordingSandbox",
    "RunSettings",
    "Scored",
    "TrialFolders",
    "TrialKey",
    "TrialOptionError",
    "TrialRequest",
    "agent_label",
    "claim",
    "get_kind_runtime",
    "kind_runtime",
    "make_workspace",
    "pending_requests",
    "record_outcome",
    "recorded_sandbox",
    "run_batch",
    "run_claimed",
    "run_trial",
    "score_fields",
]
