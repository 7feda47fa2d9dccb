"""The web viewer: a FastAPI app over one runs folder, pages rendered by Jinja2 with every value escaped.

Everything shown comes from the runner's own records (`runner.viewer` reads them); agents' output is hostile text
and is only ever inserted escaped. A strict Content-Security-Policy allows the viewer's own script file alone, so
even a missed escape could run nothing. Pages poll a small state endpoint and reload when a trial is recorded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from runner.results import (
    CommandRun,
    Event,
    Grading,
    ModelCall,
    SandboxStarted,
    SandboxStopped,
    TrialEnded,
    TrialStarted,
    result_files,
)

from ._data import MEDALS, Filters, Trial, Unfinished, list_trials, load_trial, row, unfinished_trials
from ._files import read_text

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
FILTERS = ("task", "agent", "model", "status", "medal")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("runner.viewer"), autoescape=select_autoescape(default=True))
    env.filters["seconds"] = lambda value: "" if value is None else f"{value:.2f} s"
    env.filters["number"] = lambda value: "" if value is None else f"{value + 0.0:.6g}"  # + 0.0: no "-0"
    env.filters["usd"] = lambda value: "unknown" if value is None else f"${value:.4f}"
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(value, datetime) else ""
    return env


def describe_event(event: Event) -> str:
    """One line saying what an event holds (the viewer's event table)."""
    if isinstance(event, CommandRun):
        how = "timed out" if event.timed_out else "out of memory" if event.oom else f"exit {event.exit_code}"
        failed = f" ({event.error})" if event.error else ""
        return f"{how} after {event.duration_s:.2f} s: {' '.join(event.argv)}{failed}"
    if isinstance(event, ModelCall):
        cost = "unknown cost" if event.cost_usd is None else f"${event.cost_usd:.4f}"
        return f"{event.model} via {event.source}: {event.input_tokens} in / {event.output_tokens} out tokens, {cost}"
    if isinstance(event, Grading):
        verdict = f"score {event.score:.6g}" if event.score is not None else (event.reason or "not scored")
        return f"{event.status}: {verdict} ({event.duration_s:.2f} s)"
    if isinstance(event, TrialStarted):
        return f"attempt {event.attempt} of {event.agent} on the {event.backend} backend"
    if isinstance(event, TrialEnded):
        return f"{event.status}{': ' + event.reason if event.reason else ''} ({event.duration_s:.1f} s)"
    if isinstance(event, SandboxStarted):
        return f"{event.backend} sandbox up in {event.startup_s:.2f} s"
    if isinstance(event, SandboxStopped):
        return f"closed after {event.open_s:.2f} s"
    return ""


@dataclass
class _Report:
    """The report's HTML folder, rebuilt when the runs folder's records change."""

    folder: Path
    signature: str = ""
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Viewer:
    """One runs folder served."""

    runs_dir: Path
    tasks_dir: Path | None = None
    refresh_s: float = 3.0
    report_rounds: int = 200
    report: _Report = field(default_factory=lambda: _Report(Path(tempfile.mkdtemp(prefix="benchsmith-view-"))))

    def signature(self, unfinished: list[Unfinished] | None = None) -> tuple[str, int]:
        """A digest of which result.json files exist and when each last changed (and, given the unfinished
        trials, how far each has got), and how many results there are."""
        digest = hashlib.sha256()
        for trial in unfinished or []:
            digest.update(f"{trial.trial_id}\0{trial.summary.counts}\n".encode())
        count = 0
        for trial_id, path in result_files(self.runs_dir):
            try:
                changed = os.lstat(path).st_mtime_ns
            except OSError:
                continue
            digest.update(f"{trial_id}\0{changed}\n".encode())
            count += 1
        return digest.hexdigest()[:16], count

    def build_report(self) -> None:
        """(Re)write the report folder with runner.reports' public functions when the records changed."""
        from runner.reports import ReportError, build_report, load_trials, write_html

        signature, _ = self.signature()
        with self.report.lock:
            if signature == self.report.signature:
                return
            try:
                loaded = load_trials(self.runs_dir)
                report = build_report(loaded.frame, rounds=self.report_rounds, seed=0, runs_dir=self.runs_dir,
                                      warnings=loaded.warnings)  # fmt: skip
                write_html(report, self.report.folder)
                self.report.error = None
            except (ReportError, ValueError) as error:
                self.report.error = str(error)
            self.report.signature = signature


def make_app(viewer: Viewer) -> FastAPI:
    """The viewer's routes over `viewer.runs_dir`."""
    app = FastAPI(title="benchsmith viewer", docs_url=None, redoc_url=None, openapi_url=None)
    templates = _environment()

    class _Headers(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            response = await call_next(request)
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

    app.add_middleware(_Headers)

    def page(name: str, *, live: list[Unfinished] | None = None, **values: Any) -> HTMLResponse:
        """Render a page; a `live` one (the trials list) polls the state and reloads when it changes."""
        signature, count = viewer.signature(live)
        html = templates.get_template(name).render(
            runs_dir=str(viewer.runs_dir), signature=signature, recorded=count, refresh_ms=int(viewer.refresh_s * 1000),
            state_url="/api/state?unfinished=1" if live is not None else "", **values,
        )  # fmt: skip
        return HTMLResponse(html)

    @app.get("/", response_class=HTMLResponse)
    def trials(task: str = "", agent: str = "", model: str = "", status: str = "", medal: str = "") -> HTMLResponse:
        everything = list_trials(viewer.runs_dir)
        chosen = {"task": task, "agent": agent, "model": model, "status": status, "medal": medal}
        filters = Filters(**{key: value or None for key, value in chosen.items()})
        shown = [trial for trial in everything if filters.match(trial.result)]
        options = {
            "task": sorted({t.result.task_id for t in everything}),
            "agent": sorted({t.result.agent for t in everything} | {t.result.agent_label for t in everything}),
            "model": sorted({t.result.model or "" for t in everything} - {""}),
            "status": sorted({t.result.status for t in everything}),
            "medal": list(MEDALS),
        }
        counts: dict[str, int] = {}
        for trial in shown:
            counts[trial.result.status] = counts.get(trial.result.status, 0) + 1
        unfinished = unfinished_trials(viewer.runs_dir)
        return page("trials.html", live=unfinished, trials=shown, total=len(everything), options=options,
                    chosen=chosen, counts=sorted(counts.items(), key=lambda item: -item[1]),
                    unfinished=unfinished)  # fmt: skip

    def _trial(trial_id: str) -> Trial:
        # Looked up among the recorded trials, never used as a path.
        for trial in list_trials(viewer.runs_dir):
            if trial.trial_id == trial_id:
                return trial
        raise HTTPException(404, f"no recorded trial {trial_id!r}")

    @app.get("/trial/{trial_id:path}", response_class=HTMLResponse)
    def trial_page(trial_id: str) -> HTMLResponse:
        view = load_trial(_trial(trial_id))
        attempt = view.events.last_attempt()
        started = attempt[0].at if attempt else None
        events = [
            {"offset": (event.at - started).total_seconds() if started else 0.0, "kind": event.event,
             "text": describe_event(event), "failed": isinstance(event, CommandRun) and event.exit_code != 0}
            for event in attempt
        ]  # fmt: skip
        calls = [event for event in attempt if isinstance(event, ModelCall)]
        return page("trial.html", view=view, result=view.trial.result, events=events, calls=calls,
                    earlier=len(view.events.events) - len(attempt))  # fmt: skip

    @app.get("/task/{task_id}", response_class=HTMLResponse)
    def task_page(task_id: str) -> HTMLResponse:
        trials_of = [trial for trial in list_trials(viewer.runs_dir) if trial.result.task_id == task_id]
        if not trials_of:
            raise HTTPException(404, f"no recorded trial of task {task_id!r}")
        manifest, where = _manifest(task_id, viewer.tasks_dir)
        description = read_text(trials_of[0].folder / "task" / "description.md")
        return page("task.html", task_id=task_id, trials=trials_of, manifest=manifest, where=where,
                    description=description)  # fmt: skip

    @app.get("/report/", response_class=HTMLResponse)
    def report_page() -> Response:
        viewer.build_report()
        if viewer.report.error is not None:
            return page("message.html", title="Report", message=viewer.report.error)
        return FileResponse(viewer.report.folder / "index.html", media_type="text/html")

    @app.get("/report/{name:path}")
    def report_file(name: str) -> FileResponse:
        folder = viewer.report.folder.resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise HTTPException(404, "no such report file")
        return FileResponse(path)

    @app.get("/api/state")
    def state(unfinished: bool = False) -> JSONResponse:
        running = unfinished_trials(viewer.runs_dir) if unfinished else None
        signature, count = viewer.signature(running)
        return JSONResponse({"signature": signature, "trials": count, "unfinished": len(running or [])})

    @app.get("/api/trials")
    def api_trials(task: str = "", agent: str = "", model: str = "", status: str = "", medal: str = "") -> JSONResponse:
        filters = Filters(task=task or None, agent=agent or None, model=model or None, status=status or None,
                          medal=medal or None)  # fmt: skip
        return JSONResponse([row(trial) for trial in list_trials(viewer.runs_dir, filters)])

    @app.get("/static/viewer.js")
    def script() -> Response:
        from importlib.resources import files

        text = files("runner.viewer").joinpath("static", "viewer.js").read_text(encoding="utf-8")
        return Response(text, media_type="text/javascript")

    return app


def _manifest(task_id: str, tasks_dir: Path | None) -> tuple[str | None, str | None]:
    """The task's manifest text from the catalogue, and where it is (None, None when it is not there)."""
    from spec import TaskNotFoundError, resolve_task

    try:
        path = resolve_task(task_id, tasks_dir)
    except (TaskNotFoundError, OSError):
        return None, None
    return read_text(path), str(path)


def serve(viewer: Viewer, host: str, port: int, announce: Any = print) -> None:
    """Serve until interrupted; `announce` gets the address once the port is bound (port 0: a free one)."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    bound = listener.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    announce(f"http://{shown}:{bound}/")
    config = uvicorn.Config(make_app(viewer), log_level="warning", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        listener.close()
        shutil.rmtree(viewer.report.folder, ignore_errors=True)
