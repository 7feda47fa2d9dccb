"""Agents are host-side controllers that act through a trial's sandbox; adding one is one decorated class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from runner._errors import EXIT_USAGE, BenchsmithError
from runner.plugins import GROUPS, Registry
from runner.preparation import PreparedTask
from runner.results import Usage
from runner.sandboxes import ExecResult, Sandbox
from spec import AnyTask

if TYPE_CHECKING:
    from runner.llm import ChatReply

AgentStatus = Literal["ok", "agent_error", "timeout", "oom", "rule_violation", "infra_error"]
"""infra_error: something the agent relies on and cannot help failed (the model endpoint down); retried."""


class AgentRefused(BenchsmithError, ValueError):
    """The agent cannot run in this setting (e.g. the oracle outside validation); a usage error."""

    exit_code = EXIT_USAGE


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
    model_source: str | None = None
    """Where the runner's choice of `model` came from; None when the agent resolves it itself."""
    log: Callable[[str], None] = print
    prepared: PreparedTask | None = None
    on_model_call: Callable[[str, ChatReply], None] | None = None
    """Called with (model, reply) after each model call an agent makes itself (the runner's event log)."""


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
    sandbox_packages: tuple[str, ...] = ()
    """What the agent's own program needs in the sandbox's Python, installed there with the task's packages
    (`runner envs build --agent NAME` builds it ahead of time)."""
    sandbox_packages_no_deps: tuple[str, ...] = ()
    """Of the agent's packages, those installed without their declared dependencies (see `EnvironmentSpec`)."""

    @abstractmethod
    def run(self, context: AgentContext) -> AgentOutcome:
        """Attempt the task; the submission goes to `context.submission_path` (through the sandbox)."""

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:  # noqa: B027 (optional hook)
        """Raise AgentRefused when these arguments or this setting cannot work; by default all may run."""


AGENTS: Registry[type[Agent]] = Registry("agent", GROUPS["agents"])
"""Agents by name: the built-ins and those of installed packages (entry-point group `benchsmith.agents`)."""


def agent(name: str) -> Callable[[type[Agent]], type[Agent]]:
    """Register an agent class under `name`."""

    def stamp(cls: type[Agent]) -> None:
        cls.name = name

    return AGENTS.decorator(name, on_add=stamp)


def agent_names() -> list[str]:
    """Registered agent names."""
    return AGENTS.names()


def get_agent(name: str) -> Agent:
    """An instance of the named agent (UnknownPluginError when there is none)."""
    instance = AGENTS.get(name)()
    instance.name = name  # a plug-in's class is registered under its entry point's name, not stamped
    return instance
