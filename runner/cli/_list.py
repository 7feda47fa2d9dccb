"""`runner list` and `runner metrics`: what the catalogue and the metric registry hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from runner.metrics import get_metric, metric_names
from spec import AnyTask, NamedMetric, default_tasks_dir, iter_manifests, load_task

from ._app import app, stderr, stdout, usage_error
from ._validate import OutputFormat


def _metric_label(task: AnyTask) -> str:
    metric = task.metric
    if isinstance(metric, NamedMetric):
        return metric.name
    return f"script {getattr(metric, 'script', None) or getattr(metric, 'entrypoint', '')}"


def _parse_tags(tags: list[str]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for tag in tags:
        key, separator, value = tag.partition("=")
        if not separator or not key or not value:
            raise usage_error(f"--tag {tag!r}: write it as key=value, e.g. --tag modality=tabular")
        wanted[key] = value
    return wanted


def _matches(task: AnyTask, kind: str | None, wanted: dict[str, str]) -> bool:
    if kind is not None and task.kind != kind:
        return False
    tags = task.tags.model_dump()
    for key, value in wanted.items():
        present = tags.get(key)
        if present != value and not (isinstance(present, list) and value in present):
            return False
    return True


@app.command("list")
def list_tasks(
    kind: Annotated[str | None, typer.Option(help="Only this kind: competition, research or speedrun.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Only tasks with this tag, key=value (repeatable), e.g. modality=tabular."),
    ] = None,
    tasks_dir: Annotated[
        Path | None, typer.Option(help="Catalogue folder. Default: ./tasks, else the installed catalogue.")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """Print the catalogue: id, version, kind, modality, problem, metric."""
    if kind is not None and kind not in ("competition", "research", "speedrun"):
        raise usage_error(f"--kind {kind!r}: choose competition, research or speedrun")
    wanted = _parse_tags(tag or [])
    root = tasks_dir or default_tasks_dir()
    if root is None or not root.is_dir():
        raise usage_error(f"no catalogue folder at {root or './tasks'}; pass --tasks-dir")
    rows = []
    skipped = 0
    for path in iter_manifests(root):
        loaded = load_task(path)
        if loaded.manifest is None:
            skipped += 1
            continue
        task = loaded.manifest
        if _matches(task, kind, wanted):
            rows.append(
                {
                    "id": task.id, "version": task.version, "kind": task.kind, "modality": task.tags.modality,
                    "problem": task.tags.problem, "metric": _metric_label(task), "title": task.title,
                    "path": str(path),
                }
            )  # fmt: skip
    if skipped:
        stderr.print(f"[yellow]warning:[/] {skipped} invalid manifest(s) left out; run `runner validate {root}`")
    if output is OutputFormat.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} task(s) in {root}")
    for column in ("id", "version", "kind", "modality", "problem", "metric"):
        table.add_column(column, no_wrap=column == "id", overflow="fold")
    for row in rows:
        table.add_row(*(escape(row[column]) for column in ("id", "version", "kind", "modality", "problem", "metric")))
    stdout.print(table)


@app.command("metrics")
def list_metrics(
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """Print the metric registry: name, direction, perfect score, what predictions it expects."""
    metrics = [get_metric(name) for name in metric_names()]
    if output is OutputFormat.json:
        rows = [
            {
                "name": m.name, "higher_is_better": m.higher_is_better, "best_possible": m.best_possible,
                "prediction": m.prediction, "params": {k: repr(v) for k, v in m.params.items()},
                "description": m.description,
            }
            for m in metrics
        ]  # fmt: skip
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(metrics)} metrics")
    for column in ("name", "better", "best", "prediction", "params", "description"):
        table.add_column(column, overflow="fold")
    for m in metrics:
        params = ", ".join(f"{k}={v!r}" for k, v in m.params.items())
        best = "" if m.best_possible is None else f"{m.best_possible:g}"
        table.add_row(m.name, "higher" if m.higher_is_better else "lower", best, m.prediction, params, m.description)
    stdout.print(table)
