"""Agents are host-side controllers that act through a trial's sandbox; adding one is one decorated class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from runner.preparation import PreparedTask
from runner.results import Usage
from runner.sandboxes import ExecResult, Sandbox
from spec import AnyTask

AgentStatus = Literal["ok", "agent_error", "timeout", "oom", "rule_violation", "infra_error"]
"""infra_error: something the agent relies on and cannot help failed (the model endpoint down); retried."""


class AgentRefused(ValueError):
    """The agent cannot run in this setting (e.g. the oracle outside validation); a usage error."""


@dataclass
class AgentContext:
    """What an agent gets for one trial. It never gets the private answers (the oracle excepted)."""

    task: AnyTask
    manifest_path: Path
    sandbox: Sandbox
    code_dir: Path
    submission_path: Path
    public_dir: Path
    seed: int
    args: tuple[str, ...] = ()
    model: str | None = None
    log: Callable[[str], None] = print
    prepared: PreparedTask | None = None


@dataclass
class AgentOutcome:
    """How the agent's run ended (grading comes after, outside the sandbox)."""

    status: AgentStatus = "ok"
    reason: str | None = None
    usage: Usage = field(default_factory=Usage)


def output_tail(result: ExecResult, limit: int = 1500) -> str:
    """The last `limit` characters of a command's stderr, or of its stdout when stderr is empty."""
    return (result.stderr.strip() or result.stdout.strip())[-limit:]


def outcome_of(result: ExecResult, what: str) -> AgentOutcome:
    """Turn a sandbox command's end into an agent outcome."""
    if result.oom:
        return AgentOutcome("oom", f"{what} ran out of memory")
    if result.timed_out:
        return AgentOutcome("timeout", f"{what} exceeded the time limit after {result.duration_s:.1f} s")
    if result.exit_code != 0:
        return AgentOutcome("agent_error", f"{what} exited with {result.exit_code}: {output_tail(result)}")
    return AgentOutcome()


class Agent(ABC):
    """One way of attempting a task."""

    name: str
    needs_private: bool = False

    @abstractmethod
    def run(self, context: AgentContext) -> AgentOutcome:
        """Attempt the task; the submission goes to `context.submission_path` (through the sandbox)."""

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:  # noqa: B027 (optional hook)
        """Raise AgentRefused when these arguments or this setting cannot work; by default all may run."""


_AGENTS: dict[str, type[Agent]] = {}


def agent(name: str) -> Callable[[type[Agent]], type[Agent]]:
    """Register an agent class under `name`."""

    def register(cls: type[Agent]) -> type[Agent]:
        if name in _AGENTS:
            raise ValueError(f"agent {name!r} is registered twice")
        cls.name = name
        _AGENTS[name] = cls
        return cls

    return register


def agent_names() -> list[str]:
    """Registered agent names."""
    return sorted(_AGENTS)


def get_agent(name: str) -> Agent:
    """An instance of the named agent."""
    try:
        return _AGENTS[name]()
    except KeyError:
        raise AgentRefused(f"no agent {name!r}; choose one of {', '.join(agent_names())}") from None
