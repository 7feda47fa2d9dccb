"""Trials: one agent on one task with one seed, run in a sandbox, graded outside it, recorded atomically."""

from ._batch import BatchReport, run_batch
from ._identity import TrialKey, agent_label
from ._run import RunSettings, TrialRequest, run_trial
from ._workspace import TrialFolders, make_workspace

__all__ = [
    "BatchReport",
    "RunSettings",
    "TrialFolders",
    "TrialKey",
    "TrialRequest",
    "agent_label",
    "make_workspace",
    "run_batch",
    "run_trial",
]
