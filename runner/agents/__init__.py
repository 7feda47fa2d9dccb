"""Agents: who attempts a task. Built in: sample, oracle, baseline, command, llm/gpt, aide; adding one is one file."""

from . import _aide, _builtin, _llm  # noqa: F401 (registers the aide, llm and gpt agents)
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
