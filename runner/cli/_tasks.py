"""The one way a command that runs a task gets it: resolved, loaded, and refused when its static checks fail.

A manifest the validator would reject is never prepared or run: its paths could point out of the task folder
(a description of `id/../../../../etc/hostname` would copy a host file into the agent's sandbox), its scripts
could be broken. The check is the validator's static layer, so `runner validate` says exactly the same.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from ._app import usage_error

if TYPE_CHECKING:
    from spec import LoadedTask, Problem


def runnable_task(
    argument: str, tasks_dir: Path | None, *, tolerate: Callable[[Problem], bool] | None = None
) -> LoadedTask:
    """The task named by `argument` (an absolute manifest path); a usage error (exit 2) when it is missing,
    invalid, or has any static error (except those `tolerate` accepts: what the command itself is about to fix)."""
    from spec import TaskNotFoundError, load_task, resolve_task
    from validators import validate_tasks

    try:
        path = resolve_task(argument, tasks_dir).resolve()  # absolute: Ray workers run elsewhere
    except TaskNotFoundError as error:
        raise usage_error(escape(str(error))) from None
    task = load_task(path)
    errors = [problem for problem in task.problems if problem.severity == "error"]
    if task.manifest is not None:
        [report] = validate_tasks([task], layers=("static",)).tasks
        errors = [p for p in report.problems if p.severity == "error" and not (tolerate is not None and tolerate(p))]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        raise usage_error(
            escape(f"{first.where()}: {first.message} [{first.code}]{more}: the task is not run; fix it "
                   f"(`runner validate {path}` lists every problem)")
        )  # fmt: skip
    return task
