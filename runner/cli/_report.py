"""`runner report`: medals, Elo, AUP, FSR and per-task scores over a runs folder, as text, JSON, CSV or HTML."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._app import EXIT_FAILED, app, stderr, stdout, usage_error


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    md = "md"
    csv = "csv"
    html = "html"


def _warn(message: str) -> None:
    stderr.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)


@app.command("report")
def report(
    runs_dir: Annotated[Path, typer.Argument(help="Runs folder: every result.json under it is read.")],
    output: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            help="text (tables no wider than the terminal, 80 columns in a pipe), json (one object), md (Markdown), "
            "csv (files in --out) or html (a folder).",
        ),
    ] = ReportFormat.text,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder; csv and html default to RUNS_DIR/report. trials.parquet is written there "
            "(for text, json and md only when --out is given; json and md then also write report.json or "
            "report.md)."
        ),
    ] = None,
    rounds: Annotated[int, typer.Option(help="Bootstrap rounds for the Elo and FSR intervals.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstraps.")] = 0,
) -> None:
    """Summarise every trial under RUNS_DIR: per agent valid rate, medals, Elo with 95% CI, AUP and FSR; how trials
    ended and the most frequent failure reasons; the pairwise win/tie/loss matrix; per-task scores. Different
    digests of a task are reported apart, never pooled."""
    from runner.reports import (
        ReportError,
        build_report,
        load_trials,
        render_text,
        report_json,
        report_markdown,
        write_csv,
        write_html,
        write_parquet,
    )

    if rounds < 1:
        raise usage_error(f"--rounds {rounds}: use at least one bootstrap round")
    if not runs_dir.exists():
        raise usage_error(f"runs folder {escape(str(runs_dir))} does not exist")
    if not runs_dir.is_dir():
        raise usage_error(f"{escape(str(runs_dir))} is not a folder; pass the runs folder")
    target = out
    if target is None and output in (ReportFormat.csv, ReportFormat.html):
        target = runs_dir / "report"
    if target is not None and target.exists() and not target.is_dir():
        raise usage_error(f"--out {escape(str(target))} is a file; give a folder")

    loaded = load_trials(runs_dir)
    if loaded.frame.empty:
        for message in loaded.warnings:
            _warn(message)
        skipped = f" ({len(loaded.skipped)} unreadable result.json skipped)" if loaded.skipped else ""
        raise usage_error(f"no trial results under {escape(str(runs_dir))}: no valid result.json found{skipped}")
    try:
        built = build_report(loaded.frame, rounds=rounds, seed=seed, runs_dir=runs_dir, warnings=loaded.warnings)
    except ReportError as error:
        raise usage_error(escape(str(error))) from None
    for message in built.warnings:
        _warn(message)

    try:
        if output is ReportFormat.text:
            render_text(built, stdout)
        elif output is ReportFormat.json:
            text = json.dumps(report_json(built), indent=2, ensure_ascii=False)
            print(text)
            if target is not None:
                target.mkdir(parents=True, exist_ok=True)
                (target / "report.json").write_text(text + "\n", encoding="utf-8")
        elif output is ReportFormat.md:
            text = report_markdown(built)
            print(text)
            if target is not None:
                target.mkdir(parents=True, exist_ok=True)
                (target / "report.md").write_text(text + "\n", encoding="utf-8")
        elif output is ReportFormat.csv:
            assert target is not None
            written = write_csv(built, target)
            stderr.print(f"wrote {len(written)} CSV files to {escape(str(target))}", highlight=False)
        else:
            assert target is not None
            index = write_html(built, target)
            stderr.print(f"wrote {escape(str(index))}", highlight=False)
        if target is not None and output is not ReportFormat.html:
            write_parquet(built.trials, target)
    except OSError as error:
        stderr.print(f"[bold red]error:[/] cannot write the report: {escape(str(error))}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
