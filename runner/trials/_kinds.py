"""What differs between task kinds inside a trial: what the workspace gets, and how the agent's work is scored.

Each kind registers one runtime; adding a kind's behaviour is one decorated class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runner._errors import EXIT_USAGE, BenchsmithError
from runner.plugins import GROUPS, Registry
from runner.preparation import PreparedTask
from runner.results import TrialDetails, TrialStatus

from ._workspace import TrialFolders

if TYPE_CHECKING:
    from ._run import RunSettings, TrialRequest


class TrialOptionError(BenchsmithError, ValueError):
    """Trial options that do not fit the task (e.g. `--record` on a competition); a usage error."""

    exit_code = EXIT_USAGE


@dataclass
class Scored:
    """How the agent's work scored: the result's score, status, reason, extra top-level fields and details."""

    score: float | None = None
    status: TrialStatus = "ok"
    reason: str | None = None
    fields: dict[str, object] = field(default_factory=dict)
    details: TrialDetails | None = None


class KindRuntime(ABC):
    """The kind-specific part of a trial."""

    kind: str

    def check(self, request: TrialRequest) -> None:
        """Raise TrialOptionError when the request's options do not fit this kind; by default none are allowed."""
        if request.record is not None or request.hint_level is not None:
            raise TrialOptionError(
                f"--record and --hint-level are for speedrun tasks; {request.manifest.id} is a "
                f"{request.manifest.kind} task"
            )

    def setup(self, request: TrialRequest, folders: TrialFolders, prepared: PreparedTask) -> dict[str, str]:
        """Put kind-specific files into the trial's folders before the agent starts; returns extra sandbox
        environment variables."""
        return {}

    @abstractmethod
    def score(
        self,
        request: TrialRequest,
        settings: RunSettings,
        prepared: PreparedTask,
        folders: TrialFolders,
        submission: Path,
    ) -> Scored:
        """Score what the agent left, outside the agent's sandbox (never raises for the agent's mistakes)."""

    def higher_is_better(self, request: TrialRequest) -> bool:
        """Direction of the result's score: the task metric's, unless the kind scores something else."""
        return request.manifest.metric.higher_is_better

    @abstractmethod
    def details(self, request: TrialRequest, submission_copy: str | None) -> TrialDetails:
        """Details for a trial that was not scored (the agent failed)."""


KIND_RUNTIMES: Registry[type[KindRuntime]] = Registry("task-kind runtime", GROUPS["kinds"])
"""How each task kind runs and is scored (competition, research, speedrun) and those of installed packages
(entry-point group `benchsmith.kinds`)."""


def kind_runtime(kind: str) -> Callable[[type[KindRuntime]], type[KindRuntime]]:
    """Register the runtime of a task kind."""

    def stamp(cls: type[KindRuntime]) -> None:
        cls.kind = kind

    return KIND_RUNTIMES.decorator(kind, on_add=stamp)


def get_kind_runtime(kind: str) -> KindRuntime:
    """An instance of the runtime of `kind`."""
    return KIND_RUNTIMES.get(kind)()
