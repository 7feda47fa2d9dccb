"""A report as rich tables on a console."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._compute import Report
from ._tables import display_tables

__all__ = ["render_text"]


def _heading(report: Report) -> str:
    trials = report.trials
    where = f" in {report.runs_dir}" if report.runs_dir is not None else ""
    return (
        f"{len(trials)} trial(s){where}: {trials['agent_label'].nunique()} agent(s), "
        f"{trials['task'].nunique()} task(s), {int(trials['valid'].sum())} valid"
    )


def render_text(report: Report, console: Console) -> None:
    """Print the report's tables (agents with Elo and AUP, AUP bounds, FSR, pairwise, per task, tasks) and notes."""
    console.print(f"[bold]{escape(_heading(report))}[/]", highlight=False)
    for shown in display_tables(report):
        if shown.message is not None and not shown.rows:
            console.print(f"\n[bold]{escape(shown.title)}[/]: {escape(shown.message)}", highlight=False)
            continue
        table = Table(title=shown.title, caption=shown.caption and escape(shown.caption), title_justify="left")
        for index, column in enumerate(shown.columns):
            table.add_column(
                escape(column), justify="right" if index in shown.numeric else "left", overflow="fold",
                no_wrap=index == 0,
            )  # fmt: skip
        for row in shown.rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print()
        console.print(table)
    if report.notes:
        console.print()
        for note in report.notes:
            console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
