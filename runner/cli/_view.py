"""`runner view`: a local web viewer of a runs folder (FastAPI and uvicorn, the `view` extra)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._app import TasksDirOption, app, stderr, stdout, usage_error


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command("view")
def view(
    runs_dir: Annotated[Path, typer.Argument(help="Runs folder to show (it may still be filling).")] = Path("runs"),
    port: Annotated[int, typer.Option(help="Port to serve on; 0 picks a free one.", min=0, max=65535)] = 8765,
    host: Annotated[str, typer.Option(help="Address to serve on. Keep it on loopback: there is no login.")] = (
        "127.0.0.1"
    ),
    tasks_dir: TasksDirOption = None,
    refresh: Annotated[
        float, typer.Option(help="Seconds between the pages' checks for newly recorded trials.", min=0.5)
    ] = 3.0,
) -> None:
    """Browse RUNS_DIR in a browser: the trials with filters, each trial's result, timings, usage, events, agent
    log and solution tree, the task manifests and the report's tables and plots. Pages refresh as trials are
    recorded. Ctrl-C stops it."""
    if not runs_dir.is_dir():
        raise usage_error(f"runs folder {escape(str(runs_dir))} does not exist: give the folder `runner exec` wrote")
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise usage_error(
            f"the viewer needs {escape(error.name or 'its libraries')}: pip install 'benchsmith[view]'"
        ) from None
    from runner.viewer import serve

    if not _loopback(host):
        stderr.print(
            f"[yellow]warning:[/] serving on {escape(host)}: anyone who reaches it can read every agent's logs",
            highlight=False,
        )

    def announce(url: str) -> None:
        stdout.print(f"benchsmith viewer of {escape(str(runs_dir))} at {url} (Ctrl-C stops it)", highlight=False)

    try:
        serve(runs_dir, host=host, port=port, tasks_dir=tasks_dir, refresh_s=refresh, announce=announce)
    except OSError as error:
        raise usage_error(f"cannot serve on {escape(host)}:{port}: {escape(str(error))}; try --port 0") from None
    except KeyboardInterrupt:
        pass
