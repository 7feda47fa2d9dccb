"""A trial's event log (`events.jsonl` in the trial folder): the records, and a reader that tolerates a torn end.

The runner appends one JSON object a line as things happen (runner.trials writes it for every agent): sandbox
start and stop, each sandbox command, each model call, grading. It lies beside result.json, outside the workspace
the sandbox mounts, so the agent cannot write it. A retried or re-run trial appends after the earlier attempts;
`trial_started` opens each attempt.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter, ValidationError

from spec import StrictModel

EVENTS_FILE = "events.jsonl"
ARGUMENT_CHARS = 2000
"""A command's arguments are kept up to this many characters each (an inline script can be long)."""


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(StrictModel):
    at: datetime = Field(default_factory=_now, description="When the event happened (UTC).")


class TrialStarted(_Event):
    """An attempt at the trial began."""

    event: Literal["trial_started"] = Field(default="trial_started", description="Event kind.")
    trial_id: str = Field(description="The trial's id.")
    agent: str = Field(description="Agent name.")
    model: str | None = Field(default=None, description="Model asked for, if any.")
    backend: str = Field(description="Sandbox backend.")
    attempt: int = Field(ge=1, description="Attempt number (infrastructure errors are retried).")


class SandboxStarted(_Event):
    """The agent's sandbox is up."""

    event: Literal["sandbox_started"] = Field(default="sandbox_started", description="Event kind.")
    backend: str = Field(description="Sandbox backend.")
    startup_s: float = Field(ge=0, description="Seconds it took to start.")


class SandboxStopped(_Event):
    """The agent's sandbox was closed (everything left running in it stopped)."""

    event: Literal["sandbox_stopped"] = Field(default="sandbox_stopped", description="Event kind.")
    open_s: float = Field(ge=0, description="Seconds it was open.")


class CommandRun(_Event):
    """One command the agent ran in its sandbox, recorded when it ended."""

    event: Literal["command"] = Field(default="command", description="Event kind.")
    argv: list[str] = Field(description=f"The command, each argument cut to {ARGUMENT_CHARS} characters.")
    exit_code: int | None = Field(description="Exit status; null when it was killed or never started.")
    duration_s: float = Field(ge=0, description="Wall-clock seconds it ran.")
    timed_out: bool = Field(default=False, description="Stopped at its time limit.")
    oom: bool = Field(default=False, description="Killed for running out of memory.")
    stdout_chars: int = Field(default=0, ge=0, description="Characters of standard output it printed (as kept).")
    stderr_chars: int = Field(default=0, ge=0, description="Characters of standard error it printed (as kept).")
    error: str | None = Field(default=None, description="Why the sandbox could not run it, if it could not.")


class ModelCall(_Event):
    """One model call, counted by the runner (its model proxy, or the host-side llm agent's client)."""

    event: Literal["model_call"] = Field(default="model_call", description="Event kind.")
    source: Literal["proxy", "agent"] = Field(
        description="proxy: a sandboxed agent's call through the runner's proxy; agent: the llm agent's own call."
    )
    model: str = Field(description="Model that answered.")
    input_tokens: int = Field(ge=0, description="Prompt tokens.")
    output_tokens: int = Field(ge=0, description="Completion tokens.")
    cost_usd: float | None = Field(ge=0, description="Cost in US dollars; null when the price is unknown.")


class Grading(_Event):
    """The submission was checked and scored, outside the agent's sandbox."""

    event: Literal["grading"] = Field(default="grading", description="Event kind.")
    status: str = Field(description="The grading's verdict: ok or why the submission was not scored.")
    score: float | None = Field(default=None, description="Score, when graded.")
    reason: str | None = Field(default=None, description="Why the submission was not scored.")
    duration_s: float = Field(ge=0, description="Seconds grading took.")


class TrialEnded(_Event):
    """The attempt ended."""

    event: Literal["trial_ended"] = Field(default="trial_ended", description="Event kind.")
    status: str = Field(description="The trial's status.")
    reason: str | None = Field(default=None, description="Why, when the status is not ok.")
    duration_s: float = Field(ge=0, description="Wall-clock seconds of the attempt.")
    recorded: bool = Field(description="Whether result.json was written (a trial stopped by Ctrl-C leaves none).")
    lost_events: int = Field(default=0, ge=0, description="Events that could not be written (disk full, ...).")


Event = Annotated[
    TrialStarted | SandboxStarted | SandboxStopped | CommandRun | ModelCall | Grading | TrialEnded,
    Field(discriminator="event"),
]
EVENT_KINDS = ("trial_started", "sandbox_started", "sandbox_stopped", "command", "model_call", "grading", "trial_ended")
_EVENT: TypeAdapter[Event] = TypeAdapter(Event)


@dataclass(frozen=True)
class EventsRead:
    """What an event log holds: its events in order, and how many lines were not events (a torn last line)."""

    events: list[Event]
    bad_lines: int = 0

    def last_attempt(self) -> list[Event]:
        """The events from the last `trial_started` on (all of them when there is none)."""
        starts = [i for i, event in enumerate(self.events) if isinstance(event, TrialStarted)]
        return self.events[starts[-1] :] if starts else list(self.events)


def read_events(folder: Path, max_bytes: int = 64 * 1024**2) -> EventsRead:
    """The event log of the trial folder `folder` (empty when it has none). Only a regular file is read, never
    through a link, and at most `max_bytes` of it (the rest counts as one bad line)."""
    try:
        handle = os.open(folder / EVENTS_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return EventsRead([])
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return EventsRead([], 1)
        data = stream.read(max_bytes + 1)
    truncated = len(data) > max_bytes
    events: list[Event] = []
    bad = int(truncated)
    for line in data[:max_bytes].splitlines():
        if not line.strip():
            continue
        try:
            events.append(_EVENT.validate_json(line))
        except ValidationError:
            bad += 1
    return EventsRead(events, bad)
