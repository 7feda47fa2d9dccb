"""Agents: who attempts a task. Built in: sample, oracle, baseline, command, llm/gpt, aide, and the solver ladder
(ladder-dummy, ladder-linear, ladder-boosting); adding one is one file."""

from . import _aide, _builtin, _ladder, _llm  # noqa: F401 (registers the aide, ladder, llm and gpt agents)
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
from ._ladder import LADDER_PROGRAM_DIGEST, LADDER_RUNGS, LADDER_VERSION, LadderAgent

__all__ = [
    "AGENTS",
    "LADDER_PROGRAM_DIGEST",
    "LADDER_RUNGS",
    "LADDER_VERSION",
    "Agent",
    "AgentContext",
    "AgentOutcome",
    "AgentRefused",
    "AgentStatus",
    "LadderAgent",
    "_builtin",
    "agent",
    "agent_names",
    "get_agent",
    "outcome_of",
    "output_tail",
]
