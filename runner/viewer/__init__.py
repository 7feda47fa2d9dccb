"""Looking at trials: listing and reading a runs folder (`runner results`, `runner show`) and the local web viewer
(`runner view`, FastAPI and uvicorn from the `view` extra, imported only when it is served)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._data import (
    MEDALS,
    ROW_COLUMNS,
    EventsSummary,
    Filters,
    TreeNode,
    Trial,
    TrialNotFound,
    TrialView,
    Unfinished,
    events_summary,
    find_trial,
    list_trials,
    load_trial,
    row,
    status_counts,
    unfinished_trials,
)
from ._files import CAP_NOTE, Excerpt

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from fastapi import FastAPI


def web_app(runs_dir: Path, *, tasks_dir: Path | None = None, refresh_s: float = 3.0) -> FastAPI:
    """The viewer's FastAPI app over `runs_dir` (imports FastAPI and Jinja2: the `view` extra)."""
    from ._app import Viewer, make_app

    return make_app(Viewer(runs_dir, tasks_dir, refresh_s))


def serve(
    runs_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    tasks_dir: Path | None = None,
    refresh_s: float = 3.0,
    announce: Callable[[str], object] = print,
) -> None:
    """Serve the viewer until interrupted; `announce` gets its address once the port is bound (0: a free one)."""
    from ._app import Viewer
    from ._app import serve as run

    run(Viewer(runs_dir, tasks_dir, refresh_s), host, port, announce)


__all__ = [
    "CAP_NOTE",
    "MEDALS",
    "ROW_COLUMNS",
    "EventsSummary",
    "Excerpt",
    "Filters",
    "TreeNode",
    "Trial",
    "TrialNotFound",
    "TrialView",
    "Unfinished",
    "events_summary",
    "find_trial",
    "list_trials",
    "load_trial",
    "row",
    "serve",
    "status_counts",
    "unfinished_trials",
    "web_app",
]
