"""Agents: who attempts a task. Built in: sample, oracle, baseline, command; adding one is one file."""

from . import _builtin, _llm  # noqa: F401 (registers the llm and gpt agents)
from ._base import (
    AGENTS,
    Agent,
    AgentContext,
    AgentOutcome,
    AgentRefused,
    AgentStatus,
    agent,
    agent_names,
    get_agent,
    outcome_of,
    output_tail,
)

__all__ = [
    "AGENTS",
    "Agent",
    "AgentContext",
    "AgentOutcome",
    "AgentRefused",
    "AgentStatus",
    "_builtin",
    "agent",
    "agent_names",
    "get_agent",
    "outcome_of",
    "output_tail",
]
