"""What Inspect loads through the `inspect_ai` entry point named `benchsmith`: one task per catalogue id.

Inspect namespaces an extension's names by the top-level package that defines them (`runner` here, when installed
from a wheel); users type the distribution's name, `benchsmith/<task-id>`, so each factory is registered under that
name exactly and claims no module of its own (see `_factory`).
"""

from __future__ import annotations

from inspect_ai import Task, task

from ._inspect import SandboxKind, benchsmith_task, catalogue_ids

NAMESPACE = "benchsmith"


def _factory(task_id: str) -> None:
    def make(
        sandbox: SandboxKind = "local",
        tasks_dir: str | None = None,
        cache_dir: str | None = None,
        message_limit: int | None = 100,
    ) -> Task:
        return benchsmith_task(
            task_id, sandbox=sandbox, tasks_dir=tasks_dir, cache_dir=cache_dir, message_limit=message_limit
        )

    make.__name__ = make.__qualname__ = task_id.replace("-", "_")
    # Not a module Inspect can find: it then takes the given name as it is, rather than prefixing `runner/`.
    make.__module__ = f"{NAMESPACE}.catalogue"
    task(name=f"{NAMESPACE}/{task_id}")(make)


def register_catalogue() -> None:
    """Register `benchsmith/<id>` for every manifest of the default catalogue (./tasks, else the installed one)."""
    for task_id in catalogue_ids():
        _factory(task_id)


register_catalogue()
