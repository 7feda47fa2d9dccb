"""Plug-ins: one registry type for agents, sandbox backends, executors, task-kind runtimes, metrics, dataset
providers and checks, each extendable by installed packages through its entry-point group (`GROUPS`).

See docs/plugins.md for how to write and install one.
"""

from ._registry import PluginUnavailableError, Registry, UnknownPluginError

GROUPS = {
    "agents": "benchsmith.agents",
    "sandboxes": "benchsmith.sandboxes",
    "executors": "benchsmith.executors",
    "kinds": "benchsmith.kinds",
    "metrics": "benchsmith.metrics",
    "datasets": "benchsmith.datasets",
    "checks": "benchsmith.checks",
}
"""Entry-point group of each registry."""

__all__ = ["GROUPS", "PluginUnavailableError", "Registry", "UnknownPluginError"]
